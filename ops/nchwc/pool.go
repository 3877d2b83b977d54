package nchwc

import (
	"math"

	"github.com/gonyx/gonyx/ops/linalg"
)

// Pool computes MaxPool (p.Max) or AveragePool on blocked data: x is
// [n][cb][h][w][16], y is [n][cb][p.OH][p.OW][16] and every element of y
// is written. Padding taps are ignored by MaxPool; AveragePool divides by
// the number of taps inside the input, or with p.CountIncludePad by the
// number inside the padded input [-PadT, h+PadB) × [-PadL, w+PadR). A
// window with no tap inside the input yields 0. NaN inputs give an
// unspecified (possibly NaN) maximum on the assembly levels.
//
// Preconditions (validated by the caller, not re-checked): kernel, strides
// and dilations positive, pads non-negative, OH and OW positive and at most
// the ONNX output size (no window starts past the padded input), len(x) >=
// n·cb·h·w·16 and len(y) >= n·cb·OH·OW·16. Work is split over (image,
// block, output row) on up to threads goroutines (<= 0: the default).
func Pool(p PoolParams, x []float32, n, cb, h, w int, y []float32, threads int) {
	if n < 1 || cb < 1 || p.OH < 1 || p.OW < 1 {
		return
	}
	rows := n * cb * p.OH
	perRow := p.OW * Block * p.KH * p.KW
	grain := max(1, poolGrain/max(1, perRow))
	j := poolJob{p: p, x: x, y: y, h: h, w: w}
	if linalg.Serial(threads, rows, grain) {
		j.rows(0, rows) // j stays on the stack
		return
	}
	shared := new(poolJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, rows, grain, shared.rows)
}

// poolGrain is the window taps (one 16-lane max or add each) a chunk of
// Pool gets at least: 2^19 taps are ~60 µs of work here (cnn_mnist's two
// pools at batch 8, 0.22 M taps counted as below, took 0.026 ms on one
// thread), which a hand-off to a second goroutine (tens of µs to wake a
// parked worker on this VM) then pays for. At 2^16 those two pools ran
// 2.3× slower on two threads than on one (`gonyx bench --model
// cnn_mnist/model.onnx --threads 1|2 --batch 8 --runs 200 --ops`: 0.061
// against 0.026 ms).
const poolGrain = 1 << 19

// poolJob is one Pool call.
type poolJob struct {
	p    PoolParams
	x, y []float32
	h, w int
}

// rows computes output rows [r0, r1) (over image, block, row).
func (j *poolJob) rows(r0, r1 int) {
	p := &j.p
	for r := r0; r < r1; r++ {
		bc := r / p.OH
		xb := j.x[bc*j.h*j.w*Block : (bc+1)*j.h*j.w*Block]
		poolRow(p, xb, j.h, j.w, r%p.OH, j.y[r*p.OW*Block:(r+1)*p.OW*Block])
	}
}

// poolRow writes output row oy of one block (xb: the block's [h][w][16]).
func poolRow(p *PoolParams, xb []float32, h, w, oy int, y []float32) {
	ystart := oy*p.SH - p.PadT
	ky0, kh := tapSpan(ystart, p.DH, p.KH, h)
	_, khPad := tapSpan(ystart+p.PadT, p.DH, p.KH, h+p.PadT+p.PadB)
	iy := ystart + ky0*p.DH
	seg := poolSegArgs{max: p.Max, rs: p.DH * w * Block, cs: p.DW * Block}
	a, e := interior(p.OW, p.SW, p.PadL, (p.KW-1)*p.DW+1, w)
	for ox := 0; ox < p.OW; ox++ {
		if ox == a && a < e {
			seg.n, seg.kh, seg.kw, seg.ps = e-a, kh, p.KW, p.SW*Block
			seg.scale = poolScale(p, kh*p.KW, khPad*p.KW)
			seg.x = dwSlice(xb, kh, (iy*w+a*p.SW-p.PadL)*Block)
			seg.y = y[a*Block : e*Block]
			poolSegment(&seg)
			ox = e - 1
			continue
		}
		xstart := ox*p.SW - p.PadL
		kx0, kw := tapSpan(xstart, p.DW, p.KW, w)
		_, kwPad := tapSpan(xstart+p.PadL, p.DW, p.KW, w+p.PadL+p.PadR)
		seg.n, seg.kh, seg.kw, seg.ps = 1, kh, kw, Block
		if kw == 0 {
			seg.kh = 0
		}
		seg.scale = poolScale(p, seg.kh*kw, khPad*kwPad)
		seg.x = dwSlice(xb, seg.kh, (iy*w+xstart+kx0*p.DW)*Block)
		seg.y = y[ox*Block : (ox+1)*Block]
		poolSegment(&seg)
	}
}

// poolScale is AveragePool's 1/divisor for a window with taps taps inside
// the input and padTaps inside the padded input.
func poolScale(p *PoolParams, taps, padTaps int) float32 {
	d := taps
	if p.CountIncludePad {
		d = padTaps
	}
	if d == 0 {
		return 0
	}
	return 1 / float32(d)
}

// poolSegArgs is one row segment of a pool: for each of n outputs i,
// y[i] = max or scale·Σ over r < kh, c < kw of x[i·ps + r·rs + c·cs] (16
// lanes, offsets in floats); with kh == 0 the outputs are 0.
type poolSegArgs struct {
	y, x              []float32
	n, kh, kw, rs, cs int
	ps                int
	max               bool
	scale             float32
}

// poolSegGo is the portable segment kernel.
func poolSegGo(a *poolSegArgs) {
	for i := 0; i < a.n; i++ {
		var acc [Block]float32
		if a.max && a.kh > 0 {
			for l := range acc {
				acc[l] = float32(math.Inf(-1))
			}
		}
		for r := 0; r < a.kh; r++ {
			for c := 0; c < a.kw; c++ {
				xv := a.x[i*a.ps+r*a.rs+c*a.cs:][:Block]
				if a.max {
					for l := range acc {
						acc[l] = max(acc[l], xv[l])
					}
				} else {
					for l := range acc {
						acc[l] += xv[l]
					}
				}
			}
		}
		if !a.max {
			for l := range acc {
				acc[l] *= a.scale
			}
		}
		copy(a.y[i*Block:(i+1)*Block], acc[:])
	}
}

// GlobalAveragePool averages each block's hw pixels: x is [n][cb][hw][16],
// y is [n][cb][16] (all written). Preconditions: hw >= 1, len(x) >=
// n·cb·hw·16, len(y) >= n·cb·16.
func GlobalAveragePool(x []float32, n, cb, hw int, y []float32, threads int) {
	blocks := n * cb
	if blocks < 1 || hw < 1 {
		return
	}
	grain := max(1, (1<<16)/(hw*Block))
	scale := 1 / float32(hw)
	j := gapJob{x: x, y: y, hw: hw, scale: scale}
	if linalg.Serial(threads, blocks, grain) {
		j.blocks(0, blocks) // j stays on the stack
		return
	}
	shared := new(gapJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, blocks, grain, shared.blocks)
}

// gapJob is one GlobalAveragePool call.
type gapJob struct {
	x, y  []float32
	hw    int
	scale float32
}

// blocks averages blocks [b0, b1).
func (j *gapJob) blocks(b0, b1 int) {
	hw := j.hw
	for b := b0; b < b1; b++ {
		gapBlock(j.x[b*hw*Block:(b+1)*hw*Block], hw, j.scale, j.y[b*Block:(b+1)*Block])
	}
}

// gapBlockGo writes y = scale·Σ_p x[p] over hw 16-lane pixels.
func gapBlockGo(x []float32, hw int, scale float32, y []float32) {
	var acc [Block]float32
	for p := 0; p < hw; p++ {
		xv := x[p*Block:][:Block]
		for l := range acc {
			acc[l] += xv[l]
		}
	}
	for l := range acc {
		y[l] = acc[l] * scale
	}
}
