// Command imagenet-preprocess is a gonyx pre plugin: an image upload (JPEG,
// PNG or GIF bytes) → the float32 [1, 3, crop, crop] tensor torchvision's
//
//	Compose([Resize(256), CenterCrop(224), ToTensor(),
//	         Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
//
// makes from Image.open(f).convert("RGB"). Decoding, resizing, cropping and
// normalising run in the host in one call (sdk.PreprocessImage, package
// plugins/imageops), which matches PIL bit for bit for PNG and GIF and to
// within libjpeg's IDCT rounding for JPEG (see testdata/).
package main

import (
	"fmt"
	"runtime/debug"

	"github.com/gonyx/gonyx/plugins/sdk"
)

// maxSize bounds the resize and crop settings: far beyond any vision model's
// input, and small enough that a typo cannot ask the host for gigabytes.
const maxSize = 4096

var settings = struct {
	resize, crop int
	mean, std    [3]float32
	output       string
}{256, 224, [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}, "input"}

// gcPercent tunes the plugin's garbage collector. Each call used to leave
// the ~600 KB reply message as garbage over a live heap of a few MB, so with
// Go's default (GOGC 100) a collection — slow inside WebAssembly — ran about
// every other call (the SDK now reuses its reply buffer, but a reply the
// host has not freed yet still needs a new one). At 200 the heap may grow to three times what is live
// instead of twice: 0.3–0.5 ms less per 320×240 call (measured against the
// default and 400, which gains no more), for a few MB of guest memory. A
// soft memory limit was tried and dropped: once the runtime's own memory
// passes it the collector runs continuously (16 MiB: 19 ms a call).
const gcPercent = 200

func init() {
	debug.SetGCPercent(gcPercent)
	sdk.Register(sdk.Plugin{
		Name: "imagenet-preprocess", Version: "1.0.0", Kind: sdk.Pre,
		Inputs:  []sdk.Spec{{Name: "body", Datatype: "BYTES"}},
		Outputs: []sdk.Spec{{Name: "input", Datatype: "FP32", Shape: []int64{1, 3, -1, -1}}},
		Config: map[string]string{
			"resize":      "the shorter side is resized to this many pixels, as torchvision's Resize(int) (default 256)",
			"crop":        "the side of the centre square cut out, as CenterCrop (default 224)",
			"mean":        "per-channel mean, R,G,B (default 0.485,0.456,0.406)",
			"std":         "per-channel standard deviation, R,G,B (default 0.229,0.224,0.225)",
			"output_name": `the output tensor's name (default "input")`,
		},
		Init:    configure,
		Process: process,
	})
}

func configure(cfg sdk.Config) error {
	var err error
	if settings.resize, err = cfg.Int("resize", 256); err != nil {
		return err
	}
	if settings.crop, err = cfg.Int("crop", 224); err != nil {
		return err
	}
	for _, s := range []struct {
		name string
		v    int
	}{{"resize", settings.resize}, {"crop", settings.crop}} {
		if s.v <= 0 || s.v > maxSize {
			return fmt.Errorf("config %s: %d is out of range 1..%d", s.name, s.v, maxSize)
		}
	}
	if settings.mean, err = triple(cfg, "mean", [3]float32{0.485, 0.456, 0.406}, false); err != nil {
		return err
	}
	if settings.std, err = triple(cfg, "std", [3]float32{0.229, 0.224, 0.225}, true); err != nil {
		return err
	}
	settings.output = cfg.String("output_name", "input")
	if settings.output == "" {
		return fmt.Errorf("config output_name: empty")
	}
	return nil
}

// triple reads three comma-separated numbers, rounded to float32 as
// torchvision's Normalize does with its mean and std.
func triple(cfg sdk.Config, key string, def [3]float32, nonZero bool) ([3]float32, error) {
	vals, err := cfg.Floats(key, []float64{float64(def[0]), float64(def[1]), float64(def[2])})
	if err != nil {
		return def, err
	}
	if len(vals) != 3 {
		return def, fmt.Errorf("config %s: want 3 numbers (R,G,B), got %d", key, len(vals))
	}
	var out [3]float32
	for i, v := range vals {
		out[i] = float32(v)
		if nonZero && out[i] == 0 {
			return def, fmt.Errorf("config %s: channel %d is zero", key, i)
		}
	}
	return out, nil
}

func process(in sdk.Input) (sdk.Output, error) {
	body, err := imageBytes(in)
	if err != nil {
		return sdk.Output{}, err
	}
	// One host call does it all, writing the tensor straight into the
	// reply the SDK reuses from call to call: only the cropped tensor
	// enters the plugin, with no allocation and no copy.
	out, err := sdk.Output{}.Image(settings.output, body, sdk.Transform{
		Resize: settings.resize, Crop: settings.crop, Mean: settings.mean, Std: settings.std})
	if err != nil {
		return sdk.Output{}, err
	}
	return out, nil
}

// imageBytes finds the upload: the request body, or the only field of a
// multipart form.
func imageBytes(in sdk.Input) ([]byte, error) {
	if b, ok := in.Bytes("body"); ok {
		return b, nil
	}
	var found []byte
	n := 0
	for _, e := range in.Message() {
		if e.Tensor == nil && e.Name != "content_type" {
			found, n = e.Bytes, n+1
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("want the image as the request body or a single form field; got entries %v", in.Names())
	}
	return found, nil
}

func main() {}
