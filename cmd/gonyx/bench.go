package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// benchResult has the keys of shared/anchors/ort_bench.js's JSON line, so
// the two can be compared by the same script.
type benchResult struct {
	Model      string   `json:"model"`
	Backend    string   `json:"backend"`
	Batch      int      `json:"batch"`
	Threads    int      `json:"threads"`
	MedianMS   float64  `json:"median_ms"`
	P90MS      float64  `json:"p90_ms"`
	MinMS      float64  `json:"min_ms"`
	Throughput float64  `json:"throughput_items_per_s"`
	Runs       int      `json:"runs"`
	Warmup     int      `json:"warmup"`
	Seq        int      `json:"seq"`
	Inputs     []string `json:"inputs"`
}

func cmdBench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	modelPath := fs.String("model", "", "ONNX model file (required)")
	batch := fs.Int("batch", 1, "value for the first symbolic dimension of every input")
	threads := fs.Int("threads", 1, "threads: GOMAXPROCS and the engine's intra-op limit")
	runs := fs.Int("runs", 20, "timed runs")
	warmup := fs.Int("warmup", 5, "untimed runs before timing")
	seq := fs.Int("seq", 32, "value for any other symbolic dimension")
	idRange := fs.Int64("id-range", 100, "integer inputs are uniform in [0, R)")
	seed := fs.Uint64("seed", 42, "input PRNG seed")
	asJSON := fs.Bool("json", false, "print only the JSON line on stdout")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to this file (go tool pprof)")
	opTimes := fs.Bool("ops", false, "after timing, trace the runs again and print time per op type on stderr")
	layout := fs.String("layout", "auto", "convolution layout: auto (channel-blocked NCHW16c where it applies) or nchw")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gonyx bench --model M [--batch B] [--threads T] [--runs N] [--warmup W] [--seq S] [--json]\n\nTimes full runs on synthetic inputs built as shared/anchors/ort_bench.js builds them and prints one JSON line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *modelPath == "" || *runs < 1 || *threads < 1 || *batch < 1 {
		fs.Usage()
		return 2
	}
	opts := []engine.Option{engine.WithThreads(*threads)}
	switch *layout {
	case "auto":
	case "nchw":
		opts = append(opts, engine.WithoutBlockedLayout())
	default:
		return fail("--layout must be auto or nchw, got %q", *layout)
	}
	// Strict thread budget: no more goroutines running Go code than asked.
	runtime.GOMAXPROCS(*threads)
	m, err := engine.Load(*modelPath, opts...)
	if err != nil {
		return fail("%v", err)
	}
	feeds, err := syntheticInputs(m, *batch, *seq, *idRange, *seed)
	if err != nil {
		return fail("%v", err)
	}
	ctx := context.Background()
	tty := isTerminal(os.Stderr) && !*asJSON
	total := *warmup + *runs
	times := make([]float64, 0, *runs)
	for i := 0; i < total; i++ {
		if i == *warmup && *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return fail("%v", err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return fail("%v", err)
			}
			defer pprof.StopCPUProfile()
		}
		start := time.Now()
		if _, err := m.RunValues(ctx, feeds); err != nil {
			return fail("%v", err)
		}
		if i >= *warmup {
			times = append(times, float64(time.Since(start).Nanoseconds())/1e6)
		}
		if tty {
			fmt.Fprintf(os.Stderr, "\r%s %d/%d", progressBar(i+1, total, 30), i+1, total)
		}
	}
	if tty {
		fmt.Fprintln(os.Stderr)
	}
	if *opTimes {
		if err := printOpTimes(ctx, m, feeds, *runs); err != nil {
			return fail("%v", err)
		}
	}
	sort.Float64s(times)
	res := benchResult{
		Model: modelName(*modelPath), Backend: "gonyx", Batch: *batch, Threads: *threads,
		MedianMS: round3(median(times)), P90MS: round3(percentile(times, 0.9)), MinMS: round3(times[0]),
		Runs: *runs, Warmup: *warmup, Seq: *seq,
	}
	res.Throughput = round3(float64(*batch) * 1000 / median(times))
	for _, in := range m.Inputs() {
		if t, ok := feeds[in.Name].(*engine.Tensor); ok {
			res.Inputs = append(res.Inputs, fmt.Sprintf("%s:%v%v", in.Name, t.DType(), strings.ReplaceAll(fmt.Sprint(t.Shape()), " ", ",")))
		}
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return 0
}

// percentile and median use ort_bench.js's definitions (nearest rank;
// median averages the middle pair) so the two tools' numbers compare.
func percentile(sorted []float64, p float64) float64 {
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[(n-1)/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// modelName follows ort_bench.js: the folder name for model.onnx, else the
// file name without .onnx.
func modelName(path string) string {
	base := filepath.Base(path)
	if base == "model.onnx" {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		return filepath.Base(filepath.Dir(abs))
	}
	return strings.TrimSuffix(base, ".onnx")
}

func progressBar(done, total, width int) string {
	n := done * width / total
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printOpTimes runs the model `runs` times with a node hook and prints, per
// op type, the share of the time spent in its nodes (the hook's gaps).
func printOpTimes(ctx context.Context, m *engine.Model, feeds map[string]tensor.Value, runs int) error {
	total := map[string]time.Duration{}
	count := map[string]int{}
	var all time.Duration
	for r := 0; r < runs; r++ {
		last := time.Now()
		_, err := m.Trace(ctx, feeds, func(n *graph.Node, _, _ []tensor.Value) {
			now := time.Now()
			key := n.OpType
			if n.Domain != "" {
				key = n.Domain + "." + key
			}
			total[key] += now.Sub(last)
			count[key]++
			all += now.Sub(last)
			last = now
		})
		if err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return total[keys[i]] > total[keys[j]] })
	fmt.Fprintf(os.Stderr, "%-28s %8s %10s %7s\n", "op", "nodes", "ms/run", "share")
	for _, k := range keys {
		fmt.Fprintf(os.Stderr, "%-28s %8d %10.3f %6.1f%%\n", k, count[k]/runs,
			float64(total[k].Microseconds())/1000/float64(runs), 100*float64(total[k])/float64(all))
	}
	return nil
}
