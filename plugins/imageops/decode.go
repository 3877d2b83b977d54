package imageops

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// Decode decodes a JPEG, PNG or GIF (its first frame) with the standard
// library and converts it to RGB as PIL's Image.open(f).convert("RGB") does:
// alpha is dropped, not composited; grey is replicated; palette indices are
// mapped through the palette; JPEG chroma is upsampled and converted the way
// libjpeg does it (see ycbcr.go). The size is read from the header first and
// an image of more than maxPixels pixels (or more than MaxPixels) is rejected
// before any pixel memory is allocated.
func Decode(data []byte, maxPixels int) (RGB, error) {
	return decode(data, maxPixels, decodeOptions{fastPNG: true})
}

func decode(data []byte, maxPixels int, opt decodeOptions) (RGB, error) {
	opt.keepYCbCr = false
	img, _, err := decodeImage(data, maxPixels, opt)
	return img, err
}

type decodeOptions struct {
	// fastPNG takes the fast route for the PNGs it knows (false: every
	// PNG through image/png, the reference the fast route is tested with).
	fastPNG bool
	// reuse takes the pixel memory from bufPool (see DecodeForTransform).
	reuse bool
	// keepYCbCr returns a colour JPEG's planes unconverted, for the fused
	// transform to convert only the part it reads.
	keepYCbCr bool
}

// decodeImage is Decode; with opt.keepYCbCr a colour JPEG comes back as
// ycc (and img is empty).
func decodeImage(data []byte, maxPixels int, opt decodeOptions) (img RGB, ycc *image.YCbCr, err error) {
	if opt.fastPNG {
		if d, ok, err := parsePNGWithin(data, maxPixels); err != nil {
			return RGB{}, nil, err
		} else if ok {
			if img, ok := d.decode(opt.reuse); ok {
				return img, nil, nil
			}
		}
	}
	cfg, format, err := checkHeader(data, maxPixels)
	if err != nil {
		return RGB{}, nil, err
	}
	return decodeStd(data, maxPixels, cfg, format, opt)
}

// parsePNGWithin is parsePNG for a PNG that must hold at most maxPixels:
// the size checks checkHeader would make, with its errors, on the header
// parsePNG has read: checkHeader's image.DecodeConfig would read it a
// second time, 3.6–4.0 µs per call (a throwaway go test -bench of
// checkHeader on the noisy 320×240 PNG, 05:03 UTC).
// ok is false, and err nil, for a PNG the fast route leaves to image/png.
func parsePNGWithin(data []byte, maxPixels int) (d pngData, ok bool, err error) {
	if d, ok = parsePNG(data); !ok {
		return pngData{}, false, nil
	}
	if err := checkLimits(d.w, d.h, "png", maxPixels); err != nil {
		d.release()
		return pngData{}, false, err
	}
	return d, true, nil
}

// decodeStd is decodeImage past the header check and the fast PNG route:
// the standard library's decoders.
func decodeStd(data []byte, maxPixels int, cfg image.Config, format string, opt decodeOptions) (img RGB, ycc *image.YCbCr, err error) {
	// Decode with the named decoder rather than image.Decode, so a format some
	// other package registers does not become reachable from plugins.
	var m image.Image
	switch format {
	case "jpeg":
		m, err = jpeg.Decode(bytes.NewReader(data))
	case "png":
		m, err = png.Decode(bytes.NewReader(data))
	case "gif":
		m, err = gif.Decode(bytes.NewReader(data))
	default:
		return RGB{}, nil, fmt.Errorf("imageops: decode: unsupported image format %q (want JPEG, PNG or GIF)", format)
	}
	if err != nil {
		return RGB{}, nil, fmt.Errorf("imageops: decode: %s: %w", format, err)
	}
	if p, ok := m.(*image.Paletted); ok && format == "gif" {
		m = gifScreen(p, cfg.Width, cfg.Height)
	}
	b := m.Bounds()
	if err := checkSize(b.Dx(), b.Dy()); err != nil || b.Dx()*b.Dy() > maxPixels {
		return RGB{}, nil, fmt.Errorf("imageops: decode: %s image decoded to %dx%d, beyond its header or the limit", format, b.Dx(), b.Dy())
	}
	if y, ok := m.(*image.YCbCr); ok && opt.keepYCbCr {
		return RGB{}, y, nil
	}
	return toRGB(m), nil, nil
}

// checkHeader reads the image's header and checks its size against the
// limits before any pixel memory is allocated.
func checkHeader(data []byte, maxPixels int) (image.Config, string, error) {
	if maxPixels <= 0 {
		return image.Config{}, "", errors.New("imageops: decode: the pixel limit must be positive")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return image.Config{}, "", fmt.Errorf("imageops: decode: reading the image header: %w", err)
	}
	if err := checkLimits(cfg.Width, cfg.Height, format, maxPixels); err != nil {
		return image.Config{}, "", err
	}
	return cfg, format, nil
}

// checkLimits checks a w×h image of the given format against the size
// limits and maxPixels.
func checkLimits(w, h int, format string, maxPixels int) error {
	if maxPixels <= 0 {
		return errors.New("imageops: decode: the pixel limit must be positive")
	}
	if err := checkSize(w, h); err != nil {
		return fmt.Errorf("imageops: decode: %s image: %w", format, err)
	}
	if w*h > maxPixels {
		return fmt.Errorf("imageops: decode: %dx%d %s image has more than the %d pixels allowed", w, h, format, maxPixels)
	}
	return nil
}

// gifScreen places a GIF's first frame on the logical screen, as PIL does:
// Go returns the frame alone (its bounds may be a smaller rectangle), PIL a
// screen-sized image where the rest is palette index 0, or the transparent
// index when the frame has one.
func gifScreen(p *image.Paletted, w, h int) *image.Paletted {
	screen := image.Rect(0, 0, w, h)
	if p.Rect == screen {
		return p
	}
	fill := uint8(0)
	for i, c := range p.Palette {
		if _, _, _, a := c.RGBA(); a == 0 && i < 256 {
			fill = uint8(i) // Go marks the transparent index with a zero colour
			break
		}
	}
	out := image.NewPaletted(screen, p.Palette)
	for i := range out.Pix {
		out.Pix[i] = fill
	}
	r := p.Rect.Intersect(screen)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[out.PixOffset(r.Min.X, y):][:r.Dx()], p.Pix[p.PixOffset(r.Min.X, y):][:r.Dx()])
	}
	return out
}

// toRGB converts a decoded image, handling every type the standard decoders
// return directly: the generic color.Color path would premultiply alpha,
// which PIL does not do.
func toRGB(m image.Image) RGB {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := RGB{W: w, H: h, Pix: make([]uint8, w*h*3)}
	switch m := m.(type) {
	case *image.YCbCr:
		ycbcrToRGB(m, out)
	case *image.Gray:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			dst := out.Pix[y*w*3:][:w*3]
			for x, v := range src {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		// PIL opens 16-bit grey as mode "I" and its I→RGB conversion clips
		// to 0..255 instead of scaling: odd, but it is what PIL gives.
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			dst := out.Pix[y*w*3:][:w*3]
			for x := 0; x < w; x++ {
				v := uint8(255)
				if src[2*x] == 0 {
					v = src[2*x+1]
				}
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.RGBA:
		copyRGB(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, 4, 1)
	case *image.NRGBA:
		copyRGB(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, 4, 1)
	case *image.RGBA64:
		// 16-bit PNG samples: PIL keeps the high byte.
		copyRGB(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, 8, 2)
	case *image.NRGBA64:
		copyRGB(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, 8, 2)
	case *image.Paletted:
		var pal [256][3]uint8 // indices beyond the palette stay black
		for i, c := range m.Palette {
			if i == len(pal) {
				break
			}
			pal[i] = paletteRGB(c)
		}
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			dst := out.Pix[y*w*3:][:w*3]
			for x, i := range src {
				p := pal[i]
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := out.Pix[y*w*3:][:w*3]
			for x := 0; x < w; x++ {
				nk := 255 - int(src[4*x+3])
				for c := 0; c < 3; c++ {
					// PIL: nk − c·nk/255, the division rounded.
					t := int(src[4*x+c])*nk + 128
					dst[3*x+c] = uint8(nk - ((t>>8)+t)>>8)
				}
			}
		}
	default: // not produced by the three decoders; kept for completeness
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				i := (y*w + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
			}
		}
	}
	return out
}

// copyRGB copies the first three samples of each pixel, taking the high byte
// of each sample when samples are sampleBytes wide (big-endian, as Go stores
// them).
func copyRGB(out RGB, pix []uint8, off, stride, pixelBytes, sampleBytes int) {
	w := out.W
	for y := 0; y < out.H; y++ {
		src := pix[off+y*stride:][:w*pixelBytes]
		dst := out.Pix[y*w*3:][:w*3]
		for x := 0; x < w; x++ {
			s := src[x*pixelBytes:]
			dst[3*x] = s[0]
			dst[3*x+1] = s[sampleBytes]
			dst[3*x+2] = s[2*sampleBytes]
		}
	}
}

// paletteRGB returns a palette entry's colour without its alpha. PNG palettes
// with transparency hold color.NRGBA (RGB intact); without, color.RGBA with
// alpha 255. GIF's transparent entry is color.RGBA{} in Go: its RGB is lost,
// where PIL would keep the palette's RGB for it.
func paletteRGB(c color.Color) [3]uint8 {
	switch c := c.(type) {
	case color.NRGBA:
		return [3]uint8{c.R, c.G, c.B}
	case color.RGBA:
		return [3]uint8{c.R, c.G, c.B}
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return [3]uint8{n.R, n.G, n.B}
}
