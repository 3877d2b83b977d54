package nchwc

import (
	"fmt"

	"github.com/gonyx/gonyx/ops/linalg"
)

// A squeeze-excite block scales the channels of x per image before a
// convolution: conv(x ⊙ s). Since W·(x ⊙ s) = (W ⊙ s)·x, the scale can go
// into a copy of the packed filter instead (OutC·InC·KH·KW products per
// image rather than InC·H·W), which is much cheaper on the large planes
// and never writes a scaled copy of the activations. RunScaled picks
// whichever of the two is smaller.

// scaleMode forces RunScaled's strategy (tests): scaleAuto, or one of the
// two.
var scaleMode = scaleAuto

const (
	scaleAuto = iota
	scaleByFilter
	scaleByInput
)

// RunScaled computes Run on x with its channels scaled: y = Act(conv(x ⊙ s)
// + bias + z), s[c] multiplying input channel c. scale is blocked,
// [scaleImages][Blocks(InC)][16]: scaleImages is n (a scale per image) or 1
// (one scale for every image); its padding lanes are ignored. Only dense
// convolutions on blocked input take a scale. The other arguments are
// Run's.
func (c *Conv) RunScaled(x []float32, n, h, w int, scale []float32, scaleImages int, z, y []float32, threads int) error {
	if c.nchw || c.p.Depthwise() {
		return fmt.Errorf("nchwc: a channel scale needs a dense convolution on blocked input")
	}
	oh, ow, err := c.check(x, n, h, w, z, y)
	if err != nil {
		return err
	}
	if scaleImages != 1 && scaleImages != n {
		return fmt.Errorf("nchwc: conv scale covers %d images, want 1 or %d", scaleImages, n)
	}
	per := c.icb * Block
	if len(scale) < scaleImages*per {
		return fmt.Errorf("nchwc: conv scale has %d values, want %d for %d×%d×%d", len(scale), scaleImages*per, scaleImages, c.icb, Block)
	}
	if !c.p.Residual {
		z = nil
	}
	if c.scaleFilterCheaper(n, h, w, scaleImages) {
		c.runScaledFilter(x, n, h, w, oh, ow, scale, scaleImages, z, y, threads)
	} else {
		c.runScaledInput(x, n, h, w, oh, ow, scale, scaleImages, z, y, threads)
	}
	return nil
}

// scaleFilterCheaper reports whether scaling the packed filter (once per
// distinct scale) costs fewer products than scaling the input.
func (c *Conv) scaleFilterCheaper(n, h, w, scaleImages int) bool {
	switch scaleMode {
	case scaleByFilter:
		return true
	case scaleByInput:
		return false
	}
	return scaleImages*len(c.wp) < n*c.icb*Block*h*w
}

// runScaledFilter scales the packed filter into scratch, per image when the
// scale differs per image, and runs the convolution with it.
func (c *Conv) runScaledFilter(x []float32, n, h, w, oh, ow int, scale []float32, scaleImages int, z, y []float32, threads int) {
	buf := getScratch(len(c.wp))
	defer putScratch(buf)
	wp := *buf
	if scaleImages == 1 {
		c.scaleFilter(wp, scale, threads)
		c.runDense(wp, x, n, h, w, oh, ow, z, y, threads)
		return
	}
	// One image at a time, so its filter copy is still in cache when the
	// kernels read it.
	xImg, yImg := c.icb*h*w*Block, c.ocb*oh*ow*Block
	for img := 0; img < n; img++ {
		c.scaleFilter(wp, scale[img*c.icb*Block:], threads)
		var zi []float32
		if z != nil {
			zi = z[img*yImg:]
		}
		c.runDense(wp, x[img*xImg:], 1, h, w, oh, ow, zi, y[img*yImg:], threads)
	}
}

// scaleFilter writes c.wp with input channel ch's rows times s[ch] into
// dst. Rows of padding channels become zero whatever their scale (a NaN
// there must not reach a real channel).
func (c *Conv) scaleFilter(dst, s []float32, threads int) {
	taps := c.p.KH * c.p.KW
	pairs := (c.ocb + 1) / 2
	blockLen := taps * Block * 2 * Block // floats of one input block in a full pair
	j := scaleJob{c: c, dst: dst, src: s}
	items, grain := pairs*c.icb, max(1, (32<<10)/blockLen)
	if linalg.Serial(threads, items, grain) {
		j.filterBlocks(0, items) // j stays on the stack
		return
	}
	shared := new(scaleJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, items, grain, shared.filterBlocks)
}

// scaleJob is one scaleFilter or runScaledInput pass: dst = src's rows or
// pixels times the scales s.
type scaleJob struct {
	c                  *Conv
	dst, src, s        []float32
	plane, scaleImages int // runScaledInput: floats per plane, images of s
}

// filterBlocks scales the filter's (pair, input block) items [lo, hi);
// the scales are in src.
func (j *scaleJob) filterBlocks(lo, hi int) {
	c := j.c
	taps := c.p.KH * c.p.KW
	var sv [Block]float32
	for it := lo; it < hi; it++ {
		q, ib := it/c.icb, it%c.icb
		width := pairWidth(c.ocb, q)
		c.blockScale(&sv, j.src, ib)
		o := q*c.pairLen + ib*taps*Block*width
		n := taps * Block * width
		scaleRows(j.dst[o:o+n], c.wp[o:o+n], &sv, taps, width)
	}
}

// inputPlanes scales input planes [lo, hi) of src into dst.
func (j *scaleJob) inputPlanes(lo, hi int) {
	c, plane := j.c, j.plane
	var sv [Block]float32
	for pl := lo; pl < hi; pl++ {
		img, ib := pl/c.icb, pl%c.icb
		c.blockScale(&sv, j.s[img%j.scaleImages*c.icb*Block:], ib)
		scalePixels(j.dst[pl*plane:(pl+1)*plane], j.src[pl*plane:(pl+1)*plane], &sv)
	}
}

// blockScale copies the scales of input block ib into sv, zero for padding
// channels.
func (c *Conv) blockScale(sv *[Block]float32, s []float32, ib int) {
	copy(sv[:], s[ib*Block:(ib+1)*Block])
	for l := max(0, c.p.InC-ib*Block); l < Block; l++ {
		sv[l] = 0
	}
}

// runScaledInput writes x ⊙ s into scratch and runs the convolution on it:
// the cheaper way when the planes are small next to the filter.
func (c *Conv) runScaledInput(x []float32, n, h, w, oh, ow int, scale []float32, scaleImages int, z, y []float32, threads int) {
	plane := h * w * Block
	buf := getScratch(n * c.icb * plane)
	defer putScratch(buf)
	xs := *buf
	j := scaleJob{c: c, dst: xs, src: x, s: scale, plane: plane, scaleImages: scaleImages}
	items, grain := n*c.icb, max(1, (32<<10)/plane)
	if linalg.Serial(threads, items, grain) {
		j.inputPlanes(0, items) // j stays on the stack
	} else {
		shared := new(scaleJob) // the workers' copy
		*shared = j
		linalg.ParallelN(threads, items, grain, shared.inputPlanes)
	}
	c.runDense(c.wp, xs, n, h, w, oh, ow, z, y, threads)
}

// scaleRowsGo is scaleRows' portable twin: reps times, 16 rows of width
// floats, row i multiplied by s[i].
func scaleRowsGo(dst, src []float32, s *[Block]float32, reps, width int) {
	o := 0
	for r := 0; r < reps; r++ {
		for i := 0; i < Block; i++ {
			f := s[i]
			d, x := dst[o:o+width], src[o:o+width]
			for j := range d {
				d[j] = x[j] * f
			}
			o += width
		}
	}
}

// scalePixelsGo is scalePixels' portable twin: every 16-lane pixel of src
// times s, lane by lane.
func scalePixelsGo(dst, src []float32, s *[Block]float32) {
	for o := 0; o+Block <= len(src); o += Block {
		d, x := (*[Block]float32)(dst[o:o+Block]), (*[Block]float32)(src[o:o+Block])
		for l := range d {
			d[l] = x[l] * s[l]
		}
	}
}
