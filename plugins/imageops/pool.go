package imageops

import (
	"image"
	"math/bits"
	"sync"
)

// Decoding a photo needs a few buffers of hundreds of kilobytes; making them
// new on every call costs zeroing and garbage collection more than the
// decoding they serve. Buffers are reused across calls through bufPool.

// maxPooled bounds the buffers kept for reuse, so that one huge upload does
// not stay in memory after it is done with.
const maxPooled = 1 << maxClass

const maxClass = 24 // 16 MiB

// bufPools[c] holds buffers of capacity exactly 1<<c. One pool per size
// class, because a call needs several buffers of different sizes at once
// (the zlib stream, the filtered rows, the pixels, the resampled rows): in a
// single pool each Get would as often as not find one too small and
// allocate anyway.
var bufPools [maxClass + 1]sync.Pool // *[]byte

// getBuf returns a buffer of n bytes, not cleared: callers overwrite it.
func getBuf(n int) []byte {
	if n <= 0 || n > maxPooled {
		return make([]byte, n)
	}
	c := bits.Len(uint(n - 1))
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

// putBuf keeps b for reuse if getBuf made it (its capacity is a pooled
// size class); other slices are left to the garbage collector.
func putBuf(b []byte) {
	n := cap(b)
	if n == 0 || n > maxPooled || n&(n-1) != 0 {
		return
	}
	b = b[:0]
	bufPools[bits.Len(uint(n-1))].Put(&b)
}

// Decoded is an image decoded for Plan.Apply by DecodeForTransform: RGB
// pixels from a reused buffer, or a colour JPEG's planes, converted only
// where the plan reads them, or a PNG decoded only when a plan is applied
// (see png_stream.go). Release it when done.
type Decoded struct {
	W, H int
	rgb  RGB
	ycc  *image.YCbCr
	// png is a PNG still to inflate; data and maxPixels decode it again
	// with image/png if the fast route refuses it.
	png       *pngData
	data      []byte
	maxPixels int
}

// DecodeForTransform decodes as Decode does (same checks, same pixels), for
// a Plan to be applied and the image then released. A PNG that the
// streaming route takes is only parsed here, its chunks checked; it is
// inflated while ApplyDecoded runs (on a second goroutine), which then
// reports any error in its data. data must not change until Release.
func DecodeForTransform(data []byte, maxPixels int) (*Decoded, error) {
	// A PNG the fast route takes is parsed once, then streamed, or else
	// decoded here; image/png below only for what it refuses.
	if d, ok, err := parsePNGWithin(data, maxPixels); err != nil {
		return nil, err
	} else if ok {
		if d.streamable() {
			return &Decoded{W: d.w, H: d.h, png: &d, data: data, maxPixels: maxPixels}, nil
		}
		if img, ok := d.decode(true); ok {
			return &Decoded{W: img.W, H: img.H, rgb: img}, nil
		}
	}
	cfg, format, err := checkHeader(data, maxPixels)
	if err != nil {
		return nil, err
	}
	img, ycc, err := decodeStd(data, maxPixels, cfg, format, decodeOptions{reuse: true, keepYCbCr: true})
	if err != nil {
		return nil, err
	}
	if ycc != nil {
		b := ycc.Bounds()
		return &Decoded{W: b.Dx(), H: b.Dy(), ycc: ycc}, nil
	}
	return &Decoded{W: img.W, H: img.H, rgb: img}, nil
}

// Release hands the pixel memory back for reuse; d must not be used after.
func (d *Decoded) Release() {
	if d.rgb.Pix != nil {
		putBuf(d.rgb.Pix)
	}
	if d.png != nil {
		d.png.release()
	}
	*d = Decoded{}
}

// source reads rows of RGB from an RGB image or converts them from YCbCr.
type source struct {
	w, h   int
	rgb    RGB
	ycc    *ycbcrRows
	buf    []uint8    // the converted row
	stream *pngStream // rgb's rows are being decoded: wait for them
}

func (d *Decoded) source() *source {
	if d.ycc != nil {
		return &source{w: d.W, h: d.H, ycc: newYCbCrRows(d.ycc), buf: make([]uint8, 3*d.W)}
	}
	return rgbSource(d.rgb)
}

func rgbSource(img RGB) *source { return &source{w: img.W, h: img.H, rgb: img} }

// row returns row y, indexed from column 0, valid at least in [x0, x1).
func (s *source) row(y, x0, x1 int) []uint8 {
	if s.stream != nil {
		s.stream.upTo(y)
	}
	if s.ycc == nil {
		return s.rgb.Pix[y*s.w*3 : (y+1)*s.w*3]
	}
	s.ycc.row(y, s.buf, x0, x1)
	return s.buf
}
