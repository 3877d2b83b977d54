package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// LayerNormalization, RMSNormalization, GroupNormalization,
// MeanVarianceNormalization and LRN.

func init() {
	ops.Register("", "LayerNormalization", 17, buildLayerNorm(false))
	ops.Register("", "RMSNormalization", 23, buildLayerNorm(true))
	ops.RegisterVersions("", "GroupNormalization", []int{18, 21}, buildGroupNorm)
	ops.RegisterVersions("", "MeanVarianceNormalization", []int{9, 13}, buildMVN)
	ops.RegisterVersions("", "LRN", []int{1, 13}, buildLRN)
}

type layerNorm struct {
	op        string
	rms       bool
	axis      int
	eps       float64
	stash     tensor.DType
	wantMean  bool
	wantInvSD bool
}

func buildLayerNorm(rms bool) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		ln := &layerNorm{op: "LayerNormalization", rms: rms}
		if rms {
			ln.op = "RMSNormalization"
		}
		axis, err := n.AttrInt("axis", -1)
		if err != nil {
			return nil, err
		}
		eps, err := n.AttrFloat("epsilon", 1e-5)
		if err != nil {
			return nil, err
		}
		st, err := n.AttrInt("stash_type", 1)
		if err != nil {
			return nil, err
		}
		ln.axis, ln.eps, ln.stash = int(axis), float64(eps), tensor.DType(st)
		if !isFloatType(ln.stash) {
			return nil, fmt.Errorf("%s: stash_type must name a float type (1 float32, 11 float64, 10 float16, 16 bfloat16), got %d", ln.op, st)
		}
		if !rms {
			ln.wantMean, ln.wantInvSD = n.HasOutput(1), n.HasOutput(2)
		}
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if y, ok, err := ln.fast32(rc, in); ok || err != nil {
				if err != nil {
					return nil, err
				}
				return rc.TensorResults(y), nil
			}
			return ln.run(in)
		}), nil
	}
}

// rowOf reports whether a parameter of shape ps covers exactly the
// normalised dims (shape[axis:]), up to leading 1s: then its elements are
// one row, used as they are.
func rowOf(ps, shape []int, axis int) bool {
	if len(ps) > len(shape) {
		return false
	}
	for len(ps) > 0 && ps[0] == 1 && len(ps) > len(shape)-axis {
		ps = ps[1:]
	}
	sub := shape[axis:]
	for len(sub) > len(ps) && sub[0] == 1 {
		sub = sub[1:]
	}
	return ops.ShapeEqual(ps, sub)
}

// fast32 is the float32 path for the common case (float32 X, scale and
// bias one row each, only Y wanted): per row, SIMD sum, centre, sum of
// squares, then scale and shift, into an output from rc's allocator. ok is
// false when the inputs do not fit it.
func (ln *layerNorm) fast32(rc *ops.RunContext, in []*tensor.Tensor) (*tensor.Tensor, bool, error) {
	if ln.wantMean || ln.wantInvSD || ln.stash != tensor.Float32 {
		return nil, false, nil
	}
	x, sc := ops.Input(in, 0), ops.Input(in, 1)
	if x == nil || sc == nil || x.DType() != tensor.Float32 || sc.DType() != tensor.Float32 {
		return nil, false, nil
	}
	shape := x.Shape()
	axis, err := ops.NormAxis(ln.axis, len(shape))
	if err != nil || !rowOf(sc.Shape(), shape, axis) {
		return nil, false, nil
	}
	b := ops.Input(in, 2)
	if ln.rms {
		b = nil
	}
	if b != nil && (b.DType() != tensor.Float32 || !rowOf(b.Shape(), shape, axis)) {
		return nil, false, nil
	}
	rows, n := ops.Product(shape[:axis]), ops.Product(shape[axis:])
	y, err := rc.NewFloat32(shape, false)
	if err != nil {
		return nil, true, fmt.Errorf("%s: output: %w", ln.op, err)
	}
	if n == 0 {
		return y, true, nil
	}
	xd, yd, sd := tensor.Data[float32](x), tensor.Data[float32](y), tensor.Data[float32](sc)[:n]
	var bd []float32
	if b != nil {
		bd = tensor.Data[float32](b)[:n]
	}
	eps, rms := ln.eps, ln.rms
	threads := rc.ThreadCount()
	if rows*n < 1<<15 || rows < 2 || threads <= 1 {
		// Called directly: a closure passed to ParallelN is allocated.
		normRows(xd, yd, sd, bd, n, 0, rows, eps, rms)
	} else {
		linalg.ParallelN(threads, rows, 1, func(lo, hi int) { normRows(xd, yd, sd, bd, n, lo, hi, eps, rms) })
	}
	return y, true, nil
}

// normRows normalises rows [lo, hi) of xd (n values each) into yd:
// centred (unless rms), divided by the root mean square, times sd, plus bd
// (nil: none).
func normRows(xd, yd, sd, bd []float32, n, lo, hi int, eps float64, rms bool) {
	for r := lo; r < hi; r++ {
		xs, ys := xd[r*n:(r+1)*n], yd[r*n:(r+1)*n]
		var mean float32
		if !rms {
			mean = vector.Sum(xs) / float32(n)
			vector.SubScalar(ys, xs, mean)
		} else {
			copy(ys, xs)
		}
		inv := float32(1 / math.Sqrt(float64(sumSquares(ys))/float64(n)+eps))
		vector.MulScalar(ys, ys, inv)
		vector.Mul(ys, ys, sd)
		if bd != nil {
			vector.Add(ys, ys, bd)
		}
	}
}

// sumSquares is Σ v² with eight partial sums (float32, for rows of
// centred values; the partial sums keep the rounding error small).
func sumSquares(v []float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		s[0] += w[0] * w[0]
		s[1] += w[1] * w[1]
		s[2] += w[2] * w[2]
		s[3] += w[3] * w[3]
		s[4] += w[4] * w[4]
		s[5] += w[5] * w[5]
		s[6] += w[6] * w[6]
		s[7] += w[7] * w[7]
	}
	for ; i < len(v); i++ {
		s[0] += v[i] * v[i]
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// rowParam expands a parameter that broadcasts unidirectionally to shape.
// When it is constant across the dims before axis it returns one row of
// prod(shape[axis:]) values (full false); otherwise the whole broadcast
// tensor (full true).
func rowParam(op, name string, t *tensor.Tensor, shape []int, axis int) ([]float64, bool, error) {
	ts := t.Shape()
	if len(ts) > len(shape) {
		return nil, false, fmt.Errorf("%s: %s shape %v does not broadcast to input shape %v", op, name, ts, shape)
	}
	off := len(shape) - len(ts)
	for i, d := range ts {
		if d != 1 && d != shape[off+i] {
			return nil, false, fmt.Errorf("%s: %s shape %v does not broadcast to input shape %v", op, name, ts, shape)
		}
	}
	v := toFloat64s(t)
	st := ops.BroadcastStrides(ts, shape)
	rowOnly := true
	for _, s := range st[:axis] {
		if s != 0 {
			rowOnly = false
		}
	}
	sub := shape[axis:]
	if !rowOnly {
		sub = shape
		st = st[:]
	} else {
		st = st[axis:]
	}
	n := ops.Product(sub)
	if rowOnly && len(v) == n {
		return v, false, nil
	}
	out := make([]float64, n)
	idx := make([]int, len(sub))
	pos := 0
	for j := 0; j < n; j++ {
		out[j] = v[pos]
		for d := len(sub) - 1; d >= 0; d-- {
			idx[d]++
			pos += st[d]
			if idx[d] < sub[d] {
				break
			}
			pos -= st[d] * sub[d]
			idx[d] = 0
		}
	}
	return out, !rowOnly, nil
}

func (ln *layerNorm) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat(ln.op, "X", x); err != nil {
		return nil, err
	}
	sc := ops.Input(in, 1)
	if err := checkFloat(ln.op, "scale", sc); err != nil {
		return nil, err
	}
	shape := x.Shape()
	axis, err := ops.NormAxis(ln.axis, len(shape))
	if err != nil {
		return nil, fmt.Errorf("%s: attribute axis: %v", ln.op, err)
	}
	scale, scaleFull, err := rowParam(ln.op, "scale", sc, shape, axis)
	if err != nil {
		return nil, err
	}
	var bias []float64
	biasFull := false
	if b := ops.Input(in, 2); b != nil && !ln.rms {
		if err := checkFloat(ln.op, "B", b); err != nil {
			return nil, err
		}
		if bias, biasFull, err = rowParam(ln.op, "B", b, shape, axis); err != nil {
			return nil, err
		}
	}
	rows, n := ops.Product(shape[:axis]), ops.Product(shape[axis:])
	var mean, inv []float64
	if ln.wantMean || ln.wantInvSD {
		mean, inv = make([]float64, rows), make([]float64, rows)
	}
	p := &lnParams{rows: rows, n: n, eps: ln.eps, rms: ln.rms, scale: scale, scaleFull: scaleFull,
		bias: bias, biasFull: biasFull, mean: mean, inv: inv}
	y, err := runFloat(x, shape,
		func(x, y []float32) error { layerNormKernel(p, x, y); return nil },
		func(x, y []float64) error { layerNormKernel(p, x, y); return nil })
	if err != nil {
		return nil, err
	}
	outs := []*tensor.Tensor{y}
	if ln.wantMean || ln.wantInvSD {
		sshape := append([]int{}, shape...)
		for i := axis; i < len(sshape); i++ {
			sshape[i] = 1
		}
		for i, v := range [][]float64{mean, inv} {
			if (i == 0 && !ln.wantMean) || (i == 1 && !ln.wantInvSD) {
				outs = append(outs, nil)
				continue
			}
			t, err := fromFloat64s(ln.stash, sshape, v)
			if err != nil {
				return nil, err
			}
			outs = append(outs, t)
		}
	}
	return outs, nil
}

type lnParams struct {
	rows, n             int
	eps                 float64
	rms                 bool
	scale, bias         []float64
	scaleFull, biasFull bool
	mean, inv           []float64 // optional per-row outputs
}

// layerNormKernel normalises each row of n elements: one pass for the
// statistics (float64 accumulators), one to write the output.
func layerNormKernel[T ops.Float](p *lnParams, x, y []T) {
	n := p.n
	// Row-constant parameters in the compute type, converted once per run.
	var sc, bs []T
	if !p.scaleFull {
		sc = make([]T, n)
		for i, v := range p.scale {
			sc[i] = T(v)
		}
	}
	if p.bias != nil && !p.biasFull {
		bs = make([]T, n)
		for i, v := range p.bias {
			bs[i] = T(v)
		}
	}
	parallelFor(p.rows, p.rows*n*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, ys := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			var mean, inv float64
			if p.rms {
				var ss float64
				for _, v := range xs {
					ss += float64(v) * float64(v)
				}
				inv = 1 / math.Sqrt(ss/float64(n)+p.eps)
			} else {
				mean, inv = meanInvStd(xs, p.eps)
			}
			if p.mean != nil {
				p.mean[r], p.inv[r] = mean, inv
			}
			m, iv := T(mean), T(inv)
			rsc, rbs := sc, bs
			if p.scaleFull {
				rsc = nil
			}
			switch {
			case rsc != nil && rbs != nil:
				rsc, rbs = rsc[:len(xs)], rbs[:len(xs)]
				for i, v := range xs {
					ys[i] = (v-m)*iv*rsc[i] + rbs[i]
				}
			case rsc != nil && p.bias == nil:
				rsc = rsc[:len(xs)]
				for i, v := range xs {
					ys[i] = (v - m) * iv * rsc[i]
				}
			default:
				for i, v := range xs {
					var s, b float64
					if p.scaleFull {
						s = p.scale[r*n+i]
					} else {
						s = p.scale[i]
					}
					if p.bias != nil {
						if p.biasFull {
							b = p.bias[r*n+i]
						} else {
							b = p.bias[i]
						}
					}
					ys[i] = T((float64(v)-mean)*inv*s + b)
				}
			}
		}
	})
}

// GroupNormalization.

type groupNorm struct {
	groups  int
	eps     float64
	opset   int
	perChan bool
}

func buildGroupNorm(n *ops.Node) (ops.Kernel, error) {
	g, err := n.AttrInt("num_groups", 0)
	if err != nil {
		return nil, err
	}
	if !n.HasAttr("num_groups") || g <= 0 {
		return nil, fmt.Errorf("GroupNormalization: attribute num_groups is required and must be positive, got %d", g)
	}
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	if _, err := n.AttrInt("stash_type", 1); err != nil {
		return nil, err
	}
	return ops.Tensors((&groupNorm{groups: int(g), eps: float64(eps), opset: n.Opset}).run), nil
}

func (gn *groupNorm) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat("GroupNormalization", "X", x); err != nil {
		return nil, err
	}
	for i, nm := range []string{"scale", "bias"} {
		if err := checkFloat("GroupNormalization", nm, ops.Input(in, i+1)); err != nil {
			return nil, err
		}
	}
	shape := x.Shape()
	if len(shape) < 2 {
		return nil, fmt.Errorf("GroupNormalization: X must have rank >= 2 (N, C, ...), got shape %v", shape)
	}
	c, g := shape[1], gn.groups
	if c%g != 0 {
		return nil, fmt.Errorf("GroupNormalization: num_groups %d must divide the channel count %d", g, c)
	}
	// Opset 18 takes one scale/bias per group, 21 one per channel.
	plen := in[1].Len()
	if (plen != c && plen != g) || in[2].Len() != plen {
		want := c
		if gn.opset < 21 {
			want = g
		}
		return nil, fmt.Errorf("GroupNormalization: scale and bias must have %d elements, got shapes %v and %v", want, in[1].Shape(), in[2].Shape())
	}
	if gn.opset < 21 && plen == c && c != g {
		return nil, fmt.Errorf("GroupNormalization-18: scale and bias hold one value per group (%d), got %d (per-channel values need opset 21)", g, plen)
	}
	if gn.opset >= 21 && plen != c {
		return nil, fmt.Errorf("GroupNormalization: scale and bias must have one value per channel (%d), got %d", c, plen)
	}
	scale, bias := toFloat64s(in[1]), toFloat64s(in[2])
	nb, sp := shape[0], ops.Product(shape[2:])
	return one(runFloat(x, shape,
		func(x, y []float32) error { groupNormKernel(x, y, nb, c, g, sp, scale, bias, plen, gn.eps); return nil },
		func(x, y []float64) error { groupNormKernel(x, y, nb, c, g, sp, scale, bias, plen, gn.eps); return nil }))
}

// MeanVarianceNormalization: (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9)
// over the given axes.

type mvn struct{ axes []int64 }

func buildMVN(n *ops.Node) (ops.Kernel, error) {
	axes, err := n.AttrInts("axes", []int64{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return ops.Tensors((&mvn{axes: axes}).run), nil
}

func (m *mvn) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat("MeanVarianceNormalization", "X", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	axes, err := ops.NormAxes(m.axes, len(shape))
	if err != nil {
		return nil, fmt.Errorf("MeanVarianceNormalization: attribute axes: %v", err)
	}
	// Group index of every element: its position in the reduced shape.
	red := make([]bool, len(shape))
	for _, a := range axes {
		red[a] = true
	}
	gshape := make([]int, len(shape))
	for i, d := range shape {
		gshape[i] = d
		if red[i] {
			gshape[i] = 1
		}
	}
	groups := ops.Product(gshape)
	gst := ops.BroadcastStrides(gshape, shape)
	total := x.Len()
	gidx := make([]int, total)
	if total > 0 {
		idx := make([]int, len(shape))
		pos := 0
		for j := 0; j < total; j++ {
			gidx[j] = pos
			for d := len(shape) - 1; d >= 0; d-- {
				idx[d]++
				pos += gst[d]
				if idx[d] < shape[d] {
					break
				}
				pos -= gst[d] * shape[d]
				idx[d] = 0
			}
		}
	}
	return one(runFloat(x, shape,
		func(x, y []float32) error { mvnKernel(x, y, gidx, groups); return nil },
		func(x, y []float64) error { mvnKernel(x, y, gidx, groups); return nil }))
}

func mvnKernel[T ops.Float](x, y []T, gidx []int, groups int) {
	sum := make([]float64, groups)
	cnt := make([]float64, groups)
	for j, v := range x {
		sum[gidx[j]] += float64(v)
		cnt[gidx[j]]++
	}
	for g := range sum {
		if cnt[g] > 0 {
			sum[g] /= cnt[g]
		}
	}
	vr := make([]float64, groups)
	for j, v := range x {
		d := float64(v) - sum[gidx[j]]
		vr[gidx[j]] += d * d
	}
	for g := range vr {
		if cnt[g] > 0 {
			vr[g] = math.Sqrt(vr[g]/cnt[g]) + 1e-9
		}
	}
	for j, v := range x {
		g := gidx[j]
		y[j] = T((float64(v) - sum[g]) / vr[g])
	}
}

// LRN: cross-channel local response normalisation.

type lrn struct {
	alpha, beta, bias float64
	size              int
}

func buildLRN(n *ops.Node) (ops.Kernel, error) {
	alpha, err := n.AttrFloat("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.AttrFloat("bias", 1)
	if err != nil {
		return nil, err
	}
	size, err := n.AttrInt("size", 0)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("LRN: attribute size is required and must be positive, got %d", size)
	}
	return ops.Tensors((&lrn{alpha: float64(alpha), beta: float64(beta), bias: float64(bias), size: int(size)}).run), nil
}

func (l *lrn) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat("LRN", "X", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	if len(shape) < 2 {
		return nil, fmt.Errorf("LRN: X must have rank >= 2 (N, C, ...), got shape %v", shape)
	}
	nb, c, sp := shape[0], shape[1], ops.Product(shape[2:])
	return one(runFloat(x, shape,
		func(x, y []float32) error { lrnKernel(l, x, y, nb, c, sp); return nil },
		func(x, y []float64) error { lrnKernel(l, x, y, nb, c, sp); return nil }))
}

func lrnKernel[T ops.Float](l *lrn, x, y []T, nb, c, sp int) {
	lo := (l.size - 1) / 2
	hi := l.size - 1 - lo // ceil((size-1)/2)
	k := l.alpha / float64(l.size)
	for n := 0; n < nb; n++ {
		base := n * c * sp
		for ch := 0; ch < c; ch++ {
			c0, c1 := max(0, ch-lo), min(c-1, ch+hi)
			for s := 0; s < sp; s++ {
				var sq float64
				for i := c0; i <= c1; i++ {
					v := float64(x[base+i*sp+s])
					sq += v * v
				}
				j := base + ch*sp + s
				y[j] = T(float64(x[j]) / math.Pow(l.bias+k*sq, l.beta))
			}
		}
	}
}
