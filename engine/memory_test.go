package engine_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine"
)

const memChildEnv = "GONYX_ENGINE_MEM_CHILD"

func procKB(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return -1
}

// TestLoadMemory: loading resnet50 must not hold its weights twice, even
// though kernels pack them into their own layouts: peak RSS growth ≤ 1.5×
// the file size, steady growth after loading ≤ 1.3× (VmHWM / VmRSS minus the
// process before loading, measured in a fresh child process).
func TestLoadMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/status")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory distorts RSS")
	}
	path := filepath.Join(sharedModels(t), "resnet50", "model.onnx")
	if os.Getenv(memChildEnv) == "1" {
		runtime.GC()
		idleRSS, idleHWM := procKB("VmRSS"), procKB("VmHWM")
		m, err := engine.Load(path)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		runtime.GC()
		debug.FreeOSMemory()
		fmt.Println("MEM", idleRSS, idleHWM, procKB("VmRSS"), procKB("VmHWM"))
		runtime.KeepAlive(m)
		os.Exit(0)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadMemory$")
	cmd.Env = append(os.Environ(), memChildEnv+"=1", "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var idleRSS, idleHWM, rss, hwm int64
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "MEM ") {
			fmt.Sscan(line[4:], &idleRSS, &idleHWM, &rss, &hwm)
		}
	}
	if rss <= 0 {
		t.Fatalf("no measurement in child output:\n%s", out)
	}
	file := float64(st.Size()) / 1024
	peak := float64(hwm-idleRSS) / file
	steady := float64(rss-idleRSS) / file
	t.Logf("resnet50 (%.0f MB): peak growth %.2f×, steady growth %.2f× the file size", file/1024, peak, steady)
	if peak > 1.5 || steady > 1.3 {
		t.Errorf("peak %.2f× (limit 1.5×), steady %.2f× (limit 1.3×)", peak, steady)
	}
}
