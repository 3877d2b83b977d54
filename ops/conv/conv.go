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
	a    *attrs
	fuse *Fusion // nil for a plain Conv
	// Pre-packed weights (one PackedA per group) when W is a load-time
	// constant of a float32-computed type.
	packed      []*linalg.PackedA
	packedDT    tensor.DType
	packedShape []int
}

func buildConv(n *ops.Node) (ops.Kernel, error) {
	return newConv(n, nil)
}

func newConv(n *ops.Node, fuse *Fusion) (ops.Kernel, error) {
	a, err := parseAttrs(n, "Conv", false)
	if err != nil {
		return nil, err
	}
	maxIn := 3
	if fuse != nil && fuse.Residual {
		maxIn = 4
	}
	if len(n.Inputs) < 2 || len(n.Inputs) > maxIn {
		return nil, fmt.Errorf("Conv takes 2 to %d inputs, got %d", maxIn, len(n.Inputs))
	}
	k := &convKernel{a: a, fuse: fuse}
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
				// Runs with this W use the packed copy only.
				n.ConsumeConst(1)
			}
			k.packedDT = w.DType()
			k.packedShape = append([]int(nil), s...)
		}
	}
	return ops.TensorsRC(k.kernel), nil
}

// kernel adapts run to ops.TensorFuncRC, passing on the run's thread budget.
func (k *convKernel) kernel(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	threads := 0
	if rc != nil {
		threads = rc.Threads
	}
	out, err := k.run(rc, threads, in)
	if err != nil {
		return nil, err
	}
	return out[:1], nil
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

// run computes Conv on up to threads goroutines (<= 0: linalg.DefaultThreads()).
// A float32 output comes from rc's recycled buffers (rc may be nil).
func (k *convKernel) run(rc *ops.RunContext, threads int, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
	var z *tensor.Tensor
	if k.fuse != nil && k.fuse.Residual {
		if z = ops.Input(in, 3); z == nil {
			return nil, fmt.Errorf("Conv: the fused residual input Z is missing")
		}
		if z.DType() != dt {
			return nil, fmt.Errorf("Conv: Z has type %v, want %v like X", z.DType(), dt)
		}
	}
	if dt == tensor.Float64 {
		var bias []float64
		if b != nil {
			bias = tensor.Data[float64](b)
		}
		y := make([]float64, g.n*g.m*g.outSize)
		convForward(g, tensor.Data[float64](x), tensor.Data[float64](w), bias, y, nil, threads, nil)
		if k.fuse != nil {
			if err := fuse64(k.fuse, y, g.outShape(), z); err != nil {
				return nil, err
			}
		}
		return rc.TensorResults(tensor.New(g.outShape(), y)), nil
	}
	var fu *f32Fusion
	if k.fuse != nil {
		fu = &f32Fusion{f: k.fuse}
		if z != nil {
			if fu.res, err = residualF32(z, g.outShape()); err != nil {
				return nil, err
			}
		}
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
	if dt == tensor.Float32 {
		// Every element is written unless the product is empty (no
		// input channels or an empty kernel), where y holds the bias.
		yt, err := rc.NewFloat32(g.outShape(), !convWritesAll(g))
		if err != nil {
			return nil, err
		}
		convForward(g, xd, wd, bias, tensor.Data[float32](yt), packed, threads, fu)
		return rc.TensorResults(yt), nil
	}
	y := make([]float32, g.n*g.m*g.outSize)
	convForward(g, xd, wd, bias, y, packed, threads, fu)
	t, err := fromF32(dt, g.outShape(), y)
	if err != nil {
		return nil, err
	}
	return rc.TensorResults(t), nil
}

func isDepthwise(g *geom) bool { return g.cg == 1 && g.groups > 1 }

// convWritesAll reports whether float32 convForward stores every element
// of y (so y need not be zeroed first): the depthwise kernel and the GEMM
// (beta 0) do; an empty product only adds the bias to zeros.
func convWritesAll(g *geom) bool { return g.cg > 0 && g.kSize > 0 }

// gemmFor returns the product for group gi: C = W_g(mg×kg) · B(kg×n, ldb)
// + bias_g where C is the mg×n block of y at offset off (leading
// dimension ldc). The float32 versions add the bias (and a fusion's
// residual and activation) in the GEMM epilogue and overwrite C; the float64
// one accumulates into C (which holds the bias).
func gemmFor[T float32 | float64](g *geom, w, bias []T, packed []*linalg.PackedA, fu *f32Fusion) func(threads, gi, n int, b []T, ldb int, y []T, off, ldc int) {
	kg := g.cg * g.kSize
	mg := g.mg
	switch wt := any(w).(type) {
	case []float64:
		return func(threads, gi, n int, b []T, ldb int, y []T, off, ldc int) {
			linalg.DgemmN(threads, false, false, mg, n, kg, 1, wt[gi*mg*kg:(gi+1)*mg*kg], kg, any(b).([]float64), ldb, 1, any(y).([]float64)[off:], ldc)
		}
	}
	bf, _ := any(bias).([]float32)
	epi := func(gi, off, ldc int) linalg.Epilogue {
		var e linalg.Epilogue
		if bf != nil {
			e.Bias, e.BiasPerRow = bf[gi*mg:(gi+1)*mg], true
		}
		if fu != nil {
			e.Act, e.Alpha, e.Beta = fu.f.Act, fu.f.Alpha, fu.f.Beta
			if fu.res != nil {
				e.Residual, e.LdResidual = fu.res[off:], ldc
			}
		}
		return e
	}
	if packed != nil {
		return func(threads, gi, n int, b []T, ldb int, y []T, off, ldc int) {
			linalg.SgemmPackedA(threads, packed[gi], false, n, 1, any(b).([]float32), ldb, 0, any(y).([]float32)[off:], ldc, epi(gi, off, ldc))
		}
	}
	wf := any(w).([]float32)
	return func(threads, gi, n int, b []T, ldb int, y []T, off, ldc int) {
		linalg.SgemmN(threads, false, false, mg, n, kg, 1, wf[gi*mg*kg:(gi+1)*mg*kg], kg, any(b).([]float32), ldb, 0, any(y).([]float32)[off:], ldc, epi(gi, off, ldc))
	}
}

// convForward computes y (N×M×outSize, zeroed) from x, w (nil when packed
// is given) and an optional bias, on up to threads goroutines (<= 0:
// linalg.DefaultThreads()). A float32 fusion fu (may be nil) is applied
// to y too.
func convForward[T float32 | float64](g *geom, x, w, bias []T, y []T, packed []*linalg.PackedA, threads int, fu *f32Fusion) {
	if len(y) == 0 {
		return
	}
	if threads <= 0 {
		threads = linalg.DefaultThreads()
	}
	if isDepthwise(g) && g.kSize > 0 && len(g.in) <= 2 {
		if xf, ok := any(x).([]float32); ok {
			depthwiseF32(g.as2D(), xf, any(w).([]float32), any(bias).([]float32), any(y).([]float32), threads, fu)
			return
		}
	}
	_, isF32 := any(x).([]float32)
	gemmRuns := g.cg > 0 && g.kSize > 0 && !(isDepthwise(g) && len(g.in) <= 2)
	if bias != nil && !(isF32 && gemmRuns) { // float32 GEMMs add the bias in their epilogue
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
		if yf, ok := any(y).([]float32); ok && fu != nil {
			fu.apply(yf, 0)
		}
		return
	}
	g2 := g.as2D()
	if isDepthwise(g) && len(g2.in) == 2 {
		depthwise2D(g2, x, w, y, threads)
		return
	}
	gemm := gemmFor(g, w, bias, packed, fu)
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
	if ng := g.n * g.groups; chunks > 1 && threads > 1 && ng%threads != 0 && ng < 4*threads {
		// Workers take contiguous ranges of items: make the chunk count a
		// multiple of the thread count so that none gets an extra chunk
		// (7 chunks on 2 threads ran 4 against 3), with chunk widths a
		// multiple of 16 columns for the GEMM's tiles.
		want := (chunks + threads - 1) / threads * threads
		cw = ((P+want-1)/want + 15) &^ 15
		chunks = (P + cw - 1) / cw
	}
	items := g.n * g.groups * chunks
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
		var col, plane []T
		if !pointwise {
			if _, ok := any(x).([]float32); ok {
				sp := getScratch(kg * min(cw, P))
				defer putScratch(sp)
				col = any(*sp).([]T)
			} else {
				col = make([]T, kg*min(cw, P))
			}
		}
		for it := lo; it < hi; it++ {
			ch := it % chunks
			gi := (it / chunks) % g.groups
			n := it / (chunks * g.groups)
			j0 := ch * cw
			j1 := min(P, j0+cw)
			xg := x[(n*g.c+gi*g.cg)*g.inSize : (n*g.c+(gi+1)*g.cg)*g.inSize]
			off := (n*g.m+gi*g.mg)*P + j0
			if pointwise {
				gemm(innerThreads, gi, j1-j0, xg[j0:], P, y, off, P)
				continue
			}
			c := col[:kg*(j1-j0)]
			if !im2colPadded(g2, xg, zero, c, j0, j1, &plane) {
				im2col(g2, xg, zero, c, j0, j1)
			}
			gemm(innerThreads, gi, j1-j0, c, j1-j0, y, off, P)
		}
	})
}

// depthwise2D computes a grouped convolution with one input channel per
// group (depthwise, possibly with a channel multiplier) directly, parallel
// over output channels. y already holds the bias.
func depthwise2D[T float32 | float64](g *geom, x, w, y []T, threads int) {
	H, W := g.in[0], g.in[1]
	OH, OW := g.out[0], g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	sh, sw := g.stride[0], g.stride[1]
	total := g.n * g.m
	grain := max(1, (1<<14)/max(1, g.outSize*g.kSize))
	linalg.ParallelN(threads, total, grain, func(lo, hi int) {
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
