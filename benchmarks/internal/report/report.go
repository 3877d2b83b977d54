// Package report holds the comparison's results and renders them as
// docs/PERFORMANCE.md (Markdown), docs/performance.json and
// docs/performance.svg. It is pure: no benchmark runs here.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Aggregation modes for a tool's per-round medians.
const (
	AggBest   = "best"   // the lowest round median
	AggMedian = "median" // the median of the round medians
)

// Aggregate reduces the per-round medians of one tool to one number.
func Aggregate(medians []float64, mode string) (float64, error) {
	if len(medians) == 0 {
		return 0, fmt.Errorf("no medians")
	}
	s := append([]float64(nil), medians...)
	sort.Float64s(s)
	switch mode {
	case AggBest:
		return s[0], nil
	case AggMedian:
		n := len(s)
		if n%2 == 1 {
			return s[n/2], nil
		}
		return (s[n/2-1] + s[n/2]) / 2, nil
	}
	return 0, fmt.Errorf("unknown aggregation %q (want %s or %s)", mode, AggBest, AggMedian)
}

// Cell is one tool's result on one model and configuration.
type Cell struct {
	Tool     string    `json:"tool"`
	MedianMS float64   `json:"median_ms,omitempty"`        // aggregated over rounds
	Rounds   []float64 `json:"round_medians_ms,omitempty"` // each round's median
	MinMS    float64   `json:"min_ms,omitempty"`           // fastest single run seen
	P90MS    float64   `json:"p90_ms,omitempty"`           // p90 of the round whose median was lowest
	Fail     string    `json:"fail,omitempty"`             // why it has no number
	Check    string    `json:"check,omitempty"`            // peers: output check on test_data_set_0
	Note     string    `json:"note,omitempty"`
}

// OK reports whether the cell holds a timing.
func (c Cell) OK() bool { return c.Fail == "" && c.MedianMS > 0 }

// Row is one model in one configuration.
type Row struct {
	Model string `json:"model"`
	Gonyx Cell   `json:"gonyx"`
	ORT   Cell   `json:"ort"`
	Peers []Cell `json:"peers,omitempty"`
}

// Ratio is gonyx's median over ORT's; ok is false unless both ran.
func (r Row) Ratio() (ratio float64, ok bool) {
	if !r.Gonyx.OK() || !r.ORT.OK() {
		return 0, false
	}
	return r.Gonyx.MedianMS / r.ORT.MedianMS, true
}

// Config is one (threads, batch) setting and its rows.
type Config struct {
	Threads int   `json:"threads"`
	Batch   int   `json:"batch"`
	Peers   bool  `json:"peers_run"` // peers are timed in this configuration
	Rows    []Row `json:"rows"`
}

// Label is the short name of the configuration, e.g. "T1 B8".
func (c Config) Label() string { return fmt.Sprintf("T%d B%d", c.Threads, c.Batch) }

// GeoMeanRatio is the geometric mean of the rows' gonyx/ORT ratios over the
// rows where both ran, and how many those were.
func (c Config) GeoMeanRatio() (float64, int) {
	sum, n := 0.0, 0
	for _, r := range c.Rows {
		if x, ok := r.Ratio(); ok {
			sum += math.Log(x)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return math.Exp(sum / float64(n)), n
}

// Options records how the numbers were taken.
type Options struct {
	Runs        int    `json:"runs"`
	Warmup      int    `json:"warmup"`
	Rounds      int    `json:"rounds"`
	Seq         int    `json:"seq"`
	Aggregation string `json:"aggregation"`
	Timeout     string `json:"timeout_per_run"`
}

// Report is the whole comparison.
type Report struct {
	Date         string   `json:"date"`
	CPU          string   `json:"cpu"`
	NProc        int      `json:"nproc"`
	LoadStart    string   `json:"load_at_start"`
	LoadEnd      string   `json:"load_at_end,omitempty"`
	Command      string   `json:"command"`
	GonyxVersion string   `json:"gonyx_version,omitempty"`
	ORTVersion   string   `json:"ort_version,omitempty"`
	Options      Options  `json:"options"`
	PeerTools    []string `json:"peer_tools,omitempty"`
	Notes        []string `json:"notes,omitempty"` // e.g. a peer that did not build
	Configs      []Config `json:"configs"`
	// Analysis is hand-written Markdown (docs/performance-analysis.md)
	// appended as its own section: where the time goes, the biggest gap.
	Analysis string `json:"-"`
}

// JSON renders the report as indented JSON with a trailing newline.
func (r Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// FormatMS prints a latency with about four significant digits.
func FormatMS(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.3f", ms)
	case ms < 100:
		return fmt.Sprintf("%.2f", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

// FormatRatio prints a ratio such as 1.25×.
func FormatRatio(x float64) string {
	if x >= 100 {
		return fmt.Sprintf("%.0f×", x)
	}
	if x >= 10 {
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// cellText is a table cell: the median, or "fails: reason".
func cellText(c Cell) string {
	if c.OK() {
		return FormatMS(c.MedianMS)
	}
	if c.Fail == "" {
		return "—"
	}
	return mdEscape(c.Fail)
}

// mdEscape keeps text on one line inside a Markdown table cell.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, ">", "&gt;")
	return s
}

func peerText(cfg Config, row Row) string {
	if !cfg.Peers {
		return "—"
	}
	if len(row.Peers) == 0 {
		return "not run"
	}
	var parts []string
	for _, p := range row.Peers {
		switch {
		case p.OK():
			s := fmt.Sprintf("%s: %s ms", p.Tool, FormatMS(p.MedianMS))
			if row.ORT.OK() {
				s += fmt.Sprintf(" (%s ORT)", FormatRatio(p.MedianMS/row.ORT.MedianMS))
			}
			parts = append(parts, s)
		default:
			parts = append(parts, fmt.Sprintf("%s: %s", p.Tool, mdEscape(p.Fail)))
		}
	}
	return strings.Join(parts, "<br>")
}

// Markdown renders docs/PERFORMANCE.md. svgName is the chart's file name,
// relative to the Markdown file.
func Markdown(r Report, svgName string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Performance: gonyx vs ONNX Runtime\n\n")
	w("Generated by `benchmarks/cmd/bench-compare`; do not edit by hand. Regenerate with:\n\n")
	w("```sh\n%s\n```\n\n", r.Command)
	w("| | |\n| --- | --- |\n")
	w("| date | %s |\n", mdEscape(r.Date))
	w("| machine | %s, nproc %d |\n", mdEscape(r.CPU), r.NProc)
	w("| load at start (`uptime`) | %s |\n", mdEscape(r.LoadStart))
	if r.LoadEnd != "" {
		w("| load at end | %s |\n", mdEscape(r.LoadEnd))
	}
	if r.GonyxVersion != "" {
		w("| gonyx | %s |\n", mdEscape(r.GonyxVersion))
	}
	if r.ORTVersion != "" {
		w("| ONNX Runtime | onnxruntime-node %s, CPU EP, all graph optimisations (`shared/anchors/ort_bench.js`) |\n", mdEscape(r.ORTVersion))
	}
	o := r.Options
	agg := "best (lowest) of the rounds' medians"
	if o.Aggregation == AggMedian {
		agg = "median of the rounds' medians"
	}
	w("| per run | %d warm-up + %d timed runs, seq %d, timeout %s |\n", o.Warmup, o.Runs, o.Seq, mdEscape(o.Timeout))
	w("| rounds | %d, each tool in turn (gonyx, ORT, peers, gonyx, ORT, …); the number shown is the %s |\n\n", o.Rounds, agg)

	w("Each cell is a median latency in milliseconds of one `session.run` / `RunValues` call on synthetic\n")
	w("inputs (floats N(0,1), ids uniform in [0, 100), masks all ones; first symbolic dimension = batch,\n")
	w("others = seq). gonyx and the peers draw their inputs from Go's PCG and ORT from mulberry32, so the values\n")
	w("differ but shapes and distributions match. Ratio = gonyx / ORT: below 1 gonyx is faster. `T` is the\n")
	w("thread count (gonyx: GOMAXPROCS and intra-op limit; ORT: intraOpNumThreads), `B` the batch.\n")
	w("A failed run (unsupported model, crash, timeout) is reported in its cell instead of a number.\n\n")
	if svgName != "" {
		w("![gonyx / ORT latency ratio per model and configuration](%s)\n\n", svgName)
	}

	if len(r.Configs) > 0 {
		w("## Summary\n\n| configuration | models compared | geometric mean gonyx/ORT |\n| --- | --- | --- |\n")
		for _, c := range r.Configs {
			g, n := c.GeoMeanRatio()
			gs := "—"
			if n > 0 {
				gs = FormatRatio(g)
			}
			w("| %s | %d of %d | %s |\n", c.Label(), n, len(c.Rows), gs)
		}
		w("\n")
	}

	for _, c := range r.Configs {
		w("## %d thread(s), batch %d\n\n", c.Threads, c.Batch)
		w("| model | gonyx median ms | ORT median ms | ratio gonyx/ORT | peers (median ms) |\n")
		w("| --- | ---: | ---: | ---: | --- |\n")
		for _, row := range c.Rows {
			ratio := "—"
			if x, ok := row.Ratio(); ok {
				ratio = FormatRatio(x)
			}
			w("| %s | %s | %s | %s | %s |\n", mdEscape(row.Model), cellText(row.Gonyx), cellText(row.ORT), ratio, peerText(c, row))
		}
		w("\n")
	}

	w("## Peers\n\n")
	if len(r.PeerTools) == 0 {
		w("No pure-Go peers were run (`--peers` was empty).\n\n")
	} else {
		w("Pure-Go ONNX engines, timed at 1 thread and batch 1 only, with the same options and synthetic inputs\n")
		w("as gonyx (`benchmarks/cmd/bench-<peer>`). Before timing, each peer runs the model's `test_data_set_0`\n")
		w("and must match its expected outputs within |got − want| ≤ 1e-4 + 1e-3·|want|; a peer that loads but\n")
		w("computes something else is reported as failing. Peers: %s.\n\n", mdEscape(strings.Join(r.PeerTools, ", ")))
	}
	for _, n := range r.Notes {
		w("- %s\n", mdEscape(n))
	}
	if len(r.Notes) > 0 {
		w("\n")
	}
	w("Raw numbers (every round's median, p90, min, failure reasons): [performance.json](performance.json).\n")
	if a := strings.TrimSpace(r.Analysis); a != "" {
		w("\n## Analysis\n\n")
		w("Hand-written (`docs/performance-analysis.md`), not regenerated: it refers to the numbers above as of\n")
		w("when it was written.\n\n%s\n", a)
	}
	return b.String()
}
