package sdk

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestImageWire(t *testing.T) {
	buf := []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6}
	img, err := parseImage(buf)
	if err != nil || img.W != 2 || img.H != 1 || !bytes.Equal(img.Pix, buf[8:]) {
		t.Fatal(img, err)
	}
	// An unchanged image goes back as the same buffer; a new one is framed.
	if w, err := img.wire(); err != nil || &w[0] != &buf[0] {
		t.Fatal("host buffer not reused", err)
	}
	w, err := Image{W: 1, H: 2, Pix: []byte{9, 8, 7, 6, 5, 4}}.wire()
	if err != nil || !bytes.Equal(w, []byte{1, 0, 0, 0, 2, 0, 0, 0, 9, 8, 7, 6, 5, 4}) {
		t.Fatal(w, err)
	}
	img.W, img.H = 1, 2 // same pixels, new header
	if w, err := img.wire(); err != nil || &w[0] == &buf[0] || w[0] != 1 || w[4] != 2 {
		t.Fatal("stale header reused", w, err)
	}
	for _, bad := range [][]byte{nil, {1, 0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 2}, {0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := parseImage(bad); err == nil {
			t.Errorf("parseImage(%v) accepted", bad)
		}
	}
	if _, err := (Image{W: 2, H: 2, Pix: make([]byte, 3)}).wire(); err == nil {
		t.Error("short Pix accepted")
	}
}

// Natively the kernels are package imageops's; this checks the SDK's plumbing
// (framing, parameters, float conversion) on values worked by hand.
func TestImageKernelsNative(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			src.Set(x, y, color.RGBA{uint8(10*x + 100*y), 51, 255, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	img, err := DecodeImage(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 3 || img.H != 2 || !bytes.Equal(img.Pix[:6], []byte{0, 51, 255, 10, 51, 255}) {
		t.Fatalf("decoded %dx%d %v", img.W, img.H, img.Pix)
	}
	c, err := CropImage(img, 1, 1, 2, 1)
	if err != nil || c.W != 2 || c.H != 1 || !bytes.Equal(c.Pix, []byte{110, 51, 255, 120, 51, 255}) {
		t.Fatalf("crop %+v %v", c, err)
	}
	v, err := ImageToTensor(c, [3]float32{0, 0.2, 0.5}, [3]float32{1, 0.5, 0.25})
	if err != nil {
		t.Fatal(err)
	}
	// CHW: R = v/255; G = (51/255 − 0.2)/0.5 = 0; B = (1 − 0.5)/0.25 = 2.
	want := []float32{110.0 / 255, 120.0 / 255, 0, 0, 2, 2}
	for i := range want {
		if d := v[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("tensor %v, want %v", v, want)
		}
	}
	r, err := ResizeImage(img, 1, 1)
	if err != nil || r.W != 1 || r.H != 1 || len(r.Pix) != 3 {
		t.Fatalf("resize %+v %v", r, err)
	}
	for _, err := range []error{
		func() error { _, err := DecodeImage(nil); return err }(),
		func() error { _, err := DecodeImage([]byte("nope")); return err }(),
		func() error { _, err := ResizeImage(img, 0, 5); return err }(),
		func() error { _, err := CropImage(img, -1, 0, 1, 1); return err }(),
		func() error { _, err := CropImage(img, 2, 0, 2, 1); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "image") {
			t.Errorf("want an image error, got %v", err)
		}
	}
}
