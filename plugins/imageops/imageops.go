// Package imageops holds the pure-Go image kernels gonyx exposes to plugins
// (docs/PLUGINS.md, host module "gonyx"): decoding to RGB as PIL's
// Image.convert("RGB") does, PIL-exact bilinear resizing, cropping and
// conversion to a normalised CHW float32 tensor as torchvision's ToTensor and
// Normalize do. Together they reproduce torchvision's usual ImageNet
// preprocessing; plugins/examples/imagenet-preprocess/testdata holds the
// reference tensors the tests compare with.
//
// Transform fuses the chain (image_preprocess): it resamples only the
// pixels inside the crop and normalises as it stores them. Common PNGs
// (8-bit RGB/RGBA) decode through our own inflate and unfiltering, about
// 2.5× faster than image/png and fuzzed against it (png.go, inflate.go).
package imageops

import "fmt"

// RGB is an 8-bit RGB image, row-major HWC: len(Pix) == W*H*3.
type RGB struct {
	W, H int
	Pix  []uint8
}

// Bounds on every image the kernels accept or produce. Plugins choose output
// sizes, so these keep a hostile or mistaken request from asking the host for
// a huge allocation, and keep products such as W*H*3 far from overflowing.
const (
	MaxSide   = 1 << 16 // widest or tallest image, in pixels
	MaxPixels = 1 << 26 // largest W*H: 64 Mi pixels, 192 MiB as RGB8
)

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("imageops: image size %dx%d is not positive", w, h)
	}
	if w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return fmt.Errorf("imageops: image size %dx%d is too large (max %d per side, %d pixels)", w, h, MaxSide, MaxPixels)
	}
	return nil
}

func (img RGB) check() error {
	if err := checkSize(img.W, img.H); err != nil {
		return err
	}
	if len(img.Pix) != img.W*img.H*3 {
		return fmt.Errorf("imageops: %dx%d image has %d bytes of pixels, want %d", img.W, img.H, len(img.Pix), img.W*img.H*3)
	}
	return nil
}
