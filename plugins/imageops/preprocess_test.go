package imageops

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"testing"
)

// unfused is the reference for Preprocess: the separate kernels (each
// checked against PIL and torchvision) and torchvision's CenterCrop padding
// written out here.
func unfused(t *testing.T, data []byte, tr Transform) (vals []float32, w, h int) {
	t.Helper()
	img, err := Decode(data, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Resize > 0 {
		rw, rh := ResizedSize(img.W, img.H, tr.Resize)
		if img, err = Resize(img, rw, rh); err != nil {
			t.Fatal(err)
		}
	}
	if c := tr.Crop; c > 0 {
		// Pad with black to at least c×c (the odd pixel right/bottom), then
		// cut c×c at round-half-even((size − c) / 2).
		pl, pt := max(0, (c-img.W)/2), max(0, (c-img.H)/2)
		pw, ph := max(img.W, c), max(img.H, c)
		x := int(math.RoundToEven(float64(pw-c) / 2))
		y := int(math.RoundToEven(float64(ph-c) / 2))
		out := RGB{W: c, H: c, Pix: make([]uint8, c*c*3)}
		for oy := range c {
			for ox := range c {
				sx, sy := ox+x-pl, oy+y-pt
				if sx >= 0 && sy >= 0 && sx < img.W && sy < img.H {
					copy(out.Pix[3*(oy*c+ox):][:3], img.Pix[3*(sy*img.W+sx):])
				}
			}
		}
		img = out
	}
	return ToCHW(img, tr.Mean, tr.Std), img.W, img.H
}

// testImage is a w×h picture with detail in every channel (so that any
// misplaced row, column or channel shows), alpha varying.
func testImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x*7 + y*3), uint8(x*x + y*11), uint8((x ^ y) * 5), uint8(x + y*13)})
		}
	}
	return m
}

func encodePNG(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// inputs are encoded images covering every pixel format the decoders return
// and awkward sizes.
func preprocessInputs(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	for _, s := range [][2]int{{1, 1}, {3, 500}, {500, 3}, {37, 29}, {320, 240}, {2, 2}} {
		w, h := s[0], s[1]
		src := testImage(w, h)
		in[fmt.Sprintf("nrgba%dx%d.png", w, h)] = encodePNG(t, src)
		opaque := image.NewRGBA(src.Rect)
		for i := range opaque.Pix {
			opaque.Pix[i] = src.Pix[i] | uint8(0xff*b2i(i%4 == 3))
		}
		in[fmt.Sprintf("rgb%dx%d.png", w, h)] = encodePNG(t, opaque)
		gray := image.NewGray(src.Rect)
		for i := range gray.Pix {
			gray.Pix[i] = src.Pix[4*i+1]
		}
		in[fmt.Sprintf("gray%dx%d.png", w, h)] = encodePNG(t, gray)
		g16 := image.NewGray16(src.Rect)
		for i := range gray.Pix {
			g16.Pix[2*i], g16.Pix[2*i+1] = src.Pix[4*i]&1, src.Pix[4*i+1] // some above 255
		}
		in[fmt.Sprintf("gray16_%dx%d.png", w, h)] = encodePNG(t, g16)
		rgba64 := image.NewNRGBA64(src.Rect)
		for i := range rgba64.Pix {
			rgba64.Pix[i] = src.Pix[i/2] + uint8(i)
		}
		in[fmt.Sprintf("nrgba64_%dx%d.png", w, h)] = encodePNG(t, rgba64)
		pal := image.NewPaletted(src.Rect, paletteOf(40))
		for i := range pal.Pix {
			pal.Pix[i] = uint8(int(src.Pix[4*i]) % 40)
		}
		in[fmt.Sprintf("palette%dx%d.png", w, h)] = encodePNG(t, pal)
		var g bytes.Buffer
		if err := gif.Encode(&g, pal, nil); err != nil {
			t.Fatal(err)
		}
		in[fmt.Sprintf("palette%dx%d.gif", w, h)] = g.Bytes()
		for _, q := range []int{75, 95} {
			var j bytes.Buffer
			if err := jpeg.Encode(&j, opaque, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			in[fmt.Sprintf("q%d_%dx%d.jpg", q, w, h)] = j.Bytes()
		}
		var j bytes.Buffer
		if err := jpeg.Encode(&j, gray, nil); err != nil {
			t.Fatal(err)
		}
		in[fmt.Sprintf("gray%dx%d.jpg", w, h)] = j.Bytes()
	}
	for _, name := range []string{"scene320x240.png", "photo500x375.jpg", "palette100x150.png", "gray240x320.png",
		"rgba300x200.png", "graya64x48.png", "gray16_64x48.png", "gif64x48.gif", "jpeg422_67x45.jpg",
		"jpeg410_67x45.jpg", "jpeg440_67x45.jpg", "jpeg411_67x45.jpg", "jpeg444_67x45.jpg", "jpeg420_67x45.jpg", "jpeggray_67x45.jpg", "cmyk64x48.jpg"} {
		in[name] = readRef(t, name)
	}
	return in
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func paletteOf(n int) color.Palette {
	p := make(color.Palette, n)
	for i := range p {
		p[i] = color.RGBA{uint8(i * 37), uint8(i * 91), uint8(255 - i*5), 255}
	}
	return p
}

// TestPreprocessMatchesUnfused: the fused kernel gives the very floats of
// Decode → Resize → CenterCrop → ToCHW, for every input and a spread of
// transforms: enlarging, shrinking, no resize, no crop, crops larger than
// the image (padding on some or all sides), crops of one pixel.
func TestPreprocessMatchesUnfused(t *testing.T) {
	mean, std := [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}
	transforms := []Transform{
		{Resize: 256, Crop: 224}, {Resize: 7, Crop: 5}, {Resize: 0, Crop: 3}, {Resize: 9, Crop: 0},
		{Resize: 160, Crop: 224}, {Resize: 0, Crop: 0}, {Resize: 1, Crop: 1}, {Resize: 3, Crop: 40},
		{Resize: 100, Crop: 2}, {Resize: 30, Crop: 0},
	}
	for name, data := range preprocessInputs(t) {
		for _, tr := range transforms {
			tr.Mean, tr.Std = mean, std
			got, w, h, err := Preprocess(data, 1<<24, tr)
			if err != nil {
				t.Errorf("%s %+v: %v", name, tr, err)
				continue
			}
			want, ww, wh := unfused(t, data, tr)
			if w != ww || h != wh || len(got) != len(want) {
				t.Errorf("%s resize %d crop %d: %dx%d (%d values), want %dx%d (%d)", name, tr.Resize, tr.Crop, w, h, len(got), ww, wh, len(want))
				continue
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Errorf("%s resize %d crop %d: value %d is %v, want %v", name, tr.Resize, tr.Crop, i, got[i], want[i])
					break
				}
			}
		}
	}
}

func TestPreprocessErrors(t *testing.T) {
	good := encodePNG(t, testImage(40, 30))
	ok := Transform{Resize: 8, Crop: 4, Std: [3]float32{1, 1, 1}}
	for _, c := range []struct {
		name string
		data []byte
		max  int
		tr   Transform
		want string
	}{
		{"zero std", good, 1 << 20, Transform{Std: [3]float32{1, 0, 1}}, "std"},
		{"NaN mean", good, 1 << 20, Transform{Mean: [3]float32{float32(math.NaN())}, Std: [3]float32{1, 1, 1}}, "mean"},
		{"negative resize", good, 1 << 20, Transform{Resize: -1, Std: [3]float32{1, 1, 1}}, "resize"},
		{"huge crop", good, 1 << 20, Transform{Crop: MaxSide + 1, Std: [3]float32{1, 1, 1}}, "crop"},
		// 40×30 → shorter side 60000: 80000 wide, more than any image may be.
		{"resized too large", good, 1 << 20, Transform{Resize: 60000, Crop: 4, Std: [3]float32{1, 1, 1}}, "too large"},
		{"too many pixels", good, 1199, ok, "more than"},
		{"truncated", good[:len(good)/2], 1 << 20, ok, "png"},
		{"garbage", []byte("\x89PNG\r\n\x1a\nnot really"), 1 << 20, ok, "decode"},
		{"empty", nil, 1 << 20, ok, "decode"},
	} {
		_, _, _, err := Preprocess(c.data, c.max, c.tr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	p, err := ok.Plan(40, 30)
	if err != nil {
		t.Fatal(err)
	}
	img := RGB{W: 40, H: 30, Pix: make([]uint8, 40*30*3)}
	if err := p.Apply(img, make([]byte, p.OutBytes()-1)); err == nil {
		t.Error("short output buffer accepted")
	}
	if err := p.Apply(RGB{W: 30, H: 40, Pix: img.Pix}, make([]byte, p.OutBytes())); err == nil {
		t.Error("image of another size accepted")
	}
	if err := (Plan{}).Apply(img, nil); err == nil {
		t.Error("zero Plan accepted")
	}
}

// TestPreprocessConcurrent: calls at once share the buffer pool without
// sharing buffers (run with -race too): each gives what it gives alone.
func TestPreprocessConcurrent(t *testing.T) {
	tr := Transform{Resize: 64, Crop: 48, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}}
	inputs := [][]byte{readRef(t, "scene320x240.png"), readRef(t, "rgba300x200.png"), encodePNG(t, testImage(90, 70)), readRef(t, "photo500x375.jpg")}
	want := make([][]float32, len(inputs))
	for i, in := range inputs {
		v, _, _, err := Preprocess(in, 1<<24, tr)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = v
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for k := range 20 {
				i := (g + k) % len(inputs)
				v, _, _, err := Preprocess(inputs[i], 1<<24, tr)
				if err == nil && !slicesEqual(v, want[i]) {
					err = fmt.Errorf("input %d: values differ from a lone call", i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
