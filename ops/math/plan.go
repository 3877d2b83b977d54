package math

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// plan is a multidirectional (numpy) broadcast of k inputs to one output,
// with the dimensions coalesced so that the innermost loop runs over the
// longest possible contiguous span. After coalescing, every input's stride
// on the innermost dimension is 0 (broadcast) or 1 (contiguous), so one
// span loop covers the classic fast paths: equal shapes (a single span),
// a scalar on either side (stride 0), a row vector broadcast along the
// outer dimensions ([N,C] op [C]) and per-channel broadcasting ([N,C,H,W]
// op [C,1,1], inner span H·W with stride 0).
type plan struct {
	out  []int   // broadcast output shape
	n    int     // number of output elements
	dims []int   // coalesced dimensions, at least one
	st   [][]int // st[k][d]: stride of input k along coalesced dimension d

	// Storage for the slices above when the output rank is at most
	// planRank (every real model): a plan is then one allocation, not one
	// per slice. A plan holds nothing that changes while it is used, so a
	// cached one may serve concurrent runs (see planCache).
	outBuf, dimsBuf [planRank]int
	stBuf           [planInputs][planRank]int
	stList          [planInputs][]int
}

const (
	planRank   = 8
	planInputs = 3
)

// newPlan broadcasts the given input shapes (two or three).
func newPlan(shapes ...[]int) (*plan, error) {
	p := new(plan)
	if err := p.build(shapes); err != nil {
		return nil, err
	}
	return p, nil
}

// build fills p with the broadcast of shapes.
func (p *plan) build(shapes [][]int) error {
	out, err := broadcastShapes(p.outBuf[:0], shapes)
	if err != nil {
		return err
	}
	return p.init(out, shapes)
}

// broadcastShapes is ops.BroadcastShapes building the result in buf when
// it is large enough.
func broadcastShapes(buf []int, shapes [][]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := buf[:0]
	if cap(out) < rank {
		out = make([]int, 0, rank)
	}
	for range rank {
		out = append(out, 1)
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o:
			case o == 1:
				out[off+i] = d
			case d == 1:
			default:
				return nil, fmt.Errorf("shapes %v are not broadcastable", copyShapes(shapes))
			}
		}
	}
	return out, nil
}

// copyShapes copies shapes for an error message, so that the callers'
// shape lists do not escape to the heap on every call.
func copyShapes(shapes [][]int) [][]int {
	c := make([][]int, len(shapes))
	for i, s := range shapes {
		c[i] = append([]int(nil), s...)
	}
	return c
}

// planTo builds a plan for inputs that are known to broadcast to out.
func planTo(out []int, shapes ...[]int) (*plan, error) {
	p := new(plan)
	if err := p.initTo(out, shapes); err != nil {
		return nil, err
	}
	return p, nil
}

// initTo is init with out copied into p: out is usually an input's shape,
// which belongs to a tensor header the engine recycles, and a cached plan
// outlives the run.
func (p *plan) initTo(out []int, shapes [][]int) error {
	return p.init(append(p.outBuf[:0], out...), shapes)
}

// init fills p for inputs that are known to broadcast to out.
func (p *plan) init(out []int, shapes [][]int) error {
	n, err := tensor.NumElements(out)
	if err != nil {
		return err
	}
	if len(shapes) > planInputs {
		return fmt.Errorf("internal: a broadcast plan takes at most %d inputs, got %d", planInputs, len(shapes))
	}
	p.out, p.n = out, n
	if len(out) <= planRank {
		p.st = p.stList[:len(shapes)]
		p.dims = p.dimsBuf[:0]
		for k := range p.st {
			p.st[k] = p.stBuf[k][:0]
		}
	} else {
		p.st = p.stList[:len(shapes)]
		p.dims = nil
		for k := range p.st {
			p.st[k] = nil
		}
	}
	for i, d := range out {
		if d == 1 {
			continue // size-1 dimensions never move any offset
		}
		last := len(p.dims) - 1
		merge := last >= 0
		for k, s := range shapes {
			if merge && p.st[k][last] != broadcastStride(s, out, i)*d {
				merge = false
			}
		}
		if merge {
			p.dims[last] *= d
			for k, s := range shapes {
				p.st[k][last] = broadcastStride(s, out, i)
			}
			continue
		}
		p.dims = append(p.dims, d)
		for k, s := range shapes {
			p.st[k] = append(p.st[k], broadcastStride(s, out, i))
		}
	}
	if len(p.dims) == 0 {
		p.dims = append(p.dims, 1)
		for k := range shapes {
			p.st[k] = append(p.st[k][:0], 0)
		}
	}
	return nil
}

// broadcastStride is the stride of an input of shape in along dimension i
// of the output shape out it broadcasts to (0 where it is broadcast), as in
// ops.BroadcastStrides.
func broadcastStride(in, out []int, i int) int {
	j := i - (len(out) - len(in))
	if j < 0 || in[j] == 1 {
		return 0
	}
	acc := 1
	for _, d := range in[j+1:] {
		acc *= d
	}
	return acc
}

// spans calls fn once per innermost span: o is the output offset, m the
// span length and off the starting offset of each input. The counters live
// on spans' stack (off is passed by value, so it never escapes): the plan
// itself is not written, and concurrent callers may share it.
func (p *plan) spans(fn func(o, m int, off [planInputs]int)) {
	if p.n == 0 {
		return
	}
	k := len(p.st)
	var off [planInputs]int
	r := len(p.dims)
	inner := p.dims[r-1]
	if r == 1 {
		fn(0, inner, off)
		return
	}
	var cntBuf [planRank]int
	var cnt []int
	if r-1 <= len(cntBuf) {
		cnt = cntBuf[:r-1]
	} else {
		cnt = make([]int, r-1)
	}
	for o := 0; o < p.n; o += inner {
		fn(o, inner, off)
		for d := r - 2; d >= 0; d-- {
			cnt[d]++
			for j := 0; j < k; j++ {
				off[j] += p.st[j][d]
			}
			if cnt[d] < p.dims[d] {
				break
			}
			cnt[d] = 0
			for j := 0; j < k; j++ {
				off[j] -= p.st[j][d] * p.dims[d]
			}
		}
	}
}

// inner returns input k's stride on the innermost dimension (0 or 1).
func (p *plan) inner(k int) int { return p.st[k][len(p.dims)-1] }

// apply1 maps f over src.
func apply1[S, D any](src []S, f func(S) D) []D {
	dst := make([]D, len(src))
	for i, v := range src {
		dst[i] = f(v)
	}
	return dst
}

// apply2 computes f over two broadcast inputs.
func apply2[A, B, O any](p *plan, a []A, b []B, f func(A, B) O) []O {
	dst := make([]O, p.n)
	ia, ib := p.inner(0), p.inner(1)
	p.spans(func(o, m int, off [planInputs]int) {
		d := dst[o : o+m]
		x, y := a[off[0]:], b[off[1]:]
		switch {
		case ia == 1 && ib == 1:
			x, y = x[:m], y[:m]
			for i := range d {
				d[i] = f(x[i], y[i])
			}
		case ia == 1:
			x = x[:m]
			v := y[0]
			for i := range d {
				d[i] = f(x[i], v)
			}
		case ib == 1:
			y = y[:m]
			u := x[0]
			for i := range d {
				d[i] = f(u, y[i])
			}
		default:
			r := f(x[0], y[0])
			for i := range d {
				d[i] = r
			}
		}
	})
	return dst
}

// apply3 computes f over three broadcast inputs.
func apply3[A, B, C, O any](p *plan, a []A, b []B, c []C, f func(A, B, C) O) []O {
	dst := make([]O, p.n)
	ia, ib, ic := p.inner(0), p.inner(1), p.inner(2)
	p.spans(func(o, m int, off [planInputs]int) {
		d := dst[o : o+m]
		x, y, z := a[off[0]:], b[off[1]:], c[off[2]:]
		if ia == 1 && ib == 1 && ic == 1 {
			x, y, z = x[:m], y[:m], z[:m]
			for i := range d {
				d[i] = f(x[i], y[i], z[i])
			}
			return
		}
		for i := range d {
			d[i] = f(x[i*ia], y[i*ib], z[i*ic])
		}
	})
	return dst
}

// legacyBroadcast is the opset < 7 broadcasting of Add, Sub, Mul, Div, Pow
// and the logical/comparison ops: B is broadcast to A's shape only when the
// node says broadcast=1, either as a single element or with its shape
// matching a contiguous run of A's dimensions starting at axis (suffix
// matching when axis is absent).
type legacyBroadcast struct {
	enabled bool // the node is opset < 7
	bcast   bool // broadcast attribute
	axis    int
	hasAxis bool
}

// readLegacy reads broadcast and axis for nodes of opset < 7.
func readLegacy(n *ops.Node) (legacyBroadcast, error) {
	var lb legacyBroadcast
	if n.Opset >= 7 {
		return lb, nil
	}
	lb.enabled = true
	b, err := n.AttrInt("broadcast", 0)
	if err != nil {
		return lb, err
	}
	if b != 0 && b != 1 {
		return lb, fmt.Errorf("attribute broadcast must be 0 or 1, got %d", b)
	}
	lb.bcast = b == 1
	if n.HasAttr("axis") {
		a, err := n.AttrInt("axis", 0)
		if err != nil {
			return lb, err
		}
		lb.axis, lb.hasAxis = int(a), true
	}
	return lb, nil
}

// plan builds the broadcast plan of A and B under the node's rules.
func (lb legacyBroadcast) plan(a, b []int) (*plan, error) {
	p := new(plan)
	if err := lb.planInto(p, a, b); err != nil {
		return nil, err
	}
	return p, nil
}

// planInto is plan filling p.
func (lb legacyBroadcast) planInto(p *plan, a, b []int) error {
	if !lb.enabled {
		return p.build([][]int{a, b})
	}
	if !lb.bcast {
		if !ops.ShapeEqual(a, b) {
			return fmt.Errorf("shapes %v and %v differ and broadcast=0 (before opset 7, broadcasting needs the attribute broadcast=1)", a, b)
		}
		return p.build([][]int{a, b})
	}
	nb, err := tensor.NumElements(b)
	if err != nil {
		return err
	}
	if nb == 1 {
		return p.initTo(a, [][]int{a, {}})
	}
	axis := len(a) - len(b)
	if lb.hasAxis {
		axis = lb.axis
		if axis < 0 {
			axis += len(a)
		}
	}
	if axis < 0 || axis+len(b) > len(a) {
		return fmt.Errorf("cannot broadcast B of shape %v into A of shape %v at axis %d", b, a, axis)
	}
	nbs := make([]int, len(a))
	for i := range nbs {
		nbs[i] = 1
	}
	for i, d := range b {
		if d != a[axis+i] && d != 1 {
			return fmt.Errorf("cannot broadcast B of shape %v into A of shape %v at axis %d: dimension %d is %d, want %d or 1", b, a, axis, i, d, a[axis+i])
		}
		nbs[axis+i] = d
	}
	return p.initTo(a, [][]int{a, nbs})
}
