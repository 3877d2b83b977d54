package math

import (
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// sh builds a shape.
func sh(d ...int) []int {
	if d == nil {
		return []int{}
	}
	return d
}

// T builds a tensor of any element type.
func T[E tensor.Elem](shape []int, v ...E) *tensor.Tensor {
	if v == nil {
		v = []E{}
	}
	return tensor.New(shape, v)
}

func f32s(shape []int, v ...float32) *tensor.Tensor { return T(shape, v...) }
func bools(shape []int, v ...bool) *tensor.Tensor   { return T(shape, v...) }

func f16s(shape []int, v ...float32) *tensor.Tensor {
	h := make([]tensor.F16, len(v))
	for i, x := range v {
		h[i] = tensor.NewF16(x)
	}
	return T(shape, h...)
}

func bf16s(shape []int, v ...float32) *tensor.Tensor {
	h := make([]tensor.BF16, len(v))
	for i, x := range v {
		h[i] = tensor.NewBF16(x)
	}
	return T(shape, h...)
}

// op builds a test op description.
func op(typ string, opset int, attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: typ, Opset: opset, Attrs: attrs}
}

func in(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

// expectErr runs o and requires an error mentioning want.
func expectErr(t *testing.T, o opstest.Op, want string, inputs ...*tensor.Tensor) {
	t.Helper()
	_, err := opstest.Run(o, inputs...)
	if err == nil {
		t.Fatalf("%s opset %d: no error, want one mentioning %q", o.Type, o.Opset, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s opset %d: error %q does not mention %q", o.Type, o.Opset, err, want)
	}
}

// snapshot copies inputs so a test can check they were not modified.
func snapshot(ts []*tensor.Tensor) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		if t != nil {
			out[i] = t.Clone()
		}
	}
	return out
}

// tcase is one test: an op, inputs, and the wanted output (or error).
type tcase struct {
	name string
	op   opstest.Op
	in   []*tensor.Tensor
	want *tensor.Tensor
	err  string
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		name := c.name
		if name == "" {
			name = c.op.Type
		}
		t.Run(name, func(t *testing.T) {
			before := snapshot(c.in)
			if c.err != "" {
				expectErr(t, c.op, c.err, c.in...)
			} else {
				opstest.Expect(t, c.op, c.in, c.want)
			}
			for i, b := range before {
				if b != nil {
					if err := opstest.Close(c.in[i], b, 0, 0); err != nil {
						t.Errorf("input %d was modified: %v", i, err)
					}
				}
			}
		})
	}
}
