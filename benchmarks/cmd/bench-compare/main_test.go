package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/manifest"
	"github.com/gonyx/gonyx/benchmarks/internal/report"
)

func TestParseInts(t *testing.T) {
	got, err := parseInts(" 1, 2,2,8,")
	if err != nil || !reflect.DeepEqual(got, []int{1, 2, 8}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "0", "1,x", "-2"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q) accepted", bad)
		}
	}
}

func TestRegenCommand(t *testing.T) {
	if got := regenCommand(nil); got != "make bench-compare" {
		t.Errorf("no args: %q", got)
	}
	got := regenCommand([]string{"--models", "mlp_tabular,bert_small", "--runs", "10"})
	if want := "make bench-compare BENCH_ARGS='--models mlp_tabular,bert_small --runs 10'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = regenCommand([]string{"--peers", "", "--out", "/tmp/x"})
	if want := `make bench-compare BENCH_ARGS="--peers '' --out /tmp/x"`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote: %q", got)
	}
	if got := shellQuote("a b"); got != "'a b'" {
		t.Errorf("shellQuote: %q", got)
	}
}

func TestCleanReason(t *testing.T) {
	for in, want := range map[string]string{
		"gonyx: engine: unsupported operator Conv":               "engine: unsupported operator Conv",
		"bench-gonnx: load: unsupported opset":                   "load: unsupported opset",
		"ort_bench: bad model":                                   "bad model",
		"panic: boom":                                            "panic: boom",
		"bench-onnx-go: onnx: operator Shape not implemented ()": "onnx: operator Shape not implemented",
	} {
		if got := cleanReason(in); got != want {
			t.Errorf("cleanReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// script writes an executable sh script.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInvoke(t *testing.T) {
	dir := t.TempDir()
	good := script(t, dir, "good", `echo progress; echo '{"model":"m","backend":"x","median_ms":1.5,"p90_ms":2,"min_ms":1}'`+"\n")
	o := invoke([]string{good}, 10*time.Second, "")
	if o.fail != "" || o.res.MedianMS != 1.5 || o.res.Model != "m" {
		t.Errorf("good: %+v", o)
	}
	bad := script(t, dir, "bad", "echo 'gonyx: engine: unsupported operator Foo' >&2; exit 1\n")
	log := filepath.Join(dir, "logs", "bad.log")
	if o := invoke([]string{bad}, 10*time.Second, log); o.fail != "fails: engine: unsupported operator Foo" {
		t.Errorf("bad: %q", o.fail)
	}
	if b, err := os.ReadFile(log); err != nil || !strings.Contains(string(b), "unsupported operator Foo") {
		t.Errorf("log of the failed run: %q, %v", b, err)
	}
	silent := script(t, dir, "silent", "echo nothing\n")
	if o := invoke([]string{silent}, 10*time.Second, ""); !strings.HasPrefix(o.fail, "fails: no JSON result") {
		t.Errorf("silent: %q", o.fail)
	}
	// the timeout kills the whole process group, grandchildren included
	slow := script(t, dir, "slow", "sleep 30 &\nsleep 30\n")
	start := time.Now()
	o = invoke([]string{slow}, 300*time.Millisecond, "")
	if !o.timedOut || o.fail != "fails: timeout after 300ms" {
		t.Errorf("slow: %+v", o)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("timeout took %v", el)
	}
}

// TestMeasure drives measure with fake tools: they alternate round by round,
// the best round median is kept, and a failure is reported in the cell.
func TestMeasure(t *testing.T) {
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	// each call appends its name and prints the next median of its list
	fake := func(name, medians string) string {
		return script(t, dir, name, `echo `+name+` >> `+order+`
n=$(grep -c '^`+name+`$' `+order+`)
m=$(echo "`+medians+`" | cut -d' ' -f$n)
echo "{\"model\":\"tiny\",\"batch\":1,\"threads\":1,\"median_ms\":$m,\"p90_ms\":$m,\"min_ms\":$m,\"ort_version\":\"9.9\"}"
`)
	}
	gonyx := fake("gonyx", "3 1 2")
	ort := fake("ort", "5 4 6")
	script(t, dir, "bench-gonnx", "echo gonnx >> "+order+"\necho 'bench-gonnx: load: unsupported opset version' >&2\nexit 1\n")
	r := &runner{
		o: options{gonyx: gonyx, node: "sh", modelsDir: dir, binDir: dir, logDir: filepath.Join(dir, "logs"),
			runs: 2, warmup: 0, rounds: 3, seq: 32, timeout: 10 * time.Second, agg: report.AggBest},
		ortScript: ort, peers: []peerInfo{{"gonnx", "bench-gonnx"}, {"onnx-go", "bench-onnxgo"}},
		timedOut: map[string]timeoutAt{}, notes: map[string]bool{}, opset: 17,
	}
	m := manifest.Model{Name: "tiny", File: "tiny/model.onnx",
		Inputs: []manifest.Input{{Name: "x", ElemType: "FLOAT", Shape: []any{"N", 4.0}}}}
	row := r.measure(m, 1, 1, true)
	b, _ := os.ReadFile(order)
	if got, want := strings.Fields(string(b)), []string{"gonyx", "ort", "gonnx", "gonyx", "ort", "gonyx", "ort"}; !reflect.DeepEqual(got, want) {
		t.Errorf("call order %v, want %v", got, want)
	}
	if row.Gonyx.MedianMS != 1 || !reflect.DeepEqual(row.Gonyx.Rounds, []float64{3, 1, 2}) || row.Gonyx.MinMS != 1 {
		t.Errorf("gonyx cell %+v", row.Gonyx)
	}
	if row.ORT.MedianMS != 4 || r.ortVersion != "9.9" {
		t.Errorf("ORT cell %+v, version %q", row.ORT, r.ortVersion)
	}
	if x, ok := row.Ratio(); !ok || x != 0.25 {
		t.Errorf("ratio %v, want 0.25", x)
	}
	if len(row.Peers) != 2 || row.Peers[0].Fail != "fails: load: unsupported opset version" || row.Peers[1].Fail != "fails: not built" {
		t.Errorf("peers %+v", row.Peers)
	}
	// median-of-medians aggregation on the same fake data
	os.Remove(order)
	r.o.agg, r.o.rounds, r.peers = report.AggMedian, 3, nil
	if row := r.measure(m, 1, 1, false); row.Gonyx.MedianMS != 2 || row.ORT.MedianMS != 5 {
		t.Errorf("median aggregation: gonyx %v ORT %v, want 2 and 5", row.Gonyx.MedianMS, row.ORT.MedianMS)
	}
}

// A timeout skips the tool on that model for equal or larger batches.
func TestTimeoutSkipsLargerBatches(t *testing.T) {
	dir := t.TempDir()
	slow := script(t, dir, "slow", "sleep 30\n")
	fast := script(t, dir, "fast", `echo '{"model":"tiny","median_ms":1}'`+"\n")
	r := &runner{
		o: options{gonyx: slow, node: "sh", modelsDir: dir, binDir: dir, logDir: dir, runs: 1, rounds: 2, seq: 1,
			timeout: 200 * time.Millisecond, agg: report.AggBest},
		ortScript: fast, timedOut: map[string]timeoutAt{}, notes: map[string]bool{},
	}
	m := manifest.Model{Name: "tiny", File: "tiny/model.onnx"}
	row := r.measure(m, 1, 8, false)
	if row.Gonyx.Fail != "fails: timeout after 200ms" || !row.ORT.OK() {
		t.Errorf("first: %+v / %+v", row.Gonyx, row.ORT)
	}
	start := time.Now()
	if row := r.measure(m, 2, 8, false); row.Gonyx.Fail != "skipped: timed out at T1 B8" {
		t.Errorf("same batch later: %q", row.Gonyx.Fail)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the skipped tool was run")
	}
	if row := r.measure(m, 1, 1, false); row.Gonyx.Fail != "fails: timeout after 200ms" {
		t.Errorf("smaller batch is tried again: %q", row.Gonyx.Fail)
	}
}
