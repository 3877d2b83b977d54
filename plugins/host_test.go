package plugins

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/imageops"
	"github.com/gonyx/gonyx/server/infer"
)

// testImage is a 6×4 opaque image whose pixels are easy to write down.
func testImage() (pngBytes []byte, rgb []byte) {
	const w, h = 6, 4
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: uint8(10*x + 3*y), G: uint8(200 - 7*x), B: uint8(x * y * 11), A: 255}
			img.SetNRGBA(x, y, c)
			rgb = append(rgb, c.R, c.G, c.B)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes(), rgb
}

// imageBuffer is the ABI's image buffer: u32 w, u32 h, RGB8 pixels.
func imageBuffer(w, h int, pix []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(h))
	return append(b, pix...)
}

func TestHostFunctions(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "hostfuncs", Path: guestPath(t, "hostcalls"), Settings: map[string]string{"greeting": "grüß dich"}})
	pngBytes, rgb := testImage()
	params := `{"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}`
	out := process(t, p, abi.Message{
		{Name: "key", Bytes: []byte("greeting")},
		{Name: "png", Bytes: pngBytes},
		{Name: "params", Bytes: []byte(params)},
	})

	t.Run("config", func(t *testing.T) {
		if got := string(entry(t, out, "config")); got != "grüß dich" {
			t.Errorf("config(greeting) = %q", got)
		}
		if got := string(entry(t, out, "missing_err")); got != `no setting "no-such-key"` {
			t.Errorf("config(no-such-key) error %q", got)
		}
	})

	t.Run("decode", func(t *testing.T) {
		// The pixels we drew, independently of any decoder.
		if got, want := entry(t, out, "decoded"), imageBuffer(6, 4, rgb); !bytes.Equal(got, want) {
			t.Errorf("image_decode\n got %v\nwant %v", got, want)
		}
		if got := string(entry(t, out, "garbage_err")); got == "" {
			t.Error("image_decode accepted garbage without an error message")
		}
	})

	t.Run("crop", func(t *testing.T) {
		// Crop 3×2 at (1,2): rows 2..3, columns 1..3 of what we drew.
		var want []byte
		for y := 2; y < 4; y++ {
			want = append(want, rgb[(y*6+1)*3:(y*6+4)*3]...)
		}
		if got := entry(t, out, "cropped"); !bytes.Equal(got, imageBuffer(3, 2, want)) {
			t.Errorf("image_crop\n got %v\nwant %v", got, imageBuffer(3, 2, want))
		}
		if got := string(entry(t, out, "badcrop_err")); !strings.Contains(got, "outside the 6x4 image") {
			t.Errorf("out-of-bounds crop: %q", got)
		}
	})

	src := imageops.RGB{W: 6, H: 4, Pix: rgb}
	t.Run("resize", func(t *testing.T) {
		want, err := imageops.Resize(src, 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := entry(t, out, "resized"); !bytes.Equal(got, imageBuffer(5, 3, want.Pix)) {
			t.Errorf("image_resize differs from imageops.Resize\n got %v\nwant %v", got, imageBuffer(5, 3, want.Pix))
		}
	})

	t.Run("to_tensor", func(t *testing.T) {
		got := entry(t, out, "tensor")
		if len(got) != 4*3*6*4 {
			t.Fatalf("%d bytes, want %d", len(got), 4*3*6*4)
		}
		mean := [3]float32{0.485, 0.456, 0.406}
		std := [3]float32{0.229, 0.224, 0.225}
		direct := imageops.ToCHW(src, mean, std)
		for i := range direct {
			if v := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:])); v != direct[i] {
				t.Fatalf("element %d: %v, imageops.ToCHW says %v", i, v, direct[i])
			}
		}
		// And by hand, for the blue channel of pixel (x=5, y=3): 165.
		v := math.Float32frombits(binary.LittleEndian.Uint32(got[4*(2*24+3*6+5):]))
		if want := (165.0/255 - 0.406) / 0.225; math.Abs(float64(v)-want) > 1e-5 {
			t.Errorf("B(5,3) = %v, want %v", v, want)
		}
	})

	t.Run("log", func(t *testing.T) {
		var guestLog, stdout []string
		for _, r := range sharedLogs.of("hostfuncs") {
			if r.Attrs["stream"] == "stdout" {
				stdout = append(stdout, r.Msg)
			} else if r.Level.String() == "WARN" {
				guestLog = append(guestLog, r.Msg)
			}
		}
		if strings.Join(guestLog, "|") != "hello from the guest" {
			t.Errorf("guest log calls: %q", guestLog)
		}
		if strings.Join(stdout, "|") != "line one to stdout|partial line two" {
			t.Errorf("stdout lines: %q", stdout)
		}
	})

	t.Run("sandbox", func(t *testing.T) {
		if got := string(entry(t, out, "file")); got == "<nil>" {
			t.Error("the guest read /etc/passwd")
		}
		if got := string(entry(t, out, "env")); got != "" {
			t.Errorf("the guest sees environment %q", got)
		}
		if got := string(entry(t, out, "args")); got != "" {
			t.Errorf("the guest sees arguments %q", got)
		}
	})
}

// A guest handing a host function a pointer outside its memory fails the
// call (Internal, naming the function); the next call works.
func TestHostFunctionBadPointer(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "badptr", Path: guestPath(t, "hostcalls"), Instances: 1})
	_, err := p.Process(context.Background(), abi.Message{{Name: "badptr"}})
	wantCode(t, err, infer.Internal, "plugin badptr failed: gonyx_process: host function config: key: 64 bytes at 0xfffffff0 are outside the guest's")
	out := process(t, p, abi.Message{{Name: "key", Bytes: []byte("nothing")}})
	if got := string(entry(t, out, "config_err")); got != `no setting "nothing"` {
		t.Errorf("after the failure: %q", got)
	}
}

func TestParseImage(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":     {1, 0, 0},
		"zero":      imageBuffer(0, 4, nil),
		"huge":      imageBuffer(1<<16, 1, nil),
		"truncated": imageBuffer(2, 2, make([]byte, 11)),
		"long":      imageBuffer(2, 2, make([]byte, 13)),
	} {
		if _, err := parseImage(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	img, err := parseImage(imageBuffer(2, 1, []byte{1, 2, 3, 4, 5, 6}))
	if err != nil || img.W != 2 || img.H != 1 || !bytes.Equal(img.Pix, []byte{1, 2, 3, 4, 5, 6}) {
		t.Errorf("%+v %v", img, err)
	}
}

func TestToTensorParams(t *testing.T) {
	mean, std, err := parseToTensorParams(nil)
	if err != nil || mean != [3]float32{} || std != [3]float32{1, 1, 1} {
		t.Errorf("defaults: %v %v %v", mean, std, err)
	}
	mean, std, err = parseToTensorParams([]byte(`{"mean":[1,2,3],"std":[4,5,6]}`))
	if err != nil || mean != [3]float32{1, 2, 3} || std != [3]float32{4, 5, 6} {
		t.Errorf("%v %v %v", mean, std, err)
	}
	for _, bad := range []string{`{"mean":[1,2]}`, `{"std":[1,0,1]}`, `{"std":[1,2,3,4]}`, `[`} {
		if _, _, err := parseToTensorParams([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
