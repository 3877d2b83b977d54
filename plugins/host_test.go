package plugins

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
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

// The cache answers for the bytes it last parsed, from a copy of them (the
// guest may rewrite its buffer), and never for bytes that failed.
func TestParamsCache(t *testing.T) {
	var c paramsCache
	buf := []byte(`{"mean":[1,2,3],"std":[4,5,6]}`)
	for range 2 {
		mean, std, err := c.parse(buf)
		if err != nil || mean != [3]float32{1, 2, 3} || std != [3]float32{4, 5, 6} {
			t.Fatalf("%v %v %v", mean, std, err)
		}
	}
	copy(buf, `{"mean":[7,8,9],"std":[4,5,6]}`) // same length, rewritten in place
	if mean, _, err := c.parse(buf); err != nil || mean != [3]float32{7, 8, 9} {
		t.Errorf("rewritten buffer: mean %v, %v", mean, err)
	}
	bad := []byte(`{"std":[1,0,1]}`)
	for range 2 {
		if _, _, err := c.parse(bad); err == nil {
			t.Error("a failed parse was cached")
		}
	}
	if mean, std, err := c.parse(nil); err != nil || mean != [3]float32{} || std != [3]float32{1, 1, 1} {
		t.Errorf("no params after cached ones: %v %v %v", mean, std, err)
	}
}

// image_preprocess_output: the tensor joins the call's output ahead of the
// guest's entries, written into the caller's reuse tensor when one fits,
// without entering the guest; its misuses fail the call or come back to the
// guest as errors.
func TestImagePreprocessOutput(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "attach", Path: guestPath(t, "hostcalls"), Instances: 1})
	pngBytes, rgb := testImage()
	params := []byte(`{"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}`)
	in := func(names string) abi.Message {
		return abi.Message{{Name: "png", Bytes: pngBytes}, {Name: "params", Bytes: params}, {Name: "attach", Bytes: []byte(names)}}
	}
	// Resize 4 leaves the 6×4 image as it is; CenterCrop 2 takes columns
	// 2–3 of rows 1–2. ToTensor and Normalize by hand, in float32.
	mean, std := [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}
	var want []float32
	for c := range 3 {
		for y := 1; y < 3; y++ {
			for x := 2; x < 4; x++ {
				want = append(want, (float32(rgb[(y*6+x)*3+c])/255-mean[c])/std[c])
			}
		}
	}
	check := func(t *testing.T, out abi.Message) *tensor.Tensor {
		t.Helper()
		if len(out) == 0 || out[0].Name != "pixels" || out[0].Tensor == nil {
			t.Fatalf("the attached tensor does not lead the output: %v", out)
		}
		tt := out[0].Tensor
		if !slices.Equal(tt.Shape(), []int{1, 3, 2, 2}) || tt.DType() != tensor.Float32 {
			t.Fatalf("attached %v %v, want float32 [1 3 2 2]", tt.DType(), tt.Shape())
		}
		for i, v := range tensor.Data[float32](tt) {
			if math.Abs(float64(v-want[i])) > 1e-6 {
				t.Fatalf("value %d: %v, want %v", i, v, want[i])
			}
		}
		if got := entry(t, out, "attach0"); len(got) != 0 {
			t.Errorf("the guest got %q back, want an empty result", got)
		}
		return tt
	}

	t.Run("new tensor", func(t *testing.T) {
		check(t, process(t, p, in("pixels")))
	})
	t.Run("into the reuse tensor", func(t *testing.T) {
		reuse := tensor.New([]int{1, 3, 2, 2}, slices.Repeat([]float32{-7}, 12))
		out, err := p.ProcessInto(context.Background(), in("pixels"), abi.Message{{Name: "pixels", Tensor: reuse}})
		if err != nil {
			t.Fatal(err)
		}
		if check(t, out) != reuse {
			t.Error("a reuse tensor of the right name, dtype and shape was not written in place")
		}
	})
	t.Run("errors", func(t *testing.T) {
		out := process(t, p, in("pixels,pixels,"))
		if got := string(entry(t, out, "attach1_err")); !strings.Contains(got, `output "pixels" attached twice`) {
			t.Errorf("a name attached twice: %q", got)
		}
		if got := string(entry(t, out, "attach2_err")); !strings.Contains(got, "an output name of 0 bytes") {
			t.Errorf("an empty name: %q", got)
		}
		if got := string(entry(t, out, "init_attach_err")); !strings.Contains(got, "only gonyx_process can add outputs") {
			t.Errorf("during gonyx_init: %q", got)
		}
		// The guest's reply always has an entry "init".
		_, err := p.Process(context.Background(), in("init"))
		wantCode(t, err, infer.Internal, `output "init" is both attached by a host function and in the reply`)
		check(t, process(t, p, in("pixels"))) // the next call works
	})
	t.Run("limit", func(t *testing.T) {
		// MaxOutputBytes bounds the reply and the attached tensors together:
		// a limit that the reply alone and the 48-byte tensor alone fit in,
		// but not both.
		replyLen, err := abi.EncodedLen(process(t, p, in("pixels"))[1:])
		if err != nil {
			t.Fatal(err)
		}
		limit := replyLen + 47
		small := load(t, rt, Config{Name: "attach-small", Path: guestPath(t, "hostcalls"), Instances: 1, MaxOutputBytes: limit})
		_, err = small.Process(context.Background(), in("pixels"))
		wantCode(t, err, infer.Internal, fmt.Sprintf("and attached 48, over the limit of %d", limit))
		x := &exchange{}
		err = x.attach("big", []int{1, 3, 2, 2}, 47, func([]byte) error { t.Error("filled past the limit"); return nil })
		if err == nil || !strings.Contains(err.Error(), "past the limit of 47 bytes") {
			t.Errorf("attaching 48 bytes under a 47-byte limit: %v", err)
		}
		// An abandoned call leaves the caller's tensors alone.
		x.close()
		if err := x.attach("late", []int{1}, 1<<20, func([]byte) error { t.Error("filled after close"); return nil }); err != errAbandoned {
			t.Errorf("attaching after close: %v", err)
		}
	})
}
