package reduce

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// The Reduce* operators share one driver. A reduction is described by a
// plan that views the input as runs of contiguous elements: after dropping
// size-1 dims and merging neighbouring dims that are both reduced or both
// kept, the innermost segment is either reduced (each output folds whole
// contiguous runs: ReduceMean over the last axis, the LayerNorm pattern) or
// kept (each group of outputs folds vectors of contiguous inputs
// element-wise). Offsets of the remaining segments are enumerated once per
// run, so any axis set costs one pass over the input.

type opKind int

const (
	opSum opKind = iota
	opMean
	opMax
	opMin
	opProd
	opL1
	opL2
	opLogSum
	opLogSumExp
	opSumSquare
)

func init() {
	all := []int{1, 11, 13, 18}
	for _, r := range []struct {
		name     string
		kind     opKind
		versions []int
		axesIn   int // opset from which axes is an input
	}{
		{"ReduceSum", opSum, []int{1, 11, 13}, 13},
		{"ReduceMean", opMean, all, 18},
		{"ReduceMax", opMax, []int{1, 11, 12, 13, 18, 20}, 18},
		{"ReduceMin", opMin, []int{1, 11, 12, 13, 18, 20}, 18},
		{"ReduceProd", opProd, all, 18},
		{"ReduceL1", opL1, all, 18},
		{"ReduceL2", opL2, all, 18},
		{"ReduceLogSum", opLogSum, all, 18},
		{"ReduceLogSumExp", opLogSumExp, all, 18},
		{"ReduceSumSquare", opSumSquare, all, 18},
	} {
		ops.RegisterVersions("", r.name, r.versions, buildReduce(r.name, r.kind, r.axesIn))
	}
}

type reducer struct {
	name     string
	kind     opKind
	keepdims bool
	noop     bool    // noop_with_empty_axes
	axes     []int64 // from the attribute (older opsets)
	axesIn   bool    // axes may come as input 1
}

func buildReduce(name string, kind opKind, axesIn int) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		r := &reducer{name: name, kind: kind, axesIn: n.Opset >= axesIn}
		keep, err := n.AttrInt("keepdims", 1)
		if err != nil {
			return nil, err
		}
		if keep != 0 && keep != 1 {
			return nil, fmt.Errorf("%s: keepdims must be 0 or 1, got %d", name, keep)
		}
		r.keepdims = keep == 1
		// The axes attribute belongs to the older versions; it is also
		// accepted at newer ones when no axes input is given.
		if r.axes, err = n.AttrInts("axes", nil); err != nil {
			return nil, err
		}
		if r.axesIn {
			noop, err := n.AttrInt("noop_with_empty_axes", 0)
			if err != nil {
				return nil, err
			}
			r.noop = noop != 0
		}
		return ops.Tensors(r.run), nil
	}
}

func (r *reducer) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("%s: input data is missing", r.name)
	}
	axes := r.axes
	if a := ops.Input(in, 1); a != nil {
		if !r.axesIn {
			return nil, fmt.Errorf("%s: axes is an attribute before this opset, not an input", r.name)
		}
		if a.DType() != tensor.Int64 && a.DType() != tensor.Int32 {
			return nil, fmt.Errorf("%s: axes must be an int64 tensor, got %v", r.name, a.DType())
		}
		if a.Rank() > 1 {
			return nil, fmt.Errorf("%s: axes must be 1-D, got shape %v", r.name, a.Shape())
		}
		axes = a.Int64s()
	}
	rank := x.Rank()
	mask := make([]bool, rank)
	switch {
	case len(axes) == 0:
		if !r.noop {
			for i := range mask {
				mask[i] = true
			}
		}
	case rank == 0:
		// A scalar has no axis to reduce; axes [0] or [-1] are tolerated.
		if _, err := ops.NormAxes(axes, rank); err != nil {
			return nil, fmt.Errorf("%s: %v", r.name, err)
		}
	default:
		norm, err := ops.NormAxes(axes, rank)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", r.name, err)
		}
		for _, a := range norm {
			mask[a] = true
		}
	}
	out, err := reduceTensor(r.name, r.kind, x, mask, r.keepdims)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

// plan describes how to walk the input for one reduction.
type plan struct {
	outShape    []int
	nOut        int   // output elements
	count       int   // input elements folded into each output
	empty       bool  // the input has no elements
	lastReduced bool  // innermost segment is reduced
	run         int   // length of the innermost segment
	outerOff    []int // lastReduced: base offset per output; else per group of run outputs
	redOff      []int // offsets of reduced positions outside the innermost run
}

func makePlan(shape []int, mask []bool, keepdims bool) (*plan, error) {
	p := &plan{count: 1}
	n := 1
	for i, d := range shape {
		n *= d
		if mask[i] {
			p.count *= d
			if keepdims {
				p.outShape = append(p.outShape, 1)
			}
		} else {
			p.outShape = append(p.outShape, d)
		}
	}
	if p.outShape == nil {
		p.outShape = []int{}
	}
	nOut, err := tensor.NumElements(p.outShape)
	if err != nil {
		return nil, err
	}
	p.nOut = nOut
	if n == 0 {
		p.empty = true
		p.count = 0
		return p, nil
	}
	type seg struct {
		size, stride int
		reduced      bool
	}
	var segs []seg
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(segs) - 1; k >= 0 && segs[k].reduced == mask[i] {
			segs[k].size *= d
			continue
		}
		segs = append(segs, seg{size: d, reduced: mask[i]})
	}
	if len(segs) == 0 {
		segs = []seg{{size: 1}}
	}
	acc := 1
	for i := len(segs) - 1; i >= 0; i-- {
		segs[i].stride = acc
		acc *= segs[i].size
	}
	last := segs[len(segs)-1]
	p.lastReduced = last.reduced
	p.run = last.size
	var kept, red []seg
	for _, s := range segs[:len(segs)-1] {
		if s.reduced {
			red = append(red, s)
		} else {
			kept = append(kept, s)
		}
	}
	offsets := func(ss []seg) []int {
		total := 1
		for _, s := range ss {
			total *= s.size
		}
		out := make([]int, 0, total)
		out = append(out, 0)
		// Expand segment by segment, outermost first, so the result is in
		// row-major order.
		for _, s := range ss {
			next := make([]int, 0, len(out)*s.size)
			for _, o := range out {
				for j := 0; j < s.size; j++ {
					next = append(next, o+j*s.stride)
				}
			}
			out = next
		}
		return out
	}
	p.outerOff = offsets(kept)
	p.redOff = offsets(red)
	return p, nil
}

// reduceTensor reduces x over the axes flagged in mask.
func reduceTensor(name string, kind opKind, x *tensor.Tensor, mask []bool, keepdims bool) (*tensor.Tensor, error) {
	p, err := makePlan(x.Shape(), mask, keepdims)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	dt := x.DType()
	if kind == opMean && p.count == 0 && p.nOut > 0 && !dt.IsFloat() {
		return nil, fmt.Errorf("%s: the mean of an empty set is undefined for %v", name, dt)
	}
	if kind == opLogSumExp {
		var vals []float64
		switch d := x.Data().(type) {
		case []float32:
			vals = logSumExp(d, p)
		case []float64:
			vals = logSumExp(d, p)
		case []tensor.F16, []tensor.BF16:
			vals = logSumExp(widenHalf(x), p)
		case []int8:
			vals = logSumExp(d, p)
		case []int16:
			vals = logSumExp(d, p)
		case []int32:
			vals = logSumExp(d, p)
		case []int64:
			vals = logSumExp(d, p)
		case []uint8:
			vals = logSumExp(d, p)
		case []uint16:
			vals = logSumExp(d, p)
		case []uint32:
			vals = logSumExp(d, p)
		case []uint64:
			vals = logSumExp(d, p)
		default:
			return nil, fmt.Errorf("%s: unsupported input type %v (want a numeric tensor)", name, dt)
		}
		return tensor.FromFloat64s(dt, p.outShape, vals)
	}
	switch d := x.Data().(type) {
	case []float32:
		return tensor.FromFloat64s(dt, p.outShape, reduceCore[float32, float64](d, p, kind))
	case []float64:
		return tensor.FromFloat64s(dt, p.outShape, reduceCore[float64, float64](d, p, kind))
	case []tensor.F16, []tensor.BF16:
		return tensor.FromFloat64s(dt, p.outShape, reduceCore[float32, float64](widenHalf(x), p, kind))
	case []int8:
		return tensor.New(p.outShape, castSlice[int8](reduceCore[int8, int64](d, p, kind))), nil
	case []int16:
		return tensor.New(p.outShape, castSlice[int16](reduceCore[int16, int64](d, p, kind))), nil
	case []int32:
		return tensor.New(p.outShape, castSlice[int32](reduceCore[int32, int64](d, p, kind))), nil
	case []int64:
		return tensor.New(p.outShape, reduceCore[int64, int64](d, p, kind)), nil
	case []uint8:
		return tensor.New(p.outShape, castSlice[uint8](reduceCore[uint8, uint64](d, p, kind))), nil
	case []uint16:
		return tensor.New(p.outShape, castSlice[uint16](reduceCore[uint16, uint64](d, p, kind))), nil
	case []uint32:
		return tensor.New(p.outShape, castSlice[uint32](reduceCore[uint32, uint64](d, p, kind))), nil
	case []uint64:
		return tensor.New(p.outShape, reduceCore[uint64, uint64](d, p, kind)), nil
	case []bool:
		if kind != opMax && kind != opMin {
			return nil, fmt.Errorf("%s: bool input is only allowed for ReduceMax and ReduceMin", name)
		}
		u := make([]uint8, len(d))
		for i, v := range d {
			if v {
				u[i] = 1
			}
		}
		// The identity of min over bools is true, not 255.
		res := reduceCore[uint8, uint64](u, p, kind)
		out := make([]bool, len(res))
		for i, v := range res {
			out[i] = v != 0
		}
		return tensor.New(p.outShape, out), nil
	}
	return nil, fmt.Errorf("%s: unsupported input type %v (want a numeric tensor)", name, dt)
}

// accum is the arithmetic type a reduction runs in: float64 for floats,
// int64 for signed and uint64 for unsigned integers (integer sums and
// products wrap exactly as they would in the narrower type).
type accum interface{ ~float64 | ~int64 | ~uint64 }

func initial[T ops.Number, C accum](kind opKind) C {
	switch kind {
	case opProd:
		return 1
	case opMax:
		return C(lowest[T]())
	case opMin:
		return C(highest[T]())
	}
	return 0
}

// reduceCore folds x according to p and returns one finalized accumulator
// per output.
func reduceCore[T ops.Number, C accum](x []T, p *plan, kind opKind) []C {
	out := make([]C, p.nOut)
	init := initial[T, C](kind)
	for i := range out {
		out[i] = init
	}
	if !p.empty {
		if p.lastReduced {
			parallelFor(len(p.outerOff), p.count, func(lo, hi int) {
				for k := lo; k < hi; k++ {
					base := p.outerOff[k]
					acc := init
					for _, ro := range p.redOff {
						acc = foldRun(kind, acc, x[base+ro:base+ro+p.run])
					}
					out[k] = acc
				}
			})
		} else {
			L := p.run
			parallelFor(len(p.outerOff), p.count*L, func(lo, hi int) {
				for g := lo; g < hi; g++ {
					base := p.outerOff[g]
					accs := out[g*L : (g+1)*L]
					for _, ro := range p.redOff {
						foldVec(kind, accs, x[base+ro:base+ro+L])
					}
				}
			})
		}
	}
	for i, v := range out {
		out[i] = finalize(kind, v, p.count)
	}
	return out
}

// foldRun folds a contiguous run of inputs into one accumulator.
func foldRun[T ops.Number, C accum](kind opKind, acc C, xs []T) C {
	switch kind {
	case opSum, opMean, opLogSum:
		return acc + sumRun[T, C](xs)
	case opMax:
		for _, v := range xs {
			if c := C(v); c > acc || c != c {
				acc = c
				if acc != acc {
					return acc
				}
			}
		}
	case opMin:
		for _, v := range xs {
			if c := C(v); c < acc || c != c {
				acc = c
				if acc != acc {
					return acc
				}
			}
		}
	case opProd:
		for _, v := range xs {
			acc *= C(v)
		}
	case opL1:
		for _, v := range xs {
			if c := C(v); v < 0 {
				acc -= c
			} else {
				acc += c
			}
		}
	case opL2, opSumSquare:
		for _, v := range xs {
			c := C(v)
			acc += c * c
		}
	}
	return acc
}

// sumRun adds a run with four independent accumulators (faster, and
// slightly more accurate than one running sum).
func sumRun[T ops.Number, C accum](xs []T) C {
	var s0, s1, s2, s3 C
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s0 += C(xs[i])
		s1 += C(xs[i+1])
		s2 += C(xs[i+2])
		s3 += C(xs[i+3])
	}
	for ; i < len(xs); i++ {
		s0 += C(xs[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// foldVec folds a vector of inputs element-wise into accs.
func foldVec[T ops.Number, C accum](kind opKind, accs []C, xs []T) {
	xs = xs[:len(accs)]
	switch kind {
	case opSum, opMean, opLogSum:
		for i, v := range xs {
			accs[i] += C(v)
		}
	case opMax:
		for i, v := range xs {
			if c := C(v); c > accs[i] || c != c {
				accs[i] = c
			}
		}
	case opMin:
		for i, v := range xs {
			if c := C(v); c < accs[i] || c != c {
				accs[i] = c
			}
		}
	case opProd:
		for i, v := range xs {
			accs[i] *= C(v)
		}
	case opL1:
		for i, v := range xs {
			if c := C(v); v < 0 {
				accs[i] -= c
			} else {
				accs[i] += c
			}
		}
	case opL2, opSumSquare:
		for i, v := range xs {
			c := C(v)
			accs[i] += c * c
		}
	}
}

// finalize turns an accumulator into the reduction's result.
func finalize[C accum](kind opKind, acc C, count int) C {
	switch kind {
	case opMean:
		if count == 0 {
			// Only reached for floats (integers are rejected earlier).
			return C(math.NaN())
		}
		return acc / C(count)
	case opL2:
		return C(math.Sqrt(float64(acc)))
	case opLogSum:
		return C(math.Log(float64(acc)))
	}
	return acc
}

// logSumExp computes log(sum(exp(x))) per output in float64, shifting by
// the maximum so that large inputs do not overflow.
func logSumExp[T ops.Number](x []T, p *plan) []float64 {
	out := make([]float64, p.nOut)
	for i := range out {
		out[i] = math.Inf(-1)
	}
	if p.empty {
		return out
	}
	combine := func(m, s float64) float64 {
		if math.IsInf(m, 0) || m != m {
			return m
		}
		return m + math.Log(s)
	}
	if p.lastReduced {
		parallelFor(len(p.outerOff), 2*p.count, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				base := p.outerOff[k]
				m := math.Inf(-1)
				for _, ro := range p.redOff {
					for _, v := range x[base+ro : base+ro+p.run] {
						if f := float64(v); f > m || f != f {
							m = f
						}
					}
				}
				s := 0.0
				if !math.IsInf(m, 0) && m == m {
					for _, ro := range p.redOff {
						for _, v := range x[base+ro : base+ro+p.run] {
							s += math.Exp(float64(v) - m)
						}
					}
				}
				out[k] = combine(m, s)
			}
		})
		return out
	}
	L := p.run
	parallelFor(len(p.outerOff), 2*p.count*L, func(lo, hi int) {
		s := make([]float64, L)
		for g := lo; g < hi; g++ {
			base := p.outerOff[g]
			m := out[g*L : (g+1)*L]
			for _, ro := range p.redOff {
				for i, v := range x[base+ro : base+ro+L] {
					if f := float64(v); f > m[i] || f != f {
						m[i] = f
					}
				}
			}
			for i := range s {
				s[i] = 0
			}
			for _, ro := range p.redOff {
				for i, v := range x[base+ro : base+ro+L] {
					s[i] += math.Exp(float64(v) - m[i])
				}
			}
			for i := range m {
				m[i] = combine(m[i], s[i])
			}
		}
	})
	return out
}
