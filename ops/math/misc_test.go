package math

import (
	gomath "math"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestClip(t *testing.T) {
	x := f32s(sh(5), -3, -1, 0, 1, 3)
	nan := float32(gomath.NaN())
	runCases(t, []tcase{
		{name: "attrs", op: op("Clip", 6, opstest.Float("min", -1), opstest.Float("max", 2)),
			in: in(x), want: f32s(sh(5), -1, -1, 0, 1, 2)},
		{name: "attr min only", op: op("Clip", 1, opstest.Float("min", 0)),
			in: in(x), want: f32s(sh(5), 0, 0, 0, 1, 3)},
		{name: "no attrs", op: op("Clip", 6), in: in(x), want: x},
		{name: "defaults are finite limits", op: op("Clip", 6),
			in:   in(f32s(sh(3), float32(gomath.Inf(-1)), 1, float32(gomath.Inf(1)))),
			want: f32s(sh(3), -gomath.MaxFloat32, 1, gomath.MaxFloat32)},
		{name: "float16 default limit", op: op("Clip", 1, opstest.Float("min", 0)),
			in: in(f16s(sh(2), -1, float32(gomath.Inf(1)))), want: f16s(sh(2), 0, 65504)},
		{name: "opset 6 rejects ints", op: op("Clip", 6), in: in(T(sh(1), int32(1))), err: "supported types"},
		{name: "inputs", op: op("Clip", 11),
			in: in(x, f32s(sh(), -1), f32s(sh(), 2)), want: f32s(sh(5), -1, -1, 0, 1, 2)},
		{name: "max only", op: op("Clip", 13),
			in: in(x, nil, f32s(sh(), 0)), want: f32s(sh(5), -3, -1, 0, 0, 0)},
		{name: "none", op: op("Clip", 13), in: in(x), want: x},
		{name: "min above max", op: op("Clip", 13),
			in: in(x, f32s(sh(), 2), f32s(sh(), 1)), want: f32s(sh(5), 1, 1, 1, 1, 1)},
		{name: "nan kept", op: op("Clip", 13),
			in: in(f32s(sh(2), nan, 5), f32s(sh(), 0), f32s(sh(), 1)), want: f32s(sh(2), nan, 1)},
		{name: "int8", op: op("Clip", 12),
			in: in(T(sh(4), int8(-128), -5, 5, 127), T(sh(), int8(-10)), T(sh(), int8(10))), want: T(sh(4), int8(-10), -5, 5, 10)},
		{name: "uint64", op: op("Clip", 13),
			in: in(T(sh(3), uint64(1), 1<<63, gomath.MaxUint64), nil, T(sh(), uint64(1)<<63+1)), want: T(sh(3), uint64(1), 1<<63, 1<<63+1)},
		{name: "float16", op: op("Clip", 13),
			in: in(f16s(sh(3), -2, 0.5, 2), f16s(sh(), -1), f16s(sh(), 1)), want: f16s(sh(3), -1, 0.5, 1)},
		{name: "bound type mismatch", op: op("Clip", 13),
			in: in(x, T(sh(), 1.0)), err: "same type"},
		{name: "bound not scalar", op: op("Clip", 13),
			in: in(x, f32s(sh(2), 1, 2)), err: "scalar"},
	})
}

func TestPow(t *testing.T) {
	runCases(t, []tcase{
		{name: "example", op: op("Pow", 15), in: in(f32s(sh(3), 1, 2, 3), f32s(sh(3), 4, 5, 6)), want: f32s(sh(3), 1, 32, 729)},
		{name: "scalar", op: op("Pow", 7), in: in(f32s(sh(3), 1, 2, 3), f32s(sh(), 2)), want: f32s(sh(3), 1, 4, 9)},
		{name: "bcast array", op: op("Pow", 13),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(3), 1, 2, 3)), want: f32s(sh(2, 3), 1, 4, 27, 4, 25, 216)},
		{name: "int64 int64 exact", op: op("Pow", 15),
			in: in(T(sh(3), int64(3), -2, 2), T(sh(3), int64(39), 3, -1)), want: T(sh(3), int64(4052555153018976267), -8, 0)},
		{name: "int32 float32", op: op("Pow", 12),
			in: in(T(sh(3), int32(1), 2, 3), f32s(sh(3), 4, 5, 6)), want: T(sh(3), int32(1), 32, 729)},
		{name: "int32 fractional", op: op("Pow", 12),
			in: in(T(sh(2), int32(2), 10), f32s(sh(2), 0.5, 0.5)), want: T(sh(2), int32(1), 3)},
		{name: "float32 int64", op: op("Pow", 12),
			in: in(f32s(sh(3), 1, 2, 3), T(sh(3), int64(4), 5, -1)), want: f32s(sh(3), 1, 32, 0.33333334)},
		{name: "float32 uint64", op: op("Pow", 15),
			in: in(f32s(sh(2), 2, 3), T(sh(2), uint64(3), 2)), want: f32s(sh(2), 8, 9)},
		{name: "float64 uint8", op: op("Pow", 15),
			in: in(T(sh(2), 2.0, -3.0), T(sh(), uint8(3))), want: T(sh(2), 8.0, -27.0)},
		{name: "float16 float", op: op("Pow", 13),
			in: in(f16s(sh(2), 2, 4), f32s(sh(), 0.5)), want: f16s(sh(2), 1.4140625, 2)},
		{name: "bfloat16 int", op: op("Pow", 15),
			in: in(bf16s(sh(2), 2, 3), T(sh(), int32(2))), want: bf16s(sh(2), 4, 9)},
		{name: "negative base fractional", op: op("Pow", 15),
			in: in(f32s(sh(1), -8), f32s(sh(1), 1.0/3)), want: f32s(sh(1), float32(gomath.NaN()))},
		{name: "mixed before 12", op: op("Pow", 7),
			in: in(f32s(sh(1), 2), T(sh(1), int64(2))), err: "same type"},
		{name: "uint8 base", op: op("Pow", 15),
			in: in(T(sh(1), uint8(2)), T(sh(1), uint8(2))), err: "base X"},
		{name: "string exponent", op: op("Pow", 15),
			in: in(f32s(sh(1), 2), T(sh(1), "2")), err: "exponent Y"},
	})
}

func TestWhere(t *testing.T) {
	runCases(t, []tcase{
		{name: "example", op: op("Where", 16),
			in:   in(bools(sh(2, 2), true, false, true, true), f32s(sh(2, 2), 1, 2, 3, 4), f32s(sh(2, 2), 9, 8, 7, 6)),
			want: f32s(sh(2, 2), 1, 8, 3, 4)},
		{name: "broadcast three ways", op: op("Where", 9),
			in:   in(bools(sh(2, 1), true, false), T(sh(1, 3), int64(1), 2, 3), T(sh(), int64(0))),
			want: T(sh(2, 3), int64(1), 2, 3, 0, 0, 0)},
		{name: "scalar cond", op: op("Where", 16),
			in: in(bools(sh(), false), T(sh(2), "a", "b"), T(sh(2), "c", "d")), want: T(sh(2), "c", "d")},
		{name: "bool values", op: op("Where", 16),
			in: in(bools(sh(3), true, false, true), bools(sh(), true), bools(sh(), false)), want: bools(sh(3), true, false, true)},
		{name: "float16", op: op("Where", 16),
			in: in(bools(sh(2), false, true), f16s(sh(2), 1, 2), f16s(sh(1), 5)), want: f16s(sh(2), 5, 2)},
		{name: "inner broadcast", op: op("Where", 16),
			in:   in(bools(sh(3), true, false, true), f32s(sh(2, 1), 1, 2), f32s(sh(2, 3), 10, 20, 30, 40, 50, 60)),
			want: f32s(sh(2, 3), 1, 20, 1, 2, 50, 2)},
		{name: "empty", op: op("Where", 16),
			in: in(bools(sh(0)), f32s(sh(1), 1), f32s(sh(1), 2)), want: f32s(sh(0))},
		{name: "cond not bool", op: op("Where", 16),
			in: in(f32s(sh(1), 1), f32s(sh(1), 1), f32s(sh(1), 2)), err: "condition"},
		{name: "type mismatch", op: op("Where", 16),
			in: in(bools(sh(1), true), f32s(sh(1), 1), T(sh(1), 2.0)), err: "same type"},
		{name: "not broadcastable", op: op("Where", 16),
			in: in(bools(sh(2), true, false), f32s(sh(3), 1, 2, 3), f32s(sh(1), 2)), err: "broadcastable"},
	})
}

func TestVariadic(t *testing.T) {
	d0 := f32s(sh(3), 3, 2, 1)
	d1 := f32s(sh(3), 1, 4, 4)
	d2 := f32s(sh(3), 2, 5, 3)
	nan := float32(gomath.NaN())
	runCases(t, []tcase{
		{name: "max", op: op("Max", 13), in: in(d0, d1, d2), want: f32s(sh(3), 3, 5, 4)},
		{name: "min", op: op("Min", 13), in: in(d0, d1, d2), want: f32s(sh(3), 1, 2, 1)},
		{name: "sum", op: op("Sum", 13), in: in(d0, d1, d2), want: f32s(sh(3), 6, 11, 8)},
		{name: "mean", op: op("Mean", 13), in: in(d0, d1, d2), want: f32s(sh(3), 2, 3.6666667, 2.6666667)},
		{name: "one input", op: op("Sum", 6), in: in(d0), want: d0},
		{name: "max one input", op: op("Max", 8), in: in(d1), want: d1},
		{name: "max broadcast", op: op("Max", 8),
			in: in(f32s(sh(3), 1, 2, 3), f32s(sh(2, 1), 10, 0)), want: f32s(sh(2, 3), 10, 10, 10, 1, 2, 3)},
		{name: "mean broadcast", op: op("Mean", 8),
			in: in(f32s(sh(2), 1, 2), f32s(sh(2, 1), 3, 4)), want: f32s(sh(2, 2), 2, 2.5, 2.5, 3)},
		{name: "max nan", op: op("Max", 13), in: in(f32s(sh(2), nan, 1), f32s(sh(2), 1, nan)), want: f32s(sh(2), nan, nan)},
		{name: "min int8", op: op("Min", 12), in: in(T(sh(2), int8(-128), 5), T(sh(2), int8(0), 4)), want: T(sh(2), int8(-128), 4)},
		{name: "max uint64", op: op("Max", 13), in: in(T(sh(2), uint64(1)<<63, 1), T(sh(), uint64(2))), want: T(sh(2), uint64(1)<<63, 2)},
		{name: "sum float16", op: op("Sum", 13), in: in(f16s(sh(2), 1, 2), f16s(sh(2), 0.5, 0.25)), want: f16s(sh(2), 1.5, 2.25)},
		{name: "shapes before 8", op: op("Max", 6), in: in(f32s(sh(3), 1, 2, 3), f32s(sh(1), 1)), err: "same shape"},
		{name: "sum ints", op: op("Sum", 13), in: in(T(sh(1), int32(1)), T(sh(1), int32(1))), err: "supported types"},
		{name: "mixed types", op: op("Max", 13), in: in(f32s(sh(1), 1), T(sh(1), 1.0)), err: "same type"},
		{name: "missing", op: op("Max", 13), in: in(f32s(sh(1), 1), nil), err: "missing"},
	})
}

func TestPlanCoalesces(t *testing.T) {
	for _, c := range []struct {
		a, b  []int
		dims  []int
		inner [2]int
	}{
		{sh(2, 3, 4), sh(2, 3, 4), sh(24), [2]int{1, 1}},
		{sh(2, 3, 4), sh(), sh(24), [2]int{1, 0}},
		{sh(), sh(), sh(1), [2]int{0, 0}},
		{sh(8, 16), sh(16), sh(8, 16), [2]int{1, 1}},
		{sh(1, 64, 32, 32), sh(64, 1, 1), sh(64, 1024), [2]int{1, 0}},
		{sh(4, 1), sh(1, 5), sh(4, 5), [2]int{0, 1}},
		{sh(2, 3, 4, 5), sh(3, 1, 1), sh(2, 3, 20), [2]int{1, 0}},
	} {
		p, err := newPlan(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.dims) != len(c.dims) {
			t.Errorf("%v,%v: dims %v, want %v", c.a, c.b, p.dims, c.dims)
			continue
		}
		for i := range c.dims {
			if p.dims[i] != c.dims[i] {
				t.Errorf("%v,%v: dims %v, want %v", c.a, c.b, p.dims, c.dims)
			}
		}
		if p.inner(0) != c.inner[0] || p.inner(1) != c.inner[1] {
			t.Errorf("%v,%v: inner strides %d,%d, want %v", c.a, c.b, p.inner(0), p.inner(1), c.inner)
		}
	}
}

func TestPlanHugeOutput(t *testing.T) {
	if _, err := newPlan(sh(1<<20, 1), sh(1, 1<<20)); err == nil {
		t.Fatal("broadcast to 2^40 elements: no error")
	}
}

// TestConcurrentRuns runs one kernel from several goroutines.
func TestConcurrentRuns(t *testing.T) {
	o := op("Add", 14)
	a := f32s(sh(2, 3), 1, 2, 3, 4, 5, 6)
	b := f32s(sh(3), 10, 20, 30)
	want := f32s(sh(2, 3), 11, 22, 33, 14, 25, 36)
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				out, err := opstest.Run(o, a, b)
				if err == nil {
					err = opstest.Close(out[0], want, 0, 0)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutputsAreFresh checks that outputs never alias inputs.
func TestOutputsAreFresh(t *testing.T) {
	x := f32s(sh(2), 1, 2)
	for _, o := range []opstest.Op{op("Sum", 13), op("Max", 13), op("Relu", 14), op("Cast", 13, opstest.Int("to", int64(tensor.Float32)))} {
		out := opstest.MustRun(t, o, x)
		tensor.Data[float32](out[0])[0] = 42
		if tensor.Data[float32](x)[0] != 1 {
			t.Fatalf("%s output aliases its input", o.Type)
		}
		tensor.Data[float32](x)[0] = 1
	}
}
