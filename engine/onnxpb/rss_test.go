package onnxpb

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

const rssChildEnv = "GONYX_ONNXPB_RSS_CHILD"

// procStatus reads a "<key>: <n> kB" line of /proc/self/status, in bytes.
func procStatus(key string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("%s not in /proc/self/status", key)
}

// TestResNet50PeakRSS loads resnet50 (102 MB) the way engine.Load does
// (os.ReadFile + OwnBuffer) and asserts that the peak RSS grows by at most
// 1.5x the file size: weights alias the file buffer instead of being copied.
// It measures in a fresh subprocess so that earlier tests' heap does not
// blur the numbers.
func TestResNet50PeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc/self/status")
	}
	path := filepath.Join(sharedModelsDir(), "resnet50", "model.onnx")
	st, err := os.Stat(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared model missing: %v", err)
		}
		t.Skipf("shared model missing: %v", err)
	}
	if os.Getenv(rssChildEnv) == "1" {
		measureRSS(t, path)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestResNet50PeakRSS$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), rssChildEnv+"=1", "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	var before, peak, after, aliased, total int64
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "RSS before="); i >= 0 {
			_, err := fmt.Sscanf(line[i:], "RSS before=%d peak=%d after=%d aliased=%d total=%d",
				&before, &peak, &after, &aliased, &total)
			found = err == nil
		}
	}
	if !found {
		t.Fatalf("no measurement in child output:\n%s", out)
	}
	size := st.Size()
	const mb = 1 << 20
	t.Logf("file %.1f MB; RSS before %.1f MB, peak %.1f MB (growth %.2fx file), after %.1f MB; %.1f of %.1f MB of initializer data aliased",
		float64(size)/mb, float64(before)/mb, float64(peak)/mb, float64(peak-before)/float64(size), float64(after)/mb,
		float64(aliased)/mb, float64(total)/mb)
	if raceEnabled {
		t.Skip("RSS under -race includes shadow memory: not asserted")
	}
	if growth := peak - before; float64(growth) > 1.5*float64(size) {
		t.Fatalf("peak RSS grew by %d bytes while loading a %d-byte model (limit 1.5x)", growth, size)
	}
	if aliased < total*9/10 {
		t.Fatalf("only %d of %d initializer bytes alias the file buffer", aliased, total)
	}
}

func measureRSS(t *testing.T, path string) {
	runtime.GC()
	before, err := procStatus("VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeModel(buf, Options{Dir: filepath.Dir(path), OwnBuffer: true})
	if err != nil {
		t.Fatal(err)
	}
	peak, err := procStatus("VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	after, _ := procStatus("VmRSS")
	var aliased, total int64
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	hi := lo + uintptr(len(buf))
	for _, w := range m.Graph.Initializers {
		b := bytesOf(w.Data())
		total += int64(len(b))
		if len(b) > 0 {
			if p := uintptr(unsafe.Pointer(&b[0])); p >= lo && p < hi {
				aliased += int64(len(b))
			}
		}
	}
	fmt.Printf("RSS before=%d peak=%d after=%d aliased=%d total=%d\n", before, peak, after, aliased, total)
	runtime.KeepAlive(m)
	runtime.KeepAlive(buf)
}
