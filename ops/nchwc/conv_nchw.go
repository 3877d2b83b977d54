package nchwc

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/linalg"
)

// A first-layer convolution reads a plain NCHW input with few channels (an
// RGB image) and writes blocked output. Blocking such an input would pad 3
// channels to 16 (5x the multiplications) and cost a reorder; instead each
// tap broadcasts one input value into 16 output channels, as MLAS's
// MLAS_NCHWC_CONV_NCHW_ALGORITHM does.

// nchwGroup is the number of output blocks one kernel call computes. 4
// blocks × 6 pixels and 2 blocks × 12 pixels both hold 24 accumulators;
// 4 × 6 loads fewer values per FMA and measured 10% faster on resnet50's
// 7×7 3→64 first layer, the same on 3×3 ones (BenchmarkConvNCHW, Zen 5).
// A variable so that the tests cover every group size.
var nchwGroup = 4

// nchwCopyMax is the size, in floats, up to which a padded input is copied
// with a zero border (all n images) rather than read through strips; a
// variable so that the tests cover both ways.
var nchwCopyMax = 16 << 10

// NewConvNCHW prepares a dense convolution (p.Group must be 1) whose Run
// reads x as plain NCHW, [n][InC][h][w], and writes blocked y (and reads
// blocked z) as Conv.Run documents. Meant for first layers: any InC works,
// but the kernels do one FMA per input value and output block, so past a
// few channels the blocked NewConv is faster.
func NewConvNCHW(p ConvParams, w, bias []float32) (*Conv, error) {
	if p.Group != 1 {
		return nil, fmt.Errorf("nchwc: a convolution of an NCHW input must be dense (group 1), got group %d", p.Group)
	}
	return newConv(p, w, bias, true)
}

// NCHWInput reports whether Run reads x as plain NCHW (NewConvNCHW).
func (c *Conv) NCHWInput() bool { return c.nchw }

// packNCHW lays w out per group of nchwGroup output blocks q as
// [InC][KH][KW][16·blocks] at q·pairLen (the last group may have fewer
// blocks), zero for padded output channels.
func (c *Conv) packNCHW(w []float32) {
	p := c.p
	taps := p.KH * p.KW
	c.group = nchwGroup
	c.pairLen = p.InC * taps * Block * c.group
	groups := (c.ocb + c.group - 1) / c.group
	c.wp = linalg.AlignedFloat32(groups * c.pairLen)
	for q := 0; q < groups; q++ {
		ow := min(c.group, c.ocb-q*c.group) * Block
		dst := c.wp[q*c.pairLen:]
		for o := 0; o < ow; o++ {
			oc := q*c.group*Block + o
			if oc >= p.OutC {
				break
			}
			for ic := 0; ic < p.InC; ic++ {
				for t := 0; t < taps; t++ {
					dst[(ic*taps+t)*ow+o] = w[(oc*p.InC+ic)*taps+t]
				}
			}
		}
	}
}

// nchwRun is one Run of a first-layer convolution: its operands and the
// geometry, in floats, that every row shares.
type nchwRun struct {
	c       *Conv
	x, y, z []float32 // x: the NCHW input, or its zero-bordered copy
	h, w    int       // of x
	// padT, padL: the pads still to apply (0 on a zero-bordered copy).
	padT, padL int
	oh, ow     int
	xImg       int // floats per input image
	yPlane     int // floats per output block plane (oh·ow·16)
	// Output columns [oxL, oxR) read no padding; segments with other
	// columns, or in rows whose kernel window leaves the image, read a
	// zero-padded strip.
	oxL, oxR int
	stripLen int // floats of the largest strip (a 12-pixel segment's)
	clamp    bool
	lo, hi   float32
	goAct    linalg.Activation // applied in Go after each row (ActNone: none)
	level    cpu.Level
	// Work items are (image, run of block groups, row): see runNCHW.
	groups, run, runs int
}

// nchwSpan is where a run of output pixels reads its taps: the input
// itself or a strip, at offset xo (the first pixel's first tap), with
// icS floats between input channels and khS between kernel rows.
type nchwSpan struct {
	x            []float32
	xo, icS, khS int
}

func (c *Conv) runNCHW(x []float32, n, h, w, oh, ow int, z, y []float32, threads int) {
	p := c.p
	r := nchwRun{
		c: c, x: x, y: y, z: z, h: h, w: w, padT: p.PadT, padL: p.PadL, oh: oh, ow: ow,
		yPlane: oh * ow * Block,
		level:  cpu.Active,
	}
	// Padding: segments whose taps all lie in the image read it directly,
	// the few others read a strip of IC×KH zero-padded input rows built
	// for them. A zero-bordered copy of a large image cost 13% of
	// mobilenet_v2's first layer; on a small one the copy is cheaper than
	// the strips (cnn_mnist's 28×28: 4.7 µs against 7.5).
	hp, wp := h+p.PadT+p.PadB, w+p.PadL+p.PadR
	if (hp != h || wp != w) && n*p.InC*hp*wp <= nchwCopyMax {
		buf := getScratch(n * p.InC * hp * wp)
		defer putScratch(buf)
		convPadNCHW(x, n*p.InC, h, w, p.PadT, p.PadL, hp, wp, *buf)
		r.x, r.h, r.w, r.padT, r.padL = *buf, hp, wp, 0, 0
	}
	r.xImg = p.InC * r.h * r.w
	ext := (p.KW-1)*p.DW + 1
	r.oxL = min(ow, (r.padL+p.SW-1)/p.SW)
	r.oxR = max(r.oxL, min(ow, ceilDiv(r.w+r.padL-ext+1, p.SW)))
	r.stripLen = p.InC * p.KH * ((min(ow, 12)-1)*p.SW + ext)
	switch p.Act {
	case linalg.ActRelu:
		r.clamp, r.lo, r.hi = true, 0, float32(math.Inf(1))
	case linalg.ActClip:
		r.clamp, r.lo, r.hi = true, p.Alpha, p.Beta
	default:
		r.goAct = p.Act
	}
	// Work items are (image, run of block groups, row), as for dense
	// convolutions; first layers' filters are small, so one run usually
	// holds every group and a row's input is read once.
	r.groups = (c.ocb + c.group - 1) / c.group
	r.run = max(1, min(r.groups, groupBytes/(4*c.pairLen)))
	r.runs = (r.groups + r.run - 1) / r.run
	items := n * r.runs * oh
	perItem := 2 * ow * r.run * c.group * Block * p.InC * p.KH * p.KW
	grain := max(1, workGrain/max(1, perItem))
	if linalg.Serial(threads, items, grain) {
		r.items(0, items) // r stays on the stack
		return
	}
	shared := new(nchwRun) // the workers' copy
	*shared = r
	linalg.ParallelN(threads, items, grain, shared.items)
}

// items runs work items [lo, hi).
func (r *nchwRun) items(lo, hi int) {
	var a kArgs
	strip := getScratch(r.stripLen)
	defer putScratch(strip)
	for it := lo; it < hi; it++ {
		row := it % r.oh
		ri := it / r.oh
		img, q0 := ri/r.runs, ri%r.runs*r.run
		for q := q0; q < min(r.groups, q0+r.run); q++ {
			r.row(&a, *strip, img, q, row)
		}
	}
}

// ceilDiv is ⌈a/b⌉ for b > 0 (a may be negative).
func ceilDiv(a, b int) int {
	if a <= 0 {
		return -(-a / b)
	}
	return (a + b - 1) / b
}

// row computes output row `row` of image img for block group q; strip is
// scratch of stripLen floats.
func (r *nchwRun) row(a *kArgs, strip []float32, img, q, row int) {
	c := r.c
	p := c.p
	nb := min(c.group, c.ocb-q*c.group)
	yo := (img*c.ocb+q*c.group)*r.yPlane + row*r.ow*Block
	w := c.wp[q*c.pairLen:]
	bias := c.bias[q*c.group*Block:]
	if r.level >= cpu.AVX2 && haveConvAsm {
		r.fillArgs(a, nb, w, bias)
	}
	iy := row*p.SH - r.padT // input row of kernel row 0
	inside := iy >= 0 && iy+(p.KH-1)*p.DH < r.h
	in := nchwSpan{x: r.x, xo: img*r.xImg + iy*r.w - r.padL, icS: r.h * r.w, khS: p.DH * r.w}
	// Balanced segments (a row of 14 runs as 7 + 7, not 12 + 2) of at most
	// what the kernels hold in registers (AVX-512: 24 accumulators; AVX2:
	// 12 = 6 pixels × 2 halves of one block). A segment whose taps all lie
	// in the image reads it directly, consecutive ones in one call; one
	// that touches the padding reads a strip made for it.
	maxR := min(12, 24/nb)
	if r.level == cpu.AVX2 {
		maxR = 6
	}
	nseg := (r.ow + maxR - 1) / maxR
	base, extra := r.ow/nseg, r.ow%nseg
	segLen := func(s int) int {
		if s < extra {
			return base + 1
		}
		return base
	}
	direct := func(j, cnt int) bool { return inside && j >= r.oxL && j+cnt <= r.oxR }
	for s, j := 0, 0; s < nseg; {
		cnt := segLen(s)
		if !direct(j, cnt) {
			r.segments(a, nb, w, bias, r.strip(strip, img, row, j, j+cnt), yo+j*Block, cnt, 1)
			s, j = s+1, j+cnt
			continue
		}
		k := 1
		for s+k < nseg && segLen(s+k) == cnt && direct(j+k*cnt, cnt) {
			k++
		}
		at := in
		at.xo += j * p.SW
		r.segments(a, nb, w, bias, at, yo+j*Block, cnt, k)
		s, j = s+k, j+k*cnt
	}
	if r.goAct != linalg.ActNone {
		for b := 0; b < nb; b++ {
			o := yo + b*r.yPlane
			convActivate(r.y[o:o+r.ow*Block], r.goAct, p.Alpha, p.Beta)
		}
	}
}

// strip fills buf with the taps of output pixels [ox0, ox1) of row `row`:
// per input channel and kernel row, the input row (zeros above and below
// the image) over the pixels' padded columns (zeros left and right).
func (r *nchwRun) strip(buf []float32, img, row, ox0, ox1 int) nchwSpan {
	p := r.c.p
	pc0 := ox0 * p.SW // padded column of the first tap
	sw := (ox1-1-ox0)*p.SW + (p.KW-1)*p.DW + 1
	// The image's columns within [pc0, pc0+sw), as offsets in the strip.
	lo := min(sw, max(0, r.padL-pc0))
	hi := max(lo, min(sw, r.padL+r.w-pc0))
	for ic := 0; ic < p.InC; ic++ {
		for kh := 0; kh < p.KH; kh++ {
			d := buf[(ic*p.KH+kh)*sw : (ic*p.KH+kh+1)*sw]
			iy := row*p.SH - r.padT + kh*p.DH
			if iy < 0 || iy >= r.h {
				clear(d)
				continue
			}
			src := img*r.xImg + (ic*r.h+iy)*r.w + pc0 - r.padL
			clear(d[:lo])
			copy(d[lo:hi], r.x[src+lo:src+hi])
			clear(d[hi:])
		}
	}
	return nchwSpan{x: buf, icS: p.KH * sw, khS: sw}
}

// segments computes nseg consecutive segments of cnt output pixels each,
// reading in and writing y from offset yo.
func (r *nchwRun) segments(a *kArgs, nb int, w, bias []float32, in nchwSpan, yo, cnt, nseg int) {
	if r.level >= cpu.AVX2 && haveConvAsm {
		a.icbS, a.khS = 4*in.icS, 4*in.khS
		r.runAsm(a, nb, in.x, in.xo, yo, cnt, nseg)
		return
	}
	for s := 0; s < nseg; s++ {
		r.segmentGo(nb, w, bias, in, in.xo+s*cnt*r.c.p.SW, yo+s*cnt*Block, cnt)
	}
}

// fillArgs sets the fields of a that stay the same along a row. kArgs'
// input-block fields count and separate input channels here.
func (r *nchwRun) fillArgs(a *kArgs, nb int, w, bias []float32) {
	p := r.c.p
	a.w = unsafe.Pointer(&w[0])
	a.bias = unsafe.Pointer(&bias[0])
	a.icb, a.kh, a.kw = p.InC, p.KH, p.KW
	a.kwS = 4 * p.DW // icbS and khS depend on the span (input or strip)
	a.yS = 4 * r.yPlane
	a.flags = 0
	if r.z != nil {
		a.flags |= convResidual
	}
	if r.clamp {
		a.flags |= convClamp
		a.lo, a.hi = r.lo, r.hi
	}
}

// runAsm runs nseg segments of cnt pixels each through the assembly
// kernels, starting at offset xo of x and yo of y.
func (r *nchwRun) runAsm(a *kArgs, nb int, x []float32, xo, yo, cnt, nseg int) {
	if nseg <= 0 {
		return
	}
	p := r.c.p
	sw := p.SW
	if sw > 2 {
		// Only strides 1 and 2 are generated: other strides go one
		// pixel per call (the pixel stride does not matter then).
		for j := 0; j < cnt*nseg; j++ {
			r.callAsm(a, nb, x, xo+j*sw, yo+j*Block, 1, 1, 1)
		}
		return
	}
	perSeg := 2 * cnt * nb * Block * p.InC * p.KH * p.KW
	step := max(1, callFlops/perSeg)
	for s := 0; s < nseg; s += step {
		n := min(step, nseg-s)
		r.callAsm(a, nb, x, xo+s*cnt*sw, yo+s*cnt*Block, cnt, n, sw)
	}
}

// callAsm makes one assembly call (AVX2: one per block) for nseg segments
// of cnt pixels.
func (r *nchwRun) callAsm(a *kArgs, nb int, x []float32, xo, yo, cnt, nseg, sw int) {
	a.x = unsafe.Pointer(&x[xo])
	a.y = unsafe.Pointer(&r.y[yo])
	a.z = nil
	if r.z != nil {
		a.z = unsafe.Pointer(&r.z[yo])
	}
	a.nseg = nseg
	if r.level >= cpu.AVX512 {
		convKernelNCHW512(nb, sw, cnt, a)
		return
	}
	// AVX2 kernels compute one block from the group's interleaved filter
	// (16·nb channels per tap): one call per block, offset by 16 floats.
	// Pointers are only formed for blocks that exist: one past the end of
	// an allocation would be a bad pointer to the garbage collector.
	w, b, y, z := a.w, a.bias, a.y, a.z
	for blk := 0; blk < nb; blk++ {
		a.w = unsafe.Add(w, 4*Block*blk)
		a.bias = unsafe.Add(b, 4*Block*blk)
		a.y = unsafe.Add(y, a.yS*blk)
		if z != nil {
			a.z = unsafe.Add(z, a.yS*blk)
		}
		convKernelNCHW256(nb*Block, sw, cnt, a)
	}
	a.w, a.bias, a.y, a.z = w, b, y, z
}

// segmentGo is the portable twin of the assembly kernels: cnt (≤ 12)
// output pixels of nb blocks from the group filter w and bias, in.x read
// at offset xo (the first tap of the first pixel, channel 0), y and z at
// yo.
func (r *nchwRun) segmentGo(nb int, w, bias []float32, in nchwSpan, xo, yo, cnt int) {
	var acc [24 * Block]float32
	ow := nb * Block
	for j := 0; j < cnt; j++ {
		copy(acc[j*ow:(j+1)*ow], bias[:ow])
	}
	p := r.c.p
	x := in.x
	wo := 0
	for ic := 0; ic < p.InC; ic++ {
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				tap := xo + ic*in.icS + kh*in.khS + kw*p.DW
				wv := w[wo : wo+ow]
				wo += ow
				for j := 0; j < cnt; j++ {
					xv := x[tap+j*p.SW]
					av := acc[j*ow : (j+1)*ow]
					for o, f := range wv {
						av[o] += xv * f
					}
				}
			}
		}
	}
	for b := 0; b < nb; b++ {
		out := r.y[yo+b*r.yPlane : yo+b*r.yPlane+cnt*Block]
		var res []float32
		if r.z != nil {
			res = r.z[yo+b*r.yPlane : yo+b*r.yPlane+cnt*Block]
		}
		for j := 0; j < cnt; j++ {
			for l := 0; l < Block; l++ {
				v := acc[j*ow+b*Block+l]
				if res != nil {
					v += res[j*Block+l]
				}
				if r.clamp {
					// Comparisons keep NaN, as the assembly's max/min do.
					if v < r.lo {
						v = r.lo
					}
					if v > r.hi {
						v = r.hi
					}
				}
				out[j*Block+l] = v
			}
		}
	}
}

// convPadNCHW copies planes NCHW planes of h×w values from x into dst as
// hp×wp planes with the image at row padT, column padL and zeros around
// it.
func convPadNCHW(x []float32, planes, h, w, padT, padL, hp, wp int, dst []float32) {
	in, out := h*w, hp*wp
	for pl := 0; pl < planes; pl++ {
		src := x[pl*in : (pl+1)*in]
		d := dst[pl*out : (pl+1)*out]
		clear(d[:padT*wp])
		clear(d[(padT+h)*wp:])
		for row := 0; row < h; row++ {
			dr := d[(padT+row)*wp : (padT+row+1)*wp]
			clear(dr[:padL])
			copy(dr[padL:padL+w], src[row*w:(row+1)*w])
			clear(dr[padL+w:])
		}
	}
}
