package math

import (
	gomath "math"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// The float32 paths through ops/vector: every broadcast shape of a span
// (equal, scalar either side, per-channel, row, short spans) against plain
// float32 loops written here, and the unary kernels against float64 math.

func seq32(n int, f func(i int) float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
}

func TestVectorBinarySpans(t *testing.T) {
	ops := []struct {
		name string
		f    func(a, b float32) float32
	}{
		{"Add", func(a, b float32) float32 { return a + b }},
		{"Sub", func(a, b float32) float32 { return a - b }},
		{"Mul", func(a, b float32) float32 { return a * b }},
		{"Div", func(a, b float32) float32 { return a / b }},
	}
	// index maps an output index to the A and B element it reads.
	type shapes struct {
		name   string
		as, bs []int
		out    []int
		ia, ib func(o int) int
	}
	cases := []shapes{
		{"equal", sh(100), sh(100), sh(100), func(o int) int { return o }, func(o int) int { return o }},
		{"scalar B", sh(4, 9), sh(), sh(4, 9), func(o int) int { return o }, func(int) int { return 0 }},
		{"scalar A", sh(), sh(37), sh(37), func(int) int { return 0 }, func(o int) int { return o }},
		{"channel B", sh(2, 3, 4, 5), sh(3, 1, 1), sh(2, 3, 4, 5),
			func(o int) int { return o }, func(o int) int { return (o / 20) % 3 }},
		{"channel A", sh(3, 1, 1), sh(2, 3, 4, 5), sh(2, 3, 4, 5),
			func(o int) int { return (o / 20) % 3 }, func(o int) int { return o }},
		{"row", sh(4, 16), sh(16), sh(4, 16), func(o int) int { return o }, func(o int) int { return o % 16 }},
		{"short spans", sh(5, 2), sh(5, 1), sh(5, 2), func(o int) int { return o }, func(o int) int { return o / 2 }},
	}
	for _, c := range cases {
		na, nb := 1, 1
		for _, d := range c.as {
			na *= d
		}
		for _, d := range c.bs {
			nb *= d
		}
		a := seq32(na, func(i int) float32 { return float32(i)*0.37 - 5 })
		b := seq32(nb, func(i int) float32 { return float32(i)*0.53 + 0.25 })
		for _, o := range ops {
			n := 1
			for _, d := range c.out {
				n *= d
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = o.f(a[c.ia(i)], b[c.ib(i)])
			}
			t.Run(o.name+"/"+c.name, func(t *testing.T) {
				got := opstest.MustRun(t, op(o.name, 14), f32s(c.as, a...), f32s(c.bs, b...))[0]
				if err := opstest.Close(got, f32s(c.out, want...), 0, 0); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestVectorUnary(t *testing.T) {
	x := seq32(37, func(i int) float32 { return float32(i)*0.3 - 5.4 })
	x = append(x, float32(gomath.Inf(1)), float32(gomath.Inf(-1)), float32(gomath.NaN()))
	ref := func(f func(float64) float64) *tensor.Tensor {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = float32(f(float64(v)))
		}
		return f32s(sh(len(x)), out...)
	}
	sigmoid := func(v float64) float64 { return 1 / (1 + gomath.Exp(-v)) }
	cases := []struct {
		op   opstest.Op
		f    func(float64) float64
		atol float64
	}{
		{op("Exp", 13), gomath.Exp, 0},
		{op("Log", 13), gomath.Log, 0},
		{op("Tanh", 13), gomath.Tanh, 0},
		{op("Sigmoid", 13), sigmoid, 0},
		{op("Erf", 13), gomath.Erf, 0},
		{op("Relu", 14), func(v float64) float64 { return gomath.Max(v, 0) }, 0},
		{op("HardSwish", 14), func(v float64) float64 { return v * gomath.Max(0, gomath.Min(1, v/6+0.5)) }, 0},
		// GELU's far negative tail is flushed to −0 (|gelu| < 5e-8 there).
		{op("Gelu", 20), func(v float64) float64 { return 0.5 * v * (1 + gomath.Erf(v/gomath.Sqrt2)) }, 5e-8},
	}
	for _, c := range cases {
		t.Run(c.op.Type, func(t *testing.T) {
			got := opstest.MustRun(t, c.op, f32s(sh(len(x)), x...))[0]
			if err := opstest.Close(got, ref(c.f), 1e-6, c.atol); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("Clip", func(t *testing.T) {
		lo, hi := f32s(sh(), -1.5), f32s(sh(), 2)
		got := opstest.MustRun(t, op("Clip", 13), f32s(sh(len(x)), x...), lo, hi)[0]
		if err := opstest.Close(got, ref(func(v float64) float64 {
			if v < -1.5 {
				return -1.5
			}
			if v > 2 {
				return 2
			}
			return v
		}), 0, 0); err != nil {
			t.Fatal(err)
		}
	})
}
