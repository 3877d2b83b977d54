package imageops

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The reference data made by make_refs.py with PIL 9.4 and torchvision 0.14.
var refDir = filepath.Join("..", "examples", "imagenet-preprocess", "testdata")

type refsMeta struct {
	Mean   [3]float32 `json:"mean"`
	Std    [3]float32 `json:"std"`
	Images []struct {
		File    string `json:"file"`
		Mode    string `json:"mode"`
		Size    [2]int `json:"size"`    // W, H
		Resized [2]int `json:"resized"` // W, H, as torchvision's Resize(256) chose
	} `json:"images"`
	ExtraResizes [][2]int `json:"extra_resizes"` // W, H of scene320x240.resizeWxH.png
	DecodeOnly   []struct {
		File string `json:"file"`
		Mode string `json:"mode"`
		Size [2]int `json:"size"`
	} `json:"decode_only"`
}

func loadMeta(t testing.TB) refsMeta {
	t.Helper()
	var m refsMeta
	if err := json.Unmarshal(readRef(t, "refs.json"), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Images) == 0 {
		t.Fatal("refs.json lists no images")
	}
	return m
}

func readRef(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadRGBPNG reads an 8-bit RGB PNG written by PIL without going through
// Decode, so the references stay independent of the code under test.
func loadRGBPNG(t testing.TB, name string) RGB {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(readRef(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	rgba, ok := m.(*image.RGBA)
	if !ok {
		t.Fatalf("%s: decoded as %T, want an 8-bit RGB PNG", name, m)
	}
	b := rgba.Bounds()
	out := RGB{W: b.Dx(), H: b.Dy()}
	for i := 0; i < len(rgba.Pix); i += 4 {
		out.Pix = append(out.Pix, rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2])
	}
	return out
}

var npyShape = regexp.MustCompile(`'shape': \((\d+), (\d+), (\d+)\)`)

// loadNPYGz reads a gzipped .npy v1 file of little-endian float32 [3,H,W].
func loadNPYGz(t testing.TB, name string) (data []float32, h, w int) {
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
	if !bytes.Contains([]byte(header), []byte(`'descr': '<f4'`)) || !bytes.Contains([]byte(header), []byte(`'fortran_order': False`)) {
		t.Fatalf("%s: want C-ordered <f4, header %q", name, header)
	}
	sm := npyShape.FindStringSubmatch(header)
	if sm == nil || sm[1] != "3" {
		t.Fatalf("%s: want shape (3,H,W), header %q", name, header)
	}
	h, w = atoi(sm[2]), atoi(sm[3])
	body := raw[10+hl:]
	if len(body) != 3*h*w*4 {
		t.Fatalf("%s: %d data bytes for shape (3,%d,%d)", name, len(body), h, w)
	}
	data = make([]float32, 3*h*w)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return data, h, w
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// diffStats compares two images of equal size: the largest absolute
// difference of a sample and how many samples differ.
func diffStats(t testing.TB, got, want RGB) (maxDiff, differing int) {
	t.Helper()
	if got.W != want.W || got.H != want.H || len(got.Pix) != len(want.Pix) {
		t.Fatalf("size %dx%d (%d bytes), want %dx%d (%d bytes)", got.W, got.H, len(got.Pix), want.W, want.H, len(want.Pix))
	}
	for i := range got.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		if d < 0 {
			d = -d
		}
		if d > 0 {
			differing++
		}
		maxDiff = max(maxDiff, d)
	}
	return maxDiff, differing
}
