package conv

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "ConvTranspose", []int{1, 11, 22}, buildConvTranspose)
}

type transposeKernel struct {
	a           *attrs
	packed      []*linalg.PackedA // per group: W_gᵀ, (mg·kSize)×cg
	packedDT    tensor.DType
	packedShape []int
}

func buildConvTranspose(n *ops.Node) (ops.Kernel, error) {
	a, err := parseAttrs(n, "ConvTranspose", true)
	if err != nil {
		return nil, err
	}
	if len(n.Inputs) < 2 || len(n.Inputs) > 3 {
		return nil, fmt.Errorf("ConvTranspose takes 2 or 3 inputs, got %d", len(n.Inputs))
	}
	k := &transposeKernel{a: a}
	if w := n.Const(1); w != nil && viaF32(w.DType()) && w.Rank() >= 3 {
		s := w.Shape()
		if s[0]%a.group == 0 && s[0] > 0 {
			wd, err := asF32(w)
			if err != nil {
				return nil, err
			}
			cg := s[0] / a.group
			rows := ops.Product(s[1:]) // mg·kSize
			for g := 0; g < a.group; g++ {
				k.packed = append(k.packed, linalg.NewPackedA(true, rows, cg, wd[g*cg*rows:(g+1)*cg*rows], rows))
			}
			k.packedDT = w.DType()
			k.packedShape = append([]int(nil), s...)
		}
	}
	return ops.Tensors(k.run), nil
}

func (k *transposeKernel) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, b := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if x == nil || w == nil {
		return nil, fmt.Errorf("ConvTranspose: inputs X and W are required")
	}
	g, err := k.a.transposeGeom(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	if err := checkFloatInputs("ConvTranspose", x, w, b, g.m); err != nil {
		return nil, err
	}
	dt := x.DType()
	if dt == tensor.Float64 {
		var bias []float64
		if b != nil {
			bias = tensor.Data[float64](b)
		}
		y := make([]float64, g.n*g.m*g.outSize)
		transposeForward(g, tensor.Data[float64](x), tensor.Data[float64](w), bias, y, nil)
		return []*tensor.Tensor{tensor.New(g.outShape(), y)}, nil
	}
	xd, err := asF32(x)
	if err != nil {
		return nil, err
	}
	var packed []*linalg.PackedA
	var wd []float32
	if k.packedShape != nil && dt == k.packedDT && ops.ShapeEqual(w.Shape(), k.packedShape) {
		packed = k.packed
	} else if wd, err = asF32(w); err != nil {
		return nil, err
	}
	var bias []float32
	if b != nil {
		if bias, err = asF32(b); err != nil {
			return nil, err
		}
	}
	y := make([]float32, g.n*g.m*g.outSize)
	transposeForward(g, xd, wd, bias, y, packed)
	t, err := fromF32(dt, g.outShape(), y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// transposeForward computes y (zeroed) as, per image and group,
// col = W_gᵀ · X_g followed by a scatter-add of col into the output
// (col2im), then adds the bias.
func transposeForward[T float32 | float64](g *geom, x, w, bias []T, y []T, packed []*linalg.PackedA) {
	if len(y) == 0 {
		return
	}
	g2 := g.as2D()
	rows := g.mg * g.kSize
	P := g.inSize
	cw := P
	if rows*P > colBudget {
		cw = max(16, colBudget/max(rows, 1))
	}
	items := g.n * g.groups
	threads := linalg.DefaultThreads()
	outer, inner := threads, 1
	if items < threads {
		outer, inner = 1, threads
	}
	linalg.ParallelN(outer, items, 1, func(lo, hi int) {
		col := make([]T, rows*min(cw, P))
		for it := lo; it < hi; it++ {
			n, gi := it/g.groups, it%g.groups
			xg := x[(n*g.c+gi*g.cg)*P : (n*g.c+(gi+1)*g.cg)*P]
			yg := y[(n*g.m+gi*g.mg)*g.outSize : (n*g.m+(gi+1)*g.mg)*g.outSize]
			for p0 := 0; p0 < P; p0 += cw {
				p1 := min(P, p0+cw)
				c := col[:rows*(p1-p0)]
				switch xt := any(xg).(type) {
				case []float64:
					wt := any(w).([]float64)
					linalg.DgemmN(inner, true, false, rows, p1-p0, g.cg, 1, wt[gi*g.cg*rows:(gi+1)*g.cg*rows], rows, xt[p0:], P, 0, any(c).([]float64), p1-p0)
				case []float32:
					if packed != nil {
						linalg.SgemmPackedA(inner, packed[gi], false, p1-p0, 1, xt[p0:], P, 0, any(c).([]float32), p1-p0)
					} else {
						wt := any(w).([]float32)
						linalg.SgemmN(inner, true, false, rows, p1-p0, g.cg, 1, wt[gi*g.cg*rows:(gi+1)*g.cg*rows], rows, xt[p0:], P, 0, any(c).([]float32), p1-p0)
					}
				}
				col2imAdd(g2, c, yg, p0, p1)
			}
		}
	})
	if bias != nil {
		for n := 0; n < g.n; n++ {
			for m := 0; m < g.m; m++ {
				row := y[(n*g.m+m)*g.outSize : (n*g.m+m+1)*g.outSize]
				v := bias[m]
				for i := range row {
					row[i] += v
				}
			}
		}
	}
}
