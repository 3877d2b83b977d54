package math

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Max, Min, Sum and Mean take one or more inputs. From opset 8 they
// broadcast multidirectionally; before, all inputs must have one shape.

func init() {
	sumFn := &binFn{types: tFloat, f: addFn.f, f32: addFn.f32}
	ops.RegisterVersions("", "Max", []int{1, 6, 8, 12, 13}, variadic(maxFn, false))
	ops.RegisterVersions("", "Min", []int{1, 6, 8, 12, 13}, variadic(minFn, false))
	ops.RegisterVersions("", "Sum", []int{1, 6, 8, 13}, variadic(sumFn, false))
	ops.RegisterVersions("", "Mean", []int{1, 6, 8, 13}, variadic(sumFn, true))
}

func variadic(s *binFn, mean bool) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		broadcast := n.Opset >= 8
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if len(in) == 0 {
				return nil, fmt.Errorf("needs at least one input")
			}
			for i, t := range in {
				if t == nil {
					return nil, fmt.Errorf("input %d is missing", i)
				}
				if err := s.types.check(fmt.Sprintf("input %d", i), t); err != nil {
					return nil, err
				}
				if err := sameType("0", in[0], fmt.Sprint(i), t); err != nil {
					return nil, err
				}
				if !broadcast && !ops.ShapeEqual(t.Shape(), in[0].Shape()) {
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: before opset 8 all inputs must have the same shape", i, t.Shape(), in[0].Shape())
				}
			}
			acc := in[0]
			if len(in) == 1 {
				acc = acc.Clone()
			}
			for _, t := range in[1:] {
				p, err := newPlan(acc.Shape(), t.Shape())
				if err != nil {
					return nil, err
				}
				if acc, err = s.apply(p, acc, t); err != nil {
					return nil, err
				}
			}
			if mean && len(in) > 1 {
				k := float64(len(in))
				var err error
				acc, err = (&unaryFn{types: tFloat, f: func(x float64) float64 { return x / k }}).apply(acc)
				if err != nil {
					return nil, err
				}
			}
			return rc.TensorResults(acc), nil
		}), nil
	}
}
