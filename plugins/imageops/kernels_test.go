package imageops

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"strings"
	"testing"
)

func rgbOf(w, h int, vals ...uint8) RGB { return RGB{W: w, H: h, Pix: vals} }

// grey builds a one-row image whose three channels hold the same values.
func grey(vals ...uint8) RGB {
	img := RGB{W: len(vals), H: 1}
	for _, v := range vals {
		img.Pix = append(img.Pix, v, v, v)
	}
	return img
}

// Hand-worked bilinear cases (the triangle filter, weights normalised).
//
// 4 → 2: scale 2, so the filter's support widens to 2 input pixels. Output 0
// is centred at 1.0 and reads inputs 0,1,2 at distances 0.25, 0.25, 0.75
// (in filter units) → weights 3/7, 3/7, 1/7: (0·3 + 100·3 + 200)/7 = 71.4 →
// 71. Output 1 (centre 3.0) reads inputs 1,2,3 → 1/7, 3/7, 3/7:
// (100 + 600 + 765)/7 = 209.3 → 209.
//
// 2 → 4: scale 0.5, support 1. Centres 0.25, 0.75, 1.25, 1.75 → outputs v0,
// ¾v0+¼v1, ¼v0+¾v1, v1 (the edges clip the filter, then renormalise):
// 0, 25, 75, 100.
func TestResizeHandWorked(t *testing.T) {
	for _, c := range []struct {
		name string
		in   RGB
		w, h int
		want RGB
	}{
		{"shrink row 4→2", grey(0, 100, 200, 255), 2, 1, grey(71, 209)},
		{"enlarge row 2→4", grey(0, 100), 4, 1, grey(0, 25, 75, 100)},
		{"enlarge column 2→4", RGB{W: 1, H: 2, Pix: []uint8{0, 0, 0, 100, 100, 100}}, 1, 4,
			RGB{W: 1, H: 4, Pix: []uint8{0, 0, 0, 25, 25, 25, 75, 75, 75, 100, 100, 100}}},
		// Channels are independent: a red→blue ramp keeps green at 0.
		{"channels", rgbOf(2, 1, 200, 0, 0, 0, 0, 100), 4, 1, rgbOf(4, 1, 200, 0, 0, 150, 0, 25, 50, 0, 75, 0, 0, 100)},
		// A uniform image stays uniform whatever the filter (weights sum to 1).
		{"uniform 3x3→2x5", rgbOf(3, 3, bytes.Repeat([]byte{7, 130, 255}, 9)...), 2, 5, rgbOf(2, 5, bytes.Repeat([]byte{7, 130, 255}, 10)...)},
		{"1x1→3x2", rgbOf(1, 1, 9, 8, 7), 3, 2, rgbOf(3, 2, bytes.Repeat([]byte{9, 8, 7}, 6)...)},
	} {
		got, err := Resize(c.in, c.w, c.h)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.W != c.want.W || got.H != c.want.H || !bytes.Equal(got.Pix, c.want.Pix) {
			t.Errorf("%s: got %dx%d %v, want %dx%d %v", c.name, got.W, got.H, got.Pix, c.want.W, c.want.H, c.want.Pix)
		}
	}
}

func TestCrop(t *testing.T) {
	// 3×2 image, pixel (x, y) = (10x+y, 100+x, 200+y).
	img := RGB{W: 3, H: 2}
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			img.Pix = append(img.Pix, uint8(10*x+y), uint8(100+x), uint8(200+y))
		}
	}
	got, err := Crop(img, 1, 0, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := rgbOf(2, 2, 10, 101, 200, 20, 102, 200, 11, 101, 201, 21, 102, 201)
	if got.W != 2 || got.H != 2 || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got.Pix[0] = 99
	if img.Pix[3] != 10 {
		t.Error("crop shares the input's pixels")
	}
	if got, err := Crop(img, 2, 1, 1, 1); err != nil || !bytes.Equal(got.Pix, []uint8{21, 102, 201}) {
		t.Errorf("corner crop: %v %v", got.Pix, err)
	}
	if got, err := Crop(img, 0, 0, 3, 2); err != nil || !bytes.Equal(got.Pix, img.Pix) {
		t.Errorf("whole crop: %v %v", got.Pix, err)
	}
}

func TestToCHW(t *testing.T) {
	// 2×1 image: pixel 0 = (0, 51, 255), pixel 1 = (255, 102, 0).
	img := rgbOf(2, 1, 0, 51, 255, 255, 102, 0)
	got := ToCHW(img, [3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	// 51/255 = 0.2 and 102/255 = 0.4 exactly, so float32 division gives the
	// float32 nearest to 0.2 and 0.4. Planar order: R of both, G, B.
	want := []float32{0, 1, 0.2, 0.4, 1, 0}
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// mean 0.5, std 0.5 maps 0 → −1 and 255 → 1 exactly; 51 → (0.2−0.5)/0.5 = −0.6.
	got = ToCHW(img, [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})
	for i, w := range []float32{-1, 1, -0.6, -0.2, 1, -1} {
		if math.Abs(float64(got[i]-w)) > 1e-7 {
			t.Errorf("[%d] = %v, want %v", i, got[i], w)
		}
	}
	// ImageNet: R of 0 → −0.485/0.229 = −2.1179039…, B of 255 →
	// (1 − 0.406)/0.225 = 2.64.
	got = ToCHW(img, [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225})
	if math.Abs(float64(got[0])+2.1179039) > 1e-6 || math.Abs(float64(got[4])-2.64) > 1e-6 {
		t.Errorf("ImageNet normalisation: R(0) = %v, B(255) = %v", got[0], got[4])
	}
	if ToCHW(RGB{W: 2, H: 2, Pix: make([]uint8, 5)}, [3]float32{}, [3]float32{1, 1, 1}) != nil {
		t.Error("invalid image: want nil")
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	good := pngBytes(t, 40, 30)
	if img, err := Decode(good, 1200); err != nil || img.W != 40 || img.H != 30 {
		t.Fatalf("exactly at the limit: %v", err)
	}
	jpg := readRef(t, "photo500x375.jpg")
	// A PNG header claiming 65536 × 65536 pixels (and a valid checksum):
	// rejected from the header alone, before any pixel memory.
	huge := append([]byte(nil), good...)
	copy(huge[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0}) // IHDR width, height
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	for _, c := range []struct {
		name string
		data []byte
		max  int
		want string
	}{
		{"too many pixels", good, 1199, "more than the 1199 pixels"},
		{"JPEG too many pixels", jpg, 500*375 - 1, "more than the"},
		{"huge header", huge, 1 << 30, "too large"},
		{"truncated PNG", good[:len(good)/2], 1 << 20, "png"},
		{"truncated JPEG", jpg[:len(jpg)/2], 1 << 20, "jpeg"},
		{"header only", jpg[:200], 1 << 20, "jpeg"},
		{"empty", nil, 1 << 20, "header"},
		{"not an image", []byte("GIF89 hello, not really"), 1 << 20, "header"},
		{"BMP", append([]byte("BM"), make([]byte, 60)...), 1 << 20, "header"},
		{"zero limit", good, 0, "positive"},
	} {
		_, err := Decode(c.data, c.max)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		// DecodeForTransform checks the size on its own route: same error.
		d, err2 := DecodeForTransform(c.data, c.max)
		if err2 == nil {
			d.Release()
		}
		if fmt.Sprint(err2) != fmt.Sprint(err) {
			t.Errorf("%s: DecodeForTransform's error %v, Decode's %v", c.name, err2, err)
		}
	}
}

func TestKernelErrors(t *testing.T) {
	img := rgbOf(2, 2, make([]uint8, 12)...)
	bad := []RGB{
		{W: 2, H: 2, Pix: make([]uint8, 11)},
		{W: 0, H: 2},
		{W: -1, H: -3, Pix: make([]uint8, 9)},
		{W: MaxSide + 1, H: 1, Pix: make([]uint8, (MaxSide+1)*3)},
	}
	for _, b := range bad {
		if _, err := Resize(b, 2, 2); err == nil {
			t.Errorf("Resize of invalid %dx%d (%d bytes): no error", b.W, b.H, len(b.Pix))
		}
		if _, err := Crop(b, 0, 0, 1, 1); err == nil {
			t.Errorf("Crop of invalid %dx%d: no error", b.W, b.H)
		}
		if ToCHW(b, [3]float32{}, [3]float32{1, 1, 1}) != nil {
			t.Errorf("ToCHW of invalid %dx%d: not nil", b.W, b.H)
		}
	}
	for _, s := range [][2]int{{0, 2}, {2, 0}, {-5, 2}, {MaxSide + 1, 1}, {1, MaxSide + 1}, {MaxSide, MaxSide}, {1 << 62, 1 << 62}} {
		if _, err := Resize(img, s[0], s[1]); err == nil {
			t.Errorf("Resize to %dx%d: no error", s[0], s[1])
		}
	}
	const maxInt = int(^uint(0) >> 1)
	for _, r := range [][4]int{{0, 0, 3, 1}, {0, 0, 1, 3}, {1, 1, 2, 1}, {-1, 0, 1, 1}, {0, -1, 1, 1}, {0, 0, 0, 1}, {0, 0, 1, -1}, {2, 0, 1, 1}, {1, 0, maxInt, 1}, {maxInt, maxInt, 1, 1}} {
		if _, err := Crop(img, r[0], r[1], r[2], r[3]); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("Crop %v: error %v", r, err)
		}
	}
}

// TestDecodeDropsAlpha: a half-transparent pixel keeps its colour (PIL does
// not composite or premultiply), which Go's generic At().RGBA() would not.
func TestDecodeDropsAlpha(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	m.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 10})
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes(), 1)
	if err != nil || !bytes.Equal(got.Pix, []uint8{200, 100, 50}) {
		t.Errorf("got %v %v, want [200 100 50]", got.Pix, err)
	}
}

// TestDecodeGIFFrameOffset: a 6×4 GIF whose first frame covers only
// (2,1)–(5,3). PIL 9.4 opens it at the screen's size, the frame in place and
// palette index 0 around it (not the background index) — values printed by
// PIL for this very file.
func TestDecodeGIFFrameOffset(t *testing.T) {
	pal := color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 50, 255}, color.RGBA{0, 255, 0, 255}}
	frame := image.NewPaletted(image.Rect(2, 1, 5, 3), pal)
	for i := range frame.Pix {
		frame.Pix[i] = 1
	}
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: 6, Height: 4}, BackgroundIndex: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes(), 24)
	if err != nil {
		t.Fatal(err)
	}
	a, b := []uint8{10, 20, 30}, []uint8{200, 100, 50}
	var want []uint8
	for _, row := range []string{"aaaaaa", "aabbba", "aabbba", "aaaaaa"} {
		for _, c := range row {
			if c == 'a' {
				want = append(want, a...)
			} else {
				want = append(want, b...)
			}
		}
	}
	if got.W != 6 || got.H != 4 || !bytes.Equal(got.Pix, want) {
		t.Errorf("got %dx%d %v, want 6x4 %v", got.W, got.H, got.Pix, want)
	}
}
