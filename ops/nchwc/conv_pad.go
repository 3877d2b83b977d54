package nchwc

import (
	"sync"

	"github.com/gonyx/gonyx/ops/linalg"
)

// scratchPool recycles the package's temporary buffers (zero-bordered
// input copies, scaled filters and inputs, border strips), so a steady
// stream of Runs allocates nothing. Buffers are 64-byte aligned, which the
// scaled filter copies need and the others do not mind.
var scratchPool sync.Pool // of *[]float32

// getScratch returns a 64-byte aligned buffer of n floats (contents
// undefined); give it back with putScratch when done.
func getScratch(n int) *[]float32 {
	p, _ := scratchPool.Get().(*[]float32)
	if p == nil || cap(*p) < n {
		s := linalg.AlignedFloat32(n)
		p = &s
	}
	*p = (*p)[:n]
	return p
}

// putScratch returns a buffer from getScratch.
func putScratch(p *[]float32) { scratchPool.Put(p) }

// convPadInput copies planes blocked planes of h×w pixels from x into dst
// as hp×wp planes with the image at row padT, column padL and zeros around
// it, so the convolution kernels only ever see interior taps.
func convPadInput(x []float32, planes, h, w, padT, padL, hp, wp int, dst []float32, threads int) {
	j := padJob{x: x, dst: dst, h: h, w: w, padT: padT, padL: padL, wp: wp, in: h * w * Block, out: hp * wp * Block}
	grain := max(1, (64<<10)/j.out)
	if linalg.Serial(threads, planes, grain) {
		j.planes(0, planes) // j stays on the stack
		return
	}
	shared := new(padJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, planes, grain, shared.planes)
}

// padJob is one convPadInput call; in and out are the floats per source
// and destination plane.
type padJob struct {
	x, dst               []float32
	h, w, padT, padL, wp int
	in, out              int
}

// planes pads planes [lo, hi).
func (j *padJob) planes(lo, hi int) {
	h, w, padT, padL, wp := j.h, j.w, j.padT, j.padL, j.wp
	for pl := lo; pl < hi; pl++ {
		src := j.x[pl*j.in : (pl+1)*j.in]
		d := j.dst[pl*j.out : (pl+1)*j.out]
		clear(d[:padT*wp*Block])
		clear(d[(padT+h)*wp*Block:])
		for row := 0; row < h; row++ {
			dr := d[(padT+row)*wp*Block : (padT+row+1)*wp*Block]
			clear(dr[:padL*Block])
			copy(dr[padL*Block:(padL+w)*Block], src[row*w*Block:(row+1)*w*Block])
			clear(dr[(padL+w)*Block:])
		}
	}
}
