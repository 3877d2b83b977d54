package quant

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.Register("", "DynamicQuantizeLinear", 11, func(n *ops.Node) (ops.Kernel, error) {
		if len(n.Inputs) != 1 {
			return nil, fmt.Errorf("DynamicQuantizeLinear takes 1 input, got %d", len(n.Inputs))
		}
		return ops.Tensors(runDynamicQuantize), nil
	})
}

// runDynamicQuantize quantises float32 x to uint8 with a scale and zero
// point chosen from x's range (extended to include 0):
//
//	scale = (max(0, max x) - min(0, min x)) / 255  (1/255 when the range is empty)
//	zero  = round(saturate(0 - min/scale))
//	y     = saturate(round(x/scale) + zero)
//
// all in float32, rounding half to even.
func runDynamicQuantize(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("DynamicQuantizeLinear: input x is required")
	}
	if x.DType() != tensor.Float32 {
		return nil, fmt.Errorf("DynamicQuantizeLinear: x must be float32, got %v", x.DType())
	}
	xs := tensor.Data[float32](x)
	var lo, hi float32
	for _, v := range xs {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	rng := hi - lo
	if hi == lo {
		rng = 1
	}
	scale := rng / 255
	zf := float64(0 - lo/scale)
	zf = math.Max(0, math.Min(255, zf))
	zero := math.RoundToEven(zf)
	y := make([]uint8, len(xs))
	for i, v := range xs {
		y[i] = linalg.Saturate[uint8](math.RoundToEven(float64(v/scale)) + zero)
	}
	yt, err := tensor.FromSlice(x.Shape(), y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{yt, tensor.Scalar(scale), tensor.Scalar(uint8(zero))}, nil
}
