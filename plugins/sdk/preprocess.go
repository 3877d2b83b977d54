package sdk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gonyx/gonyx/plugins/abi"
	"math"
	"sync"
	"unsafe"
)

// Transform is torchvision's usual classification preprocessing:
//
//	Compose([Resize(Resize), CenterCrop(Crop), ToTensor(), Normalize(Mean, Std)])
//
// on the image PIL's Image.open(f).convert("RGB") gives. Resize 0 keeps the
// size, Crop 0 the whole image; a crop larger than the image is padded with
// black, as torchvision pads.
type Transform struct {
	Resize, Crop int
	Mean, Std    [3]float32
}

// PreprocessImage decodes JPEG, PNG or GIF bytes and applies t in the host,
// in one call: the decoded image never enters the plugin, only the float32
// CHW result does, data[c·h·w + y·w + x]. It gives exactly what DecodeImage,
// ResizeImage, CropImage and ImageToTensor give one after the other, faster.
func PreprocessImage(b []byte, t Transform) (data []float32, w, h int, err error) {
	params, err := t.params()
	if err != nil {
		return nil, 0, 0, err
	}
	if len(b) == 0 {
		return nil, 0, 0, errors.New("preprocess image: no bytes")
	}
	out, err := hostImagePreprocess(b, int32(t.Resize), int32(t.Crop), params, nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("preprocess image: %v", err)
	}
	if len(out) < imageHeader {
		return nil, 0, 0, fmt.Errorf("preprocess image: host returned %d bytes", len(out))
	}
	w, h = int(binary.LittleEndian.Uint32(out)), int(binary.LittleEndian.Uint32(out[4:]))
	if w == 0 || h == 0 || uint64(w)*uint64(h)*12 != uint64(len(out)-imageHeader) {
		return nil, 0, 0, fmt.Errorf("preprocess image: host returned a %dx%d tensor in %d bytes", w, h, len(out))
	}
	return float32sLE(out[imageHeader:]), w, h, nil
}

// PreprocessImageInto is PreprocessImage for a transform with a crop, whose
// result is always 3·Crop·Crop values: they are written into dst (which
// must be that long), so that a plugin can reuse one buffer for every call
// instead of having a new one allocated each time (an allocation of this
// size costs a Go plugin more than the copy of the output does).
func PreprocessImageInto(dst []float32, b []byte, t Transform) error {
	params, err := t.params()
	if err != nil {
		return err
	}
	if t.Crop <= 0 || uint64(len(dst)) != 3*uint64(t.Crop)*uint64(t.Crop) {
		return fmt.Errorf("preprocess image: a %d-value buffer for crop %d, want crop > 0 and 3·crop² values", len(dst), t.Crop)
	}
	if len(b) == 0 {
		return errors.New("preprocess image: no bytes")
	}
	out := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
	got, err := hostImagePreprocess(b, int32(t.Resize), int32(t.Crop), params, out)
	if err != nil {
		return fmt.Errorf("preprocess image: %v", err)
	}
	if len(got) != len(out) {
		return fmt.Errorf("preprocess image: host wrote %d bytes, want %d", len(got), len(out))
	}
	return nil
}

// Image adds the float32 [1, 3, Crop, Crop] tensor name that t makes from
// the image b (see PreprocessImage). t must have a crop. Inside
// WebAssembly the host computes it straight into the call's output
// (image_preprocess_output): the values never enter the plugin's memory,
// and the entry is not in Message's result, though its name is taken.
// Elsewhere (a plugin's own tests) it is an ordinary entry.
func (o Output) Image(name string, b []byte, t Transform) (Output, error) {
	if t.Crop <= 0 {
		return o, fmt.Errorf("preprocess image: Output.Image needs a crop, got %d", t.Crop)
	}
	return o.image(name, b, t)
}

// imageInReply is Output.Image with the tensor laid out in the reply (see
// Output.Float32), computed by the host without zeroing it first, since
// the host writes every value (on an error the reply is not sent).
func (o Output) imageInReply(name string, b []byte, t Transform) (Output, error) {
	tn, vals, err := reply.float32s(name, []int{1, 3, t.Crop, t.Crop}, true)
	if err != nil {
		return o, err
	}
	if err := PreprocessImageInto(vals, b, t); err != nil {
		return o, err
	}
	return o.add(abi.Entry{Name: name, Tensor: tn}), nil
}

// paramsCache keeps the last transform's JSON: marshalling it inside
// WebAssembly costs tens of microseconds, and plugins use one transform.
var paramsCache struct {
	sync.Mutex
	mean, std [3]float32
	json      []byte
}

// params checks t and returns the host's params JSON for it.
func (t Transform) params() ([]byte, error) {
	if t.Resize < 0 || t.Crop < 0 || t.Resize > math.MaxInt32 || t.Crop > math.MaxInt32 {
		return nil, fmt.Errorf("preprocess image: bad resize %d or crop %d", t.Resize, t.Crop)
	}
	c := &paramsCache
	c.Lock()
	defer c.Unlock()
	if c.json != nil && c.mean == t.Mean && c.std == t.Std {
		return c.json, nil
	}
	b, err := json.Marshal(struct {
		Mean [3]float32 `json:"mean"`
		Std  [3]float32 `json:"std"`
	}{t.Mean, t.Std})
	if err != nil { // NaN or ±Inf
		return nil, fmt.Errorf("preprocess image: mean %v, std %v: %v", t.Mean, t.Std, err)
	}
	c.mean, c.std, c.json = t.Mean, t.Std, b
	return b, nil
}
