package imageops

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Transform is torchvision's usual classification preprocessing of a PIL
// image, fused into one kernel:
//
//	Compose([Resize(Resize), CenterCrop(Crop), ToTensor(), Normalize(Mean, Std)])
//
// Resize 0 leaves the size alone and Crop 0 keeps the whole (resized) image.
// The result is bit for bit what Resize, Crop (with torchvision's zero
// padding when Crop is larger than the image) and ToCHW give one after the
// other, but only the pixels inside the crop are resampled, and the
// normalisation is applied as each resampled row is stored.
type Transform struct {
	Resize, Crop int
	Mean, Std    [3]float32
}

func (t Transform) check() error {
	if t.Resize < 0 || t.Resize > MaxSide || t.Crop < 0 || t.Crop > MaxSide {
		return fmt.Errorf("imageops: transform: resize %d and crop %d must lie in 0..%d", t.Resize, t.Crop, MaxSide)
	}
	for c := range 3 {
		m, s := float64(t.Mean[c]), float64(t.Std[c])
		if s == 0 || math.IsNaN(s) || math.IsNaN(m) || math.IsInf(m, 0) || math.IsInf(s, 0) {
			return fmt.Errorf("imageops: transform: mean %v, std %v", t.Mean, t.Std)
		}
	}
	return nil
}

// Plan is a Transform applied to one input size: what to resample and where
// the result goes. Make it with Transform.Plan.
type Plan struct {
	t        Transform
	inW, inH int
	rw, rh   int // the resized size
	// OutW×OutH is the output tensor's spatial size: [3, OutH, OutW].
	OutW, OutH int
	// The part of the output that shows the image, [ox0, ox1)×[oy0, oy1),
	// and the resized pixel that lands at (ox0, oy0). The rest is padding.
	ox0, ox1, oy0, oy1 int
	rx0, ry0           int
	// The resampling weights across (nil: that size does not change) and
	// down, and the normalisation table: shared, from the caches.
	kh, kv *kernel
	norm   *normTable
}

// Plan checks the transform for a w×h input and works out the output size.
// The resized image must be a valid image size even though it is never
// made, so that Preprocess accepts exactly what Resize would.
func (t Transform) Plan(w, h int) (Plan, error) {
	if err := t.check(); err != nil {
		return Plan{}, err
	}
	if err := checkSize(w, h); err != nil {
		return Plan{}, err
	}
	p := Plan{t: t, inW: w, inH: h, rw: w, rh: h}
	if t.Resize > 0 {
		p.rw, p.rh = ResizedSize(w, h, t.Resize)
		if err := checkSize(p.rw, p.rh); err != nil {
			return Plan{}, fmt.Errorf("imageops: transform: resizing %dx%d to %d: %w", w, h, t.Resize, err)
		}
	}
	if p.rw != w {
		p.kh = cachedKernel(w, p.rw)
	}
	if p.rh != h {
		p.kv = cachedKernel(h, p.rh)
	}
	p.norm = cachedNorm(t.Mean, t.Std)
	p.OutW, p.OutH = p.rw, p.rh
	p.ox1, p.oy1 = p.rw, p.rh
	if t.Crop > 0 {
		c := CenterCrop(p.rw, p.rh, t.Crop)
		p.OutW, p.OutH = t.Crop, t.Crop
		// Output x shows resized column x + X − PadL.
		dx, dy := c.X-c.PadL, c.Y-c.PadT
		p.ox0, p.ox1 = max(0, -dx), min(t.Crop, p.rw-dx)
		p.oy0, p.oy1 = max(0, -dy), min(t.Crop, p.rh-dy)
		p.rx0, p.ry0 = p.ox0+dx, p.oy0+dy
	}
	return p, nil
}

// OutBytes is the size of the output: 3·OutW·OutH little-endian float32.
func (p Plan) OutBytes() int { return 3 * p.OutW * p.OutH * 4 }

// Apply runs the plan on img (of the size the plan was made for), writing
// the float32 CHW tensor little-endian into dst (OutBytes long), which may
// be memory the caller does not own (a plugin's): it is written, never read.
func (p Plan) Apply(img RGB, dst []byte) error {
	if p.OutW == 0 {
		return errors.New("imageops: transform: use Transform.Plan to make a plan")
	}
	if err := img.check(); err != nil {
		return err
	}
	if img.W != p.inW || img.H != p.inH {
		return fmt.Errorf("imageops: transform: the plan is for a %dx%d image, not %dx%d", p.inW, p.inH, img.W, img.H)
	}
	if len(dst) != p.OutBytes() {
		return fmt.Errorf("imageops: transform: %d-byte output buffer, want %d", len(dst), p.OutBytes())
	}
	p.apply(rgbSource(img), dst)
	return nil
}

// ApplyDecoded is Apply for an image from DecodeForTransform. For a PNG
// that DecodeForTransform left to stream, errors in the image data are
// found here: the error is then Decode's for the same data.
func (p Plan) ApplyDecoded(d *Decoded, dst []byte) error {
	if p.OutW == 0 {
		return errors.New("imageops: transform: use Transform.Plan to make a plan")
	}
	if d == nil || d.W != p.inW || d.H != p.inH {
		return fmt.Errorf("imageops: transform: the plan is for a %dx%d image", p.inW, p.inH)
	}
	if len(dst) != p.OutBytes() {
		return fmt.Errorf("imageops: transform: %d-byte output buffer, want %d", len(dst), p.OutBytes())
	}
	if d.png != nil {
		return p.applyStream(d, dst)
	}
	p.apply(d.source(), dst)
	return nil
}

// applyStream applies p on a second goroutine while this one inflates d's
// PNG. If the fast route refuses the data at the end, dst is written again
// from what image/png decodes (or the error is its).
func (p Plan) applyStream(d *Decoded, dst []byte) error {
	pix := getBuf(d.W * d.H * 3)
	defer putBuf(pix)
	s := newStream(d.png, pix)
	var ok bool
	var panicked any
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		defer func() { panicked = recover() }()
		p.apply(&source{w: d.W, h: d.H, rgb: RGB{W: d.W, H: d.H, Pix: pix}, stream: s}, dst)
		ok = s.check()
	}()
	// Whatever happens, the consumer is waited for before the buffers go
	// back to the pool and dst (maybe a plugin's memory) is given up.
	func() {
		defer func() {
			if r := recover(); r != nil {
				<-consumed // closed once the consumer has returned
				if panicked == nil {
					panicked = r
				}
			}
		}()
		s.run()
	}()
	<-consumed
	s.release()
	if panicked != nil {
		panic(panicked) // on the caller's goroutine, where a panic is recovered as it would be eagerly
	}
	if ok {
		return nil
	}
	img, _, err := decodeImage(d.data, d.maxPixels, decodeOptions{reuse: true})
	if err != nil {
		return err
	}
	p.apply(rgbSource(img), dst)
	return nil
}

func (p Plan) apply(src *source, dst []byte) {
	st := newStore(p, dst)
	st.fillPadding()
	if p.ox0 >= p.ox1 || p.oy0 >= p.oy1 {
		return // all padding
	}
	p.resample(src, st)
}

// Preprocess decodes data (as Decode does, within maxPixels) and applies t,
// returning the [3, h, w] tensor's values.
func Preprocess(data []byte, maxPixels int, t Transform) (vals []float32, w, h int, err error) {
	if err := t.check(); err != nil {
		return nil, 0, 0, err
	}
	img, err := DecodeForTransform(data, maxPixels)
	if err != nil {
		return nil, 0, 0, err
	}
	defer img.Release()
	p, err := t.Plan(img.W, img.H)
	if err != nil {
		return nil, 0, 0, err
	}
	buf := make([]byte, p.OutBytes())
	if err := p.ApplyDecoded(img, buf); err != nil {
		return nil, 0, 0, err
	}
	vals = make([]float32, len(buf)/4)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return vals, p.OutW, p.OutH, nil
}

// store writes normalised rows into the output planes.
type store struct {
	lut        *normTable
	planes     [3][]byte
	outW, outH int
	ox0, ox1   int
	oy0, oy1   int
}

func newStore(p Plan, dst []byte) *store {
	st := &store{lut: p.norm, outW: p.OutW, outH: p.OutH, ox0: p.ox0, ox1: p.ox1, oy0: p.oy0, oy1: p.oy1}
	n := 4 * p.OutW * p.OutH
	for c := range 3 {
		st.planes[c] = dst[c*n : (c+1)*n : (c+1)*n]
	}
	return st
}

// fillPadding writes the value of a black pixel wherever the image does not
// show: torchvision pads with zeros before normalising.
func (st *store) fillPadding() {
	for c := range 3 {
		v := st.lut.bits[c][0]
		plane := st.planes[c]
		for y := range st.outH {
			row := plane[4*y*st.outW : 4*(y+1)*st.outW]
			if y >= st.oy0 && y < st.oy1 {
				fill32(row[:4*st.ox0], v)
				fill32(row[4*st.ox1:], v)
			} else {
				fill32(row, v)
			}
		}
	}
}

func fill32(b []byte, v uint32) {
	for i := 0; i+3 < len(b); i += 4 {
		binary.LittleEndian.PutUint32(b[i:], v)
	}
}

// row stores one resampled RGB row (ox1−ox0 pixels, interleaved) at output
// row y, planar.
func (st *store) row(y int, rgb []uint8) {
	n := st.ox1 - st.ox0
	off := 4 * (y*st.outW + st.ox0)
	r := st.planes[0][off : off+4*n]
	g := st.planes[1][off : off+4*n]
	b := st.planes[2][off : off+4*n]
	rgb = rgb[:3*n]
	lr, lg, lb := &st.lut.bits[0], &st.lut.bits[1], &st.lut.bits[2]
	for x := 0; x < n; x++ {
		p := rgb[3*x : 3*x+3 : 3*x+3]
		binary.LittleEndian.PutUint32(r[4*x:], lr[p[0]])
		binary.LittleEndian.PutUint32(g[4*x:], lg[p[1]])
		binary.LittleEndian.PutUint32(b[4*x:], lb[p[2]])
	}
}

// row2 is row for the two-tap vertical pass (every enlargement) of an exact
// kernel: the resampled pixel goes straight to the planes, without an RGB
// row between, and needs no clipping. AVX2 does eight pixels at a time
// when the CPU has it; Go does the rest.
func (st *store) row2(y int, r0, r1 []uint8, c0, c1 int32) {
	n := st.ox1 - st.ox0
	off := 4 * (y*st.outW + st.ox0)
	r := st.planes[0][off : off+4*n]
	g := st.planes[1][off : off+4*n]
	b := st.planes[2][off : off+4*n]
	r0, r1 = r0[:3*n], r1[:3*n]
	x := 0
	if useAVX2 && n >= 8 {
		groups := n / 8
		if st.lut.divOK {
			vRow2DivAVX2(&r[0], &g[0], &b[0], &r0[0], &r1[0], c0, c1, st.lut, groups)
		} else {
			vRow2AVX2(&r[0], &g[0], &b[0], &r0[0], &r1[0], c0, c1, st.lut, groups)
		}
		x = 8 * groups
	}
	row2Go(r[4*x:], g[4*x:], b[4*x:], r0[3*x:], r1[3*x:], c0, c1, st.lut)
}

// row2Go is row2's loop over the len(r)/4 pixels of r0 and r1, in Go.
func row2Go(r, g, b []byte, r0, r1 []uint8, c0, c1 int32, lut *normTable) {
	n := len(r) / 4
	r0, r1 = r0[:3*n], r1[:3*n]
	g, b = g[:4*n], b[:4*n]
	lr, lg, lb := &lut.bits[0], &lut.bits[1], &lut.bits[2]
	for x := 0; x < n; x++ {
		p0 := r0[3*x : 3*x+3 : 3*x+3]
		p1 := r1[3*x : 3*x+3 : 3*x+3]
		binary.LittleEndian.PutUint32(r[4*x:], lr[uint8((half+int32(p0[0])*c0+int32(p1[0])*c1)>>precisionBits)])
		binary.LittleEndian.PutUint32(g[4*x:], lg[uint8((half+int32(p0[1])*c0+int32(p1[1])*c1)>>precisionBits)])
		binary.LittleEndian.PutUint32(b[4*x:], lb[uint8((half+int32(p0[2])*c0+int32(p1[2])*c1)>>precisionBits)])
	}
}

// resample computes the resized pixels [rx0, rx0+n)×[ry0, ry0+m) in
// Pillow's order (horizontal pass to uint8, then vertical) and stores them.
// The horizontal pass runs only over the columns and input rows that the
// shown part of the output needs, and only as far down as the next output
// row needs: an image still being decoded (a streamed PNG) is then
// resampled while its last rows arrive, not after.
func (p Plan) resample(img *source, st *store) {
	n, m := p.ox1-p.ox0, p.oy1-p.oy0
	rx0, ry0 := p.rx0, p.ry0
	// Input rows the vertical pass reads: [iy0, iy1).
	iy0, iy1 := ry0, ry0+m
	kv := p.kv
	vertical := kv != nil
	if vertical {
		iy0, iy1 = kv.start[ry0], kv.start[ry0]+kv.taps
		for y := ry0; y < ry0+m; y++ {
			iy0 = min(iy0, kv.start[y])
			iy1 = max(iy1, kv.start[y]+kv.taps)
		}
	}
	// The horizontal pass's output: rows iy0..iy1 of the resized-width
	// image, columns rx0..rx0+n only, computed up to row hy by horizontal.
	rowLen := 3 * n
	mid := getBuf((iy1 - iy0) * rowLen) // every byte is written below
	defer putBuf(mid)
	hy := iy0
	var horizontal func(upTo int) // computes the rows [hy, upTo)
	if kh := p.kh; kh != nil {
		sub := kernel{start: kh.start[rx0 : rx0+n], w: kh.w[rx0*kh.taps : (rx0+n)*kh.taps], taps: kh.taps, exact: kh.exact}
		if kh.packed != nil {
			sub.packed = kh.packed[rx0 : rx0+n]
			sub.vecOff, sub.vecW0, sub.vecW1 = kh.vecOff[rx0:rx0+n], kh.vecW0[rx0:rx0+n], kh.vecW1[rx0:rx0+n]
			sub.maxOff = kh.maxOff // an upper bound for the slice's offsets
			sub.unitSteps = kh.unitSteps
		}
		// The input columns these outputs read: [ix0, ix1).
		ix0, ix1 := sub.start[0], sub.start[0]+sub.taps
		for _, s := range sub.start {
			ix0, ix1 = min(ix0, s), max(ix1, s+sub.taps)
		}
		horizontal = func(upTo int) {
			for ; hy < upTo; hy++ {
				src := img.row(hy, ix0, ix1)
				dst := mid[(hy-iy0)*rowLen : (hy-iy0+1)*rowLen]
				if sub.packed != nil {
					resizeRow2Fast(dst, src, &sub)
				} else {
					resizeRowN(dst, src, sub)
				}
			}
		}
	} else {
		horizontal = func(upTo int) {
			for ; hy < upTo; hy++ {
				copy(mid[(hy-iy0)*rowLen:(hy-iy0+1)*rowLen], img.row(hy, rx0, rx0+n)[rx0*3:])
			}
		}
	}
	midRow := func(i int) []uint8 { return mid[(i-iy0)*rowLen : (i-iy0+1)*rowLen : (i-iy0+1)*rowLen] }
	if !vertical {
		for y := 0; y < m; y++ {
			horizontal(ry0 + y + 1)
			st.row(p.oy0+y, midRow(ry0+y))
		}
		return
	}
	t := kv.taps
	var out []uint8 // made when a row needs them (not two taps)
	var acc []int32
	for y := 0; y < m; y++ {
		ry := ry0 + y
		s := kv.start[ry]
		ws := kv.w[ry*t : ry*t+t]
		horizontal(s + t)
		if t == 2 && kv.exact {
			st.row2(p.oy0+y, midRow(s), midRow(s+1), ws[0], ws[1])
			continue
		}
		if acc == nil {
			out, acc = make([]uint8, rowLen), make([]int32, rowLen)
		}
		for j := range acc {
			acc[j] = half
		}
		for i, c := range ws {
			r := midRow(s + i)
			a := acc[:len(r)]
			for j, v := range r {
				a[j] += int32(v) * c
			}
		}
		for j, v := range acc[:len(out)] {
			out[j] = clip8(v)
		}
		st.row(p.oy0+y, out)
	}
}
