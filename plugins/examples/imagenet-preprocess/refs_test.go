package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// The references made by testdata/make_refs.py with PIL 9.4 and torchvision
// 0.14: each image and the tensor torchvision's
// Resize(256)+CenterCrop(224)+ToTensor+Normalize(ImageNet) makes from it.

// Tolerances against torchvision, measured (see plugins/imageops
// reference_test.go): PNG and GIF give identical floats; JPEG differs by at
// most 2 levels of the resized image (libjpeg's IDCT rounds differently from
// Go's), i.e. 2/255/0.224 ≈ 0.0350.
const (
	pngTol  = 1e-6
	jpegTol = 0.0351
)

type refImage struct {
	File string `json:"file"`
}

func refImages(t *testing.T) []refImage {
	t.Helper()
	var meta struct {
		Images []refImage `json:"images"`
	}
	if err := json.Unmarshal(readRef(t, "refs.json"), &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Images) < 5 {
		t.Fatalf("refs.json lists %d images", len(meta.Images))
	}
	return meta.Images
}

func readRef(t *testing.T, name string) []byte { return readRefTB(t, name) }

func readRefTB(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tolerance(file string) float64 {
	if strings.HasSuffix(file, ".jpg") {
		return jpegTol
	}
	return pngTol
}

// request is what the server hands a pre plugin for an image upload.
func request(body []byte, contentType string) abi.Message {
	return abi.Message{{Name: "content_type", Bytes: []byte(contentType)}, {Name: "body", Bytes: body}}
}

// loadTensorRef reads a gzipped .npy v1 of little-endian float32 [3,H,W].
func loadTensorRef(t *testing.T, name string) []float32 {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(readRef(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 10 || string(raw[:6]) != "\x93NUMPY" || raw[6] != 1 {
		t.Fatalf("%s: not a .npy v1 file", name)
	}
	hl := int(binary.LittleEndian.Uint16(raw[8:10]))
	header := string(raw[10 : 10+hl])
	if !strings.Contains(header, "'descr': '<f4'") || !strings.Contains(header, "'shape': (3, 224, 224)") ||
		!strings.Contains(header, "'fortran_order': False") {
		t.Fatalf("%s: want C-ordered float32 (3, 224, 224), header %q", name, header)
	}
	body := raw[10+hl:]
	out := make([]float32, len(body)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	if len(out) != 3*224*224 {
		t.Fatalf("%s: %d values", name, len(out))
	}
	return out
}

// checkOutput checks the plugin's output message: one FP32 tensor called
// name of shape [1,3,224,224] within tol of want; it returns the max |Δ|.
func checkOutput(t *testing.T, out abi.Message, name string, want []float32, tol float64) float64 {
	t.Helper()
	if len(out) != 1 || out[0].Name != name || out[0].Tensor == nil {
		t.Fatalf("output %v, want one tensor %q", out, name)
	}
	tt := out[0].Tensor
	if tt.DType() != tensor.Float32 || !equalInts(tt.Shape(), []int{1, 3, 224, 224}) {
		t.Fatalf("output is %v %v, want float32 [1 3 224 224]", tt.DType(), tt.Shape())
	}
	got := tensor.Data[float32](tt)
	d := 0.0
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
	}
	if d > tol {
		t.Errorf("max |Δ| = %g against torchvision, want ≤ %g", d, tol)
	}
	return d
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
