package nn_test

import (
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
func f64(shape []int, v ...float64) *tensor.Tensor { return tensor.New(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.New(shape, v) }

// seq is 1, 2, ..., prod(shape) as float32.
func seq(shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i + 1)
	}
	return tensor.New(shape, v)
}

func op(typ string, opset int, attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: typ, Opset: opset, Attrs: attrs}
}

// expectClose runs o and compares the outputs with a looser tolerance than
// opstest.Expect, for values quoted to a few digits in the spec.
func expectClose(t *testing.T, o opstest.Op, in []*tensor.Tensor, rtol, atol float64, want ...*tensor.Tensor) {
	t.Helper()
	if o.Outputs == 0 {
		o.Outputs = len(want)
	}
	got := opstest.MustRun(t, o, in...)
	for i, w := range want {
		if w == nil {
			continue
		}
		if err := opstest.Close(got[i], w, rtol, atol); err != nil {
			t.Errorf("%s output %d: %v (got %v)", o.Type, i, err, got[i])
		}
	}
}

// expectErr checks that running o fails with an error mentioning substr.
func expectErr(t *testing.T, o opstest.Op, in []*tensor.Tensor, substr string) {
	t.Helper()
	_, err := opstest.Run(o, in...)
	if err == nil {
		t.Fatalf("%s: want an error containing %q, got none", o.Type, substr)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("%s: error %q does not mention %q", o.Type, err, substr)
	}
}
