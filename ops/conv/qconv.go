package conv

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.Register("", "ConvInteger", 10, func(n *ops.Node) (ops.Kernel, error) {
		a, err := parseAttrs(n, "ConvInteger", false)
		if err != nil {
			return nil, err
		}
		if len(n.Inputs) < 2 || len(n.Inputs) > 4 {
			return nil, fmt.Errorf("ConvInteger takes 2 to 4 inputs, got %d", len(n.Inputs))
		}
		return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return a.runConvInteger(in) }), nil
	})
	ops.Register("", "QLinearConv", 10, func(n *ops.Node) (ops.Kernel, error) {
		a, err := parseAttrs(n, "QLinearConv", false)
		if err != nil {
			return nil, err
		}
		if len(n.Inputs) < 8 || len(n.Inputs) > 9 {
			return nil, fmt.Errorf("QLinearConv takes 8 or 9 inputs, got %d", len(n.Inputs))
		}
		return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return a.runQLinearConv(in) }), nil
	})
}

func is8bit(dt tensor.DType) bool { return dt == tensor.Uint8 || dt == tensor.Int8 }

// zeroPoints reads a zero point that must be a scalar (perChannel 0) or a
// scalar or one value per output channel (perChannel M).
func zeroPoints(op, name string, t *tensor.Tensor, want tensor.DType, perChannel int) ([]int32, error) {
	if t == nil {
		return []int32{0}, nil
	}
	if t.DType() != want {
		return nil, fmt.Errorf("%s: %s has type %v, want %v", op, name, t.DType(), want)
	}
	if t.Len() != 1 && !(perChannel > 0 && t.Rank() == 1 && t.Len() == perChannel) {
		if perChannel > 0 {
			return nil, fmt.Errorf("%s: %s must be a scalar or have %d values (one per output channel), got shape %v", op, name, perChannel, t.Shape())
		}
		return nil, fmt.Errorf("%s: %s must be a scalar, got shape %v", op, name, t.Shape())
	}
	v := t.Int64s()
	o := make([]int32, len(v))
	for i, x := range v {
		o[i] = int32(x)
	}
	return o, nil
}

// intConv computes the int32 convolution sums (x - xZero)·(w - wZero) for
// all images into acc (N×M×outSize).
func intConv(g *geom, x, w *tensor.Tensor, xZero int32, wZero []int32, acc []int32) {
	switch {
	case x.DType() == tensor.Uint8 && w.DType() == tensor.Uint8:
		intConvT(g, tensor.Data[uint8](x), uint8(xZero), tensor.Data[uint8](w), wZero, acc)
	case x.DType() == tensor.Uint8 && w.DType() == tensor.Int8:
		intConvT(g, tensor.Data[uint8](x), uint8(xZero), tensor.Data[int8](w), wZero, acc)
	case x.DType() == tensor.Int8 && w.DType() == tensor.Uint8:
		intConvT(g, tensor.Data[int8](x), int8(xZero), tensor.Data[uint8](w), wZero, acc)
	default:
		intConvT(g, tensor.Data[int8](x), int8(xZero), tensor.Data[int8](w), wZero, acc)
	}
}

func intConvT[TX, TW linalg.Int8](g *geom, x []TX, xZero TX, w []TW, wZero []int32, acc []int32) {
	if len(acc) == 0 || g.cg == 0 || g.kSize == 0 {
		return
	}
	g2 := g.as2D()
	kg := g.cg * g.kSize
	P := g.outSize
	cw := P
	if kg*P > colBudget {
		cw = max(16, colBudget/kg)
	}
	chunks := (P + cw - 1) / cw
	items := g.n * g.groups * chunks
	threads := linalg.DefaultThreads()
	outer, inner := threads, 1
	if items < threads {
		outer, inner = 1, threads
	}
	xz := []int32{int32(xZero)}
	linalg.ParallelN(outer, items, 1, func(lo, hi int) {
		col := make([]TX, kg*min(cw, P))
		for it := lo; it < hi; it++ {
			ch := it % chunks
			gi := (it / chunks) % g.groups
			n := it / (chunks * g.groups)
			j0, j1 := ch*cw, min(P, ch*cw+cw)
			xg := x[(n*g.c+gi*g.cg)*g.inSize : (n*g.c+(gi+1)*g.cg)*g.inSize]
			c := col[:kg*(j1-j0)]
			im2col(g2, xg, xZero, c, j0, j1)
			wz := wZero
			if len(wz) > 1 {
				wz = wz[gi*g.mg : (gi+1)*g.mg]
			}
			linalg.IGemm(inner, g.mg, j1-j0, kg, w[gi*g.mg*kg:(gi+1)*g.mg*kg], kg, wz, c, j1-j0, xz,
				acc[(n*g.m+gi*g.mg)*P+j0:], P)
		}
	})
}

// intInputs validates the shared inputs of ConvInteger and QLinearConv.
func (a *attrs) intInputs(x, w, xzp, wzp *tensor.Tensor) (*geom, int32, []int32, error) {
	if !is8bit(x.DType()) || !is8bit(w.DType()) {
		return nil, 0, nil, fmt.Errorf("%s: x and w must be int8 or uint8, got %v and %v", a.op, x.DType(), w.DType())
	}
	g, err := a.convGeom(x.Shape(), w.Shape())
	if err != nil {
		return nil, 0, nil, err
	}
	xz, err := zeroPoints(a.op, "x_zero_point", xzp, x.DType(), 0)
	if err != nil {
		return nil, 0, nil, err
	}
	wz, err := zeroPoints(a.op, "w_zero_point", wzp, w.DType(), g.m)
	if err != nil {
		return nil, 0, nil, err
	}
	return g, xz[0], wz, nil
}

func (a *attrs) runConvInteger(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w := ops.Input(in, 0), ops.Input(in, 1)
	if x == nil || w == nil {
		return nil, fmt.Errorf("ConvInteger: inputs x and w are required")
	}
	g, xz, wz, err := a.intInputs(x, w, ops.Input(in, 2), ops.Input(in, 3))
	if err != nil {
		return nil, err
	}
	acc := make([]int32, g.n*g.m*g.outSize)
	intConv(g, x, w, xz, wz, acc)
	return []*tensor.Tensor{tensor.New(g.outShape(), acc)}, nil
}

func scalarF32(op, name string, t *tensor.Tensor, perChannel int) ([]float32, error) {
	if t.DType() != tensor.Float32 {
		return nil, fmt.Errorf("%s: %s must be float32, got %v", op, name, t.DType())
	}
	if t.Len() != 1 && !(perChannel > 0 && t.Rank() == 1 && t.Len() == perChannel) {
		return nil, fmt.Errorf("%s: %s must be a scalar (or have %d values per output channel), got shape %v", op, name, perChannel, t.Shape())
	}
	return tensor.Data[float32](t), nil
}

func (a *attrs) runQLinearConv(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	names := []string{"x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale", "y_zero_point"}
	for i, nm := range names {
		if ops.Input(in, i) == nil {
			return nil, fmt.Errorf("QLinearConv: input %s is required", nm)
		}
	}
	x, xs, xzp, w, ws, wzp, ys, yzp, b := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], ops.Input(in, 8)
	g, xz, wz, err := a.intInputs(x, w, xzp, wzp)
	if err != nil {
		return nil, err
	}
	xScale, err := scalarF32(a.op, "x_scale", xs, 0)
	if err != nil {
		return nil, err
	}
	wScale, err := scalarF32(a.op, "w_scale", ws, g.m)
	if err != nil {
		return nil, err
	}
	yScale, err := scalarF32(a.op, "y_scale", ys, 0)
	if err != nil {
		return nil, err
	}
	if !is8bit(yzp.DType()) || yzp.Len() != 1 {
		return nil, fmt.Errorf("QLinearConv: y_zero_point must be an int8 or uint8 scalar, got %v %v", yzp.DType(), yzp.Shape())
	}
	var bias []int32
	if b != nil {
		if b.DType() != tensor.Int32 || b.Rank() != 1 || b.Len() != g.m {
			return nil, fmt.Errorf("QLinearConv: B must be int32 with %d values, got %v %v", g.m, b.DType(), b.Shape())
		}
		bias = tensor.Data[int32](b)
	}
	acc := make([]int32, g.n*g.m*g.outSize)
	intConv(g, x, w, xz, wz, acc)
	yZero := yzp.Float64s()[0]
	// Per output channel, the multiplier x_scale·w_scale/y_scale is formed
	// in float32 and applied to the int32 sum (plus bias) in float64, then
	// rounded half to even and saturated, as the ONNX reference does.
	mult := make([]float64, g.m)
	for m := range mult {
		wsv := wScale[0]
		if len(wScale) > 1 {
			wsv = wScale[m]
		}
		mult[m] = float64(xScale[0] * wsv / yScale[0])
	}
	requant := func(set func(i int, v float64)) {
		for n := 0; n < g.n; n++ {
			for m := 0; m < g.m; m++ {
				base := (n*g.m + m) * g.outSize
				var bv int32
				if bias != nil {
					bv = bias[m]
				}
				for i := base; i < base+g.outSize; i++ {
					set(i, float64(acc[i]+bv)*mult[m]+yZero)
				}
			}
		}
	}
	if yzp.DType() == tensor.Uint8 {
		y := make([]uint8, len(acc))
		requant(func(i int, v float64) { y[i] = linalg.Saturate[uint8](v) })
		return []*tensor.Tensor{tensor.New(g.outShape(), y)}, nil
	}
	y := make([]int8, len(acc))
	requant(func(i int, v float64) { y[i] = linalg.Saturate[int8](v) })
	return []*tensor.Tensor{tensor.New(g.outShape(), y)}, nil
}
