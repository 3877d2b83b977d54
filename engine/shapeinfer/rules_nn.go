package shapeinfer

import (
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
)

func init() {
	reg(gemm, "Gemm")
	reg(matmul, "MatMul")
	reg(matmulInteger, "MatMulInteger")
	reg(conv, "Conv")
	reg(convTranspose, "ConvTranspose")
	reg(pool, "MaxPool", "AveragePool", "LpPool")
	reg(globalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
	reg(batchNorm, "BatchNormalization")
	reg(layerNorm, "LayerNormalization")
	reg(rnn, "LSTM", "GRU", "RNN")
	reg(resize, "Resize")
	reg(upsample, "Upsample")
}

// agree checks that two dims that must be equal can be; it returns the more
// informative one.
func agree(a, b sd) (sd, bool) {
	switch {
	case a.known && b.known:
		return a, a.v == b.v
	case a.known:
		return a, true
	case b.known:
		return b, true
	case a.p != "":
		return a, true
	}
	return b, true
}

func gemm(c *nctx) error {
	a, b := c.rin(0), c.rin(1)
	elem := c.elem(0)
	if elem == tensor.Undefined {
		elem = c.elem(1)
	}
	if a == nil || b == nil {
		c.set(0, ranked(elem, []sd{{}, {}}))
		return nil
	}
	if a.rank() != 2 || b.rank() != 2 {
		return c.errf("inputs %s and %s must be matrices (rank 2)", c.describe(0), c.describe(1))
	}
	m, ka := a.shape[0], a.shape[1]
	if c.attrInt("transA", 0) != 0 {
		m, ka = ka, m
	}
	kb, n := b.shape[0], b.shape[1]
	if c.attrInt("transB", 0) != 0 {
		kb, n = n, kb
	}
	if _, ok := agree(ka, kb); !ok {
		return c.errf("inner dimensions differ: A %s gives K=%d, B %s gives K=%d", c.describe(0), ka.v, c.describe(1), kb.v)
	}
	out := []sd{m, n}
	if cc := c.rin(2); cc != nil {
		if cc.rank() > 2 {
			return c.errf("C %s has rank %d, more than 2", c.describe(2), cc.rank())
		}
		off := 2 - cc.rank()
		for i, d := range cc.shape {
			o := out[off+i]
			if d.known && d.v != 1 && o.known && d.v != o.v {
				return c.errf("C %s does not broadcast to the output [%s,%s]", c.describe(2), m, n)
			}
			if !o.known && o.p == "" && d.known && d.v != 1 {
				out[off+i] = d
			}
		}
	}
	c.set(0, ranked(elem, out))
	return nil
}

// matmulShape applies numpy matmul rules.
func (c *nctx) matmulShape() ([]sd, bool, error) {
	a, b := c.rin(0), c.rin(1)
	if a == nil || b == nil {
		return nil, false, nil
	}
	if a.rank() == 0 || b.rank() == 0 {
		return nil, false, c.errf("inputs %s and %s must have rank ≥ 1", c.describe(0), c.describe(1))
	}
	as, bs := a.shape, b.shape
	if len(as) == 1 {
		as = []sd{fixed(1), as[0]}
	}
	if len(bs) == 1 {
		bs = []sd{bs[0], fixed(1)}
	}
	ka, kb := as[len(as)-1], bs[len(bs)-2]
	if _, ok := agree(ka, kb); !ok {
		return nil, false, c.errf("inner dimensions differ: %s has K=%d, %s has K=%d", c.describe(0), ka.v, c.describe(1), kb.v)
	}
	batch, ok := bshape(as[:len(as)-2], bs[:len(bs)-2])
	if !ok {
		return nil, false, c.errf("batch dimensions of %s and %s are not broadcastable", c.describe(0), c.describe(1))
	}
	out := batch
	if a.rank() > 1 {
		out = append(out, as[len(as)-2])
	}
	if b.rank() > 1 {
		out = append(out, bs[len(bs)-1])
	}
	return append([]sd{}, out...), true, nil
}

func matmul(c *nctx) error {
	elem := c.elem(0)
	if elem == tensor.Undefined {
		elem = c.elem(1)
	}
	out, ok, err := c.matmulShape()
	if err != nil {
		return err
	}
	if !ok {
		c.set(0, &val{elem: elem})
		return nil
	}
	c.set(0, ranked(elem, out))
	return nil
}

func matmulInteger(c *nctx) error {
	out, ok, err := c.matmulShape()
	if err != nil {
		return err
	}
	if !ok {
		c.set(0, &val{elem: tensor.Int32})
		return nil
	}
	c.set(0, ranked(tensor.Int32, out))
	return nil
}

// spatialAttrs reads kernel/strides/dilations/pads for nd spatial dims.
type spatialAttrs struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
	ceil                             bool
}

func (c *nctx) spatial(nd int, kernel []int64) (*spatialAttrs, bool) {
	sa := &spatialAttrs{kernel: kernel, autoPad: c.attrString("auto_pad", "NOTSET")}
	if k, ok := c.attrInts("kernel_shape"); ok {
		sa.kernel = k
	}
	if len(sa.kernel) != nd {
		return nil, false
	}
	ones := func() []int64 {
		o := make([]int64, nd)
		for i := range o {
			o[i] = 1
		}
		return o
	}
	sa.strides, sa.dilations = ones(), ones()
	if s, ok := c.attrInts("strides"); ok {
		sa.strides = s
	}
	if d, ok := c.attrInts("dilations"); ok {
		sa.dilations = d
	}
	sa.pads = make([]int64, 2*nd)
	if p, ok := c.attrInts("pads"); ok {
		sa.pads = p
	}
	if len(sa.strides) != nd || len(sa.dilations) != nd || len(sa.pads) != 2*nd {
		return nil, false
	}
	for i := 0; i < nd; i++ {
		if sa.strides[i] <= 0 || sa.dilations[i] <= 0 || sa.kernel[i] <= 0 {
			return nil, false
		}
	}
	sa.ceil = c.attrInt("ceil_mode", 0) != 0
	return sa, true
}

func ceilDiv(a, b int64) int64 {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a) / b)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// windowOut is the output size of a sliding window along one axis; bad is
// set when the window provably does not fit.
func (sa *spatialAttrs) windowOut(i int, in sd) (out sd, bad bool) {
	k, s, d := sa.kernel[i], sa.strides[i], sa.dilations[i]
	ext := (k-1)*d + 1
	pb, pe := sa.pads[i], sa.pads[i+len(sa.kernel)]
	switch sa.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		if s == 1 {
			return in, false
		}
		if !in.known {
			return sd{}, false
		}
		return fixed(ceilDiv(in.v, s)), false
	case "VALID":
		pb, pe = 0, 0
	}
	if !in.known {
		if ext == 1 && s == 1 && pb == 0 && pe == 0 {
			return in, false
		}
		return sd{}, false
	}
	if sa.autoPad == "VALID" {
		var o int64
		if sa.ceil {
			o = ceilDiv(in.v-ext+1, s)
		} else {
			o = floorDiv(in.v-ext, s) + 1
		}
		return fixed(o), o <= 0
	}
	span := in.v + pb + pe - ext
	if span < 0 {
		return sd{}, true
	}
	if sa.ceil {
		o := ceilDiv(span, s) + 1
		if (o-1)*s >= in.v+pb {
			o--
		}
		return fixed(o), o <= 0
	}
	return fixed(span/s + 1), false
}

func conv(c *nctx) error {
	x, w := c.rin(0), c.rin(1)
	elem := c.elem(0)
	if x == nil || w == nil {
		if x != nil {
			c.set(0, ranked(elem, make([]sd, x.rank())))
		} else if w != nil {
			c.set(0, ranked(elem, make([]sd, w.rank())))
		} else {
			c.set(0, &val{elem: elem})
		}
		return nil
	}
	if x.rank() < 3 || w.rank() != x.rank() {
		return c.errf("input %s and weights %s must have the same rank ≥ 3", c.describe(0), c.describe(1))
	}
	nd := x.rank() - 2
	group := c.attrInt("group", 1)
	if group <= 0 {
		return nil
	}
	if ci, wc := x.shape[1], w.shape[1]; ci.known && wc.known && ci.v != wc.v*group {
		return c.errf("input %s has %d channels but weights %s with group %d expect %d", c.describe(0), ci.v, c.describe(1), group, wc.v*group)
	}
	if m := w.shape[0]; m.known && m.v%group != 0 {
		return c.errf("weights %s: %d output channels not divisible by group %d", c.describe(1), m.v, group)
	}
	var kern []int64
	for _, d := range w.shape[2:] {
		if !d.known {
			kern = nil
			break
		}
		kern = append(kern, d.v)
	}
	out := []sd{x.shape[0], w.shape[0]}
	sa, ok := c.spatial(nd, kern)
	if !ok {
		c.set(0, ranked(elem, append(out, make([]sd, nd)...)))
		return nil
	}
	for i := 0; i < nd; i++ {
		if wk := w.shape[2+i]; wk.known && wk.v != sa.kernel[i] {
			return c.errf("kernel_shape %v disagrees with weights %s", sa.kernel, c.describe(1))
		}
		o, bad := sa.windowOut(i, x.shape[2+i])
		if bad {
			return c.errf("kernel %v (strides %v, dilations %v, pads %v) does not fit input %s", sa.kernel, sa.strides, sa.dilations, sa.pads, c.describe(0))
		}
		out = append(out, o)
	}
	c.set(0, ranked(elem, out))
	return nil
}

func convTranspose(c *nctx) error {
	x, w := c.rin(0), c.rin(1)
	elem := c.elem(0)
	if x == nil || w == nil || x.rank() < 3 || w.rank() != x.rank() {
		if x != nil {
			c.set(0, ranked(elem, make([]sd, x.rank())))
		} else {
			c.set(0, &val{elem: elem})
		}
		return nil
	}
	nd := x.rank() - 2
	group := c.attrInt("group", 1)
	if group <= 0 {
		return nil
	}
	if ci, wc := x.shape[1], w.shape[0]; ci.known && wc.known && ci.v != wc.v {
		return c.errf("input %s has %d channels but weights %s expect %d", c.describe(0), ci.v, c.describe(1), wc.v)
	}
	out := []sd{x.shape[0], mulSd(w.shape[1], fixed(group))}
	var kern []int64
	for _, d := range w.shape[2:] {
		if !d.known {
			kern = nil
			break
		}
		kern = append(kern, d.v)
	}
	sa, ok := c.spatial(nd, kern)
	if !ok {
		c.set(0, ranked(elem, append(out, make([]sd, nd)...)))
		return nil
	}
	if os, ok := c.attrInts("output_shape"); ok {
		if len(os) == nd+2 {
			os = os[2:]
		}
		if len(os) != nd {
			c.set(0, ranked(elem, append(out, make([]sd, nd)...)))
			return nil
		}
		for _, d := range os {
			out = append(out, fixed(d))
		}
		c.set(0, ranked(elem, out))
		return nil
	}
	opad := make([]int64, nd)
	if p, ok := c.attrInts("output_padding"); ok && len(p) == nd {
		opad = p
	}
	for i := 0; i < nd; i++ {
		in := x.shape[2+i]
		if !in.known {
			out = append(out, sd{})
			continue
		}
		s := sa.strides[i]
		var o int64
		switch sa.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o = in.v * s
		default:
			pb, pe := sa.pads[i], sa.pads[i+nd]
			if sa.autoPad == "VALID" {
				pb, pe = 0, 0
			}
			o = s*(in.v-1) + opad[i] + (sa.kernel[i]-1)*sa.dilations[i] + 1 - pb - pe
		}
		if o <= 0 {
			return c.errf("output size %d along spatial axis %d is not positive (input %s)", o, i, c.describe(0))
		}
		out = append(out, fixed(o))
	}
	c.set(0, ranked(elem, out))
	return nil
}

func pool(c *nctx) error {
	x := c.rin(0)
	elem := c.elem(0)
	if x == nil || x.rank() < 3 {
		c.set(0, c.likeUnranked(0))
		if len(c.n.Outputs) > 1 {
			c.set(1, &val{elem: tensor.Int64})
		}
		return nil
	}
	nd := x.rank() - 2
	out := []sd{x.shape[0], x.shape[1]}
	sa, ok := c.spatial(nd, nil)
	if !ok {
		out = append(out, make([]sd, nd)...)
	} else {
		for i := 0; i < nd; i++ {
			o, bad := sa.windowOut(i, x.shape[2+i])
			if bad {
				return c.errf("kernel %v (strides %v, dilations %v, pads %v) does not fit input %s", sa.kernel, sa.strides, sa.dilations, sa.pads, c.describe(0))
			}
			out = append(out, o)
		}
	}
	c.set(0, ranked(elem, out))
	c.set(1, ranked(tensor.Int64, copyShape(out)))
	return nil
}

func globalPool(c *nctx) error {
	x := c.rin(0)
	if x == nil || x.rank() < 2 {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	out := []sd{x.shape[0], x.shape[1]}
	for i := 2; i < x.rank(); i++ {
		out = append(out, fixed(1))
	}
	c.set(0, ranked(x.elem, out))
	return nil
}

func batchNorm(c *nctx) error {
	c.set(0, c.like(0, tensor.Undefined))
	x := c.rin(0)
	ch := sd{}
	if x != nil && x.rank() >= 2 {
		ch = x.shape[1]
	}
	for i := 1; i < len(c.n.Outputs); i++ {
		e := c.elem(3)
		if e == tensor.Undefined {
			e = c.elem(0)
		}
		c.set(i, ranked(e, []sd{ch}))
	}
	return nil
}

func layerNorm(c *nctx) error {
	c.set(0, c.like(0, tensor.Undefined))
	x := c.rin(0)
	if x == nil {
		return nil
	}
	ax, ok := normAxis(c.attrInt("axis", -1), x.rank())
	if !ok {
		return nil
	}
	sh := copyShape(x.shape)
	for i := ax; i < len(sh); i++ {
		sh[i] = fixed(1)
	}
	// Mean and InvStdDev are float32 for float32 inputs; for other
	// inputs implementations disagree, so the dtype stays unknown.
	elem := tensor.Undefined
	if x.elem == tensor.Float32 && c.attrInt("stash_type", 1) == 1 {
		elem = tensor.Float32
	}
	c.set(1, ranked(elem, sh))
	c.set(2, ranked(elem, copyShape(sh)))
	return nil
}

func rnn(c *nctx) error {
	x := c.rin(0)
	elem := c.elem(0)
	dirs := int64(1)
	if c.attrString("direction", "forward") == "bidirectional" {
		dirs = 2
	}
	hidden := sd{}
	if h := c.attrInt("hidden_size", -1); h > 0 {
		hidden = fixed(h)
	} else if r := c.rin(2); r != nil && r.rank() == 3 {
		hidden = r.shape[2]
	}
	if w := c.rin(1); w != nil && w.rank() == 3 && w.shape[0].known && w.shape[0].v != dirs {
		return c.errf("weights %s have %d directions but direction needs %d", c.describe(1), w.shape[0].v, dirs)
	}
	layout := c.attrInt("layout", 0)
	if x == nil || x.rank() != 3 {
		for i := range c.n.Outputs {
			c.set(i, &val{elem: elem})
		}
		return nil
	}
	seq, batch := x.shape[0], x.shape[1]
	if layout != 0 {
		seq, batch = batch, seq
	}
	D := fixed(dirs)
	if layout == 0 {
		c.set(0, ranked(elem, []sd{seq, D, batch, hidden}))
		c.set(1, ranked(elem, []sd{D, batch, hidden}))
		c.set(2, ranked(elem, []sd{D, batch, hidden}))
	} else {
		c.set(0, ranked(elem, []sd{batch, seq, D, hidden}))
		c.set(1, ranked(elem, []sd{batch, D, hidden}))
		c.set(2, ranked(elem, []sd{batch, D, hidden}))
	}
	return nil
}

// floatConsts returns a constant float input's values.
func (c *nctx) floatConsts(i int) ([]float64, bool) {
	v := c.in(i)
	if v == nil || v.konst == nil {
		return nil, false
	}
	return v.konst.Float64s(), true
}

func scaleDims(in []sd, scales []float64) []sd {
	out := make([]sd, len(in))
	for i, d := range in {
		switch {
		case scales[i] == 1:
			out[i] = d
		case d.known:
			f := math.Floor(float64(d.v) * scales[i])
			if f >= 0 && f < 1<<50 {
				out[i] = fixed(int64(f))
			}
		}
	}
	return out
}

func resize(c *nctx) error {
	x := c.rin(0)
	if x == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := x.rank()
	unknown := func() error {
		c.set(0, ranked(x.elem, make([]sd, r)))
		return nil
	}
	if c.opset < 11 {
		sc, ok := c.floatConsts(1)
		if !ok || len(sc) != r {
			return unknown()
		}
		c.set(0, ranked(x.elem, scaleDims(x.shape, sc)))
		return nil
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a, ok := c.attrInts("axes"); ok && c.opset >= 18 {
		axes = axes[:0]
		for _, v := range a {
			ax, ok := normAxis(v, r)
			if !ok {
				return nil
			}
			axes = append(axes, ax)
		}
	}
	if c.opset >= 18 && c.attrString("keep_aspect_ratio_policy", "stretch") != "stretch" {
		return unknown()
	}
	out := copyShape(x.shape)
	if c.has(3) {
		sz, ok := c.ints(3)
		if !ok {
			return unknown()
		}
		if len(sz) > 0 {
			if len(sz) != len(axes) {
				return c.errf("sizes %s has %d entries for %d axes", fmtShape(sz), len(sz), len(axes))
			}
			for k, ax := range axes {
				out[ax] = sz[k]
			}
			c.set(0, ranked(x.elem, out))
			return nil
		}
	}
	if c.has(2) {
		if c.attrString("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize" {
			return unknown() // sizes scale the roi, not the input
		}
		sc, ok := c.floatConsts(2)
		if !ok {
			return unknown()
		}
		if len(sc) > 0 {
			if len(sc) != len(axes) {
				return c.errf("scales has %d entries for %d axes", len(sc), len(axes))
			}
			full := make([]float64, r)
			for i := range full {
				full[i] = 1
			}
			for k, ax := range axes {
				full[ax] = sc[k]
			}
			c.set(0, ranked(x.elem, scaleDims(x.shape, full)))
			return nil
		}
	}
	return unknown()
}

func upsample(c *nctx) error {
	x := c.rin(0)
	if x == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	var sc []float64
	ok := false
	if c.opset < 9 {
		var f []float32
		f, ok = c.attrFloats("scales")
		for _, v := range f {
			sc = append(sc, float64(v))
		}
	} else {
		sc, ok = c.floatConsts(1)
	}
	if !ok || len(sc) != x.rank() {
		c.set(0, ranked(x.elem, make([]sd, x.rank())))
		return nil
	}
	c.set(0, ranked(x.elem, scaleDims(x.shape, sc)))
	return nil
}
