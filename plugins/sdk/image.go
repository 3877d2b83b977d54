package sdk

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Image is an 8-bit RGB image, row-major HWC: len(Pix) == W*H*3.
type Image struct {
	W, H int
	Pix  []byte

	// buf is the host's image buffer (u32 width, u32 height, pixels) that
	// Pix points into, so that chaining host kernels passes it back without
	// copying the pixels.
	buf []byte
}

const imageHeader = 8

// parseImage checks an image buffer from the host and wraps it.
func parseImage(buf []byte) (Image, error) {
	if len(buf) < imageHeader {
		return Image{}, fmt.Errorf("host returned a %d-byte image buffer", len(buf))
	}
	w := binary.LittleEndian.Uint32(buf)
	h := binary.LittleEndian.Uint32(buf[4:])
	if w == 0 || h == 0 || uint64(w)*uint64(h)*3 != uint64(len(buf)-imageHeader) {
		return Image{}, fmt.Errorf("host returned a %dx%d image with %d pixel bytes", w, h, len(buf)-imageHeader)
	}
	return Image{W: int(w), H: int(h), Pix: buf[imageHeader:], buf: buf}, nil
}

// wire returns img as an image buffer, reusing the host's one when Pix
// still points into it.
func (img Image) wire() ([]byte, error) {
	n := uint64(img.W) * uint64(img.H) * 3
	if img.W <= 0 || img.H <= 0 || img.W > 1<<30 || img.H > 1<<30 || uint64(len(img.Pix)) != n {
		return nil, fmt.Errorf("image: %dx%d with %d pixel bytes, want W*H*3", img.W, img.H, len(img.Pix))
	}
	if len(img.buf) == imageHeader+len(img.Pix) && len(img.Pix) > 0 &&
		unsafe.SliceData(img.buf[imageHeader:]) == unsafe.SliceData(img.Pix) &&
		binary.LittleEndian.Uint32(img.buf) == uint32(img.W) && binary.LittleEndian.Uint32(img.buf[4:]) == uint32(img.H) {
		return img.buf, nil
	}
	buf := make([]byte, imageHeader+len(img.Pix))
	binary.LittleEndian.PutUint32(buf, uint32(img.W))
	binary.LittleEndian.PutUint32(buf[4:], uint32(img.H))
	copy(buf[imageHeader:], img.Pix)
	return buf, nil
}
