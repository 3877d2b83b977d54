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
	c := newYCbCrRows(m)
	for y := 0; y < out.H; y++ {
		c.row(y, out.Pix[y*out.W*3:][:out.W*3], 0, out.W)
	}
}

// ycbcrRows converts a JPEG's planes to RGB a row at a time, and only the
// columns asked for, so that the fused transform converts only what it
// reads (for a 1920×1080 photo cropped to the centre, about half).
type ycbcrRows struct {
	m      *image.YCbCr
	w, h   int
	hs, vs int // chroma subsampling per axis
	cw, ch int // the chroma planes' size as libjpeg sees it
	fancy  bool
	c0     int // the chroma planes' origin
	// Per-row scratch: upsampled chroma and the vertical pass's sums.
	cb, cr       []uint8
	colCb, colCr []int32
}

func newYCbCrRows(m *image.YCbCr) *ycbcrRows {
	b := m.Bounds()
	c := &ycbcrRows{m: m, w: b.Dx(), h: b.Dy(), hs: 1, vs: 1}
	// Chroma scale per axis and the chroma plane's size as libjpeg sees it:
	// the image's size divided by the factor, rounded up.
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		c.hs = 2
	case image.YCbCrSubsampleRatio420:
		c.hs, c.vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		c.vs = 2
	case image.YCbCrSubsampleRatio411:
		c.hs = 4
	case image.YCbCrSubsampleRatio410:
		c.hs, c.vs = 4, 2
	}
	c.cw = (c.w + c.hs - 1) / c.hs
	c.ch = (c.h + c.vs - 1) / c.vs
	// libjpeg interpolates only 2× factors, and only when the chroma plane
	// is wider than 2 samples; otherwise it replicates, as Go does.
	c.fancy = (c.hs <= 2 && c.vs <= 2) && (c.hs == 2 || c.vs == 2) && c.cw > 2
	c.cb, c.cr = make([]uint8, c.w), make([]uint8, c.w)
	c.colCb, c.colCr = make([]int32, c.cw), make([]int32, c.cw)
	// The chroma plane's origin: the decoder returns images at (0,0), but
	// compute it from COffset so a sub-image would also work.
	c.c0 = m.COffset(b.Min.X, b.Min.Y)
	return c
}

func (c *ycbcrRows) crow(plane []uint8, r int) []uint8 { return plane[c.c0+r*c.m.CStride:][:c.cw] }

// row converts columns [x0, x1) of row y into dst (the whole row's RGB,
// indexed from column 0; the other columns are left alone).
func (c *ycbcrRows) row(y int, dst []uint8, x0, x1 int) {
	m, w, hs, vs := c.m, c.w, c.hs, c.vs
	cb, cr, colCb, colCr := c.cb, c.cr, c.colCb, c.colCr
	cy := y / vs
	switch {
	case !c.fancy:
		rowCb, rowCr := c.crow(m.Cb, cy), c.crow(m.Cr, cy)
		for x := x0; x < x1; x++ {
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
		ny = clampInt(ny, 0, c.ch-1)
		near, far := c.crow(m.Cb, cy), c.crow(m.Cb, ny)
		nearR, farR := c.crow(m.Cr, cy), c.crow(m.Cr, ny)
		for i := 0; i < c.cw; i++ {
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
			for x := x0; x < x1; x++ {
				cb[x] = uint8((colCb[x] + bias) >> 2)
				cr[x] = uint8((colCr[x] + bias) >> 2)
			}
		}
	default: // h2v1
		rowCb, rowCr := c.crow(m.Cb, cy), c.crow(m.Cr, cy)
		for i := 0; i < c.cw; i++ {
			colCb[i], colCr[i] = int32(rowCb[i]), int32(rowCr[i])
		}
		upsample2(cb, colCb, 1, 2, 2)
		upsample2(cr, colCr, 1, 2, 2)
	}
	b := m.Bounds()
	ys := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
	convertRow(dst[3*x0:3*x1], ys[x0:x1], cb[x0:x1], cr[x0:x1])
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
