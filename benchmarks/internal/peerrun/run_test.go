package peerrun

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/benchmarks/internal/benchjson"
)

// capture runs f with os.Stdout and os.Stderr redirected.
func capture(t *testing.T, f func() int) (code int, stdout, stderr string) {
	t.Helper()
	oldOut, oldErr := os.Stdout, os.Stderr
	ro, wo, _ := os.Pipe()
	re, we, _ := os.Pipe()
	os.Stdout, os.Stderr = wo, we
	outc, errc := make(chan string), make(chan string)
	go func() { b, _ := io.ReadAll(ro); outc <- string(b) }()
	go func() { b, _ := io.ReadAll(re); errc <- string(b) }()
	code = f()
	wo.Close()
	we.Close()
	os.Stdout, os.Stderr = oldOut, oldErr
	return code, <-outc, <-errc
}

// doubler is a fake peer: its one output is its float input times two.
func doubler(calls *int) Loader {
	return func(string, Options) (Runner, string, error) {
		return func(in []Value) ([]Value, error) {
			*calls++
			out := Value{Name: "y", DType: "float32", Shape: in[0].Shape, F32: make([]float32, len(in[0].F32))}
			for i, x := range in[0].F32 {
				out.F32[i] = 2 * x
			}
			return []Value{out}, nil
		}, "a note", nil
	}
}

func writeSet(t *testing.T, in, out []float32) string {
	t.Helper()
	dir := t.TempDir()
	enc := func(name string, xs []float32) []byte {
		b := []byte{0x08, byte(len(xs)), 0x10, 1, 0x42, byte(len(name))}
		b = append(b, name...)
		raw := f32bytes(xs...)
		return append(append(b, 0x4a, byte(len(raw))), raw...)
	}
	os.WriteFile(filepath.Join(dir, "input_0.pb"), enc("x", in), 0o644)
	os.WriteFile(filepath.Join(dir, "output_0.pb"), enc("y", out), 0o644)
	return dir
}

func TestRunTimesAndChecks(t *testing.T) {
	calls := 0
	dir := writeSet(t, []float32{1, -2}, []float32{2, -4})
	args := []string{"--model", "/m/tiny/model.onnx", "--input", "x:float32:1x2", "--runs", "3", "--warmup", "2", "--check", dir}
	code, out, errOut := capture(t, func() int { return run("fake", "fake v1", doubler(&calls), args) })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	res, err := benchjson.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != "tiny" || res.Backend != "fake" || res.Runs != 3 || res.Warmup != 2 || res.Check != "ok" ||
		res.Note != "a note" || res.Version != "fake v1" || res.Inputs[0] != "x:float32[1,2]" {
		t.Errorf("result %+v", res)
	}
	if calls != 1+2+3 { // check, warm-up, timed
		t.Errorf("%d runs, want 6", calls)
	}
}

func TestRunFailures(t *testing.T) {
	calls := 0
	wrong := writeSet(t, []float32{1, -2}, []float32{2, 4})
	base := []string{"--model", "m.onnx", "--input", "x:float32:2", "--runs", "1"}
	code, out, errOut := capture(t, func() int { return run("fake", "", doubler(&calls), append(base, "--check", wrong)) })
	if code != 1 || out != "" || benchjson.FailReason([]byte(errOut), 0) != "bench-fake: wrong output on "+filepath.Base(wrong)+": output 0 (y) differs at [1]: got -4, want 4" {
		t.Errorf("wrong output: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	refuse := func(string, Options) (Runner, string, error) { return nil, "", errors.New("unsupported opset version") }
	code, _, errOut = capture(t, func() int { return run("fake", "", refuse, base) })
	if code != 1 || benchjson.FailReason([]byte(errOut), 0) != "bench-fake: load: unsupported opset version" {
		t.Errorf("load error: exit %d, %q", code, errOut)
	}
	boom := func(string, Options) (Runner, string, error) { panic("index out of range") }
	code, _, errOut = capture(t, func() int { return run("fake", "", boom, base) })
	if code != 1 || benchjson.FailReason([]byte(errOut), 0) != "bench-fake: panic: index out of range" {
		t.Errorf("panic: exit %d, %q", code, benchjson.FailReason([]byte(errOut), 0))
	}
	code, _, _ = capture(t, func() int { return run("fake", "", boom, []string{"--model", "m.onnx"}) })
	if code != 2 {
		t.Errorf("missing --input: exit %d, want 2", code)
	}
}
