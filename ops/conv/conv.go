package conv

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "Conv", []int{1, 11, 22}, buildConv)
}

// colBudget is the im2col chunk size in elements (1 MiB of float32): the
// output pixels are processed in column chunks whose patch matrix stays in
// L2, and chunks are the unit of parallel work.
var colBudget = 1 << 18 // a variable so tests can force chunking

type convKernel struct {
	a *attrs
	// Pre-packed weights (one PackedA per group) when W is a load-time
	// constant of a float32-computed type.
	packed      []*linalg.PackedA
	packedDT    tensor.DType
	packedShape []int
}

func buildConv(n *ops.Node) (ops.Kernel, error) {
	a, err := parseAttrs(n, "Conv", false)
	if err != nil {
		return nil, err
	}
	if len(n.Inputs) < 2 || len(n.Inputs) > 3 {
		return nil, fmt.Errorf("Conv takes 2 or 3 inputs, got %d", len(n.Inputs))
	}
	k := &convKernel{a: a}
	if w := n.Const(1); w != nil && viaF32(w.DType()) && w.Rank() >= 3 {
		s := w.Shape()
		m := s[0]
		if m%a.group == 0 && m > 0 {
			wd, err := asF32(w)
			if err != nil {
				return nil, err
			}
			mg := m / a.group
			kg := ops.Product(s[1:])
			if !(s[1] == 1 && a.group > 1) { // depthwise runs directly from W
				for g := 0; g < a.group; g++ {
					k.packed = append(k.packed, linalg.NewPackedA(false, mg, kg, wd[g*mg*kg:(g+1)*mg*kg], kg))
				}
			}
			k.packedDT = w.DType()
			k.packedShape = append([]int(nil), s...)
		}
	}
	return ops.Tensors(k.run), nil
}

func viaF32(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float16 || dt == tensor.BFloat16
}

func asF32(t *tensor.Tensor) ([]float32, error) {
	if t.DType() == tensor.Float32 {
		return tensor.Data[float32](t), nil
	}
	c, err := tensor.Convert(t, tensor.Float32)
	if err != nil {
		return nil, err
	}
	return tensor.Data[float32](c), nil
}

func fromF32(dt tensor.DType, shape []int, data []float32) (*tensor.Tensor, error) {
	t, err := tensor.FromSlice(shape, data)
	if err != nil || dt == tensor.Float32 {
		return t, err
	}
	return tensor.Convert(t, dt)
}

// checkFloatInputs validates X, W, B types and B's shape.
func checkFloatInputs(op string, x, w, b *tensor.Tensor, m int) error {
	dt := x.DType()
	if !dt.IsFloat() {
		return fmt.Errorf("%s: X must be a float tensor, got %v", op, dt)
	}
	if w.DType() != dt {
		return fmt.Errorf("%s: W has type %v, want %v like X", op, w.DType(), dt)
	}
	if b != nil {
		if b.DType() != dt {
			return fmt.Errorf("%s: B has type %v, want %v like X", op, b.DType(), dt)
		}
		if b.Rank() != 1 || b.Shape()[0] != m {
			return fmt.Errorf("%s: B must be 1-D with %d values (one per output channel), got shape %v", op, m, b.Shape())
		}
	}
	return nil
}

func (k *convKernel) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, b := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if x == nil || w == nil {
		return nil, fmt.Errorf("Conv: inputs X and W are required")
	}
	g, err := k.a.convGeom(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	if err := checkFloatInputs("Conv", x, w, b, g.m); err != nil {
		return nil, err
	}
	dt := x.DType()
	if dt == tensor.Float64 {
		var bias []float64
		if b != nil {
			bias = tensor.Data[float64](b)
		}
		y := make([]float64, g.n*g.m*g.outSize)
		convForward(g, tensor.Data[float64](x), tensor.Data[float64](w), bias, y, nil)
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
	}
	if packed == nil || isDepthwise(g) {
		if wd, err = asF32(w); err != nil {
			return nil, err
		}
	}
	var bias []float32
	if b != nil {
		if bias, err = asF32(b); err != nil {
			return nil, err
		}
	}
	y := make([]float32, g.n*g.m*g.outSize)
	convForward(g, xd, wd, bias, y, packed)
	t, err := fromF32(dt, g.outShape(), y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func isDepthwise(g *geom) bool { return g.cg == 1 && g.groups > 1 }

// gemmFor returns C(mg×n, ldc) += W_g(mg×kg) · B(kg×n, ldb) for group gi.
func gemmFor[T float32 | float64](g *geom, w []T, packed []*linalg.PackedA) func(threads, gi, n int, b []T, ldb int, c []T, ldc int) {
	kg := g.cg * g.kSize
	mg := g.mg
	switch wt := any(w).(type) {
	case []float64:
		return func(threads, gi, n int, b []T, ldb int, c []T, ldc int) {
			linalg.DgemmN(threads, false, false, mg, n, kg, 1, wt[gi*mg*kg:(gi+1)*mg*kg], kg, any(b).([]float64), ldb, 1, any(c).([]float64), ldc)
		}
	}
	if packed != nil {
		return func(threads, gi, n int, b []T, ldb int, c []T, ldc int) {
			linalg.SgemmPackedA(threads, packed[gi], false, n, 1, any(b).([]float32), ldb, 1, any(c).([]float32), ldc)
		}
	}
	wf := any(w).([]float32)
	return func(threads, gi, n int, b []T, ldb int, c []T, ldc int) {
		linalg.SgemmN(threads, false, false, mg, n, kg, 1, wf[gi*mg*kg:(gi+1)*mg*kg], kg, any(b).([]float32), ldb, 1, any(c).([]float32), ldc)
	}
}

// convForward computes y (N×M×outSize, zeroed) from x, w (nil when packed
// is given) and an optional bias.
func convForward[T float32 | float64](g *geom, x, w, bias []T, y []T, packed []*linalg.PackedA) {
	if len(y) == 0 {
		return
	}
	if bias != nil {
		for n := 0; n < g.n; n++ {
			for m := 0; m < g.m; m++ {
				row := y[(n*g.m+m)*g.outSize : (n*g.m+m+1)*g.outSize]
				v := bias[m]
				for i := range row {
					row[i] = v
				}
			}
		}
	}
	if g.cg == 0 || g.kSize == 0 {
		return
	}
	g2 := g.as2D()
	if isDepthwise(g) && len(g2.in) == 2 {
		depthwise2D(g2, x, w, y)
		return
	}
	gemm := gemmFor(g, w, packed)
	kg := g.cg * g.kSize
	pointwise := true
	for i := range g.kern {
		if g.kern[i] != 1 || g.stride[i] != 1 || g.padB[i] != 0 || g.padE[i] != 0 {
			pointwise = false
		}
	}
	P := g.outSize
	cw := P
	if !pointwise && kg*P > colBudget {
		cw = max(16, colBudget/kg)
	}
	chunks := (P + cw - 1) / cw
	items := g.n * g.groups * chunks
	threads := linalg.DefaultThreads()
	// Work per item in multiply-adds; tiny convolutions stay serial.
	perItem := g.mg * kg * cw
	outer := threads
	if items < threads || perItem < 1<<15 && items < 4*threads {
		outer = 1
	}
	innerThreads := 1
	if outer == 1 {
		innerThreads = threads
	}
	var zero T
	linalg.ParallelN(outer, items, 1, func(lo, hi int) {
		var col []T
		if !pointwise {
			col = make([]T, kg*min(cw, P))
		}
		for it := lo; it < hi; it++ {
			ch := it % chunks
			gi := (it / chunks) % g.groups
			n := it / (chunks * g.groups)
			j0 := ch * cw
			j1 := min(P, j0+cw)
			xg := x[(n*g.c+gi*g.cg)*g.inSize : (n*g.c+(gi+1)*g.cg)*g.inSize]
			yg := y[(n*g.m+gi*g.mg)*P:]
			if pointwise {
				gemm(innerThreads, gi, j1-j0, xg[j0:], P, yg[j0:], P)
				continue
			}
			c := col[:kg*(j1-j0)]
			im2col(g2, xg, zero, c, j0, j1)
			gemm(innerThreads, gi, j1-j0, c, j1-j0, yg[j0:], P)
		}
	})
}

// depthwise2D computes a grouped convolution with one input channel per
// group (depthwise, possibly with a channel multiplier) directly, parallel
// over output channels. y already holds the bias.
func depthwise2D[T float32 | float64](g *geom, x, w, y []T) {
	H, W := g.in[0], g.in[1]
	OH, OW := g.out[0], g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	sh, sw := g.stride[0], g.stride[1]
	total := g.n * g.m
	grain := max(1, (1<<14)/max(1, g.outSize*g.kSize))
	linalg.ParallelN(0, total, grain, func(lo, hi int) {
		for it := lo; it < hi; it++ {
			n, m := it/g.m, it%g.m
			c := m / g.mg
			xc := x[(n*g.c+c)*H*W : (n*g.c+c+1)*H*W]
			wm := w[m*KH*KW : (m+1)*KH*KW]
			ym := y[it*OH*OW : (it+1)*OH*OW]
			for kw := 0; kw < KW; kw++ {
				offW := kw*g.dil[1] - g.padB[1]
				lo, hi := validRange(offW, sw, W, OW)
				if lo >= hi {
					continue
				}
				for kh := 0; kh < KH; kh++ {
					wv := wm[kh*KW+kw]
					offH := kh*g.dil[0] - g.padB[0]
					for oh := 0; oh < OH; oh++ {
						ih := oh*sh + offH
						if ih < 0 || ih >= H {
							continue
						}
						yr := ym[oh*OW+lo : oh*OW+hi]
						xr := xc[ih*W : (ih+1)*W]
						if sw == 1 {
							xs := xr[lo+offW : hi+offW]
							for i := range yr {
								yr[i] += wv * xs[i]
							}
						} else {
							p := lo*sw + offW
							for i := range yr {
								yr[i] += wv * xr[p]
								p += sw
							}
						}
					}
				}
			}
		}
	})
}
