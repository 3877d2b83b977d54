package sdk

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// The SDK's plumbing of the fused host kernel (natively, package imageops
// in-process): framing, parameters, the caller's buffer, errors. Values
// worked by hand: no resize, so pixels map straight to (v/255 − m)/s.
func TestPreprocessImageNative(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 1))
	src.Set(0, 0, color.RGBA{0, 51, 255, 255})
	src.Set(1, 0, color.RGBA{255, 102, 0, 255})
	src.Set(2, 0, color.RGBA{51, 0, 102, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	tr := Transform{Mean: [3]float32{0, 0.2, 0.5}, Std: [3]float32{1, 0.5, 0.25}}
	data, w, h, err := PreprocessImage(b.Bytes(), tr)
	if err != nil || w != 3 || h != 1 {
		t.Fatalf("%dx%d %v", w, h, err)
	}
	// R: v/255; G: (v/255 − 0.2)/0.5; B: (v/255 − 0.5)/0.25.
	want := []float32{0, 1, 0.2, 0, 0.4, -0.4, 2, -2, -0.4}
	for i := range want {
		if d := data[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("values %v, want %v", data, want)
		}
	}
	// Crop 1 of the 3×1 image: its middle pixel (x = round(2/2) = 1) on a
	// black padded row: the crop is 1×1, no padding shows.
	tr.Crop = 1
	into := make([]float32, 3)
	if err := PreprocessImageInto(into, b.Bytes(), tr); err != nil {
		t.Fatal(err)
	}
	if into[0] != 1 || into[1] < 0.39999 || into[1] > 0.40001 || into[2] != -2 {
		t.Fatalf("crop 1: %v, want [1 0.4 -2]", into)
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"no bytes", func() error { _, _, _, err := PreprocessImage(nil, tr); return err }(), "no bytes"},
		{"garbage", func() error { _, _, _, err := PreprocessImage([]byte("nope"), tr); return err }(), "decode"},
		{"negative crop", func() error {
			_, _, _, err := PreprocessImage(b.Bytes(), Transform{Crop: -1, Std: [3]float32{1, 1, 1}})
			return err
		}(), "crop"},
		{"zero std", func() error { _, _, _, err := PreprocessImage(b.Bytes(), Transform{}); return err }(), "std"},
		{"short buffer", PreprocessImageInto(make([]float32, 2), b.Bytes(), tr), "buffer"},
		{"into without crop", PreprocessImageInto(make([]float32, 9), b.Bytes(), Transform{Std: [3]float32{1, 1, 1}}), "crop"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

// Output.Image lays the tensor out in the reused reply buffer without
// zeroing it first: every value must still be the host's, never one left
// from the previous reply.
func TestOutputImage(t *testing.T) {
	savedReply, savedReusable := reply, replyReusable
	reply = replyArena{}
	replyReusable = func([]byte) bool { return true } // the host freed the last reply
	t.Cleanup(func() { reply, replyReusable = savedReply, savedReusable })
	tr := Transform{Resize: 6, Crop: 4, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.5, 1}}
	for i, c := range []color.RGBA{{200, 10, 90, 255}, {0, 0, 0, 255}, {255, 255, 255, 255}} {
		src := image.NewRGBA(image.Rect(0, 0, 8, 5))
		for y := 0; y < 5; y++ {
			for x := 0; x < 8; x++ {
				src.Set(x, y, color.RGBA{c.R ^ uint8(x*9), c.G ^ uint8(y*17), c.B, 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, src); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, 3*4*4)
		if err := PreprocessImageInto(want, b.Bytes(), tr); err != nil {
			t.Fatal(err)
		}
		// A previous reply's values in the buffer the next one reuses.
		_, stale := Output{}.Float32("input", 1, 3, 4, 4)
		for j := range stale {
			stale[j] = float32(1000 + j)
		}
		if _, err := reply.finish(abi.Message{{Name: "input", Tensor: reply.res[0].t}}); err != nil {
			t.Fatal(err)
		}
		reply.start()
		out, err := Output{}.Image("input", b.Bytes(), tr)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := out.Message()
		if err != nil || len(msg) != 1 || msg[0].Name != "input" {
			t.Fatalf("image %d: message %v, error %v", i, msg, err)
		}
		got := tensor.Data[float32](msg[0].Tensor)
		if &got[0] != &stale[0] {
			t.Fatalf("image %d: the reply buffer was not reused", i)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("image %d: %v, want %v", i, got, want)
		}
		if _, err := reply.finish(msg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (Output{}).Image("input", []byte{1}, Transform{Std: [3]float32{1, 1, 1}}); err == nil || !strings.Contains(err.Error(), "crop") {
		t.Errorf("no crop: error %v", err)
	}
}
