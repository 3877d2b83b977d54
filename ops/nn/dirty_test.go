package nn

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	gomath "math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// nanAlloc hands out buffers full of NaN, like the engine's recycled
// memory: a kernel that asks for an unzeroed output and then misses an
// element shows NaN there.
type nanAlloc struct{}

func (nanAlloc) Float32(n int) []float32 {
	b := make([]float32, n)
	for i := range b {
		b[i] = float32(gomath.NaN())
	}
	return b
}

// runWithAlloc runs op like opstest.Run but with a recycling allocator.
func runWithAlloc(op opstest.Op, inputs ...*tensor.Tensor) (*tensor.Tensor, error) {
	g := &graph.Node{Name: "test", OpType: op.Type, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for _, a := range op.Attrs {
		g.Attrs[a.Name] = a
	}
	vals := make([]tensor.Value, len(inputs))
	for i, t := range inputs {
		g.Inputs = append(g.Inputs, fmt.Sprintf("in%d", i))
		vals[i] = t
	}
	b, ok := ops.Lookup("", op.Type, op.Opset)
	if !ok {
		return nil, fmt.Errorf("no kernel for %s", op.Type)
	}
	k, err := b(&ops.Node{Node: g, Opset: op.Opset, Consts: make([]*tensor.Tensor, len(inputs))})
	if err != nil {
		return nil, err
	}
	outs, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 2, Alloc: nanAlloc{}}, vals)
	if err != nil {
		return nil, err
	}
	return outs[0].(*tensor.Tensor), nil
}

func randF32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	v := make([]float32, ops.Product(shape))
	for i := range v {
		v[i] = float32(rng.Intn(17)-8) / 4
	}
	return tensor.New(shape, v)
}

// sameAsZeroed runs op with recycled (NaN-filled) output buffers and with
// fresh zeroed ones: the results must be identical.
func sameAsZeroed(t *testing.T, op opstest.Op, inputs ...*tensor.Tensor) {
	t.Helper()
	got, err := runWithAlloc(op, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", op.Type, err)
	}
	want := opstest.MustRun(t, op, inputs...)[0]
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	if !ops.ShapeEqual(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", op.Type, got.Shape(), want.Shape())
	}
	for i := range w {
		if g[i] != w[i] && !(gomath.IsNaN(float64(w[i])) && gomath.IsNaN(float64(g[i]))) {
			t.Fatalf("%s %v: y[%d] = %v, want %v", op.Type, op.Attrs, i, g[i], w[i])
		}
	}
}

func TestPoolRecycledOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, c := range []struct {
		k, s, pad, h, w int
		ceil            int64
	}{{3, 2, 1, 112, 112, 0}, {3, 2, 0, 13, 13, 1}, {2, 2, 0, 9, 9, 1}, {3, 1, 1, 10, 7, 0}, {5, 3, 2, 11, 12, 1}} {
		for _, typ := range []string{"MaxPool", "AveragePool"} {
			op := opstest.Op{Type: typ, Opset: 12, Attrs: []*graph.Attribute{opstest.Ints("kernel_shape", int64(c.k), int64(c.k)),
				opstest.Ints("strides", int64(c.s), int64(c.s)), opstest.Ints("pads", int64(c.pad), int64(c.pad), int64(c.pad), int64(c.pad)),
				opstest.Int("ceil_mode", c.ceil)}}
			sameAsZeroed(t, op, randF32(rng, 2, 3, c.h, c.w))
		}
	}
	for _, typ := range []string{"GlobalAveragePool", "GlobalMaxPool"} {
		sameAsZeroed(t, opstest.Op{Type: typ, Opset: 1}, randF32(rng, 2, 600, 7, 7))
	}
	// 1-D and 3-D max pooling.
	sameAsZeroed(t, opstest.Op{Type: "MaxPool", Opset: 12, Attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 3)}}, randF32(rng, 2, 3, 2000))
	sameAsZeroed(t, opstest.Op{Type: "MaxPool", Opset: 12, Attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2, 2)}}, randF32(rng, 1, 2, 12, 12, 12))
}

func TestBatchNormRecycledOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	v := randF32(rng, 5)
	for i, f := range tensor.Data[float32](v) {
		tensor.Data[float32](v)[i] = f*f + 0.5 // variances > 0
	}
	sameAsZeroed(t, opstest.Op{Type: "BatchNormalization", Opset: 15}, randF32(rng, 2, 5, 7, 9), randF32(rng, 5), randF32(rng, 5), randF32(rng, 5), v)
}
