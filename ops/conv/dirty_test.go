package conv

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// runWithAlloc runs op with recycled (NaN-filled) output memory.
func runWithAlloc(op opstest.Op, inputs ...*tensor.Tensor) (*tensor.Tensor, error) {
	op.Dirty = true
	outs, err := opstest.Run(op, inputs...)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// TestConvRecycledOutput: with unzeroed (NaN-filled) output buffers, every
// conv path (GEMM with im2col, pointwise, depthwise row and flat kernels,
// strides 1 and 2) must still give the naive result.
func TestConvRecycledOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	type tc struct{ c, m, group, h, w, k, s, pad, dil int }
	for _, c := range []tc{
		{4, 6, 1, 9, 11, 3, 1, 1, 1}, {4, 6, 1, 9, 11, 3, 2, 1, 1}, {3, 5, 1, 16, 16, 7, 2, 3, 1}, {5, 4, 1, 8, 8, 1, 1, 0, 1},
		{6, 4, 1, 8, 8, 1, 2, 0, 1}, {4, 4, 1, 10, 10, 3, 1, 2, 2},
		{8, 8, 8, 7, 7, 3, 1, 1, 1}, {8, 8, 8, 14, 14, 3, 2, 1, 1}, {8, 8, 8, 30, 30, 5, 1, 2, 1}, {8, 8, 8, 56, 56, 3, 1, 1, 1},
		{8, 8, 8, 57, 57, 3, 2, 1, 1}, {4, 8, 4, 20, 20, 3, 1, 1, 1},
	} {
		o := func(in int) int { return (in+2*c.pad-(c.k-1)*c.dil-1)/c.s + 1 }
		xs, ws := []int{1, c.c, c.h, c.w}, []int{c.m, c.c / c.group, c.k, c.k}
		x, w, b := randVals(rng, ops.Product(xs)), randVals(rng, ops.Product(ws)), randVals(rng, c.m)
		want := naiveConv(x, xs, w, ws, b, c.group, []int{c.s, c.s}, []int{c.dil, c.dil}, []int{c.pad, c.pad}, []int{o(c.h), o(c.w)})
		op := opstest.Op{Type: "Conv", Opset: 11, Attrs: []*graph.Attribute{opstest.Int("group", int64(c.group)),
			opstest.Ints("strides", int64(c.s), int64(c.s)), opstest.Ints("dilations", int64(c.dil), int64(c.dil)),
			opstest.Ints("pads", int64(c.pad), int64(c.pad), int64(c.pad), int64(c.pad))}}
		got, err := runWithAlloc(op, f32T(t, xs, x), f32T(t, ws, w), f32T(t, []int{c.m}, b))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		g := got.Float64s()
		if len(g) != len(want) {
			t.Fatalf("%+v: %d outputs, want %d", c, len(g), len(want))
		}
		for i := range want {
			if math.IsNaN(g[i]) || math.Abs(g[i]-want[i]) > 1e-4*(1+math.Abs(want[i])) {
				t.Fatalf("%+v: y[%d] = %v, want %v", c, i, g[i], want[i])
			}
		}
	}
}

func f32T(t *testing.T, shape []int, v []float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64s(tensor.Float32, shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
