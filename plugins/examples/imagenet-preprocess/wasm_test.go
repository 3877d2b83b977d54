package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/sdk"
)

// End to end: this folder built to WebAssembly exactly as plugins/build.sh
// builds it, run by the gonyx host (package plugins), compared with the
// torchvision tensors and with the native run.

var (
	wasmOnce sync.Once
	wasmPath string
	wasmErr  error
	wasmRT   *plugins.Runtime
)

func TestMain(m *testing.M) {
	code := m.Run()
	if wasmRT != nil {
		wasmRT.Close(context.Background())
	}
	if wasmPath != "" {
		os.RemoveAll(filepath.Dir(wasmPath))
	}
	os.Exit(code)
}

// loadWasm builds the plugin once per test binary and loads it with
// settings; all loads share one Runtime, so the module compiles once.
func loadWasm(t testing.TB, settings map[string]string) *plugins.Plugin {
	return loadWasmConfig(t, plugins.Config{Settings: settings})
}

func loadWasmConfig(t testing.TB, cfg plugins.Config) *plugins.Plugin {
	t.Helper()
	wasmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imagenet-preprocess-wasm")
		if err != nil {
			wasmErr = err
			return
		}
		wasmPath = filepath.Join(dir, "imagenet-preprocess.wasm")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false",
			"-ldflags=-s -w -buildid=", "-o", wasmPath, ".")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			wasmErr = err
			t.Logf("%s", out)
			return
		}
		wasmRT, wasmErr = plugins.NewRuntime(context.Background(), plugins.RuntimeOptions{})
	})
	if wasmErr != nil {
		t.Fatalf("building or starting the plugin: %v", wasmErr)
	}
	cfg.Path, cfg.Instances = wasmPath, 1
	p, err := wasmRT.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestWasmMatchesTorchvision(t *testing.T) {
	p := loadWasm(t, nil)
	d := p.Description()
	if d.Name != "imagenet-preprocess" || d.Kind != "pre" {
		t.Errorf("description %+v", d)
	}
	for _, im := range refImages(t) {
		t.Run(im.File, func(t *testing.T) {
			in := request(readRef(t, im.File), "image/*")
			out, err := p.Process(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			want := loadTensorRef(t, strings.TrimSuffix(im.File, filepath.Ext(im.File))+".npy.gz")
			t.Logf("max |Δ| %.3g", checkOutput(t, out, "input", want, tolerance(im.File)))
			// The host runs the same kernels as the native build: identical.
			native, err := sdk.RunLocal(nil, in)
			if err != nil {
				t.Fatal(err)
			}
			a, b := tensor.Data[float32](out[0].Tensor), tensor.Data[float32](native[0].Tensor)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("wasm and native outputs differ at %d: %v vs %v", i, a[i], b[i])
				}
			}
		})
	}
}

func TestWasmPaddedCrop(t *testing.T) {
	p := loadWasm(t, map[string]string{"resize": "160", "output_name": "pixel_values"})
	out, err := p.Process(context.Background(), request(readRef(t, "scene320x240.png"), "image/png"))
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out, "pixel_values", loadTensorRef(t, "scene320x240.r160c224.npy.gz"), pngTol)
}

// A bad upload fails that call with a message naming the plugin; the next
// call on the same instance succeeds.
func TestWasmBadImage(t *testing.T) {
	p := loadWasm(t, nil)
	png := readRef(t, "scene320x240.png")
	_, err := p.Process(context.Background(), request(png[:1000], "image/png"))
	if err == nil || !strings.Contains(err.Error(), "imagenet-preprocess") || !strings.Contains(err.Error(), "decode") {
		t.Fatalf("truncated PNG: error %v", err)
	}
	if _, err := p.Process(context.Background(), abi.Message{{Name: "body", Bytes: png}}); err != nil {
		t.Fatalf("after an error: %v", err)
	}
}

// Hostile uploads through the real host, with a small memory cap: each call
// fails with an error (never a trap or a host allocation of the declared
// size) and the next call on the same instance succeeds.
func TestWasmHostileImages(t *testing.T) {
	p := loadWasmConfig(t, plugins.Config{MemoryLimitMiB: 32})
	good := readRef(t, "scene320x240.png")
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"6000x6000 header", pngHeader(6000, 6000), "more than"}, // 103 MiB of RGB over a 32 MiB cap
		{"65536x65536 header", pngHeader(65536, 65536), "decode"},
		{"zero width", pngHeader(0, 10), "decode"},
		{"truncated", good[:len(good)/2], "decode"},
		// Chunks intact, image data damaged: found only while inflating,
		// which the host does while it resamples.
		{"damaged data", damagedPNG(good), "decode"},
		{"garbage", []byte("\x89PNG\r\n\x1a\n this is not a PNG at all"), "decode"},
		{"empty", []byte{}, "no bytes"},
		{"one byte", []byte{0xff}, "decode"},
	} {
		_, err := p.Process(context.Background(), request(c.body, "image/png"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if _, err := p.Process(context.Background(), request(good, "image/png")); err != nil {
			t.Fatalf("after %s: %v", c.name, err)
		}
	}
}

// damagedPNG overwrites 64 bytes in the middle of png's first IDAT chunk
// with 0xff (codes no Huffman table of image data has) and rewrites the
// chunk's CRC, so that only inflating can find the damage.
func damagedPNG(png []byte) []byte {
	b := append([]byte(nil), png...)
	for pos := 8; pos+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[pos:]))
		if string(b[pos+4:pos+8]) == "IDAT" {
			mid := pos + 8 + n/2
			for i := mid; i < mid+64; i++ {
				b[i] = 0xff
			}
			binary.BigEndian.PutUint32(b[pos+8+n:], crc32.ChecksumIEEE(b[pos+4:pos+8+n]))
			break
		}
		pos += 12 + n
	}
	return b
}

// pngHeader is a PNG whose IHDR declares an 8-bit RGB w×h image over a
// tiny IDAT, checksums valid (from the PNG specification).
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(append(b, typ...), data...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0))
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) // zlib of nothing
	chunk("IEND", nil)
	return b
}

// Per-call cost through the host (decode, resize, crop and normalise run as
// host kernels; the guest moves the bytes and builds the tensor), untrusted
// (termination checks on, the default) and trusted.
func BenchmarkWasm320x240PNG(b *testing.B) {
	benchWasm(b, readRefTB(b, "scene320x240.png"), false)
}

// BenchmarkWasm320x240PNGFresh allocates a new output tensor every call
// (Process), where the others hand the previous one back (ProcessInto).
func BenchmarkWasm320x240PNGFresh(b *testing.B) {
	p := loadWasmConfig(b, plugins.Config{})
	in := request(readRefTB(b, "scene320x240.png"), "image/*")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Process(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWasm320x240PNGTrusted(b *testing.B) {
	benchWasm(b, readRefTB(b, "scene320x240.png"), true)
}

func BenchmarkWasm1920x1080JPEG(b *testing.B) {
	benchWasm(b, jpeg1920x1080(b), false)
}

func benchWasm(b *testing.B, img []byte, trusted bool) {
	p := loadWasmConfig(b, plugins.Config{Trusted: trusted})
	in := request(img, "image/*")
	b.SetBytes(int64(len(img)))
	// Each call gets the previous call's tensor back, as the server's
	// pipeline hands it back after the model has run.
	var prev abi.Message
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := p.ProcessInto(context.Background(), in, prev)
		if err != nil {
			b.Fatal(err)
		}
		prev = out
	}
}

// jpeg1920x1080 is a photo-like 1920×1080 JPEG, quality 90 (4:2:0), the
// same picture as imageops's BenchmarkPipeline1920x1080JPEG.
func jpeg1920x1080(b *testing.B) []byte {
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
