package benchjson

import (
	"errors"
	"strings"
	"testing"
)

// The example line of shared/anchors/README.md.
const ortLine = `{"model":"resnet50","backend":"node","batch":1,"threads":2,"median_ms":18.525,"p90_ms":19.836,"min_ms":18.283,"throughput_items_per_s":53.98,"runs":20,"warmup":5,"seq":32,"inputs":["input:float32[1,3,224,224]"],"ort_version":"1.30.0"}`

func TestParseORTLine(t *testing.T) {
	r, err := Parse([]byte("npm warn something\n" + ortLine + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "resnet50" || r.Backend != "node" || r.Batch != 1 || r.Threads != 2 {
		t.Errorf("identity fields: %+v", r)
	}
	if r.MedianMS != 18.525 || r.P90MS != 19.836 || r.MinMS != 18.283 || r.Throughput != 53.98 {
		t.Errorf("timings: %+v", r)
	}
	if r.Runs != 20 || r.Warmup != 5 || r.Seq != 32 || r.ORTVersion != "1.30.0" {
		t.Errorf("options: %+v", r)
	}
	if len(r.Inputs) != 1 || r.Inputs[0] != "input:float32[1,3,224,224]" {
		t.Errorf("inputs: %v", r.Inputs)
	}
}

func TestParseTakesLastValidLine(t *testing.T) {
	out := `{"model":"a","median_ms":1}` + "\r\n" + "progress\n" + `{"model":"b","backend":"gonyx","median_ms":2.5}` + "\n" + `{"broken` + "\n"
	r, err := Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "b" || r.MedianMS != 2.5 || r.Backend != "gonyx" {
		t.Errorf("got %+v, want model b median 2.5", r)
	}
}

func TestParseRejects(t *testing.T) {
	if _, err := Parse([]byte("only text\n")); !errors.Is(err, ErrNoResult) {
		t.Errorf("plain text: err %v, want ErrNoResult", err)
	}
	if _, err := Parse([]byte(`{"model":"m","median_ms":-1}`)); err == nil {
		t.Error("negative median accepted")
	}
	if r, err := Parse([]byte(`{"model":"m","median_ms":0}`)); err != nil || r.MedianMS != 0 {
		t.Errorf("a median rounded to 0: %+v, %v", r, err)
	}
	if _, err := Parse([]byte(`{"median_ms":3}`)); err == nil {
		t.Error("missing model accepted")
	}
	if _, err := Parse([]byte(`{"model":`)); err == nil || errors.Is(err, ErrNoResult) {
		t.Errorf("broken JSON: err %v, want a parse error", err)
	}
}

func TestFailReason(t *testing.T) {
	gonyxErr := `gonyx: engine: unsupported operator Conv (domain ai.onnx, opset 17) at node "/f/Conv" (Conv, ai.onnx opset 17)` + "\n"
	if got := FailReason([]byte(gonyxErr), 0); got != strings.TrimSpace(gonyxErr) {
		t.Errorf("gonyx error: got %q", got)
	}
	panicErr := "starting\npanic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.run(0x1, {0x2})\n\t/src/main.go:10 +0x1d\nexit status 2\n"
	if got := FailReason([]byte(panicErr), 0); got != "panic: runtime error: index out of range [3] with length 3" {
		t.Errorf("panic: got %q", got)
	}
	trace := "ort_bench: Load model from x failed\n\n"
	if got := FailReason([]byte(trace), 0); got != "ort_bench: Load model from x failed" {
		t.Errorf("node error: got %q", got)
	}
	if got := FailReason([]byte("abcdefghij\n"), 6); got != "abcde…" {
		t.Errorf("truncation: got %q, want abcde…", got)
	}
	if got := FailReason(nil, 10); got != "" {
		t.Errorf("empty stderr: got %q", got)
	}
}
