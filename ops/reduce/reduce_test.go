package reduce

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.New(shape, v) }

// seq returns 1, 2, ..., n as float32.
func seq(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i + 1)
	}
	return out
}

func op(typ string, opset int, attrs ...int64) opstest.Op {
	o := opstest.Op{Type: typ, Opset: opset}
	if len(attrs) > 0 {
		o.Attrs = append(o.Attrs, opstest.Int("keepdims", attrs[0]))
	}
	return o
}

// The [3, 2, 2] tensor 1..12 used by the spec's examples.
var spec3 = f32([]int{3, 2, 2}, seq(12)...)

func TestReduceSumSpecExamples(t *testing.T) {
	// keepdims, axes=[1]: [[[4, 6]], [[12, 14]], [[20, 22]]]
	opstest.Expect(t, op("ReduceSum", 13, 1), []*tensor.Tensor{spec3, i64([]int{1}, 1)},
		f32([]int{3, 1, 2}, 4, 6, 12, 14, 20, 22))
	// do_not_keepdims, axes=[-2]
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{spec3, i64([]int{1}, -2)},
		f32([]int{3, 2}, 4, 6, 12, 14, 20, 22))
	// default axes: everything, 78
	opstest.Expect(t, op("ReduceSum", 13, 1), []*tensor.Tensor{spec3, i64([]int{0})},
		f32([]int{1, 1, 1}, 78))
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{spec3}, f32([]int{}, 78))
	// noop_with_empty_axes: identity
	noop := op("ReduceSum", 13, 1)
	noop.Attrs = append(noop.Attrs, opstest.Int("noop_with_empty_axes", 1))
	opstest.Expect(t, noop, []*tensor.Tensor{spec3, i64([]int{0})}, spec3)
	// opset 11: axes attribute
	old := op("ReduceSum", 11, 0)
	old.Attrs = append(old.Attrs, opstest.Ints("axes", -2))
	opstest.Expect(t, old, []*tensor.Tensor{spec3}, f32([]int{3, 2}, 4, 6, 12, 14, 20, 22))
}

func TestReduceAxisLayouts(t *testing.T) {
	x := f32([]int{2, 3, 2}, seq(12)...)
	// Reduced axes 0 and 2 are not adjacent: out[j] = sum_{i,k} x[i,j,k].
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{x, i64([]int{2}, 0, 2)},
		f32([]int{3}, 18, 26, 34))
	// Middle axis with an inner block.
	opstest.Expect(t, op("ReduceSum", 13, 1), []*tensor.Tensor{x, i64([]int{1}, 1)},
		f32([]int{2, 1, 2}, 9, 12, 27, 30))
	// Outer axis only.
	opstest.Expect(t, op("ReduceMax", 18, 0), []*tensor.Tensor{x, i64([]int{1}, 0)},
		f32([]int{3, 2}, 7, 8, 9, 10, 11, 12))
	// Kept axes 0 and 2 around a reduced middle, with size-1 dims mixed in.
	y := f32([]int{2, 1, 3, 2}, seq(12)...)
	opstest.Expect(t, op("ReduceMin", 18, 0), []*tensor.Tensor{y, i64([]int{2}, 1, 2)},
		f32([]int{2, 2}, 1, 2, 7, 8))
	// Scalar input: nothing to reduce.
	opstest.Expect(t, op("ReduceSum", 13, 1), []*tensor.Tensor{f32([]int{}, 5)}, f32([]int{}, 5))
}

func TestReduceMeanLastAxis(t *testing.T) {
	x := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	opstest.Expect(t, op("ReduceMean", 18, 1), []*tensor.Tensor{x, i64([]int{1}, -1)},
		f32([]int{2, 1}, 2, 5))
	// opset 13: attribute axes
	o := op("ReduceMean", 13, 0)
	o.Attrs = append(o.Attrs, opstest.Ints("axes", 1))
	opstest.Expect(t, o, []*tensor.Tensor{x}, f32([]int{2}, 2, 5))
}

func TestReduceLarge(t *testing.T) {
	// Big enough to take the parallel path: [64, 4096] with x[i][j] = j%7.
	const rows, cols = 64, 4096
	data := make([]float32, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			data[i*cols+j] = float32(j % 7)
		}
	}
	x := f32([]int{rows, cols}, data...)
	// Mean of each row: 4096 = 585*7 + 1, so the row sum is 585*21 + 0.
	mean := make([]float32, rows)
	for i := range mean {
		mean[i] = float32(585*21) / cols
	}
	opstest.Expect(t, op("ReduceMean", 18, 0), []*tensor.Tensor{x, i64([]int{1}, 1)}, f32([]int{rows}, mean...))
	// Column sums: 64 * (j%7).
	sums := make([]float32, cols)
	for j := range sums {
		sums[j] = float32(rows * (j % 7))
	}
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{x, i64([]int{1}, 0)}, f32([]int{cols}, sums...))
}

func TestReduceKinds(t *testing.T) {
	x := f32([]int{2, 2}, 1, -2, 3, -4)
	ax := i64([]int{1}, 1)
	in := []*tensor.Tensor{x, ax}
	sqrt5 := float32(math.Sqrt(5))
	cases := []struct {
		name string
		want []float32
	}{
		{"ReduceL1", []float32{3, 7}},
		{"ReduceL2", []float32{sqrt5, 5}},
		{"ReduceSumSquare", []float32{5, 25}},
		{"ReduceProd", []float32{-2, -12}},
		{"ReduceMax", []float32{1, 3}},
		{"ReduceMin", []float32{-2, -4}},
		{"ReduceMean", []float32{-0.5, -0.5}},
	}
	for _, c := range cases {
		opstest.Expect(t, op(c.name, 18, 0), in, f32([]int{2}, c.want...))
	}
	// log(1 + 2) and log(e^0 + e^ln3) = log 4; LogSumExp stays finite for big inputs.
	opstest.Expect(t, op("ReduceLogSum", 18, 0), []*tensor.Tensor{f32([]int{2}, 1, 2)},
		f32([]int{}, float32(math.Log(3))))
	opstest.Expect(t, op("ReduceLogSumExp", 18, 0), []*tensor.Tensor{f32([]int{2}, 0, float32(math.Log(3)))},
		f32([]int{}, float32(math.Log(4))))
	opstest.Expect(t, op("ReduceLogSumExp", 13, 0), []*tensor.Tensor{tensor.New([]int{2, 2}, []float64{1000, 1000, -1000, -1000})},
		tensor.New([]int{}, []float64{1000 + math.Ln2}))
	// Composite reductions with noop keep their element-wise step.
	noop := op("ReduceSumSquare", 18, 1)
	noop.Attrs = append(noop.Attrs, opstest.Int("noop_with_empty_axes", 1))
	opstest.Expect(t, noop, []*tensor.Tensor{x}, f32([]int{2, 2}, 1, 4, 9, 16))
	// LogSumExp down a column (inner block path): log(e^1 + e^3) etc.
	y := tensor.New([]int{2, 2}, []float64{1, 2, 3, 4})
	opstest.Expect(t, op("ReduceLogSumExp", 18, 0), []*tensor.Tensor{y, i64([]int{1}, 0)},
		tensor.New([]int{2}, []float64{math.Log(math.Exp(1) + math.Exp(3)), math.Log(math.Exp(2) + math.Exp(4))}))
}

func TestReduceNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := f32([]int{2, 3}, 1, nan, 3, 4, 5, 6)
	opstest.Expect(t, op("ReduceMax", 18, 0), []*tensor.Tensor{x, i64([]int{1}, 1)}, f32([]int{2}, nan, 6))
	opstest.Expect(t, op("ReduceMin", 18, 0), []*tensor.Tensor{x, i64([]int{1}, 0)}, f32([]int{3}, 1, nan, 3))
}

func TestReduceIntegerTypes(t *testing.T) {
	// int8 sums wrap like int8 arithmetic.
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{tensor.New([]int{2}, []int8{100, 100})},
		tensor.New([]int{}, []int8{-56}))
	// int64 and uint64 are exact beyond 2^53.
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{tensor.New([]int{2}, []int64{1 << 60, 1})},
		tensor.New([]int{}, []int64{1<<60 + 1}))
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{tensor.New([]int{2}, []uint64{1 << 63, 1})},
		tensor.New([]int{}, []uint64{1<<63 + 1}))
	// Integer mean truncates; max of int32.
	opstest.Expect(t, op("ReduceMean", 18, 0), []*tensor.Tensor{tensor.New([]int{3}, []int32{1, 2, 4})},
		tensor.New([]int{}, []int32{2}))
	opstest.Expect(t, op("ReduceMax", 18, 0), []*tensor.Tensor{tensor.New([]int{3}, []int32{-7, -2, -9})},
		tensor.New([]int{}, []int32{-2}))
	opstest.Expect(t, op("ReduceL1", 18, 0), []*tensor.Tensor{tensor.New([]int{3}, []int32{-7, 2, -1})},
		tensor.New([]int{}, []int32{10}))
	// bool (ReduceMax/Min opset 20): any / all.
	b := tensor.New([]int{2, 2}, []bool{true, false, false, false})
	opstest.Expect(t, op("ReduceMax", 20, 0), []*tensor.Tensor{b, i64([]int{1}, 1)}, tensor.New([]int{2}, []bool{true, false}))
	opstest.Expect(t, op("ReduceMin", 20, 0), []*tensor.Tensor{b, i64([]int{1}, 1)}, tensor.New([]int{2}, []bool{false, false}))
}

func TestReduceHalf(t *testing.T) {
	h := []tensor.F16{tensor.NewF16(1), tensor.NewF16(2), tensor.NewF16(3.5)}
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{tensor.New([]int{3}, h)},
		tensor.New([]int{}, []tensor.F16{tensor.NewF16(6.5)}))
	bf := []tensor.BF16{tensor.NewBF16(2), tensor.NewBF16(-8)}
	opstest.Expect(t, op("ReduceMin", 18, 0), []*tensor.Tensor{tensor.New([]int{2}, bf)},
		tensor.New([]int{}, []tensor.BF16{tensor.NewBF16(-8)}))
}

func TestReduceEmpty(t *testing.T) {
	empty := f32([]int{2, 0})
	ax := i64([]int{1}, 1)
	inf := float32(math.Inf(1))
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{empty, ax}, f32([]int{2}, 0, 0))
	opstest.Expect(t, op("ReduceProd", 18, 0), []*tensor.Tensor{empty, ax}, f32([]int{2}, 1, 1))
	opstest.Expect(t, op("ReduceMax", 18, 0), []*tensor.Tensor{empty, ax}, f32([]int{2}, -inf, -inf))
	opstest.Expect(t, op("ReduceMin", 18, 1), []*tensor.Tensor{empty, ax}, f32([]int{2, 1}, inf, inf))
	opstest.Expect(t, op("ReduceLogSumExp", 18, 0), []*tensor.Tensor{empty, ax}, f32([]int{2}, -inf, -inf))
	opstest.Expect(t, op("ReduceMax", 18, 0), []*tensor.Tensor{tensor.New([]int{0}, []int32{})},
		tensor.New([]int{}, []int32{math.MinInt32}))
	// Reducing the non-empty axis keeps the empty one.
	opstest.Expect(t, op("ReduceSum", 13, 0), []*tensor.Tensor{empty, i64([]int{1}, 0)}, f32([]int{0}))
	if _, err := opstest.Run(op("ReduceMean", 18, 0), tensor.New([]int{0}, []int32{})); err == nil {
		t.Error("ReduceMean of an empty int32 tensor: want an error")
	}
}

func TestReduceErrors(t *testing.T) {
	x := f32([]int{2, 2}, 1, 2, 3, 4)
	for _, c := range []struct {
		op   opstest.Op
		in   []*tensor.Tensor
		want string
	}{
		{op("ReduceSum", 13, 0), []*tensor.Tensor{x, i64([]int{1}, 2)}, "out of range"},
		{op("ReduceSum", 13, 0), []*tensor.Tensor{x, i64([]int{2}, 1, -1)}, "repeated"},
		{op("ReduceSum", 13, 0), []*tensor.Tensor{tensor.New([]int{1}, []string{"a"})}, "unsupported"},
		{op("ReduceSum", 13, 0), []*tensor.Tensor{x, f32([]int{1}, 1)}, "int64"},
		{op("ReduceSum", 11, 0), []*tensor.Tensor{x, i64([]int{1}, 1)}, "attribute"},
		{op("ReduceL1", 18, 0), []*tensor.Tensor{tensor.New([]int{1}, []bool{true})}, "bool"},
	} {
		_, err := opstest.Run(c.op, c.in...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.op.Type, err, c.want)
		}
	}
	bad := op("ReduceSum", 13, 2)
	if _, err := opstest.Run(bad, x); err == nil {
		t.Error("keepdims=2: want an error")
	}
}

func TestReduceConcurrent(t *testing.T) {
	// One kernel, many goroutines: results must not interfere.
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			x := f32([]int{2, 2}, float32(g), 1, 2, 3)
			out, err := opstest.Run(op("ReduceSum", 13, 0), x, i64([]int{1}, 1))
			if err == nil {
				err = opstest.Close(out[0], f32([]int{2}, float32(g)+1, 5), 0, 0)
			}
			done <- err
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkReduceMeanLastAxis(b *testing.B) {
	// LayerNorm pattern in BERT-base: [1, 128, 768] over the last axis.
	data := make([]float32, 128*768)
	for i := range data {
		data[i] = float32(i%13) * 0.25
	}
	x := f32([]int{1, 128, 768}, data...)
	ax := i64([]int{1}, -1)
	o := op("ReduceMean", 18, 1)
	b.SetBytes(int64(4 * len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := opstest.Run(o, x, ax); err != nil {
			b.Fatal(err)
		}
	}
}

// naiveSum reduces by visiting every input element and computing its output
// index directly from its multi-index: an independent reference for the
// segment/offset plans of the driver.
func naiveSum(x []float64, shape []int, mask []bool) []float64 {
	var outShape []int
	for i, d := range shape {
		if !mask[i] {
			outShape = append(outShape, d)
		}
	}
	out := make([]float64, ops.Product(outShape))
	idx := make([]int, len(shape))
	for flat := range x {
		rem := flat
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i] = rem % shape[i]
			rem /= shape[i]
		}
		o := 0
		for i, d := range shape {
			if !mask[i] {
				o = o*d + idx[i]
			}
		}
		out[o] += x[flat]
	}
	return out
}

func TestReduceAxisSetsAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		rank := rng.IntN(5)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = rng.IntN(4) // sizes 0..3: size-0 and size-1 dims included
		}
		mask := make([]bool, rank)
		var axes []int64
		for i := range mask {
			if rng.IntN(2) == 0 {
				mask[i] = true
				axes = append(axes, int64(i))
			}
		}
		n := ops.Product(shape)
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(100))
		}
		o := opstest.Op{Type: "ReduceSum", Opset: 13, Attrs: []*graph.Attribute{
			opstest.Int("keepdims", 0), opstest.Int("noop_with_empty_axes", 1)}}
		got, err := opstest.Run(o, tensor.New(shape, x), tensor.New([]int{len(axes)}, axes))
		if err != nil {
			t.Fatalf("shape %v axes %v: %v", shape, axes, err)
		}
		want := naiveSum(x, shape, mask)
		g := tensor.Data[float64](got[0])
		if len(g) != len(want) {
			t.Fatalf("shape %v axes %v: %d outputs, want %d", shape, axes, len(g), len(want))
		}
		for i := range want {
			if g[i] != want[i] {
				t.Fatalf("shape %v axes %v: output %d = %v, want %v", shape, axes, i, g[i], want[i])
			}
		}
	}
}
