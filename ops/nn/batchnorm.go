package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/vector"
)

// BatchNormalization and InstanceNormalization.

func init() {
	ops.RegisterVersions("", "BatchNormalization", []int{1, 6, 7, 9, 14, 15}, buildBatchNorm)
	ops.RegisterVersions("", "InstanceNormalization", []int{1, 6, 22}, buildInstanceNorm)
}

type batchNorm struct {
	eps      float64
	momentum float64
	// training: Y uses the batch statistics and outputs 1.. carry the
	// updated running statistics (and, before opset 14, the saved batch
	// mean and variance).
	training bool
	legacy   bool // opset < 14: five outputs
}

func buildBatchNorm(n *ops.Node) (ops.Kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	mom, err := n.AttrFloat("momentum", 0.9)
	if err != nil {
		return nil, err
	}
	bn := &batchNorm{eps: float64(eps), momentum: float64(mom), legacy: n.Opset < 14}
	if n.Opset >= 14 {
		tm, err := n.AttrInt("training_mode", 0)
		if err != nil {
			return nil, err
		}
		bn.training = tm != 0
	} else {
		// Before opset 14 the mode is implied: is_test (opsets 1 and 6) or,
		// for inference graphs, the absence of the statistics outputs.
		// Graphs that only want Y get the inference form.
		isTest, err := n.AttrInt("is_test", 0)
		if err != nil {
			return nil, err
		}
		if isTest == 0 {
			for i := 1; i < 5; i++ {
				if n.HasOutput(i) {
					bn.training = true
				}
			}
		}
	}
	return ops.TensorsRC(bn.run), nil
}

func (bn *batchNorm) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat("BatchNormalization", "X", x); err != nil {
		return nil, err
	}
	names := []string{"X", "scale", "B", "mean", "var"}
	for i := 1; i < 5; i++ {
		if err := checkFloat("BatchNormalization", names[i], ops.Input(in, i)); err != nil {
			return nil, err
		}
	}
	shape := x.Shape()
	if len(shape) == 0 {
		return nil, fmt.Errorf("BatchNormalization: X must have rank >= 1, got a scalar")
	}
	nb, c, sp := shape[0], 1, 1
	if len(shape) >= 2 {
		c = shape[1]
		sp = ops.Product(shape[2:])
	}
	// Parameters hold one value per channel, or (spatial=0, opsets < 9)
	// one per channel and spatial position.
	plen := in[1].Len()
	if plen != c && plen != c*sp {
		return nil, fmt.Errorf("BatchNormalization: scale must have %d elements (one per channel of X %v), got shape %v", c, shape, in[1].Shape())
	}
	for i := 2; i < 5; i++ {
		if in[i].Len() != plen {
			return nil, fmt.Errorf("BatchNormalization: %s must have the shape of scale %v, got %v", names[i], in[1].Shape(), in[i].Shape())
		}
	}
	if bn.training && plen != c {
		return nil, fmt.Errorf("BatchNormalization: training mode needs per-channel parameters of %d elements, got %d", c, plen)
	}
	scale, bias := toFloat64s(in[1]), toFloat64s(in[2])
	mean, vr := toFloat64s(in[3]), toFloat64s(in[4])
	var bMean, bVar []float64
	if bn.training {
		bMean, bVar = batchStats(x, nb, c, sp)
		mean, vr = bMean, bVar
	}
	// y = x*a + b per parameter slot.
	a := make([]float64, plen)
	b := make([]float64, plen)
	for i := range a {
		a[i] = scale[i] / math.Sqrt(vr[i]+bn.eps)
		b[i] = bias[i] - mean[i]*a[i]
	}
	perElem := plen != c
	y, err := runFloatRC(rc, x, shape, false,
		func(x, y []float32) error { affineChannels(x, y, a, b, nb, c, sp, perElem); return nil },
		func(x, y []float64) error { affineChannels(x, y, a, b, nb, c, sp, perElem); return nil })
	if err != nil {
		return nil, err
	}
	if !bn.training {
		return rc.TensorResults(y), nil
	}
	rm, rv := toFloat64s(in[3]), toFloat64s(in[4])
	runMean := make([]float64, c)
	runVar := make([]float64, c)
	for i := 0; i < c; i++ {
		runMean[i] = rm[i]*bn.momentum + bMean[i]*(1-bn.momentum)
		runVar[i] = rv[i]*bn.momentum + bVar[i]*(1-bn.momentum)
	}
	mdt, mshape := in[3].DType(), in[3].Shape()
	outs := []*tensor.Tensor{y}
	for _, v := range [][]float64{runMean, runVar} {
		t, err := fromFloat64s(mdt, mshape, v)
		if err != nil {
			return nil, err
		}
		outs = append(outs, t)
	}
	if bn.legacy {
		for _, v := range [][]float64{bMean, bVar} {
			t, err := fromFloat64s(mdt, mshape, v)
			if err != nil {
				return nil, err
			}
			outs = append(outs, t)
		}
	}
	return outs, nil
}

// batchStats computes per-channel mean and population variance over the
// batch and spatial dims.
func batchStats(x *tensor.Tensor, nb, c, sp int) (mean, vr []float64) {
	v := x.Float64s()
	mean = make([]float64, c)
	vr = make([]float64, c)
	cnt := float64(nb * sp)
	if cnt == 0 {
		return
	}
	for n := 0; n < nb; n++ {
		for ch := 0; ch < c; ch++ {
			for _, e := range v[(n*c+ch)*sp : (n*c+ch+1)*sp] {
				mean[ch] += e
			}
		}
	}
	for ch := range mean {
		mean[ch] /= cnt
	}
	for n := 0; n < nb; n++ {
		for ch := 0; ch < c; ch++ {
			m := mean[ch]
			for _, e := range v[(n*c+ch)*sp : (n*c+ch+1)*sp] {
				vr[ch] += (e - m) * (e - m)
			}
		}
	}
	for ch := range vr {
		vr[ch] /= cnt
	}
	return
}

// affineChannels computes y = x*a[c] + b[c] over an [nb, c, sp] layout
// (a, b indexed by channel and spatial position when perElem).
func affineChannels[T ops.Float](x, y []T, a, b []float64, nb, c, sp int, perElem bool) {
	parallelFor(nb*c, nb*c*sp, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			xs, ys := x[p*sp:(p+1)*sp], y[p*sp:(p+1)*sp]
			if perElem {
				for i, v := range xs {
					k := ch*sp + i
					ys[i] = T(float64(v)*a[k] + b[k])
				}
				continue
			}
			ac, bc := T(a[ch]), T(b[ch])
			if xf, ok := any(xs).([]float32); ok {
				vector.ScaleShift(any(ys).([]float32), xf, float32(ac), float32(bc))
				continue
			}
			for i, v := range xs {
				ys[i] = v*ac + bc
			}
		}
	})
}

// InstanceNormalization: per (n, c) statistics over the spatial dims.

type instanceNorm struct{ eps float64 }

func buildInstanceNorm(n *ops.Node) (ops.Kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return ops.Tensors((&instanceNorm{eps: float64(eps)}).run), nil
}

func (in_ *instanceNorm) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat("InstanceNormalization", "input", x); err != nil {
		return nil, err
	}
	for i, nm := range []string{"", "scale", "B"} {
		if i > 0 {
			if err := checkFloat("InstanceNormalization", nm, ops.Input(in, i)); err != nil {
				return nil, err
			}
		}
	}
	shape := x.Shape()
	if len(shape) < 2 {
		return nil, fmt.Errorf("InstanceNormalization: input must have rank >= 2 (N, C, ...), got shape %v", shape)
	}
	c := shape[1]
	if in[1].Len() != c || in[2].Len() != c {
		return nil, fmt.Errorf("InstanceNormalization: scale and B must have %d elements (channels of %v), got shapes %v and %v", c, shape, in[1].Shape(), in[2].Shape())
	}
	scale, bias := toFloat64s(in[1]), toFloat64s(in[2])
	nb, sp := shape[0], ops.Product(shape[2:])
	return one(runFloat(x, shape,
		func(x, y []float32) error { groupNormKernel(x, y, nb, c, c, sp, scale, bias, c, in_.eps); return nil },
		func(x, y []float64) error { groupNormKernel(x, y, nb, c, c, sp, scale, bias, c, in_.eps); return nil }))
}

// groupNormKernel normalises x laid out as [nb, c, sp] in groups of c/g
// channels: statistics per (n, group), then y = norm*scale + bias with
// scale and bias indexed per channel (plen == c) or per group (plen == g).
func groupNormKernel[T ops.Float](x, y []T, nb, c, g, sp int, scale, bias []float64, plen int, eps float64) {
	cpg := c / g
	size := cpg * sp
	parallelFor(nb*g, nb*c*sp, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs := x[p*size : (p+1)*size]
			ys := y[p*size : (p+1)*size]
			mean, inv := meanInvStd(xs, eps)
			grp := p % g
			for k := 0; k < cpg; k++ {
				pi := grp
				if plen == c {
					pi = grp*cpg + k
				}
				a := scale[pi] * inv
				b := bias[pi] - mean*a
				for i, v := range xs[k*sp : (k+1)*sp] {
					ys[k*sp+i] = T(float64(v)*a + b)
				}
			}
		}
	})
}

// meanInvStd returns the mean of xs and 1/sqrt(var+eps) (population
// variance), accumulating in float64 with a shift for accuracy.
func meanInvStd[T ops.Float](xs []T, eps float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 1 / math.Sqrt(eps)
	}
	k := float64(xs[0])
	var s, ss float64
	for _, v := range xs {
		d := float64(v) - k
		s += d
		ss += d * d
	}
	n := float64(len(xs))
	m := s / n
	vr := ss/n - m*m
	if vr < 0 {
		vr = 0
	}
	return k + m, 1 / math.Sqrt(vr+eps)
}
