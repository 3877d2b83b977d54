package imageops

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/gonyx/gonyx/plugins/imageops/testimage"
)

// benchBoth runs body as sub-benchmark "go" with *useAsm off, then as
// asmName with it on when ok (the CPU runs the assembly), and restores it.
func benchBoth(b *testing.B, useAsm *bool, ok bool, asmName string, body func(b *testing.B)) {
	defer func(v bool) { *useAsm = v }(*useAsm)
	for _, on := range []bool{false, true} {
		if on && !ok {
			continue
		}
		name := "go"
		if on {
			name = asmName
		}
		b.Run(name, func(b *testing.B) {
			*useAsm = on
			body(b)
		})
	}
}

var imagenetMean, imagenetStd = [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}

// benchPipeline runs the imagenet-preprocess pipeline: Decode, Resize to the
// size torchvision's Resize(256) picks (passed in), CenterCrop(224), ToCHW.
func benchPipeline(b *testing.B, data []byte, rw, rh int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		img, err := Decode(data, 1<<24)
		if err != nil {
			b.Fatal(err)
		}
		img, err = Resize(img, rw, rh)
		if err != nil {
			b.Fatal(err)
		}
		img, err = Crop(img, torchvisionCropOffset(rw, 224), torchvisionCropOffset(rh, 224), 224, 224)
		if err != nil {
			b.Fatal(err)
		}
		if len(ToCHW(img, imagenetMean, imagenetStd)) != 3*224*224 {
			b.Fatal("bad tensor")
		}
	}
}

func BenchmarkPipeline320x240PNG(b *testing.B) {
	benchPipeline(b, readRef(b, "scene320x240.png"), 341, 256)
}

// A 1920×1080 photo-like JPEG (smooth gradients with detail), quality 90,
// made by Go's encoder (4:2:0, like phone cameras).
func BenchmarkPipeline1920x1080JPEG(b *testing.B) {
	benchPipeline(b, photoJPEG(b), 455, 256) // int(256·1920/1080) = 455
}

func photoJPEG(b *testing.B) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	for y := 0; y < 1080; y++ {
		for x := 0; x < 1920; x++ {
			m.SetRGBA(x, y, color.RGBA{uint8(x / 8), uint8(y / 5), uint8((x*y)>>7 ^ x), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// The fused kernel as the image_preprocess host function runs it, on the
// same two images: DecodeForTransform, then Resize(256)+CenterCrop(224)+
// ToTensor+Normalize computing only the crop, into a reused output buffer
// (the plugin's own memory in the host function).
func benchPreprocess(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	tr := Transform{Resize: 256, Crop: 224, Mean: imagenetMean, Std: imagenetStd}
	dst := make([]byte, 3*224*224*4)
	for i := 0; i < b.N; i++ {
		img, err := DecodeForTransform(data, 1<<24)
		if err != nil {
			b.Fatal(err)
		}
		p, err := tr.Plan(img.W, img.H)
		if err == nil {
			err = p.ApplyDecoded(img, dst)
		}
		img.Release()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreprocess320x240PNG(b *testing.B) {
	benchPreprocess(b, readRef(b, "scene320x240.png"))
}

// BenchmarkPreprocess320x240NoisyPNG is the picture `make bench-plugins`
// measures (testimage.Noisy), encoded by image/png. Noise leaves zlib thousands
// of short matches (16 814 against the scene's 876), so it inflates at
// half the speed.
func BenchmarkPreprocess320x240NoisyPNG(b *testing.B) {
	benchPreprocess(b, noisyPNG(b, 320, 240))
}

// noisyPNG encodes testimage.Noisy as bench-plugins does (image/png).
func noisyPNG(b *testing.B, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testimage.Noisy(w, h)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkPreprocess1920x1080JPEG(b *testing.B) {
	benchPreprocess(b, photoJPEG(b))
}

// Per-kernel figures, to see where the time goes.
func BenchmarkResize1920x1080To455x256(b *testing.B) {
	img := RGB{W: 1920, H: 1080, Pix: make([]uint8, 1920*1080*3)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Resize(img, 455, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize320x240To341x256(b *testing.B) {
	img := RGB{W: 320, H: 240, Pix: make([]uint8, 320*240*3)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Resize(img, 341, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode320x240PNG(b *testing.B) {
	for _, fast := range []bool{true, false} {
		name := "fast"
		if !fast {
			name = "image-png"
		}
		b.Run(name, func(b *testing.B) { benchDecode(b, readRef(b, "scene320x240.png"), fast) })
	}
}

func benchDecode(b *testing.B, data []byte, fast bool) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := decode(data, 1<<24, decodeOptions{fastPNG: fast}); err != nil {
			b.Fatal(err)
		}
	}
}
