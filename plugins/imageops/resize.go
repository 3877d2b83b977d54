package imageops

import "math"

// Resize scales an image to w×h as Pillow's Image.resize((w, h),
// Image.BILINEAR) does, bit for bit: what torchvision's Resize calls on PIL
// images. Checked against Pillow 9.4 (Debian bookworm's python3-pil).
//
// Pillow's algorithm, reimplemented here from its description: a separable
// convolution, horizontal pass first. Each output pixel is a weighted sum of
// the input pixels under a triangle filter centred on the output pixel's
// centre mapped into the input; when shrinking, the filter is widened by the
// reduction factor (this is the antialiasing). The weights are normalised to
// sum to 1, then turned into fixed point with 22 fractional bits; each pass
// rounds (adds half) and clips its sums to uint8, so the horizontal pass's
// uint8 output is what the vertical pass reads. A pass whose size does not
// change is skipped, as in Pillow.
func Resize(img RGB, w, h int) (RGB, error) {
	if err := img.check(); err != nil {
		return RGB{}, err
	}
	if err := checkSize(w, h); err != nil {
		return RGB{}, err
	}
	out := img
	if w != img.W {
		out = resizeH(out, w, *cachedKernel(img.W, w))
	}
	if h != img.H {
		out = resizeV(out, h, *cachedKernel(img.H, h))
	}
	if w == img.W && h == img.H {
		out.Pix = append([]uint8(nil), img.Pix...) // a copy, like PIL's
	}
	return out, nil
}

// precisionBits is Pillow's fixed-point precision for 8-bit images: 32 bits,
// minus 8 for the pixel value, minus 2 of headroom for filters with negative
// lobes. The triangle has none, but the precision decides how every weight
// rounds, so it must be Pillow's.
const precisionBits = 32 - 8 - 2

// kernel holds, for every output position along one axis, the first input
// index and the fixed-point weights of the input samples that contribute.
// Weights that round to zero are dropped (they add nothing to the sums), and
// every output gets the same number of weights, taps: where fewer inputs
// contribute the run is moved inside the image and padded with zero weights.
// The fixed trip count lets the passes write the common cases out (2 taps
// when enlarging).
type kernel struct {
	start []int   // first input index, per output
	w     []int32 // taps weights per output
	taps  int
	// exact: no weight is negative and no output's weights sum to more
	// than 255·sum + half < 256<<precisionBits, so every pass's sum already
	// lies in [0, 256<<precisionBits) and clip8 is a plain shift. True for
	// the triangle (its weights round to at most taps/2 over 1<<precisionBits
	// in total); the 2-tap loops, which skip clipping, require it.
	exact bool
	// packed is a 2-tap exact kernel for resizeRow2: per output, the
	// first input sample's byte offset in an RGB row (bits 0–17) and the
	// two weights (bits 18–40 and 41–63; exact weights are below 1<<23).
	// One load per output instead of three leaves the loop registers
	// enough to keep everything in them. Nil for other kernels.
	packed []uint64
	// vecOff, vecW0 and vecW1 are packed again as three arrays, what the
	// AVX2 pass loads eight at a time: the byte offset and the two weights.
	// maxOff is the largest offset (the last byte any output reads is
	// maxOff+5), which the pass checks against the row once.
	vecOff, vecW0, vecW1 []int32
	maxOff               int
	// unitSteps: each output starts at the previous one's start or the
	// sample after (true when enlarging), which the gather-free AVX2 pass
	// needs.
	unitSteps bool
}

const (
	packOffBits = 18 // 3·MaxSide < 1<<18
	packWBits   = 23
)

// newKernel computes the triangle-filter weights for resampling in samples to
// out samples. The float64 arithmetic follows Pillow's order of operations so
// that every weight rounds to the same fixed-point value.
func newKernel(in, out int) kernel {
	scale := float64(in) / float64(out)
	filterScale := scale
	if filterScale < 1 { // enlarging: plain linear interpolation
		filterScale = 1
	}
	support := 1.0 * filterScale // the triangle spans [-1, 1] before widening
	size := int(math.Ceil(support))*2 + 1
	inv := 1.0 / filterScale
	ws := make([]float64, size)
	fixed := make([]int32, out*size) // Pillow's weights, size per output
	los := make([]int, out)
	ns := make([]int, out)
	taps := 1
	for o := 0; o < out; o++ {
		center := (float64(o) + 0.5) * scale
		// int() truncates toward zero, as the C cast does; a negative start
		// is clamped anyway.
		lo := int(center - support + 0.5)
		if lo < 0 {
			lo = 0
		}
		hi := int(center + support + 0.5)
		if hi > in {
			hi = in
		}
		n := min(hi-lo, size) // hi-lo ≤ size always; min keeps indexing safe
		sum := 0.0
		for i := 0; i < n; i++ {
			t := float64(float64(i+lo)-center+0.5) * inv
			ws[i] = triangle(t)
			sum += ws[i]
		}
		row := fixed[o*size : o*size+n]
		for i := range row {
			v := ws[i]
			if sum != 0 {
				v /= sum
			}
			row[i] = toFixed(v)
		}
		for len(row) > 1 && row[0] == 0 { // trim zero weights
			row, lo = row[1:], lo+1
		}
		for len(row) > 1 && row[len(row)-1] == 0 {
			row = row[:len(row)-1]
		}
		copy(fixed[o*size:], row)
		los[o], ns[o] = lo, len(row)
		taps = max(taps, len(row))
	}
	k := kernel{start: make([]int, out), w: make([]int32, out*taps), taps: taps, exact: true}
	for o := 0; o < out; o++ {
		// Shift the run left if it would end past the last input: lo+n ≤ in
		// and n ≤ taps ≤ in, so start ≥ 0, start+taps ≤ in, and the weights
		// land inside the run.
		start := min(los[o], in-taps)
		copy(k.w[o*taps+los[o]-start:], fixed[o*size:o*size+ns[o]])
		k.start[o] = start
		sum := int64(0)
		for _, w := range fixed[o*size : o*size+ns[o]] {
			sum += int64(w)
			if w < 0 {
				k.exact = false
			}
		}
		if 255*sum+half >= 256<<precisionBits {
			k.exact = false
		}
	}
	if taps == 2 && k.exact && 3*in < 1<<packOffBits {
		k.packed = make([]uint64, out)
		k.vecOff, k.vecW0, k.vecW1 = make([]int32, out), make([]int32, out), make([]int32, out)
		for o, s := range k.start {
			k.packed[o] = uint64(3*s) | uint64(k.w[2*o])<<packOffBits | uint64(k.w[2*o+1])<<(packOffBits+packWBits)
			k.vecOff[o], k.vecW0[o], k.vecW1[o] = int32(3*s), k.w[2*o], k.w[2*o+1]
			k.maxOff = max(k.maxOff, 3*s)
		}
		k.unitSteps = true
		for o := 1; o < out; o++ {
			if d := k.start[o] - k.start[o-1]; d < 0 || d > 1 {
				k.unitSteps = false
			}
		}
	}
	return k
}

func triangle(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// toFixed rounds half away from zero, as Pillow does. The multiplication by
// a power of two is exact, so the explicit float64 conversion (which forbids
// fusing it with the addition) only documents intent.
func toFixed(v float64) int32 {
	s := float64(v * (1 << precisionBits))
	if s < 0 {
		return int32(s - 0.5)
	}
	return int32(s + 0.5)
}

// clip8 turns a fixed-point sum (which already includes the rounding half)
// into a byte, saturating. The shift is arithmetic, so negative sums give 0.
func clip8(s int32) uint8 {
	v := s >> precisionBits
	if uint32(v) > 255 { // rare, so the branch predicts well
		return uint8(^(v >> 31)) // negative → 0, above 255 → 255
	}
	return uint8(v)
}

const half = 1 << (precisionBits - 1)

// resizeH resamples every row to w pixels. The per-row loops live in small
// functions of their own, which keeps the accumulators in registers.
func resizeH(img RGB, w int, k kernel) RGB {
	out := RGB{W: w, H: img.H, Pix: make([]uint8, w*img.H*3)}
	for y := 0; y < img.H; y++ {
		src := img.Pix[y*img.W*3 : (y+1)*img.W*3]
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		if k.packed != nil {
			resizeRow2Fast(dst, src, &k)
		} else {
			resizeRowN(dst, src, k)
		}
	}
	return out
}

// resizeRowN is resizeH's inner loop for any number of taps.
func resizeRowN(dst, src []uint8, k kernel) {
	t := k.taps
	for x, s := range k.start {
		ws := k.w[x*t : x*t+t]
		p := src[3*s : 3*(s+t)]
		r, g, b := int32(half), int32(half), int32(half)
		for i, c := range ws {
			j := 3 * i
			if j+2 >= len(p) {
				break // never: p holds 3 samples per weight; lets the compiler drop bounds checks
			}
			r += int32(p[j]) * c
			g += int32(p[j+1]) * c
			b += int32(p[j+2]) * c
		}
		if 3*x+2 >= len(dst) {
			return // never
		}
		dst[3*x], dst[3*x+1], dst[3*x+2] = clip8(r), clip8(g), clip8(b)
	}
}

// resizeRow2Fast is resizeRow2 for the packed kernel k, in AVX2 when the
// CPU has it, eight outputs at a time, the rest in Go.
func resizeRow2Fast(dst, src []uint8, k *kernel) {
	n := len(k.packed)
	done := 0
	if useAVX2 && n >= 8 && len(k.vecOff) == n && len(k.vecW0) == n && len(k.vecW1) == n &&
		k.maxOff+6 <= len(src) && 3*n <= len(dst) {
		groups := n / 8
		if k.unitSteps {
			// Its 16-byte loads may pass the row's end in the last groups:
			// those are left to the gathers. Offsets only grow, so the
			// last group's second load bounds every other one.
			steps := groups
			for steps > 0 && int(k.vecOff[8*steps-4])+16 > len(src) {
				steps--
			}
			if steps > 0 {
				hRow2StepAVX2(&dst[0], &src[0], &k.vecOff[0], &k.vecW0[0], &k.vecW1[0], steps)
				done = 8 * steps
			}
		}
		if rest := groups - done/8; rest > 0 {
			hRow2AVX2(&dst[3*done], &src[0], &k.vecOff[done], &k.vecW0[done], &k.vecW1[done], rest)
			done = 8 * groups
		}
	}
	resizeRow2(dst[3*done:], src, k.packed[done:])
}

// resizeRow2 is resizeH's inner loop for two taps (every enlargement), for
// an exact kernel (no clipping), from its packed form k.packed.
func resizeRow2(dst, src []uint8, packed []uint64) {
	for x, r := range packed {
		s := int(r & (1<<packOffBits - 1))
		c0, c1 := int32(r>>packOffBits&(1<<packWBits-1)), int32(r>>(packOffBits+packWBits))
		if s+6 > len(src) || 3*x+3 > len(dst) {
			return // never; lets the compiler drop bounds checks
		}
		p := src[s : s+6 : s+6]
		d := dst[3*x : 3*x+3 : 3*x+3]
		d[0] = uint8((half + int32(p[0])*c0 + int32(p[3])*c1) >> precisionBits)
		d[1] = uint8((half + int32(p[1])*c0 + int32(p[4])*c1) >> precisionBits)
		d[2] = uint8((half + int32(p[2])*c0 + int32(p[5])*c1) >> precisionBits)
	}
}

// resizeV resamples every column to h pixels, a whole row at a time so the
// memory access stays sequential. Two taps (enlarging) are written out;
// wider filters accumulate row by row into acc.
func resizeV(img RGB, h int, k kernel) RGB {
	stride := img.W * 3
	out := RGB{W: img.W, H: h, Pix: make([]uint8, stride*h)}
	acc := make([]int32, stride)
	t := k.taps
	// Rows re-sliced to len(dst) let the compiler drop the bounds checks.
	row := func(i int) []uint8 { return img.Pix[i*stride : (i+1)*stride : (i+1)*stride] }
	for y := 0; y < h; y++ {
		s := k.start[y]
		ws := k.w[y*t : y*t+t]
		dst := out.Pix[y*stride : (y+1)*stride : (y+1)*stride]
		if t == 2 && len(ws) == 2 && k.exact {
			r0, r1 := row(s)[:len(dst)], row(s + 1)[:len(dst)]
			c0, c1 := ws[0], ws[1]
			for j := range dst {
				dst[j] = uint8((half + int32(r0[j])*c0 + int32(r1[j])*c1) >> precisionBits)
			}
			continue
		}
		for j := range acc {
			acc[j] = half
		}
		for i, c := range ws {
			r := row(s + i)
			a := acc[:len(r)]
			for j, v := range r {
				a[j] += int32(v) * c
			}
		}
		for j, v := range acc[:len(dst)] {
			dst[j] = clip8(v)
		}
	}
	return out
}
