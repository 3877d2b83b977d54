// Command bench-serve measures the model server on the demo models and
// writes the "server-bench" section of docs/PERFORMANCE.md:
//
//   - the HTTP path's overhead over an in-process run of the MLP (p50, p99),
//     one client, batching on (the demo configuration);
//   - throughput and latency at 64 clients on the CNN and the MLP with
//     dynamic batching on (the demo configuration) and off (max_batch_size
//     1, everything else the same), the two servers measured alternately.
//
// It runs build/gonyx serve (both servers at once, idle when not measured)
// and build/gonyx perf as child processes. Run it from the repository root,
// normally through `make bench-serve`.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/section"
	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/tensor"
	_ "github.com/gonyx/gonyx/ops/all"
	"github.com/gonyx/gonyx/server/demo"
)

type options struct {
	wrk      string            // path of wrk, "" to use gonyx perf
	scripts  map[string]string // wrk Lua script per model
	gonyx    string
	out      string
	duration time.Duration
	rounds   int
	clients  int
}

func main() {
	var o options
	fs := flag.NewFlagSet("bench-serve", flag.ExitOnError)
	fs.StringVar(&o.gonyx, "gonyx", "build/gonyx", "the gonyx binary")
	fs.StringVar(&o.out, "out", "docs/PERFORMANCE.md", "file whose server-bench section is rewritten")
	fs.DurationVar(&o.duration, "duration", 8*time.Second, "length of each load run")
	fs.IntVar(&o.rounds, "rounds", 2, "alternating rounds of batching on / off")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients for the throughput runs")
	client := fs.String("client", "wrk", "load generator: wrk (Debian package wrk) or perf (gonyx perf)")
	_ = fs.Parse(os.Args[1:])
	if *client == "wrk" {
		p, err := exec.LookPath("wrk")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-serve: wrk not found (apt-get install wrk), or use --client perf")
			os.Exit(1)
		}
		o.wrk = p
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-serve:", err)
		os.Exit(1)
	}
}

// perfResult is `gonyx perf --json`.
type perfResult struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput_rps"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	MeanBatch  float64 `json:"mean_batch_size"`
}

func run(o options) error {
	tmp, err := os.MkdirTemp("", "bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	onDir, offDir := filepath.Join(tmp, "on"), filepath.Join(tmp, "off")
	if err := demo.Write(onDir, demo.Config); err != nil {
		return err
	}
	// Batching off: the same repository with max_batch_size 1.
	off := strings.Replace(demo.Config, "max_batch_size: 32", "max_batch_size: 1", 1)
	if err := demo.Write(offDir, off); err != nil {
		return err
	}

	if o.wrk != "" {
		if o.scripts, err = writeScripts(tmp); err != nil {
			return err
		}
	}
	inP50, inP99, err := inProcessMLP(filepath.Join(onDir, "mlp", "1", "model.onnx"))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "in-process MLP: p50 %.1f µs, p99 %.1f µs\n", inP50*1e3, inP99*1e3)

	onURL, stopOn, err := serve(o.gonyx, onDir)
	if err != nil {
		return err
	}
	defer stopOn()
	offURL, stopOff, err := serve(o.gonyx, offDir)
	if err != nil {
		return err
	}
	defer stopOff()

	// Overhead: one client, the demo configuration.
	var single []perfResult
	for range o.rounds {
		r, err := load(o, onURL, "mlp", 1, o.duration)
		if err != nil {
			return err
		}
		single = append(single, r)
	}
	best := func(rs []perfResult) perfResult {
		return slices.MaxFunc(rs, func(a, b perfResult) int { return cmpFloat(a.Throughput, b.Throughput) })
	}
	one := slices.MinFunc(single, func(a, b perfResult) int { return cmpFloat(a.P50, b.P50) })

	type pair struct{ on, off perfResult }
	results := map[string]pair{}
	for _, model := range []string{"cnn", "mlp"} {
		var ons, offs []perfResult
		for range o.rounds {
			for _, side := range []string{"on", "off"} {
				url := onURL
				if side == "off" {
					url = offURL
				}
				r, err := load(o, url, model, o.clients, o.duration)
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "%s batching %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, mean batch %.1f, errors %d\n",
					model, side, r.Throughput, r.P50, r.P99, r.MeanBatch, r.Errors)
				if side == "on" {
					ons = append(ons, r)
				} else {
					offs = append(offs, r)
				}
			}
		}
		results[model] = pair{best(ons), best(offs)}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "## Model server (`make bench-serve`)\n\n")
	fmt.Fprintf(&b, "Generated %s by `make bench-serve` (`benchmarks/cmd/bench-serve`): `gonyx serve` on the demo models over\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	gen := "`gonyx perf` (Go's HTTP client)"
	if o.wrk != "" {
		gen = "`wrk` (a C load generator; Go's HTTP client would add ~50 µs per round trip and take CPU from the server)"
	}
	fmt.Fprintf(&b, "loopback, load from %s, KServe v2 JSON requests of batch 1 on keep-alive connections, in another process on the same 2 cores.\n", gen)
	fmt.Fprintf(&b, "Each figure is the best of %d runs of %s; batching on and off alternate.\n\n", o.rounds, o.duration)
	fmt.Fprintf(&b, "**HTTP overhead, MLP, one client, batching on (demo config):**\n\n")
	fmt.Fprintf(&b, "| | p50 | p99 |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| in-process `Model.Run` (batch 1) | %.1f µs | %.1f µs |\n", inP50*1e3, inP99*1e3)
	fmt.Fprintf(&b, "| HTTP round trip (`POST /v2/models/mlp/infer`) | %.1f µs | %.1f µs |\n", one.P50*1e3, one.P99*1e3)
	fmt.Fprintf(&b, "| **overhead** | **%.1f µs** | %.1f µs |\n\n", (one.P50-inP50)*1e3, (one.P99-inP99)*1e3)
	fmt.Fprintf(&b, "**Throughput at %d clients, dynamic batching on (max 32, 2 ms) vs off (max batch 1):**\n\n", o.clients)
	fmt.Fprintf(&b, "| model | batching | req/s | p50 | p99 | mean batch | errors | on ÷ off |\n|---|---|---|---|---|---|---|---|\n")
	for _, model := range []string{"cnn", "mlp"} {
		p := results[model]
		ratio := p.on.Throughput / p.off.Throughput
		fmt.Fprintf(&b, "| %s | on | %.0f | %.2f ms | %.2f ms | %.1f | %d | **%.2f×** |\n", model, p.on.Throughput, p.on.P50, p.on.P99, p.on.MeanBatch, p.on.Errors, ratio)
		fmt.Fprintf(&b, "| %s | off | %.0f | %.2f ms | %.2f ms | %.1f | %d | |\n", model, p.off.Throughput, p.off.P50, p.off.P99, p.off.MeanBatch, p.off.Errors)
	}
	fmt.Print(b.String())
	doc, err := os.ReadFile(o.out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(o.out, []byte(section.Set(string(doc), "server-bench", b.String())), 0o644)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inProcessMLP times Model.Run on one MLP row: p50 and p99 in ms.
func inProcessMLP(path string) (p50, p99 float64, err error) {
	m, err := engine.Load(path)
	if err != nil {
		return 0, 0, err
	}
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	in := map[string]*tensor.Tensor{"features": tensor.New([]int{1, 64}, x)}
	ctx := context.Background()
	for range 1000 {
		if _, err := m.Run(ctx, in); err != nil {
			return 0, 0, err
		}
	}
	const n = 20000
	d := make([]float64, n)
	for i := range d {
		t0 := time.Now()
		if _, err := m.Run(ctx, in); err != nil {
			return 0, 0, err
		}
		d[i] = float64(time.Since(t0)) / 1e6
	}
	slices.Sort(d)
	return d[n/2], d[n*99/100], nil
}

// serve starts `gonyx serve` on a repository and waits until it is ready.
func serve(gonyx, repo string) (string, func(), error) {
	cmd := exec.Command(gonyx, "serve", "--repo", repo, "--model-control", "none", "--http", "127.0.0.1:0",
		"--grpc", "off", "--access-log=false", "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "gonyx serving" {
				addr <- rec["http"].(string)
			}
		}
	}()
	select {
	case a := <-addr:
		url := "http://" + a
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get(url + "/v2/health/ready"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return url, stop, nil
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		return "", nil, fmt.Errorf("server on %s never ready", repo)
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("server on %s did not start", repo)
	}
}

// load runs one measurement with wrk when it is installed (a C load
// generator: it leaves the 2 cores to the server and adds ~10 µs to a
// round trip where Go's HTTP client adds ~50 µs), else with gonyx perf.
func load(o options, url, model string, clients int, d time.Duration) (perfResult, error) {
	if o.wrk == "" {
		return perf(o.gonyx, url, model, clients, d)
	}
	return wrk(o, url, model, clients, d)
}

// wrk runs wrk with a POST of one KServe v2 JSON request and reads the
// mean batch size from the server's metrics around the run.
func wrk(o options, url, model string, clients int, d time.Duration) (perfResult, error) {
	script, ok := o.scripts[model]
	if !ok {
		return perfResult{}, fmt.Errorf("no request for model %s", model)
	}
	threads := min(clients, 2)
	args := []string{"-t", fmt.Sprint(threads), "-c", fmt.Sprint(clients), "-d", d.String(), "--latency", "-s", script, url + "/v2/models/" + model + "/infer"}
	// Warm-up run, not measured.
	_ = exec.Command(o.wrk, append([]string{"-t", fmt.Sprint(threads), "-c", fmt.Sprint(clients), "-d", "1s", "-s", script}, url+"/v2/models/"+model+"/infer")...).Run()
	sum0, n0 := batchMetric(url, model)
	out, err := exec.Command(o.wrk, args...).Output()
	if err != nil {
		return perfResult{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	sum1, n1 := batchMetric(url, model)
	var r perfResult
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.Throughput = parseFloat(f[1])
		case len(f) == 2 && f[0] == "50%":
			r.P50 = wrkMillis(f[1])
		case len(f) == 2 && f[0] == "90%":
			r.P90 = wrkMillis(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.P99 = wrkMillis(f[1])
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			r.Errors += int(parseFloat(f[len(f)-1]))
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 2; i+1 < len(f); i += 2 {
				r.Errors += int(parseFloat(strings.TrimSuffix(f[i+1], ",")))
			}
		case len(f) >= 2 && f[1] == "requests" && f[2] == "in":
			r.Requests = int(parseFloat(f[0]))
		}
	}
	if n1 > n0 {
		r.MeanBatch = (sum1 - sum0) / (n1 - n0)
	}
	if r.Throughput == 0 {
		return r, fmt.Errorf("wrk printed no throughput: %s", out)
	}
	return r, nil
}

func parseFloat(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// wrkMillis reads wrk's latency ("78.00us", "1.23ms", "2.00s") as ms.
func wrkMillis(s string) float64 {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"us", 1e-3}, {"ms", 1}, {"s", 1e3}} {
		if strings.HasSuffix(s, u.suffix) {
			return parseFloat(strings.TrimSuffix(s, u.suffix)) * u.scale
		}
	}
	return parseFloat(s)
}

// batchMetric reads gonyx_batch_size's sum and count for a model.
func batchMetric(url, model string) (sum, count float64) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `model="`+model+`"`) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		switch {
		case strings.HasPrefix(line, "gonyx_batch_size_sum{"):
			sum += parseFloat(line[i+1:])
		case strings.HasPrefix(line, "gonyx_batch_size_count{"):
			count += parseFloat(line[i+1:])
		}
	}
	return sum, count
}

// writeScripts writes a wrk Lua script per demo model that POSTs one
// KServe v2 JSON request of batch 1 with seeded data.
func writeScripts(dir string) (map[string]string, error) {
	shapes := map[string]struct {
		input string
		shape []int
	}{"mlp": {"features", []int{1, 64}}, "cnn": {"image", []int{1, 1, 28, 28}}}
	out := map[string]string{}
	for model, in := range shapes {
		n := 1
		for _, d := range in.shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(math.Sin(float64(i) * 0.37))
		}
		body, err := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": in.input, "datatype": "FP32", "shape": in.shape, "data": data}}})
		if err != nil {
			return nil, err
		}
		lua := "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[" + string(body) + "]]\n"
		p := filepath.Join(dir, model+".lua")
		if err := os.WriteFile(p, []byte(lua), 0o644); err != nil {
			return nil, err
		}
		out[model] = p
	}
	return out, nil
}

// perf runs `gonyx perf --json` and parses its line.
func perf(gonyx, url, model string, clients int, d time.Duration) (perfResult, error) {
	out, err := exec.Command(gonyx, "perf", "--json", "--url", url, "--model", model,
		"--concurrency", fmt.Sprint(clients), "--duration", d.String(), "--warmup", "1s").Output()
	var r perfResult
	if jerr := json.Unmarshal(out, &r); jerr != nil {
		return r, fmt.Errorf("perf %s: %v (%v) %s", model, jerr, err, out)
	}
	return r, nil
}
