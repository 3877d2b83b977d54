package math

import (
	"fmt"
	gomath "math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Pow: from opset 12 the exponent may have another numeric type than the
// base; the output has the base's type. Integer bases with integer
// exponents are computed exactly (wrapping like C on overflow); everything
// else goes through float64 pow.

var (
	powBase     = tFloat | setOf(tensor.Int32, tensor.Int64)
	powExponent = tNumeric
)

func init() {
	ops.RegisterVersions("", "Pow", []int{1, 7, 12, 13, 15}, func(n *ops.Node) (ops.Kernel, error) {
		mixed := n.Opset >= 12
		return binaryKernel(n, func(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
			if err := powBase.check("base X", a); err != nil {
				return nil, err
			}
			if err := powExponent.check("exponent Y", b); err != nil {
				return nil, err
			}
			if !mixed {
				if err := sameType("X", a, "Y", b); err != nil {
					return nil, fmt.Errorf("%w (before opset 12)", err)
				}
			}
			return pow(p, a, b)
		})
	})
}

// ipow is x**e with wrapping integer arithmetic; negative exponents give
// the truncated real result (0 unless |x| is 1).
func ipow(x, e int64) int64 {
	if e < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if e&1 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for e > 0 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}

func pow(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	intExp := b.DType().IsInteger()
	var ei []int64
	var ef []float64
	if intExp {
		if d := tensor.Data[uint64](b); d != nil {
			ei = apply1(d, func(v uint64) int64 { return int64(min(v, gomath.MaxInt64)) })
		} else {
			ei = b.Int64s()
		}
	} else {
		ef = b.Float64s()
	}
	switch x := a.Data().(type) {
	case []float32:
		if intExp {
			return wrap(p.out, apply2(p, x, ei, func(u float32, e int64) float32 { return float32(gomath.Pow(float64(u), float64(e))) }))
		}
		return wrap(p.out, apply2(p, x, ef, func(u float32, e float64) float32 { return float32(gomath.Pow(float64(u), e)) }))
	case []float64:
		if intExp {
			return wrap(p.out, apply2(p, x, ei, func(u float64, e int64) float64 { return gomath.Pow(u, float64(e)) }))
		}
		return wrap(p.out, apply2(p, x, ef, gomath.Pow))
	case []tensor.F16:
		if intExp {
			ef = apply1(ei, func(v int64) float64 { return float64(v) })
		}
		return wrap(p.out, apply2(p, x, ef, func(u tensor.F16, e float64) tensor.F16 { return toF16(gomath.Pow(float64(u.Float32()), e)) }))
	case []tensor.BF16:
		if intExp {
			ef = apply1(ei, func(v int64) float64 { return float64(v) })
		}
		return wrap(p.out, apply2(p, x, ef, func(u tensor.BF16, e float64) tensor.BF16 { return toBF16(gomath.Pow(float64(u.Float32()), e)) }))
	case []int32:
		return intPow(p, x, ei, ef)
	case []int64:
		return intPow(p, x, ei, ef)
	}
	return nil, fmt.Errorf("base type %v is not supported", a.DType())
}

func intPow[T ops.Signed](p *plan, x []T, ei []int64, ef []float64) (*tensor.Tensor, error) {
	if ei != nil || ef == nil {
		return wrap(p.out, apply2(p, x, ei, func(u T, e int64) T { return T(ipow(int64(u), e)) }))
	}
	return wrap(p.out, apply2(p, x, ef, func(u T, e float64) T { return f64ToInt[T](gomath.Pow(float64(u), e)) }))
}
