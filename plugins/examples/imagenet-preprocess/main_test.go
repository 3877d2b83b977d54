package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/sdk"
)

// Natively, the SDK runs the host kernels in-process: these tests check the
// plugin's logic (sizes, padding, settings, input lookup) against the
// torchvision tensors without WebAssembly. wasm_test.go runs the same
// through the real host.

func TestPluginMatchesTorchvision(t *testing.T) {
	for _, im := range refImages(t) {
		t.Run(im.File, func(t *testing.T) {
			out, err := sdk.RunLocal(nil, request(readRef(t, im.File), "image/*"))
			if err != nil {
				t.Fatal(err)
			}
			want := loadTensorRef(t, strings.TrimSuffix(im.File, filepath.Ext(im.File))+".npy.gz")
			t.Logf("max |Δ| %.3g", checkOutput(t, out, "input", want, tolerance(im.File)))
		})
	}
}

// Resize(160) + CenterCrop(224): torchvision pads the 213×160 image with
// zeros to 224×224; so must we. Also exercises the settings and a multipart
// upload (a single form field instead of a body).
func TestPluginPaddedCropAndSettings(t *testing.T) {
	settings := map[string]string{"resize": "160", "crop": "224", "output_name": "pixel_values",
		"mean": "0.485, 0.456, 0.406", "std": "0.229,0.224,0.225"}
	in := abi.Message{{Name: "content_type", Bytes: []byte("multipart/form-data")},
		{Name: "file", Bytes: readRef(t, "scene320x240.png")}}
	out, err := sdk.RunLocal(settings, in)
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out, "pixel_values", loadTensorRef(t, "scene320x240.r160c224.npy.gz"), pngTol)
}

func TestPluginErrors(t *testing.T) {
	png := readRef(t, "scene320x240.png")
	for _, c := range []struct {
		name     string
		settings map[string]string
		in       abi.Message
		want     string
	}{
		{"no image", nil, abi.Message{{Name: "content_type", Bytes: []byte("image/png")}}, "request body"},
		{"two fields", nil, abi.Message{{Name: "a", Bytes: png}, {Name: "b", Bytes: png}}, "single form field"},
		{"not an image", nil, request([]byte("hello"), "text/plain"), "decode"},
		{"truncated", nil, request(png[:len(png)/3], "image/png"), "decode"},
		{"bad resize", map[string]string{"resize": "0"}, request(png, ""), "resize"},
		{"huge crop", map[string]string{"crop": "100000"}, request(png, ""), "crop"},
		{"resize not a number", map[string]string{"resize": "big"}, request(png, ""), "not an integer"},
		{"two means", map[string]string{"mean": "0.5,0.5"}, request(png, ""), "3 numbers"},
		{"zero std", map[string]string{"std": "0.2,0,0.2"}, request(png, ""), "zero"},
		{"unknown setting", map[string]string{"size": "256"}, request(png, ""), "size"},
		{"empty output name", map[string]string{"output_name": ""}, request(png, ""), "output_name"},
	} {
		_, err := sdk.RunLocal(c.settings, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
