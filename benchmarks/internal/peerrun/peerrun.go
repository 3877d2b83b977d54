// Package peerrun is the shared driver of the pure-Go peer runners
// (cmd/bench-gonnx, cmd/bench-onnxgo): it parses the same options as
// `gonyx bench`, builds the same synthetic inputs, checks the peer's output
// on the model's test_data_set_0, times the runs the way ort_bench.js does
// and prints one JSON line with the same keys.
package peerrun

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/benchjson"
)

// Value is a dense tensor handed to or returned by a peer. DType is
// "float32" (data in F32) or "int64" (data in I64).
type Value struct {
	Name  string
	DType string
	Shape []int
	F32   []float32
	I64   []int64
}

// Spec describes one model input: name, element type and concrete shape.
type Spec struct {
	Name  string
	DType string
	Shape []int
}

// Runner runs a loaded model on inputs given in graph-input order and
// returns the outputs in graph-output order (float outputs at least).
type Runner func(inputs []Value) ([]Value, error)

// Options are what a peer's loader may need besides the model path.
type Options struct {
	ForceOpset int64 // >0: ask the peer to treat the model as this opset
}

// Loader loads a model file for one peer. note describes anything the peer
// had to be told (e.g. a forced opset) and is reported with the result.
type Loader func(path string, opt Options) (run Runner, note string, err error)

// ParseSpec parses "name:dtype:D0xD1x..." (a scalar has an empty shape).
func ParseSpec(s string) (Spec, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] == "" {
		return Spec{}, fmt.Errorf("input spec %q: want name:dtype:D0xD1", s)
	}
	sp := Spec{Name: parts[0], DType: parts[1]}
	if sp.DType != "float32" && sp.DType != "int64" {
		return Spec{}, fmt.Errorf("input spec %q: dtype must be float32 or int64", s)
	}
	if parts[2] != "" {
		for _, d := range strings.Split(parts[2], "x") {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 {
				return Spec{}, fmt.Errorf("input spec %q: bad dimension %q", s, d)
			}
			sp.Shape = append(sp.Shape, n)
		}
	}
	return sp, nil
}

// Synthetic builds inputs the way `gonyx bench` does: one PCG(seed, seed)
// stream over the inputs in order; floats N(0,1), integer inputs whose name
// contains "mask" ones, other integers uniform in [0, idRange).
func Synthetic(specs []Spec, idRange int64, seed uint64) []Value {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([]Value, len(specs))
	for k, sp := range specs {
		n := 1
		for _, d := range sp.Shape {
			n *= d
		}
		v := Value{Name: sp.Name, DType: sp.DType, Shape: append([]int(nil), sp.Shape...)}
		mask := strings.Contains(strings.ToLower(sp.Name), "mask")
		if sp.DType == "float32" {
			v.F32 = make([]float32, n)
			for i := range v.F32 {
				v.F32[i] = float32(rng.NormFloat64())
			}
		} else {
			v.I64 = make([]int64, n)
			for i := range v.I64 {
				if mask {
					v.I64[i] = 1
				} else {
					v.I64[i] = rng.Int64N(idRange)
				}
			}
		}
		out[k] = v
	}
	return out
}

// Compare checks got against want element-wise with
// |got − want| ≤ atol + rtol·|want| (the check shared/models are held to)
// and returns a description of the first problem, or "".
func Compare(got, want []Value, atol, rtol float64) string {
	if len(got) < len(want) {
		return fmt.Sprintf("%d outputs, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if w.DType != "float32" {
			continue
		}
		if len(g.F32) != len(w.F32) {
			return fmt.Sprintf("output %d (%s): %d values, want %d", k, w.Name, len(g.F32), len(w.F32))
		}
		worst, at := 0.0, -1
		for i := range w.F32 {
			d := math.Abs(float64(g.F32[i]) - float64(w.F32[i]))
			lim := atol + rtol*math.Abs(float64(w.F32[i]))
			if d > lim || math.IsNaN(d) {
				if r := d / lim; at < 0 || r > worst || math.IsNaN(d) {
					worst, at = r, i
				}
			}
		}
		if at >= 0 {
			return fmt.Sprintf("output %d (%s) differs at [%d]: got %g, want %g", k, w.Name, at, g.F32[at], w.F32[at])
		}
	}
	return ""
}

// LoadTestSet reads input_<k>.pb and output_<k>.pb from dir.
func LoadTestSet(dir string) (inputs, outputs []Value, err error) {
	read := func(prefix string) ([]Value, error) {
		var vs []Value
		for k := 0; ; k++ {
			buf, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, k)))
			if os.IsNotExist(err) {
				return vs, nil
			}
			if err != nil {
				return nil, err
			}
			v, err := DecodeTensorProto(buf)
			if err != nil {
				return nil, err
			}
			vs = append(vs, v)
		}
	}
	if inputs, err = read("input"); err != nil {
		return nil, nil, err
	}
	if outputs, err = read("output"); err != nil {
		return nil, nil, err
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, nil, fmt.Errorf("%s: no input_0.pb/output_0.pb", dir)
	}
	return inputs, outputs, nil
}

// Median and Percentile follow ort_bench.js (nearest rank; the median of an
// even count averages the middle pair). sorted must be ascending.
func Median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[(n-1)/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Percentile is the nearest-rank p-quantile of sorted.
func Percentile(sorted []float64, p float64) float64 {
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// Main is a peer runner's main: it parses os.Args, runs and exits.
// modules are the Go module paths whose versions are reported with the
// result (the peer first).
func Main(peer string, modules []string, load Loader) {
	os.Exit(run(peer, moduleVersions(modules), load, os.Args[1:]))
}

// moduleVersions is "path version, path version" for dependencies of this
// binary.
func moduleVersions(paths []string) string {
	var parts []string
	bi, ok := debug.ReadBuildInfo()
	for _, p := range paths {
		v := p
		if ok {
			for _, d := range bi.Deps {
				if d.Path == p {
					v = d.Path + " " + d.Version
				}
			}
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ", ")
}

func run(peer, version string, load Loader, args []string) (code int) {
	fs := flag.NewFlagSet("bench-"+peer, flag.ContinueOnError)
	model := fs.String("model", "", "ONNX model file (required)")
	threads := fs.Int("threads", 1, "GOMAXPROCS")
	runs := fs.Int("runs", 20, "timed runs")
	warmup := fs.Int("warmup", 5, "untimed runs before timing")
	batch := fs.Int("batch", 1, "batch (reported; shapes come from --input)")
	seq := fs.Int("seq", 32, "sequence length (reported; shapes come from --input)")
	idRange := fs.Int64("id-range", 100, "integer inputs are uniform in [0, R)")
	seed := fs.Uint64("seed", 42, "input PRNG seed")
	check := fs.String("check", "", "test set dir (input_k.pb/output_k.pb) to check outputs against first; empty: no check")
	forceOpset := fs.Int64("force-opset", 0, "if >0, ask the peer to treat the model as this opset")
	var specs []Spec
	fs.Func("input", "input as name:dtype:D0xD1x... (repeat, in graph-input order)", func(s string) error {
		sp, err := ParseSpec(s)
		if err == nil {
			specs = append(specs, sp)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *model == "" || len(specs) == 0 || *runs < 1 || *warmup < 0 || *threads < 1 || *idRange < 1 {
		fmt.Fprintln(os.Stderr, "bench-"+peer+": --model, at least one --input, --runs ≥ 1 are required")
		return 2
	}
	runtime.GOMAXPROCS(*threads)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "bench-%s: %s\n", peer, fmt.Sprintf(format, a...))
		return 1
	}
	// Peers panic on models they do not handle; report that as a failure
	// with its message rather than a stack dump.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "%s\n", debug.Stack())
			code = fail("panic: %v", r)
		}
	}()
	runModel, note, err := load(*model, Options{ForceOpset: *forceOpset})
	if err != nil {
		return fail("load: %v", err)
	}
	checked := "skipped: no test set given"
	if *check != "" {
		ins, want, err := LoadTestSet(*check)
		if err != nil {
			return fail("test set: %v", err)
		}
		got, err := runModel(ins)
		if err != nil {
			return fail("run on test set: %v", err)
		}
		if msg := Compare(got, want, 1e-4, 1e-3); msg != "" {
			return fail("wrong output on %s: %s", filepath.Base(*check), msg)
		}
		checked = "ok"
	}
	feeds := Synthetic(specs, *idRange, *seed)
	times := make([]float64, 0, *runs)
	for i := 0; i < *warmup+*runs; i++ {
		start := time.Now()
		if _, err := runModel(feeds); err != nil {
			return fail("run: %v", err)
		}
		if i >= *warmup {
			times = append(times, float64(time.Since(start).Nanoseconds())/1e6)
		}
	}
	sort.Float64s(times)
	med := Median(times)
	res := benchjson.Result{
		Model: modelName(*model), Backend: peer, Batch: *batch, Threads: *threads,
		MedianMS: round3(med), P90MS: round3(Percentile(times, 0.9)), MinMS: round3(times[0]),
		Throughput: round3(float64(*batch) * 1000 / med), Runs: *runs, Warmup: *warmup, Seq: *seq,
		Check: checked, Note: note, Version: version,
	}
	for _, sp := range specs {
		res.Inputs = append(res.Inputs, fmt.Sprintf("%s:%s%s", sp.Name, sp.DType, strings.ReplaceAll(fmt.Sprint(sp.Shape), " ", ",")))
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return 0
}

// modelName follows ort_bench.js: the folder name for model.onnx, else the
// file name without .onnx.
func modelName(path string) string {
	base := filepath.Base(path)
	if base == "model.onnx" {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return filepath.Base(filepath.Dir(path))
	}
	return strings.TrimSuffix(base, ".onnx")
}
