package math

import (
	"fmt"
	gomath "math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/vector"
)

func init() {
	ops.RegisterVersions("", "Clip", []int{1, 6, 11, 12, 13}, buildClip)
}

// bounds are a Clip interval in the three computation domains.
type bounds struct {
	flo, fhi float64
	ilo, ihi int64
	ulo, uhi uint64
}

func noBounds() bounds {
	return bounds{
		flo: gomath.Inf(-1), fhi: gomath.Inf(1),
		ilo: gomath.MinInt64, ihi: gomath.MaxInt64,
		ulo: 0, uhi: gomath.MaxUint64,
	}
}

// fn clamps as max then min, so that min > max gives max everywhere, as
// the spec says; NaN stays NaN.
func (b bounds) fn() *unaryFn {
	lo, hi := float32(b.flo), float32(b.fhi) // exact: the bounds of float32 data are float32s
	return &unaryFn{
		types: tNumeric,
		vec:   func(dst, src []float32) { vector.Clip(dst, src, lo, hi) },
		f: func(x float64) float64 {
			if x < b.flo {
				x = b.flo
			}
			if x > b.fhi {
				x = b.fhi
			}
			return x
		},
		i: func(x int64) int64 { return min(max(x, b.ilo), b.ihi) },
		u: func(x uint64) uint64 { return min(max(x, b.ulo), b.uhi) },
	}
}

func buildClip(n *ops.Node) (ops.Kernel, error) {
	if n.Opset < 11 {
		// Opset 1-10: float-only, bounds from attributes that default to
		// the type's lowest and highest finite values.
		var lo, hi *float64
		for _, a := range []struct {
			name string
			dst  **float64
		}{{"min", &lo}, {"max", &hi}} {
			if n.HasAttr(a.name) {
				v, err := n.AttrFloat(a.name, 0)
				if err != nil {
					return nil, err
				}
				f := float64(v)
				*a.dst = &f
			}
		}
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, "input"); err != nil {
				return nil, err
			}
			b := noBounds()
			m := maxFinite(in[0].DType())
			b.flo, b.fhi = -m, m
			if lo != nil {
				b.flo = *lo
			}
			if hi != nil {
				b.fhi = *hi
			}
			u := b.fn()
			u.types = tFloat
			y, err := u.applyRC(rc, in[0])
			if err != nil {
				return nil, err
			}
			return rc.TensorResults(y), nil
		}), nil
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "input"); err != nil {
			return nil, err
		}
		x := in[0]
		b := noBounds()
		for k, name := range []string{"min", "max"} {
			t := ops.Input(in, k+1)
			if t == nil || t.Len() == 0 {
				continue
			}
			if err := sameType("input", x, name, t); err != nil {
				return nil, err
			}
			if t.Len() != 1 {
				return nil, fmt.Errorf("%s must be a scalar, got shape %v", name, t.Shape())
			}
			f := t.Float64s()[0]
			i := t.Int64s()[0]
			var u uint64
			if d := tensor.Data[uint64](t); d != nil {
				u = d[0]
			} else if i > 0 {
				u = uint64(i)
			}
			if k == 0 {
				b.flo, b.ilo, b.ulo = f, i, u
			} else {
				b.fhi, b.ihi, b.uhi = f, i, u
			}
		}
		y, err := b.fn().applyRC(rc, x)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

// maxFinite is the largest finite value of a float dtype.
func maxFinite(dt tensor.DType) float64 {
	switch dt {
	case tensor.Float16:
		return 65504
	case tensor.BFloat16:
		return float64(tensor.BF16(0x7f7f).Float32())
	case tensor.Float64:
		return gomath.MaxFloat64
	}
	return gomath.MaxFloat32
}
