// Command bench-plugins measures the WebAssembly plugin host and writes the
// "plugins-bench" section of docs/PERFORMANCE.md:
//
//   - the cost of a plugin call: a near-empty call and the time per MB moved
//     through a plugin (c-upper, a C plugin that upper-cases its input),
//     trusted (no deadline checks) vs untrusted;
//   - imagenet-preprocess (a Go plugin) on a 320×240 PNG and a 1920×1080
//     JPEG, trusted vs untrusted, against gonyx's own mobilenet_v2 batch-1
//     p50 at 2 threads (`gonyx bench`), measured in the same run.
//
// Run from the repository root through `make bench-plugins`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/section"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/imageops/testimage"
)

func main() {
	gonyx := flag.String("gonyx", "build/gonyx", "the gonyx binary (for the mobilenet_v2 comparison)")
	dir := flag.String("plugins", "build/plugins", "where make plugins wrote the .wasm files")
	models := flag.String("models", "../shared/models", "reference models")
	out := flag.String("out", "docs/PERFORMANCE.md", "file whose plugins-bench section is rewritten")
	runs := flag.Int("runs", 50, "calls per measurement")
	flag.Parse()
	if err := run(*gonyx, *dir, *models, *out, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench-plugins:", err)
		os.Exit(1)
	}
}

// measure returns the p50 of f over n calls (after 3 warm-up calls).
func measure(n int, f func() error) (time.Duration, error) {
	for range 3 {
		if err := f(); err != nil {
			return 0, err
		}
	}
	d := make([]time.Duration, n)
	for i := range d {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		d[i] = time.Since(t)
	}
	slices.Sort(d)
	return d[n/2], nil
}

func run(gonyx, dir, models, out string, runs int) error {
	ctx := context.Background()
	rt, err := plugins.NewRuntime(ctx, plugins.RuntimeOptions{})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	load := func(name string, trusted bool) (*plugins.Plugin, error) {
		return rt.Load(ctx, plugins.Config{Path: filepath.Join(dir, name+".wasm"), Trusted: trusted, Timeout: time.Minute, Instances: 1})
	}
	// Each call hands the previous call's outputs back, as the server's
	// pipeline does (Plugin.ProcessInto).
	call := func(p *plugins.Plugin, msg abi.Message) func() error {
		var prev abi.Message
		return func() error {
			out, err := p.ProcessInto(ctx, msg, prev)
			prev = out
			return err
		}
	}

	// Call overhead and throughput.
	type costRow struct {
		trusted          bool
		empty, mb1, mb16 time.Duration
	}
	var costs []costRow
	for _, trusted := range []bool{false, true} {
		p, err := load("c-upper", trusted)
		if err != nil {
			return err
		}
		r := costRow{trusted: trusted}
		if r.empty, err = measure(runs*10, call(p, abi.Message{{Name: "body", Bytes: []byte("x")}})); err != nil {
			return err
		}
		if r.mb1, err = measure(runs, call(p, abi.Message{{Name: "body", Bytes: bytes.Repeat([]byte("a"), 1<<20)}})); err != nil {
			return err
		}
		if r.mb16, err = measure(runs/5+1, call(p, abi.Message{{Name: "body", Bytes: bytes.Repeat([]byte("a"), 16<<20)}})); err != nil {
			return err
		}
		costs = append(costs, r)
		_ = p.Close(ctx)
	}

	// imagenet-preprocess on two images.
	small, err := encodePNG(320, 240)
	if err != nil {
		return err
	}
	large, err := encodeJPEG(1920, 1080)
	if err != nil {
		return err
	}
	type preRow struct {
		trusted  bool
		png, jpg time.Duration
	}
	var pres []preRow
	for _, trusted := range []bool{false, true} {
		p, err := load("imagenet-preprocess", trusted)
		if err != nil {
			return err
		}
		r := preRow{trusted: trusted}
		// The PNG call is the criterion's figure and takes under a
		// millisecond: six times the calls steady its p50 on a noisy host.
		if r.png, err = measure(6*runs, call(p, abi.Message{{Name: "content_type", Bytes: []byte("image/png")}, {Name: "body", Bytes: small}})); err != nil {
			return err
		}
		if r.jpg, err = measure(runs/2+1, call(p, abi.Message{{Name: "content_type", Bytes: []byte("image/jpeg")}, {Name: "body", Bytes: large}})); err != nil {
			return err
		}
		pres = append(pres, r)
		_ = p.Close(ctx)
	}

	// gonyx's own mobilenet_v2, batch 1, 2 threads.
	res, err := exec.Command(gonyx, "bench", "--model", filepath.Join(models, "mobilenet_v2", "model.onnx"),
		"--threads", "2", "--batch", "1", "--runs", "100", "--json").Output()
	if err != nil {
		return fmt.Errorf("gonyx bench: %v", err)
	}
	var bench struct {
		Median float64 `json:"median_ms"`
	}
	if err := json.Unmarshal(lastLine(res), &bench); err != nil {
		return fmt.Errorf("gonyx bench output %q: %v", res, err)
	}

	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }
	perMB := func(r costRow) float64 { return float64(r.mb16-r.mb1) / 1e6 / 15 }
	var b strings.Builder
	fmt.Fprintf(&b, "## Plugins (`make bench-plugins`)\n\n")
	fmt.Fprintf(&b, "Generated %s by `make bench-plugins` (`benchmarks/cmd/bench-plugins`): the wazero host in-process, one instance,\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "p50 after 3 warm-up calls, of %d calls for the 1-byte call, %d for 1 MB, %d for 16 MB, %d for the PNG and %d for the JPEG;\n", 10*runs, runs, runs/5+1, 6*runs, runs/2+1)
	fmt.Fprintf(&b, "`trusted` turns wazero's deadline checks off.\n\n")
	fmt.Fprintf(&b, "**Cost of a call** (`c-upper`, a C plugin that upper-cases its input and returns it):\n\n")
	fmt.Fprintf(&b, "| mode | 1-byte call | 1 MB | 16 MB | per MB moved (slope 1→16 MB) |\n|---|---|---|---|---|\n")
	for _, r := range costs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.3f ms |\n", mode(r.trusted), ms(r.empty), ms(r.mb1), ms(r.mb16), perMB(r))
	}
	fmt.Fprintf(&b, "\n**imagenet-preprocess** (Go plugin: host kernels decode, resize as PIL does, crop, normalise) vs gonyx's mobilenet_v2 batch 1 at 2 threads, p50 %.3f ms (`gonyx bench --runs 100`, same run):\n\n", bench.Median)
	fmt.Fprintf(&b, "| mode | 320×240 PNG | ÷ mobilenet_v2 | 1920×1080 JPEG | ÷ mobilenet_v2 |\n|---|---|---|---|---|\n")
	for _, r := range pres {
		fmt.Fprintf(&b, "| %s | %s | **%.0f%%** | %s | %.0f%% |\n", mode(r.trusted), ms(r.png), 100*float64(r.png)/1e6/bench.Median, ms(r.jpg), 100*float64(r.jpg)/1e6/bench.Median)
	}
	fmt.Print(b.String())
	doc, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(out, []byte(section.Set(string(doc), "plugins-bench", b.String())), 0o644)
}

func mode(trusted bool) string {
	if trusted {
		return "trusted"
	}
	return "untrusted"
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// encodePNG and encodeJPEG encode testimage.Noisy, whose noise makes PNG
// and JPEG do real work (a flat image compresses to nothing).
func encodePNG(w, h int) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, testimage.Noisy(w, h))
	return b.Bytes(), err
}

func encodeJPEG(w, h int) ([]byte, error) {
	var b bytes.Buffer
	err := jpeg.Encode(&b, testimage.Noisy(w, h), &jpeg.Options{Quality: 90})
	return b.Bytes(), err
}
