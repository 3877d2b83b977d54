package conv

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// attrs are the attributes shared by Conv, ConvTranspose, ConvInteger and
// QLinearConv, parsed and checked at load time. Lists may be nil (absent);
// their length is checked against the spatial rank at run time.
type attrs struct {
	op            string
	autoPad       string
	kernel        []int
	pads          []int
	strides       []int
	dilations     []int
	group         int
	outputPadding []int // ConvTranspose
	outputShape   []int // ConvTranspose
}

func positiveList(op, name string, v []int64) ([]int, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x < 1 || x > 1<<30 {
			return nil, fmt.Errorf("%s: %s must be positive, got %v", op, name, v)
		}
		out[i] = int(x)
	}
	return out, nil
}

func parseAttrs(n *ops.Node, op string, transpose bool) (*attrs, error) {
	a := &attrs{op: op}
	var err error
	if a.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return nil, err
	}
	switch a.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	case "":
		a.autoPad = "NOTSET"
	default:
		return nil, fmt.Errorf("%s: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got %q", op, a.autoPad)
	}
	g, err := n.AttrInt("group", 1)
	if err != nil {
		return nil, err
	}
	if g < 1 || g > 1<<30 {
		return nil, fmt.Errorf("%s: group must be >= 1, got %d", op, g)
	}
	a.group = int(g)
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"kernel_shape", &a.kernel}, {"strides", &a.strides}, {"dilations", &a.dilations}} {
		v, err := n.AttrInts(f.name, nil)
		if err != nil {
			return nil, err
		}
		if *f.dst, err = positiveList(op, f.name, v); err != nil {
			return nil, err
		}
	}
	pads, err := n.AttrInts("pads", nil)
	if err != nil {
		return nil, err
	}
	if pads != nil {
		if len(pads)%2 != 0 {
			return nil, fmt.Errorf("%s: pads must have an even length (begins then ends), got %v", op, pads)
		}
		a.pads = make([]int, len(pads))
		for i, p := range pads {
			if p < 0 || p > 1<<30 {
				return nil, fmt.Errorf("%s: pads must be >= 0, got %v", op, pads)
			}
			a.pads[i] = int(p)
		}
	}
	if transpose {
		op2, err := n.AttrInts("output_padding", nil)
		if err != nil {
			return nil, err
		}
		for _, p := range op2 {
			if p < 0 || p > 1<<30 {
				return nil, fmt.Errorf("%s: output_padding must be >= 0, got %v", op, op2)
			}
			a.outputPadding = append(a.outputPadding, int(p))
		}
		os, err := n.AttrInts("output_shape", nil)
		if err != nil {
			return nil, err
		}
		for _, p := range os {
			if p < 0 || p > 1<<40 {
				return nil, fmt.Errorf("%s: output_shape must be >= 0, got %v", op, os)
			}
			a.outputShape = append(a.outputShape, int(p))
		}
	}
	return a, nil
}

// geom is the resolved geometry of one convolution call.
type geom struct {
	n, c, m, groups int
	cg, mg          int // input and output channels per group
	in, kern, out   []int
	stride, dil     []int
	padB, padE      []int // may be negative for ConvTranspose with output_shape
	inSize, kSize   int
	outSize         int
}

func fill(v []int, n, def int) []int {
	if v != nil {
		return v
	}
	o := make([]int, n)
	for i := range o {
		o[i] = def
	}
	return o
}

// spatialCommon checks x/w ranks and list lengths; wKernel is W's spatial
// dims.
func (a *attrs) spatialCommon(x, w []int) (rank int, err error) {
	if len(x) < 3 {
		return 0, fmt.Errorf("%s: X must have shape [N, C, D1, ...] with at least one spatial dimension, got %v", a.op, x)
	}
	if len(w) != len(x) {
		return 0, fmt.Errorf("%s: W has rank %d (shape %v) but X has rank %d (shape %v)", a.op, len(w), w, len(x), x)
	}
	rank = len(x) - 2
	check := func(name string, v []int, want int) error {
		if v != nil && len(v) != want {
			return fmt.Errorf("%s: %s has %d values, want %d for %d spatial dimensions", a.op, name, len(v), want, rank)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		v    []int
		n    int
	}{{"kernel_shape", a.kernel, rank}, {"strides", a.strides, rank}, {"dilations", a.dilations, rank},
		{"pads", a.pads, 2 * rank}, {"output_padding", a.outputPadding, rank}} {
		if err := check(c.name, c.v, c.n); err != nil {
			return 0, err
		}
	}
	if a.kernel != nil && !ops.ShapeEqual(a.kernel, w[2:]) {
		return 0, fmt.Errorf("%s: kernel_shape %v does not match W's spatial shape %v", a.op, a.kernel, w[2:])
	}
	return rank, nil
}

// convGeom resolves Conv geometry: X [N, C, D...], W [M, C/group, K...].
func (a *attrs) convGeom(x, w []int) (*geom, error) {
	rank, err := a.spatialCommon(x, w)
	if err != nil {
		return nil, err
	}
	g := &geom{n: x[0], c: x[1], m: w[0], groups: a.group, in: x[2:], kern: w[2:]}
	if g.c%g.groups != 0 || g.m%g.groups != 0 {
		return nil, fmt.Errorf("%s: channels %d and feature maps %d must both be divisible by group %d", a.op, g.c, g.m, g.groups)
	}
	g.cg, g.mg = g.c/g.groups, g.m/g.groups
	if w[1] != g.cg {
		return nil, fmt.Errorf("%s: W has %d input channels per group (shape %v), want C/group = %d/%d = %d (X shape %v)", a.op, w[1], w, g.c, g.groups, g.cg, x)
	}
	g.stride = fill(a.strides, rank, 1)
	g.dil = fill(a.dilations, rank, 1)
	g.padB, g.padE = make([]int, rank), make([]int, rank)
	g.out = make([]int, rank)
	for i := 0; i < rank; i++ {
		in, k, s, d := g.in[i], g.kern[i], g.stride[i], g.dil[i]
		if k < 1 {
			return nil, fmt.Errorf("%s: W has an empty spatial dimension (shape %v)", a.op, w)
		}
		eff := (k-1)*d + 1
		switch a.autoPad {
		case "NOTSET":
			if a.pads != nil {
				g.padB[i], g.padE[i] = a.pads[i], a.pads[i+rank]
			}
		case "VALID":
		default: // SAME_UPPER, SAME_LOWER
			out := (in + s - 1) / s
			total := max(0, (out-1)*s+eff-in)
			small := total / 2
			if a.autoPad == "SAME_UPPER" {
				g.padB[i], g.padE[i] = small, total-small
			} else {
				g.padB[i], g.padE[i] = total-small, small
			}
		}
		span := in + g.padB[i] + g.padE[i] - eff
		if span < 0 {
			return nil, fmt.Errorf("%s: spatial dimension %d: input %d plus pads %d+%d is smaller than the dilated kernel %d", a.op, i, in, g.padB[i], g.padE[i], eff)
		}
		g.out[i] = span/s + 1
	}
	return g, g.finish(a.op)
}

// finish computes sizes and bounds the output element count.
func (g *geom) finish(op string) error {
	g.inSize, g.kSize, g.outSize = ops.Product(g.in), ops.Product(g.kern), ops.Product(g.out)
	shape := append([]int{g.n, g.m}, g.out...)
	if _, err := tensor.NumElements(shape); err != nil {
		return fmt.Errorf("%s: output shape: %w", op, err)
	}
	// The im2col buffer holds cg·kSize rows.
	if _, err := tensor.NumElements([]int{g.cg, g.kSize, min(g.outSize, 1<<16)}); err != nil {
		return fmt.Errorf("%s: kernel too large: %w", op, err)
	}
	return nil
}

func (g *geom) outShape() []int { return append([]int{g.n, g.m}, g.out...) }

// as2D returns a copy of a 1-D geometry viewed as 2-D (a leading unit
// dimension), so the 2-D fast paths cover it. Other ranks are returned as is.
func (g *geom) as2D() *geom {
	if len(g.in) != 1 {
		return g
	}
	c := *g
	c.in = []int{1, g.in[0]}
	c.kern = []int{1, g.kern[0]}
	c.out = []int{1, g.out[0]}
	c.stride = []int{1, g.stride[0]}
	c.dil = []int{1, g.dil[0]}
	c.padB = []int{0, g.padB[0]}
	c.padE = []int{0, g.padE[0]}
	return &c
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// transposeGeom resolves ConvTranspose geometry: X [N, C, D...],
// W [C, M/group, K...].
func (a *attrs) transposeGeom(x, w []int) (*geom, error) {
	rank, err := a.spatialCommon(x, w)
	if err != nil {
		return nil, err
	}
	g := &geom{n: x[0], c: x[1], groups: a.group, in: x[2:], kern: w[2:]}
	if w[0] != g.c {
		return nil, fmt.Errorf("%s: W's first dimension %d (shape %v) must equal X's channels %d (shape %v)", a.op, w[0], w, g.c, x)
	}
	if g.c%g.groups != 0 {
		return nil, fmt.Errorf("%s: channels %d must be divisible by group %d", a.op, g.c, g.groups)
	}
	g.cg, g.mg = g.c/g.groups, w[1]
	g.m = g.mg * g.groups
	g.stride = fill(a.strides, rank, 1)
	g.dil = fill(a.dilations, rank, 1)
	outPad := fill(a.outputPadding, rank, 0)
	g.padB, g.padE = make([]int, rank), make([]int, rank)
	g.out = make([]int, rank)
	var target []int
	switch {
	case a.outputShape != nil:
		target = a.outputShape
		if len(target) == rank+2 {
			target = target[2:]
		}
		if len(target) != rank {
			return nil, fmt.Errorf("%s: output_shape %v must have %d spatial values", a.op, a.outputShape, rank)
		}
	case a.autoPad == "SAME_UPPER" || a.autoPad == "SAME_LOWER":
		target = make([]int, rank)
		for i := range target {
			target[i] = g.in[i] * g.stride[i]
		}
	}
	for i := 0; i < rank; i++ {
		in, k, s, d := g.in[i], g.kern[i], g.stride[i], g.dil[i]
		if k < 1 {
			return nil, fmt.Errorf("%s: W has an empty spatial dimension (shape %v)", a.op, w)
		}
		full := s*(in-1) + outPad[i] + (k-1)*d + 1
		if target != nil {
			total := full - target[i]
			if a.autoPad == "SAME_UPPER" {
				g.padB[i] = floorDiv(total, 2)
				g.padE[i] = total - g.padB[i]
			} else {
				g.padE[i] = floorDiv(total, 2)
				g.padB[i] = total - g.padE[i]
			}
			g.out[i] = target[i]
			continue
		}
		if a.autoPad == "NOTSET" && a.pads != nil {
			g.padB[i], g.padE[i] = a.pads[i], a.pads[i+rank]
		}
		g.out[i] = full - g.padB[i] - g.padE[i]
		if g.out[i] < 0 {
			return nil, fmt.Errorf("%s: spatial dimension %d: pads %d+%d exceed the full output size %d", a.op, i, g.padB[i], g.padE[i], full)
		}
	}
	return g, g.finish(a.op)
}
