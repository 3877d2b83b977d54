package math

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

func TestElementwiseRecycledOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	x := randF32(rng, 2, 16, 9, 9)
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		for _, y := range []*tensor.Tensor{randF32(rng, 2, 16, 9, 9), randF32(rng, 2, 16, 1, 1), randF32(rng, 9), randF32(rng, 1), randF32(rng, 16, 1, 1)} {
			sameAsZeroed(t, opstest.Op{Type: op, Opset: 14}, x, y)
			sameAsZeroed(t, opstest.Op{Type: op, Opset: 14}, y, x)
		}
	}
	for _, op := range []string{"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs"} {
		sameAsZeroed(t, opstest.Op{Type: op, Opset: 13}, x)
	}
}

func TestClipRecycledOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	x := randF32(rng, 3, 40, 11)
	sameAsZeroed(t, opstest.Op{Type: "Clip", Opset: 13}, x, tensor.New([]int{}, []float32{-0.5}), tensor.New([]int{}, []float32{1}))
	sameAsZeroed(t, opstest.Op{Type: "Clip", Opset: 6, Attrs: []*graph.Attribute{opstest.Float("min", 0), opstest.Float("max", 6)}}, x)
}
