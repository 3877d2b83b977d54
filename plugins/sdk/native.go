//go:build !wasip1

package sdk

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/gonyx/gonyx/plugins/imageops"
)

// Outside WebAssembly the host functions run in-process, so that a plugin's
// logic can be tested with plain `go test`: the image kernels are the very
// functions the gonyx host exposes (package imageops).

var levelNames = map[int32]string{0: "DEBUG", 1: "INFO", 2: "WARN", 3: "ERROR"}

func hostLog(level int32, msg string) {
	name, ok := levelNames[level]
	if !ok {
		name = fmt.Sprintf("LEVEL(%d)", level)
	}
	fmt.Fprintf(os.Stderr, "plugin %s: %s\n", name, msg)
}

func hostConfig(key string) (string, bool) {
	v, ok := reg.settings[key]
	return v, ok
}

// maxDecodePixels matches the bound a host should apply to decoded images.
const maxDecodePixels = 64 << 20

func hostImageDecode(data []byte) ([]byte, error) {
	img, err := imageops.Decode(data, maxDecodePixels)
	if err != nil {
		return nil, err
	}
	return encodeRGB(img), nil
}

func hostImageResize(buf []byte, w, h int32) ([]byte, error) {
	img, err := decodeRGB(buf)
	if err != nil {
		return nil, err
	}
	out, err := imageops.Resize(img, int(w), int(h))
	if err != nil {
		return nil, err
	}
	return encodeRGB(out), nil
}

func hostImageCrop(buf []byte, x, y, w, h int32) ([]byte, error) {
	img, err := decodeRGB(buf)
	if err != nil {
		return nil, err
	}
	out, err := imageops.Crop(img, int(x), int(y), int(w), int(h))
	if err != nil {
		return nil, err
	}
	return encodeRGB(out), nil
}

func hostImageToTensor(buf, params []byte) ([]byte, error) {
	img, err := decodeRGB(buf)
	if err != nil {
		return nil, err
	}
	var p struct{ Mean, Std []float32 }
	if err := json.Unmarshal(params, &p); err != nil || len(p.Mean) != 3 || len(p.Std) != 3 {
		return nil, fmt.Errorf("params must be {\"mean\":[3],\"std\":[3]}")
	}
	vals := imageops.ToCHW(img, [3]float32(p.Mean), [3]float32(p.Std))
	out := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out, nil
}

func decodeRGB(buf []byte) (imageops.RGB, error) {
	img, err := parseImage(buf)
	if err != nil {
		return imageops.RGB{}, err
	}
	return imageops.RGB{W: img.W, H: img.H, Pix: img.Pix}, nil
}

func encodeRGB(img imageops.RGB) []byte {
	buf := make([]byte, imageHeader+len(img.Pix))
	binary.LittleEndian.PutUint32(buf, uint32(img.W))
	binary.LittleEndian.PutUint32(buf[4:], uint32(img.H))
	copy(buf[imageHeader:], img.Pix)
	return buf
}

func float32sLE(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
