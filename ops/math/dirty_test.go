package math

import (
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
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

var randF32 = opstest.RandF32

// sameAsZeroed runs op with recycled (NaN-filled) output buffers and with
// fresh zeroed ones: the results must be identical.
var sameAsZeroed = opstest.SameWhenDirty

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
