package shape

import (
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// Small constructors for test tensors.

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.New(shape, v) }
func i32(shape []int, v ...int32) *tensor.Tensor   { return tensor.New(shape, v) }
func bools(shape []int, v ...bool) *tensor.Tensor  { return tensor.New(shape, v) }
func strs(shape []int, v ...string) *tensor.Tensor { return tensor.New(shape, v) }
func sh(d ...int) []int                            { return d }

// vec is a 1-D int64 tensor.
func vec(v ...int64) *tensor.Tensor { return tensor.New([]int{len(v)}, v) }

// scalar64 is an int64 scalar.
func scalar64(v int64) *tensor.Tensor { return tensor.Scalar(v) }

// seq returns 0, 1, ..., n-1 as float32.
func seq(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)
	}
	return out
}

func f16(shape []int, v ...float32) *tensor.Tensor {
	h := make([]tensor.F16, len(v))
	for i, x := range v {
		h[i] = tensor.NewF16(x)
	}
	return tensor.New(shape, h)
}

// kase is one table-driven kernel test: either want (outputs) or errContains.
type kase struct {
	name    string
	op      opstest.Op
	in      []*tensor.Tensor
	want    []*tensor.Tensor
	wantErr string
}

func runCases(t *testing.T, cases []kase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := c.op
			if op.Outputs == 0 && len(c.want) > 0 {
				op.Outputs = len(c.want)
			}
			if c.wantErr != "" {
				_, err := opstest.Run(op, c.in...)
				if err == nil {
					t.Fatalf("want error containing %q, got none", c.wantErr)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %q does not contain %q", err, c.wantErr)
				}
				return
			}
			opstest.Expect(t, op, c.in, c.want...)
		})
	}
}

func intsA(name string, v ...int64) *graph.Attribute { return opstest.Ints(name, v...) }
func iattr(name string, v int64) *graph.Attribute    { return opstest.Int(name, v) }
