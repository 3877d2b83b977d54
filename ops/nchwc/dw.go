package nchwc

import (
	"math"

	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// depthwiseRun is Conv.Run for a depthwise convolution (c.p.Group > 1),
// with Run's arguments already checked.
func depthwiseRun(c *Conv, x []float32, n, h, w int, z, y []float32, threads int) {
	dwRun(&c.p, c.dw, c.bias, x, n, h, w, z, y, threads)
}

// dwRun computes a depthwise convolution (p.Group == p.InC == p.OutC) on
// blocked data:
//
//	y = Act(conv(x, w) + bias + z)
//
// w is the packed filter [CB][KH][KW][16] and bias has CB·16 values (both
// zero in padding channels); x is [n][CB][h][w][16]; z is nil or shaped
// like y = [n][CB][oh][ow][16]. Every element of y is written.
//
// Preconditions (the caller validated them; nothing here re-checks): p is
// valid and its OutSize(h, w) succeeds, and every slice is at least as
// long as stated. Work is split over (image, channel block, output row)
// on up to threads goroutines.
func dwRun(p *ConvParams, wt, bias, x []float32, n, h, w int, z, y []float32, threads int) {
	oh, ow, err := p.OutSize(h, w)
	if err != nil || n < 1 {
		return
	}
	cb := Blocks(p.OutC)
	clamp, lo, hi := dwClamp(p)
	perRow := ow * Block * p.KH * p.KW
	if oh*ow <= dwSmallPlane {
		dwRunSmall(p, wt, bias, x, n, h, w, oh, ow, z, y, threads, clamp, lo, hi)
		return
	}
	rows := n * cb * oh
	// ~64K multiply-adds per chunk at least: smaller loops stay on the
	// caller's goroutine, where a hand-off would cost more than it saves.
	grain := max(1, (1<<16)/max(1, perRow))
	j := dwJob{p: p, wt: wt, bias: bias, x: x, z: z, y: y, h: h, w: w, oh: oh, ow: ow, cb: cb, clamp: clamp, lo: lo, hi: hi}
	if linalg.Serial(threads, rows, grain) {
		j.rows(0, rows) // j stays on the stack
		return
	}
	shared := new(dwJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, rows, grain, shared.rows)
}

// dwJob is one dwRun or dwRunSmall call.
type dwJob struct {
	p                 *ConvParams
	wt, bias, x, z, y []float32
	h, w, oh, ow, cb  int
	clamp             bool
	lo, hi            float32
	hp, wp            int  // dwRunSmall: the zero-bordered scratch's size
	padded            bool // dwRunSmall: taps fall outside the input
}

// rows computes dwRun's output rows [r0, r1) (over image, block, row).
func (j *dwJob) rows(r0, r1 int) {
	p, h, w, oh, ow, x, z, y, wt := j.p, j.h, j.w, j.oh, j.ow, j.x, j.z, j.y, j.wt
	for r := r0; r < r1; r++ {
		oy := r % oh
		bc := r / oh // image·CB + channel block
		c := bc % j.cb
		xb := x[bc*h*w*Block : (bc+1)*h*w*Block]
		yrow := y[(r*ow)*Block : (r+1)*ow*Block]
		var zrow []float32
		if z != nil {
			zrow = z[(r*ow)*Block : (r+1)*ow*Block]
		}
		wb := wt[c*p.KH*p.KW*Block : (c+1)*p.KH*p.KW*Block]
		dwRow(p, wb, j.bias[c*Block:(c+1)*Block], xb, h, w, oy, ow, zrow, yrow, j.clamp, j.lo, j.hi)
		dwActivate(yrow, p)
	}
}

// dwSmallPlane is the largest output plane (pixels) computed a whole
// channel block per kernel call from a zero-bordered copy of the input:
// on small planes the per-row work (border outputs one call each) costs
// more than the copy.
var dwSmallPlane = 400

// dwRunSmall is dwRun for small planes: each channel block is copied into
// a zero-bordered scratch covering every tap (unless no tap falls outside
// the input), then all its outputs are interior, one kernel call.
func dwRunSmall(p *ConvParams, wt, bias, x []float32, n, h, w, oh, ow int, z, y []float32, threads int, clamp bool, lo, hi float32) {
	cb := Blocks(p.OutC)
	hp := (oh-1)*p.SH + (p.KH-1)*p.DH + 1 // rows covered, from input row -PadT
	wp := (ow-1)*p.SW + (p.KW-1)*p.DW + 1
	padded := p.PadT > 0 || p.PadL > 0 || hp > h || wp > w
	taps := p.KH * p.KW
	grain := max(1, (1<<16)/max(1, oh*ow*Block*taps))
	j := dwJob{p: p, wt: wt, bias: bias, x: x, z: z, y: y, h: h, w: w, oh: oh, ow: ow, cb: cb, clamp: clamp, lo: lo, hi: hi, hp: hp, wp: wp, padded: padded}
	if linalg.Serial(threads, n*cb, grain) {
		j.blocks(0, n*cb) // j stays on the stack
		return
	}
	shared := new(dwJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, n*cb, grain, shared.blocks)
}

// blocks computes dwRunSmall's channel blocks [b0, b1) (over image, block).
func (j *dwJob) blocks(b0, b1 int) {
	p, h, w, oh, ow, hp, wp, x, wt := j.p, j.h, j.w, j.oh, j.ow, j.hp, j.wp, j.x, j.wt
	taps := p.KH * p.KW
	var scratch []float32
	if j.padded {
		sp := getScratch(hp * wp * Block)
		defer putScratch(sp)
		scratch = *sp
	}
	for bc := b0; bc < b1; bc++ {
		c := bc % j.cb
		src, sw := x[bc*h*w*Block:(bc+1)*h*w*Block], w
		if j.padded {
			dwPadCopy(scratch, hp, wp, src, h, w, p.PadT, p.PadL)
			src, sw = scratch, wp
		}
		yb := j.y[bc*oh*ow*Block : (bc+1)*oh*ow*Block]
		seg := dwSegArgs{
			y: yb, x: src, w: wt[c*taps*Block : (c+1)*taps*Block], b: j.bias[c*Block : (c+1)*Block], z: dwZ(j.z, bc*oh*ow, (bc+1)*oh*ow),
			n: ow, rows: oh, kh: p.KH, kw: p.KW, rs: p.DH * sw * Block, cs: p.DW * Block, ps: p.SW * Block, wrs: p.KW * Block,
			xrs: p.SH * sw * Block, yrs: ow * Block, clamp: j.clamp, lo: j.lo, hi: j.hi,
		}
		dwSegment(&seg)
		dwActivate(yb, p)
	}
}

// dwPadCopy copies the block src ([h][w][16]) into dst ([hp][wp][16]) at
// row padT, column padL, with zeros everywhere else.
func dwPadCopy(dst []float32, hp, wp int, src []float32, h, w, padT, padL int) {
	clear(dst)
	cols := min(w, wp-padL) // input columns inside the scratch
	for iy := 0; iy < h && iy+padT < hp; iy++ {
		if cols > 0 {
			copy(dst[((iy+padT)*wp+padL)*Block:], src[iy*w*Block:(iy*w+cols)*Block])
		}
	}
}

// dwClamp is the part of the activation the kernels apply in their
// stores: Relu and Clip are a clamp to [lo, hi].
func dwClamp(p *ConvParams) (clamp bool, lo, hi float32) {
	switch p.Act {
	case linalg.ActRelu:
		return true, 0, float32(math.Inf(1))
	case linalg.ActClip:
		return true, p.Alpha, p.Beta
	}
	return false, 0, 0
}

// dwActivate applies the activations the kernels do not (all but Relu and
// Clip) to a row just written, while it is in cache.
func dwActivate(row []float32, p *ConvParams) {
	switch p.Act {
	case linalg.ActLeakyRelu:
		a := p.Alpha
		for i, v := range row {
			if v < 0 {
				row[i] = a * v
			}
		}
	case linalg.ActSigmoid:
		vector.Sigmoid(row, row)
	case linalg.ActSiLU:
		vector.SiLU(row, row)
	case linalg.ActHardSigmoid:
		a, b := p.Alpha, p.Beta
		for i, v := range row {
			row[i] = max(0, min(1, a*v+b))
		}
	case linalg.ActHardSwish:
		vector.HardSwish(row, row)
	case linalg.ActTanh:
		vector.Tanh(row, row)
	case linalg.ActGelu:
		vector.Gelu(row, row)
	}
}

// tapSpan returns the first tap and the number of taps k in [0, taps)
// whose input position start + k·d lies in [0, size).
func tapSpan(start, d, taps, size int) (first, count int) {
	if start < 0 {
		first = (-start + d - 1) / d
	}
	last := taps - 1
	if end := start + last*d; end >= size {
		if start > size-1 {
			return 0, 0
		}
		last = (size - 1 - start) / d
	}
	if last < first {
		return 0, 0
	}
	return first, last - first + 1
}

// interior returns the output columns [a, b) whose taps all lie inside
// [0, size) (b <= a when there are none).
func interior(out, stride, pad, ext, size int) (a, b int) {
	a = (pad + stride - 1) / stride
	// o·stride − pad + ext − 1 <= size − 1
	if lim := size - ext + pad; lim >= 0 {
		b = lim/stride + 1
	}
	return min(a, out), min(b, out)
}

// dwRow writes one output row oy of one channel block: xb is the block's
// input [h][w][16], wb its filter [KH][KW][16], b its 16 biases.
func dwRow(p *ConvParams, wb, b, xb []float32, h, w, oy, ow int, z, y []float32, clamp bool, lo, hi float32) {
	ky0, kh := tapSpan(oy*p.SH-p.PadT, p.DH, p.KH, h)
	iy := oy*p.SH - p.PadT + ky0*p.DH
	rs := p.DH * w * Block // input step between filter rows
	cs := p.DW * Block     // input step between filter columns
	wrs := p.KW * Block    // filter step between rows
	wOff := ky0 * p.KW * Block
	seg := dwSegArgs{w: wb, b: b, rows: 1, rs: rs, cs: cs, wrs: wrs, clamp: clamp, lo: lo, hi: hi}
	a, e := interior(ow, p.SW, p.PadL, (p.KW-1)*p.DW+1, w)
	// Border outputs one at a time with their taps clipped; the interior
	// in one call.
	for ox := 0; ox < ow; ox++ {
		if ox == a && a < e {
			seg.n, seg.kh, seg.kw, seg.ps = e-a, kh, p.KW, p.SW*Block
			seg.x = dwSlice(xb, kh, (iy*w+a*p.SW-p.PadL)*Block)
			seg.wo = wOff
			seg.y, seg.z = y[a*Block:e*Block], dwZ(z, a, e)
			dwSegment(&seg)
			ox = e - 1
			continue
		}
		kx0, kw := tapSpan(ox*p.SW-p.PadL, p.DW, p.KW, w)
		ix := ox*p.SW - p.PadL + kx0*p.DW
		seg.n, seg.kh, seg.kw, seg.ps = 1, kh, kw, Block
		if kw == 0 {
			seg.kh = 0
		}
		seg.x = dwSlice(xb, seg.kh, (iy*w+ix)*Block)
		seg.wo = wOff + kx0*Block
		seg.y, seg.z = y[ox*Block:(ox+1)*Block], dwZ(z, ox, ox+1)
		dwSegment(&seg)
	}
}

// dwSlice is xb from off, or all of xb when there are no taps (off may
// then be out of range, and nothing is read).
func dwSlice(xb []float32, taps, off int) []float32 {
	if taps == 0 {
		return xb
	}
	return xb[off:]
}

func dwZ(z []float32, a, e int) []float32 {
	if z == nil {
		return nil
	}
	return z[a*Block : e*Block]
}

// dwSegArgs is rows row segments of a depthwise convolution: for each
// row j < rows and each of n outputs i, y[j·yrs + i] = clamp(b + Σ_{r<kh,
// c<kw} w[wo + r·wrs + c·16] · x[j·xrs + i·ps + r·rs + c·cs] + z[j·yrs +
// i]) over 16 lanes (offsets in floats).
type dwSegArgs struct {
	y, x, w, b, z         []float32
	n, kh, kw, rs, cs, ps int
	wo, wrs               int
	rows, xrs, yrs        int
	clamp                 bool
	lo, hi                float32
}

// dwSegGo is the portable segment kernel.
func dwSegGo(a *dwSegArgs) {
	for j := 0; j < a.rows; j++ {
		row := *a
		row.rows = 1
		row.x = a.x[j*a.xrs:]
		row.y = a.y[j*a.yrs:]
		if a.z != nil {
			row.z = a.z[j*a.yrs:]
		}
		dwRowGo(&row)
	}
}

// dwRowGo is dwSegGo for one row.
func dwRowGo(a *dwSegArgs) {
	for i := 0; i < a.n; i++ {
		var acc [Block]float32
		copy(acc[:], a.b[:Block])
		for r := 0; r < a.kh; r++ {
			for c := 0; c < a.kw; c++ {
				xv := a.x[i*a.ps+r*a.rs+c*a.cs:][:Block]
				wv := a.w[a.wo+r*a.wrs+c*Block:][:Block]
				for l := range acc {
					acc[l] += wv[l] * xv[l]
				}
			}
		}
		if a.z != nil {
			zv := a.z[i*Block:][:Block]
			for l := range acc {
				acc[l] += zv[l]
			}
		}
		if a.clamp {
			for l, v := range acc {
				acc[l] = min(max(v, a.lo), a.hi)
			}
		}
		copy(a.y[i*Block:(i+1)*Block], acc[:])
	}
}
