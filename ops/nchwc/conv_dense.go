package nchwc

import (
	"math"
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/linalg"
)

// flatRow is the length of the pseudo-rows a 1×1, stride 1, unpadded
// convolution is cut into: its output plane is one run of oh·ow pixels,
// so rows of the image do not matter; 96 = 8 full 12-pixel segments, large
// enough that the Go-side work per row is amortised and small enough to
// split a 7×7 plane's work between threads.
const flatRow = 96

// groupBytes bounds the packed filters one work item runs: a share of the
// 1 MiB L2 that leaves room for the input rows and the output.
const groupBytes = 384 << 10

// workGrain is the multiply-adds ×2 (FLOPs) a thread should get at least:
// about 20 µs at 200 GFLOP/s, so waking a second goroutine pays off.
const workGrain = 4 << 20

// denseRun is one dense Run: its operands and the geometry, in floats, that
// every row shares.
type denseRun struct {
	c       *Conv
	x, y, z []float32 // x: the (padded) input the kernels read
	wp      []float32 // the packed filter: c.wp, or a scaled copy (RunScaled)
	flat    bool
	rows    int // rows per output plane (oh, or pseudo-rows when flat)
	oh, ow  int
	xImg    int // floats per input image
	xRow    int // floats between the first taps of consecutive output rows
	yPlane  int // floats per output block plane (oh·ow·16)
	icbS    int // floats between input blocks
	khS     int // floats between kernel rows (dilated)
	kwS     int // floats between kernel columns (dilated)
	pixS    int // floats between consecutive output pixels' inputs
	clamp   bool
	lo, hi  float32
	goAct   linalg.Activation // applied in Go after each row (ActNone: none)
	level   cpu.Level
	// Work items are (image, group of pairs, row): see runDense.
	pairs, group, groups int
}

// runDense runs the dense convolution with the packed filter wp (c.wp, or
// a copy laid out alike).
func (c *Conv) runDense(wp []float32, x []float32, n, h, w, oh, ow int, z, y []float32, threads int) {
	p := c.p
	hp, wpx := h+p.PadT+p.PadB, w+p.PadL+p.PadR
	var buf *[]float32
	if hp != h || wpx != w {
		buf = getScratch(n * c.icb * hp * wpx * Block)
		convPadInput(x, n*c.icb, h, w, p.PadT, p.PadL, hp, wpx, *buf, threads)
		x = *buf
		defer putScratch(buf)
	}
	r := denseRun{
		c: c, x: x, y: y, z: z, wp: wp, oh: oh, ow: ow,
		xImg:   c.icb * hp * wpx * Block,
		xRow:   p.SH * wpx * Block,
		yPlane: oh * ow * Block,
		icbS:   hp * wpx * Block,
		khS:    p.DH * wpx * Block,
		kwS:    p.DW * Block,
		pixS:   p.SW * Block,
		level:  cpu.Active,
		rows:   oh,
	}
	if p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && hp == h && wpx == w {
		r.flat = true
		r.rows = (oh*ow + flatRow - 1) / flatRow
	}
	switch p.Act {
	case linalg.ActRelu:
		r.clamp, r.lo, r.hi = true, 0, float32(math.Inf(1))
	case linalg.ActClip:
		r.clamp, r.lo, r.hi = true, p.Alpha, p.Beta
	default:
		r.goAct = p.Act
	}
	// Work items are (image, group of pairs, row); a row runs every pair
	// of its group, so the group's filters stay in L2 while the input
	// rows they share stay in L1.
	r.pairs = (c.ocb + 1) / 2
	r.group = max(1, min(r.pairs, groupBytes/(4*c.pairLen)))
	r.groups = (r.pairs + r.group - 1) / r.group
	items := n * r.groups * r.rows
	perItem := 2 * (oh * ow / r.rows) * r.group * 2 * Block * c.icb * Block * p.KH * p.KW
	grain := max(1, workGrain/max(1, perItem))
	if linalg.Serial(threads, items, grain) {
		r.items(0, items) // r stays on the stack
		return
	}
	shared := new(denseRun) // the workers' copy
	*shared = r
	linalg.ParallelN(threads, items, grain, shared.items)
}

// items runs work items [lo, hi).
func (r *denseRun) items(lo, hi int) {
	var a kArgs
	for it := lo; it < hi; it++ {
		row := it % r.rows
		gi := it / r.rows
		img, q0 := gi/r.groups, gi%r.groups*r.group
		for q := q0; q < min(r.pairs, q0+r.group); q++ {
			r.row(&a, img, q, row)
		}
	}
}

// row computes output row `row` of image img for output-block pair q.
func (r *denseRun) row(a *kArgs, img, q, row int) {
	c := r.c
	nb := 2
	if 2*q+1 == c.ocb {
		nb = 1
	}
	xo := img * r.xImg
	yo := (img*c.ocb+2*q)*r.yPlane + row*r.ow*Block
	npx := r.ow
	if r.flat {
		xo += row * flatRow * Block
		yo = (img*c.ocb+2*q)*r.yPlane + row*flatRow*Block
		npx = min(flatRow, r.oh*r.ow-row*flatRow)
	} else {
		xo += row * r.xRow
	}
	w := r.wp[q*c.pairLen:]
	bias := c.bias[q*2*Block:]
	// Segment lengths: what the kernels hold in registers (AVX-512: 24
	// accumulators = 12 pixels × 2 blocks; AVX2: 12 = 6 pixels × 2 halves
	// of one block). A single block on AVX-512 also takes 12 pixels: 24
	// measured no faster, as one broadcast per FMA bounds it either way.
	maxR := 12
	if r.level == cpu.AVX2 {
		maxR = 6
	}
	asm := r.level >= cpu.AVX2 && haveConvAsm
	if asm {
		r.fillArgs(a, nb, w, bias)
	}
	// Balanced segments (a row of 14 runs as 7 + 7, not 12 + 2): extra
	// segments of base+1 pixels, then nseg-extra of base.
	nseg := (npx + maxR - 1) / maxR
	base, extra := npx/nseg, npx%nseg
	if asm {
		r.runAsm(a, nb, xo, yo, base+1, extra)
		r.runAsm(a, nb, xo+extra*(base+1)*r.pixS, yo+extra*(base+1)*Block, base, nseg-extra)
	} else {
		j := 0
		for s := 0; s < nseg; s++ {
			cnt := base
			if s < extra {
				cnt++
			}
			r.segmentGo(nb, w, bias, xo+j*r.pixS, yo+j*Block, cnt)
			j += cnt
		}
	}
	if r.goAct != linalg.ActNone {
		for b := 0; b < nb; b++ {
			o := yo + b*r.yPlane
			convActivate(r.y[o:o+npx*Block], r.goAct, c.p.Alpha, c.p.Beta)
		}
	}
}

// fillArgs sets the fields of a that stay the same along a row.
func (r *denseRun) fillArgs(a *kArgs, nb int, w, bias []float32) {
	p := r.c.p
	a.w = unsafe.Pointer(&w[0])
	a.bias = unsafe.Pointer(&bias[0])
	a.icb, a.kh, a.kw = r.c.icb, p.KH, p.KW
	a.icbS, a.khS, a.kwS = 4*r.icbS, 4*r.khS, 4*r.kwS
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

// callFlops bounds the work of one assembly call (about 40 µs at 200
// GFLOP/s): assembly is not preemptible, so a long call would hold up the
// garbage collector's stop-the-world.
const callFlops = 8 << 20

// runAsm runs nseg segments of cnt pixels each through the assembly
// kernels, starting at x offset xo and y offset yo.
func (r *denseRun) runAsm(a *kArgs, nb, xo, yo, cnt, nseg int) {
	if nseg <= 0 {
		return
	}
	sw := r.c.p.SW
	if sw > 2 {
		// Only strides 1 and 2 are generated: other strides go one
		// pixel per call (the pixel stride does not matter then).
		for j := 0; j < cnt*nseg; j++ {
			r.callAsm(a, nb, xo+j*r.pixS, yo+j*Block, 1, 1, 1)
		}
		return
	}
	p := r.c.p
	perSeg := 2 * cnt * nb * Block * r.c.icb * Block * p.KH * p.KW
	step := max(1, callFlops/perSeg)
	for s := 0; s < nseg; s += step {
		n := min(step, nseg-s)
		r.callAsm(a, nb, xo+s*cnt*r.pixS, yo+s*cnt*Block, cnt, n, sw)
	}
}

// callAsm makes one assembly call for nseg segments of cnt pixels.
func (r *denseRun) callAsm(a *kArgs, nb, xo, yo, cnt, nseg, sw int) {
	a.x = unsafe.Pointer(&r.x[xo])
	a.y = unsafe.Pointer(&r.y[yo])
	a.z = nil
	if r.z != nil {
		a.z = unsafe.Pointer(&r.z[yo])
	}
	a.nseg = nseg
	if r.level >= cpu.AVX512 {
		convKernel512(nb, sw, cnt, a)
		return
	}
	// AVX2 kernels compute one block; a pair runs as two calls on the
	// pair's interleaved filter (32 channels per input lane).
	convKernel256(nb*Block, sw, cnt, a)
	if nb == 2 {
		w, b, y, z := a.w, a.bias, a.y, a.z
		a.w = unsafe.Add(w, 4*Block)
		a.bias = unsafe.Add(b, 4*Block)
		a.y = unsafe.Add(y, a.yS)
		if z != nil {
			a.z = unsafe.Add(z, a.yS)
		}
		convKernel256(nb*Block, sw, cnt, a)
		a.w, a.bias, a.y, a.z = w, b, y, z
	}
}
