package math

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "Where", []int{9, 16}, func(n *ops.Node) (ops.Kernel, error) {
		var plans planCache
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, "condition", "X", "Y"); err != nil {
				return nil, err
			}
			c, x, y := in[0], in[1], in[2]
			if err := tBool.check("input condition", c); err != nil {
				return nil, err
			}
			if err := sameType("X", x, "Y", y); err != nil {
				return nil, err
			}
			cs, xs, ys := c.Shape(), x.Shape(), y.Shape()
			p, err := plans.get(func(p *plan) error { return p.build([][]int{cs, xs, ys}) }, cs, xs, ys)
			if err != nil {
				return nil, err
			}
			out, err := where(p, tensor.Data[bool](c), x, y)
			if err != nil {
				return nil, err
			}
			return rc.TensorResults(out), nil
		}), nil
	})
}

func whereT[T tensor.Elem](p *plan, c []bool, x, y []T) (*tensor.Tensor, error) {
	return wrap(p.out, apply3(p, c, x, y, func(b bool, u, v T) T {
		if b {
			return u
		}
		return v
	}))
}

func where(p *plan, c []bool, x, y *tensor.Tensor) (*tensor.Tensor, error) {
	switch d := x.Data().(type) {
	case []float32:
		return whereT(p, c, d, tensor.Data[float32](y))
	case []float64:
		return whereT(p, c, d, tensor.Data[float64](y))
	case []tensor.F16:
		return whereT(p, c, d, tensor.Data[tensor.F16](y))
	case []tensor.BF16:
		return whereT(p, c, d, tensor.Data[tensor.BF16](y))
	case []int8:
		return whereT(p, c, d, tensor.Data[int8](y))
	case []int16:
		return whereT(p, c, d, tensor.Data[int16](y))
	case []int32:
		return whereT(p, c, d, tensor.Data[int32](y))
	case []int64:
		return whereT(p, c, d, tensor.Data[int64](y))
	case []uint8:
		return whereT(p, c, d, tensor.Data[uint8](y))
	case []uint16:
		return whereT(p, c, d, tensor.Data[uint16](y))
	case []uint32:
		return whereT(p, c, d, tensor.Data[uint32](y))
	case []uint64:
		return whereT(p, c, d, tensor.Data[uint64](y))
	case []bool:
		return whereT(p, c, d, tensor.Data[bool](y))
	case []string:
		return whereT(p, c, d, tensor.Data[string](y))
	}
	return nil, fmt.Errorf("input X has unsupported type %v", x.DType())
}
