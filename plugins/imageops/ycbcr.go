package imageops

import "image"

// JPEG colour conversion as libjpeg(-turbo) does it when PIL decodes a JPEG,
// so that Go's decoder and PIL's agree as closely as possible. Go's own
// conversion differs in two ways that each move pixels by ±1 or more:
//   - chroma upsampling: Go's image.YCbCr replicates each chroma sample
//     (nearest neighbour); libjpeg's default "fancy" upsampling interpolates
//     with a triangle filter (weights 3/4 and 1/4 per axis);
//   - YCbCr→RGB: Go's color.YCbCrToRGB scales Y by 0x10101/0x10000 and
//     rounds differently; libjpeg adds rounded chroma terms to Y.
// What remains is the inverse DCT: Go's and libjpeg's (jidctint) round
// differently, so a few samples differ by 1 before conversion.

// Fixed-point (16 fractional bits) tables of libjpeg's conversion, indexed by
// the chroma sample; fixedOf rounds a coefficient the way libjpeg's FIX does.
var crR, cbB, crG, cbG [256]int32

// rangeLimit clamps Y + chroma term to 0..255 by lookup, as libjpeg does:
// the index is the sum plus rangeOffset (sums lie in −227..480). A power of
// two long, so masking the index (which never changes it) is cheap and
// lets the compiler drop the bounds checks.
const (
	rangeOffset = 256
	rangeMask   = 1023 // len(rangeLimit) − 1
)

var rangeLimit [1024]uint8

func fixedOf(x float64) int32 { return int32(x*65536 + 0.5) }

func init() {
	for i := range rangeLimit {
		rangeLimit[i] = clampByte(int32(i - rangeOffset))
	}
	for i := range crR {
		x := int32(i) - 128
		crR[i] = (fixedOf(1.40200)*x + 1<<15) >> 16
		cbB[i] = (fixedOf(1.77200)*x + 1<<15) >> 16
		crG[i] = -fixedOf(0.71414) * x
		cbG[i] = -fixedOf(0.34414)*x + 1<<15
	}
}

func clampByte(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGB converts a decoded JPEG into out (already sized).
func ycbcrToRGB(m *image.YCbCr, out RGB) {
	b := m.Bounds()
	w, h := out.W, out.H
	// Chroma scale per axis and the chroma plane's size as libjpeg sees it:
	// the image's size divided by the factor, rounded up.
	hs, vs := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	cw := (w + hs - 1) / hs
	ch := (h + vs - 1) / vs
	// libjpeg interpolates only 2× factors, and only when the chroma plane
	// is wider than 2 samples; otherwise it replicates, as Go does.
	fancy := (hs <= 2 && vs <= 2) && (hs == 2 || vs == 2) && cw > 2
	cb := make([]uint8, w)
	cr := make([]uint8, w)
	// The chroma plane's origin: the decoder returns images at (0,0), but
	// compute it from COffset so a sub-image would also work.
	c0 := m.COffset(b.Min.X, b.Min.Y)
	crow := func(plane []uint8, r int) []uint8 { return plane[c0+r*m.CStride:][:cw] }
	colCb := make([]int32, cw)
	colCr := make([]int32, cw)
	for y := 0; y < h; y++ {
		cy := y / vs
		switch {
		case !fancy:
			rowCb, rowCr := crow(m.Cb, cy), crow(m.Cr, cy)
			for x := 0; x < w; x++ {
				cb[x], cr[x] = rowCb[x/hs], rowCr[x/hs]
			}
		case vs == 2:
			// Vertical pass: 3 × the nearer chroma row + the next nearer
			// one (above for even output rows, below for odd), the image
			// edge replicated.
			ny := cy - 1
			if y%2 == 1 {
				ny = cy + 1
			}
			ny = clampInt(ny, 0, ch-1)
			near, far := crow(m.Cb, cy), crow(m.Cb, ny)
			nearR, farR := crow(m.Cr, cy), crow(m.Cr, ny)
			for i := 0; i < cw; i++ {
				colCb[i] = 3*int32(near[i]) + int32(far[i])
				colCr[i] = 3*int32(nearR[i]) + int32(farR[i])
			}
			if hs == 2 {
				// h2v2: sums carry weight 4, the horizontal step another 4.
				upsample2(cb, colCb, 8, 7, 4)
				upsample2(cr, colCr, 8, 7, 4)
			} else {
				// h1v2: rounding bias 1 for the upper row, 2 for the lower.
				bias := int32(1 + y%2)
				for x := 0; x < w; x++ {
					cb[x] = uint8((colCb[x] + bias) >> 2)
					cr[x] = uint8((colCr[x] + bias) >> 2)
				}
			}
		default: // h2v1
			rowCb, rowCr := crow(m.Cb, cy), crow(m.Cr, cy)
			for i := 0; i < cw; i++ {
				colCb[i], colCr[i] = int32(rowCb[i]), int32(rowCr[i])
			}
			upsample2(cb, colCb, 1, 2, 2)
			upsample2(cr, colCr, 1, 2, 2)
		}
		convertRow(out.Pix[y*w*3:][:w*3], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w], cb, cr)
	}
}

// convertRow converts one row of luma and (upsampled) chroma samples.
func convertRow(dst, ys, cb, cr []uint8) {
	cb, cr = cb[:len(ys)], cr[:len(ys)]
	for x, yv := range ys {
		Y := int32(yv) + rangeOffset
		u, v := cb[x], cr[x]
		d := dst[3*x : 3*x+3 : 3*x+3]
		d[0] = rangeLimit[(Y+crR[v])&rangeMask]
		d[1] = rangeLimit[(Y+(cbG[u]+crG[v])>>16)&rangeMask]
		d[2] = rangeLimit[(Y+cbB[u])&rangeMask]
	}
}

// upsample2 doubles a row horizontally with libjpeg's triangle filter: each
// output is 3 × its own sample + the neighbour on its side (the edge sample
// replicated), rounded with biasL for left outputs and biasR for right ones
// and shifted by shift. Outputs beyond len(dst) (odd widths) are dropped.
func upsample2(dst []uint8, src []int32, biasL, biasR int32, shift uint) {
	n := len(src)
	// Interior pairs first, without edge tests; then the two edge samples.
	for i := 1; i < n-1 && 2*i+1 < len(dst); i++ {
		v := 3 * src[i]
		dst[2*i] = uint8((v + src[i-1] + biasL) >> shift)
		dst[2*i+1] = uint8((v + src[i+1] + biasR) >> shift)
	}
	for _, i := range [2]int{0, n - 1} {
		v := src[i]
		l, r := src[max(i-1, 0)], src[min(i+1, n-1)]
		if 2*i < len(dst) {
			dst[2*i] = uint8((3*v + l + biasL) >> shift)
		}
		if 2*i+1 < len(dst) {
			dst[2*i+1] = uint8((3*v + r + biasR) >> shift)
		}
	}
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
