// Command bench-compare times gonyx against ONNX Runtime (and, where they
// run, the pure-Go peers gonnx and onnx-go) on every model of
// shared/models, and writes docs/PERFORMANCE.md, docs/performance.json and
// docs/performance.svg.
//
// For each configuration (threads × batch) and model it runs
// `build/gonyx bench --json` and `node build/anchors/ort_bench.js`
// alternately, R rounds (gonyx, ORT, peers, gonyx, ORT, …), every run a
// child process with the same options and a timeout. A tool's number is
// the lowest of its round medians (--agg best, the default: on a shared
// machine other work only ever adds time) or their median (--agg median).
// A failing run is reported in the table, never aborts the comparison.
//
// Run it from the repository root, normally through `make bench-compare`
// (which builds the binaries and installs the ORT anchor first):
//
//	make bench-compare BENCH_ARGS='--quick --models mlp_tabular,bert_small'
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/manifest"
	"github.com/gonyx/gonyx/benchmarks/internal/report"
	"github.com/gonyx/gonyx/benchmarks/internal/section"
)

func main() { os.Exit(run(os.Args[1:])) }

// peerInfo describes one pure-Go peer runner binary.
type peerInfo struct {
	name   string // as in --peers and the tables
	binary string // under --bin-dir
}

var knownPeers = []peerInfo{
	{"gonnx", "bench-gonnx"},
	{"onnx-go", "bench-onnxgo"},
}

type options struct {
	shared, modelsDir, gonyx, anchors, node, binDir, out, logDir string
	models, peers                                                string
	threads, batches                                             []int
	runs, warmup, rounds, seq, gonnxOpset                        int
	timeout                                                      time.Duration
	agg                                                          string
}

func run(args []string) int {
	fs := flag.NewFlagSet("bench-compare", flag.ContinueOnError)
	var o options
	var threads, batches string
	var quick bool
	fs.StringVar(&o.shared, "shared", "../shared", "the shared/ folder (models/ and anchors/)")
	fs.StringVar(&o.modelsDir, "models-dir", "", "models folder with manifest.json (default <shared>/models)")
	fs.StringVar(&o.gonyx, "gonyx", "build/gonyx", "gonyx binary")
	fs.StringVar(&o.anchors, "anchors", "build/anchors", "installed copy of shared/anchors (ort_bench.js + node_modules)")
	fs.StringVar(&o.node, "node", "node", "Node.js binary")
	fs.StringVar(&o.binDir, "bin-dir", "build", "folder with the peer runners bench-gonnx and bench-onnxgo")
	fs.StringVar(&o.out, "out", "docs", "where PERFORMANCE.md, performance.json and performance.svg go")
	fs.StringVar(&o.logDir, "log-dir", "build/bench-logs", "stdout/stderr of failed runs go here")
	fs.StringVar(&o.models, "models", "", "comma-separated subset of the manifest's models (default all)")
	fs.StringVar(&o.peers, "peers", "gonnx,onnx-go", "pure-Go peers to time at 1 thread, batch 1 (empty: none)")
	fs.StringVar(&threads, "threads", "1,2", "comma-separated thread counts")
	fs.StringVar(&batches, "batches", "1,8", "comma-separated batch sizes")
	fs.IntVar(&o.runs, "runs", 20, "timed runs per invocation")
	fs.IntVar(&o.warmup, "warmup", 5, "untimed runs per invocation")
	fs.IntVar(&o.rounds, "rounds", 3, "invocations per tool, alternating the tools")
	fs.IntVar(&o.seq, "seq", 32, "value of symbolic dimensions other than the batch")
	fs.IntVar(&o.gonnxOpset, "gonnx-opset", 13, "gonnx implements one opset: relabel the model's opset as this (0: don't)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit per invocation (load, warm-up and timed runs)")
	fs.StringVar(&o.agg, "agg", report.AggBest, "how round medians combine: best (lowest) or median")
	fs.BoolVar(&quick, "quick", false, "fewer runs: --runs 5 --warmup 1 --rounds 1 unless given")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: bench-compare [flags]   (run from the repository root; normally `make bench-compare BENCH_ARGS='...'`)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench-compare: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if quick {
		if !set["runs"] {
			o.runs = 5
		}
		if !set["warmup"] {
			o.warmup = 1
		}
		if !set["rounds"] {
			o.rounds = 1
		}
	}
	var err error
	if o.threads, err = parseInts(threads); err != nil {
		return usageErr("--threads: %v", err)
	}
	if o.batches, err = parseInts(batches); err != nil {
		return usageErr("--batches: %v", err)
	}
	if o.runs < 1 || o.warmup < 0 || o.rounds < 1 || o.seq < 1 || o.timeout <= 0 {
		return usageErr("--runs, --rounds, --seq and --timeout must be positive, --warmup ≥ 0")
	}
	if _, err := report.Aggregate([]float64{1}, o.agg); err != nil {
		return usageErr("--agg: %v", err)
	}
	if o.modelsDir == "" {
		o.modelsDir = filepath.Join(o.shared, "models")
	}
	man, err := manifest.Load(filepath.Join(o.modelsDir, "manifest.json"))
	if err != nil {
		return usageErr("%v", err)
	}
	models, err := man.Select(o.models)
	if err != nil {
		return usageErr("--models: %v", err)
	}
	peers, err := selectPeers(o.peers)
	if err != nil {
		return usageErr("--peers: %v", err)
	}
	ortScript := filepath.Join(o.anchors, "ort_bench.js")
	for _, need := range []string{o.gonyx, ortScript, filepath.Join(o.anchors, "node_modules", "onnxruntime-node")} {
		if _, err := os.Stat(need); err != nil {
			return usageErr("%v (run `make bench-compare`, which builds gonyx and installs the ORT anchor)", err)
		}
	}

	rep := report.Report{
		Date:         time.Now().UTC().Format("2006-01-02 15:04 MST"),
		CPU:          cpuModel(),
		NProc:        nproc(),
		LoadStart:    load(),
		Command:      regenCommand(args),
		GonyxVersion: firstLine(o.gonyx, "version"),
		Options: report.Options{Runs: o.runs, Warmup: o.warmup, Rounds: o.rounds, Seq: o.seq,
			Aggregation: o.agg, Timeout: o.timeout.String()},
	}
	for _, p := range peers {
		rep.PeerTools = append(rep.PeerTools, p.name)
	}
	fmt.Fprintf(os.Stderr, "bench-compare: %d models × %d configs, %d rounds of %d+%d runs; %s\n",
		len(models), len(o.threads)*len(o.batches), o.rounds, o.warmup, o.runs, rep.LoadStart)

	// failure logs of an earlier comparison would be mistaken for this one's
	if old, err := filepath.Glob(filepath.Join(o.logDir, "*-T*-B*-r*.log")); err == nil {
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	r := &runner{o: o, ortScript: ortScript, peers: peers, timedOut: map[string]timeoutAt{}, notes: map[string]bool{}, opset: man.Opset}
	if b, err := os.ReadFile(filepath.Join(o.out, "performance-analysis.md")); err == nil {
		rep.Analysis = string(b)
	}
	for _, t := range o.threads {
		for _, b := range o.batches {
			cfg := report.Config{Threads: t, Batch: b, Peers: t == 1 && b == 1 && len(peers) > 0}
			rep.Configs = append(rep.Configs, cfg)
			k := len(rep.Configs) - 1
			for _, m := range models {
				row := r.measure(m, t, b, cfg.Peers)
				rep.Configs[k].Rows = append(rep.Configs[k].Rows, row)
				if rep.ORTVersion == "" {
					rep.ORTVersion = r.ortVersion
				}
				rep.Notes = r.noteList()
				if err := write(o.out, rep); err != nil {
					fmt.Fprintf(os.Stderr, "bench-compare: %v\n", err)
					return 1
				}
			}
		}
	}
	rep.LoadEnd = load()
	rep.Notes = r.noteList()
	if err := write(o.out, rep); err != nil {
		fmt.Fprintf(os.Stderr, "bench-compare: %v\n", err)
		return 1
	}
	for _, c := range rep.Configs {
		g, n := c.GeoMeanRatio()
		fmt.Fprintf(os.Stderr, "bench-compare: %s: geometric mean gonyx/ORT %s over %d models\n", c.Label(), report.FormatRatio(g), n)
	}
	fmt.Fprintf(os.Stderr, "bench-compare: wrote %s\n", filepath.Join(o.out, "PERFORMANCE.md"))
	return 0
}

func usageErr(format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "bench-compare: %s\n", fmt.Sprintf(format, a...))
	return 2
}

// parseInts reads a comma-separated list of distinct positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

func selectPeers(list string) ([]peerInfo, error) {
	var out []peerInfo
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.IndexFunc(knownPeers, func(p peerInfo) bool { return p.name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown peer %q (known: gonnx, onnx-go)", name)
		}
		out = append(out, knownPeers[i])
	}
	return out, nil
}

// regenCommand is the make command that reproduces this run.
func regenCommand(args []string) string {
	if len(args) == 0 {
		return "make bench-compare"
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	inner := strings.Join(q, " ")
	if strings.Contains(inner, "'") && !strings.ContainsAny(inner, "$`\\\"!") {
		return "make bench-compare BENCH_ARGS=\"" + inner + "\""
	}
	return "make bench-compare BENCH_ARGS=" + shellQuote(inner)
}

// shellQuote quotes s for sh when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,/=:+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// write renders the three output files, each replaced atomically.
// keptSections are the parts of PERFORMANCE.md that other commands write:
// bench-serve and bench-plugins.
var keptSections = []string{"server-bench", "plugins-bench"}

func write(dir string, rep report.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	md := report.Markdown(rep, "performance.svg")
	// Keep the sections the other benchmarks wrote.
	if old, err := os.ReadFile(filepath.Join(dir, "PERFORMANCE.md")); err == nil {
		for _, name := range keptSections {
			if sec := section.Get(string(old), name); sec != "" {
				md = strings.TrimRight(md, "\n") + "\n\n" + sec + "\n"
			}
		}
	}
	files := map[string][]byte{
		"PERFORMANCE.md":   []byte(md),
		"performance.json": js,
		"performance.svg":  []byte(report.SVG(rep)),
	}
	for name, content := range files {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}
