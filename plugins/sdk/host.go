package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Level is a log level of the host's log function.
type Level int32

// The levels docs/PLUGINS.md defines.
const (
	Debug Level = 0
	Info  Level = 1
	Warn  Level = 2
	Error Level = 3
)

// Log writes msg to the server's log at level, tagged with the plugin.
func Log(level Level, msg string) { hostLog(int32(level), msg) }

// Logf is Log with formatting.
func Logf(level Level, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }

// ConfigValue asks the host for a setting of this plugin; false when the
// model's configuration does not set it. Init's Config holds the same
// values; this is for code that has no Config at hand.
func ConfigValue(key string) (string, bool) { return hostConfig(key) }

// DecodeImage decodes JPEG, PNG or GIF bytes with the host's decoders (much
// faster than decoding inside WebAssembly) into 8-bit RGB.
func DecodeImage(b []byte) (Image, error) {
	if len(b) == 0 {
		return Image{}, errors.New("decode image: no bytes")
	}
	buf, err := hostImageDecode(b)
	if err != nil {
		return Image{}, fmt.Errorf("decode image: %v", err)
	}
	return parseImage(buf)
}

// ResizeImage scales img to w×h as PIL's Image.resize(BILINEAR) does
// (antialiased when shrinking).
func ResizeImage(img Image, w, h int) (Image, error) {
	if err := checkDims("resize image", w, h); err != nil {
		return Image{}, err
	}
	buf, err := img.wire()
	if err != nil {
		return Image{}, err
	}
	out, err := hostImageResize(buf, int32(w), int32(h))
	if err != nil {
		return Image{}, fmt.Errorf("resize image to %dx%d: %v", w, h, err)
	}
	return parseImage(out)
}

// CropImage returns the w×h rectangle of img whose top-left corner is (x, y).
func CropImage(img Image, x, y, w, h int) (Image, error) {
	if err := checkDims("crop image", w, h); err != nil {
		return Image{}, err
	}
	if x < 0 || y < 0 || x > math.MaxInt32 || y > math.MaxInt32 {
		return Image{}, fmt.Errorf("crop image: bad corner (%d, %d)", x, y)
	}
	buf, err := img.wire()
	if err != nil {
		return Image{}, err
	}
	out, err := hostImageCrop(buf, int32(x), int32(y), int32(w), int32(h))
	if err != nil {
		return Image{}, fmt.Errorf("crop image to %dx%d at (%d, %d): %v", w, h, x, y, err)
	}
	return parseImage(out)
}

// ImageToTensor converts img to float32 CHW, (v/255 − mean[c]) / std[c]:
// the layout and scaling of torchvision's ToTensor + Normalize. The result
// has 3·H·W values.
func ImageToTensor(img Image, mean, std [3]float32) ([]float32, error) {
	buf, err := img.wire()
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(struct {
		Mean [3]float32 `json:"mean"`
		Std  [3]float32 `json:"std"`
	}{mean, std})
	if err != nil {
		return nil, err
	}
	out, err := hostImageToTensor(buf, params)
	if err != nil {
		return nil, fmt.Errorf("image to tensor: %v", err)
	}
	if want := uint64(img.W) * uint64(img.H) * 3 * 4; uint64(len(out)) != want {
		return nil, fmt.Errorf("image to tensor: host returned %d bytes for a %dx%d image, want %d", len(out), img.W, img.H, want)
	}
	return float32sLE(out), nil
}

func checkDims(what string, w, h int) error {
	if w <= 0 || h <= 0 || w > math.MaxInt32 || h > math.MaxInt32 {
		return fmt.Errorf("%s: bad size %dx%d", what, w, h)
	}
	return nil
}
