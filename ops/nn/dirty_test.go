package nn

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
