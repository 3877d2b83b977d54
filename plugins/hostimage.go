package plugins

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/imageops"
)

// Bounds on images crossing the host module. A decoded image must also fit
// in the guest's memory, which bounds it further for small memory caps.
const (
	maxImagePixels  = 64 << 20 // 64 megapixels: 192 MiB of RGB8
	maxImageSide    = 1 << 15
	imageHeaderSize = 8 // u32 width, u32 height
	maxParamsBytes  = 4 << 10
	maxNameBytes    = 1 << 10 // an output name from image_preprocess_output
)

// maxPixels is the largest image this plugin's host functions produce.
func (p *Plugin) maxPixels() int {
	return min(maxImagePixels, (p.cfg.memoryLimitBytes()-imageHeaderSize)/3)
}

// parseImage reads an image buffer (u32 w, u32 h, RGB8 pixels, row-major).
// The pixels alias b.
func parseImage(b []byte) (imageops.RGB, error) {
	if len(b) < imageHeaderSize {
		return imageops.RGB{}, fmt.Errorf("image buffer of %d bytes has no header", len(b))
	}
	w, h := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	if w == 0 || h == 0 || w > maxImageSide || h > maxImageSide {
		return imageops.RGB{}, fmt.Errorf("image buffer says %dx%d", w, h)
	}
	if want := uint64(w) * uint64(h) * 3; uint64(len(b)-imageHeaderSize) != want {
		return imageops.RGB{}, fmt.Errorf("%dx%d image buffer has %d pixel bytes, want %d", w, h, len(b)-imageHeaderSize, want)
	}
	return imageops.RGB{W: int(w), H: int(h), Pix: b[imageHeaderSize:]}, nil
}

// checkSize validates a requested output size.
func (p *Plugin) checkSize(w, h int32) error {
	if w <= 0 || h <= 0 || w > maxImageSide || h > maxImageSide || int(w)*int(h) > p.maxPixels() {
		return fmt.Errorf("bad image size %dx%d", w, h)
	}
	return nil
}

// replyImage returns an image buffer to the guest.
func (inst *instance) replyImage(ctx context.Context, img imageops.RGB) uint64 {
	n := imageHeaderSize + len(img.Pix)
	packed, view, ok := inst.out(ctx, n, false)
	if !ok {
		return inst.replyError(ctx, fmt.Sprintf("out of memory for a %dx%d image", img.W, img.H))
	}
	binary.LittleEndian.PutUint32(view, uint32(img.W))
	binary.LittleEndian.PutUint32(view[4:], uint32(img.H))
	copy(view[imageHeaderSize:], img.Pix)
	return packed
}

// image_decode(ptr i32, len i32) -> i64
func (p *Plugin) hostImageDecode(ctx context.Context, inst *instance, stack []uint64) {
	data := inst.in(uint32(stack[0]), uint32(stack[1]), "image data")
	img, err := imageops.Decode(data, p.maxPixels())
	if err != nil {
		stack[0] = inst.replyError(ctx, err.Error())
		return
	}
	stack[0] = inst.replyImage(ctx, img)
}

// image_resize(ptr i32, len i32, w i32, h i32) -> i64
func (p *Plugin) hostImageResize(ctx context.Context, inst *instance, stack []uint64) {
	img, err := parseImage(inst.in(uint32(stack[0]), uint32(stack[1]), "image buffer"))
	w, h := int32(stack[2]), int32(stack[3])
	if err == nil {
		err = p.checkSize(w, h)
	}
	if err == nil {
		img, err = imageops.Resize(img, int(w), int(h))
	}
	if err != nil {
		stack[0] = inst.replyError(ctx, "image_resize: "+err.Error())
		return
	}
	stack[0] = inst.replyImage(ctx, img)
}

// image_crop(ptr i32, len i32, x i32, y i32, w i32, h i32) -> i64
func (p *Plugin) hostImageCrop(ctx context.Context, inst *instance, stack []uint64) {
	img, err := parseImage(inst.in(uint32(stack[0]), uint32(stack[1]), "image buffer"))
	x, y, w, h := int32(stack[2]), int32(stack[3]), int32(stack[4]), int32(stack[5])
	if err == nil && (x < 0 || y < 0 || w <= 0 || h <= 0 || int(x)+int(w) > img.W || int(y)+int(h) > img.H) {
		err = fmt.Errorf("crop %dx%d at (%d,%d) is outside the %dx%d image", w, h, x, y, img.W, img.H)
	}
	if err == nil {
		img, err = imageops.Crop(img, int(x), int(y), int(w), int(h))
	}
	if err != nil {
		stack[0] = inst.replyError(ctx, "image_crop: "+err.Error())
		return
	}
	stack[0] = inst.replyImage(ctx, img)
}

// toTensorParams is image_to_tensor's JSON. Absent, mean is 0 and std 1:
// plain v/255, as torchvision's ToTensor.
type toTensorParams struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// paramsCache remembers the last params JSON an instance sent and what it
// parsed to: a plugin sends the same few bytes on every call, and
// encoding/json took 15–25 µs of each imagenet-preprocess call (timers in a
// throwaway build, 04:00 UTC), several percent of a 320×240 PNG's
// preprocessing.
type paramsCache struct {
	json      []byte
	mean, std [3]float32
}

// parse is parseToTensorParams(b), from the cache when b is the last
// params parsed without error.
func (c *paramsCache) parse(b []byte) (mean, std [3]float32, err error) {
	if c.json != nil && string(c.json) == string(b) {
		return c.mean, c.std, nil
	}
	if mean, std, err = parseToTensorParams(b); err == nil {
		c.json = append(c.json[:0], b...)
		c.mean, c.std = mean, std
	}
	return mean, std, err
}

func parseToTensorParams(b []byte) (mean, std [3]float32, err error) {
	std = [3]float32{1, 1, 1}
	if len(b) == 0 {
		return mean, std, nil
	}
	var p toTensorParams
	if err := json.Unmarshal(b, &p); err != nil {
		return mean, std, fmt.Errorf("params: %v", err)
	}
	if p.Mean != nil {
		if len(p.Mean) != 3 {
			return mean, std, fmt.Errorf("params: mean has %d values, want 3", len(p.Mean))
		}
		mean = [3]float32(p.Mean)
	}
	if p.Std != nil {
		if len(p.Std) != 3 {
			return mean, std, fmt.Errorf("params: std has %d values, want 3", len(p.Std))
		}
		std = [3]float32(p.Std)
	}
	for c := range 3 {
		if std[c] == 0 || math.IsNaN(float64(std[c])) || math.IsNaN(float64(mean[c])) {
			return mean, std, fmt.Errorf("params: mean %v, std %v", mean, std)
		}
	}
	return mean, std, nil
}

// image_to_tensor(ptr i32, len i32, params_ptr i32, params_len i32) -> i64
func (p *Plugin) hostImageToTensor(ctx context.Context, inst *instance, stack []uint64) {
	var err error
	var mean, std [3]float32
	if n := uint32(stack[3]); n > maxParamsBytes {
		err = fmt.Errorf("params of %d bytes are too long", n)
	} else {
		mean, std, err = inst.params.parse(inst.in(uint32(stack[2]), n, "params"))
	}
	img, ierr := parseImage(inst.in(uint32(stack[0]), uint32(stack[1]), "image buffer"))
	if err == nil {
		err = ierr
	}
	if err != nil {
		stack[0] = inst.replyError(ctx, "image_to_tensor: "+err.Error())
		return
	}
	// Computed before allocating: gonyx_alloc may move the memory img views.
	t := imageops.ToCHW(img, mean, std)
	packed, view, ok := inst.out(ctx, 4*len(t), false)
	if !ok {
		stack[0] = inst.replyError(ctx, fmt.Sprintf("out of memory for a %d-byte tensor", 4*len(t)))
		return
	}
	for i, v := range t {
		binary.LittleEndian.PutUint32(view[4*i:], math.Float32bits(v))
	}
	stack[0] = packed
}

// image_preprocess(ptr i32, len i32, resize i32, crop i32, params_ptr i32, params_len i32,
// out_ptr i32, out_len i32) -> i64
//
// The whole of torchvision's Resize(resize), CenterCrop(crop), ToTensor,
// Normalize in one call: the decoded image stays in the host and only the
// tensor crosses into the guest. With out_len 0 the result (u32 width, u32
// height, float32 CHW) is allocated through gonyx_alloc; otherwise the
// float32 CHW values alone are written into the guest's own buffer
// out_ptr[:out_len], which saves the guest an allocation per call (costly
// in a Go guest), and the result points into that buffer.
func (p *Plugin) hostImagePreprocess(ctx context.Context, inst *instance, stack []uint64) {
	outPtr, outLen := uint32(stack[6]), uint32(stack[7])
	img, plan, err := p.preprocessPlan(inst, stack)
	if img != nil {
		defer img.Release()
	}
	if err == nil && outLen != 0 && uint64(plan.OutBytes()) > uint64(outLen) {
		err = fmt.Errorf("the %dx%d tensor needs %d bytes, the output buffer has %d", plan.OutW, plan.OutH, plan.OutBytes(), outLen)
	}
	if err != nil {
		stack[0] = inst.replyError(ctx, "image_preprocess: "+err.Error())
		return
	}
	var packed uint64
	var dst []byte
	if outLen != 0 {
		n := uint32(plan.OutBytes())
		dst = inst.in(outPtr, n, "output buffer")
		packed = abi.Pack(outPtr, n, false)
	} else {
		// gonyx_alloc may move the guest's memory, which invalidates the
		// input's view: it is no longer used.
		var view []byte
		var ok bool
		packed, view, ok = inst.out(ctx, imageHeaderSize+plan.OutBytes(), false)
		if !ok {
			stack[0] = inst.replyError(ctx, fmt.Sprintf("image_preprocess: out of memory for a %dx%d tensor", plan.OutW, plan.OutH))
			return
		}
		binary.LittleEndian.PutUint32(view, uint32(plan.OutW))
		binary.LittleEndian.PutUint32(view[4:], uint32(plan.OutH))
		dst = view[imageHeaderSize:]
	}
	if err := plan.ApplyDecoded(img, dst); err != nil {
		// Damage in a PNG's data is found here, while the PNG is
		// inflated (imageops streams it); dst then holds no tensor.
		stack[0] = inst.replyError(ctx, "image_preprocess: "+err.Error())
		return
	}
	stack[0] = packed
}

// preprocessPlan reads image_preprocess's and image_preprocess_output's
// first six parameters (image, resize, crop, params): the image parsed
// (to be released by the caller when not nil) and the plan for it.
func (p *Plugin) preprocessPlan(inst *instance, stack []uint64) (*imageops.Decoded, imageops.Plan, error) {
	tr := imageops.Transform{Resize: int(int32(stack[2])), Crop: int(int32(stack[3]))}
	var err error
	if n := uint32(stack[5]); n > maxParamsBytes {
		err = fmt.Errorf("params of %d bytes are too long", n)
	} else {
		tr.Mean, tr.Std, err = inst.params.parse(inst.in(uint32(stack[4]), n, "params"))
	}
	if err != nil {
		return nil, imageops.Plan{}, err
	}
	img, err := imageops.DecodeForTransform(inst.in(uint32(stack[0]), uint32(stack[1]), "image data"), p.maxPixels())
	if err != nil {
		return nil, imageops.Plan{}, err
	}
	plan, err := tr.Plan(img.W, img.H)
	return img, plan, err
}

// image_preprocess_output(ptr i32, len i32, resize i32, crop i32, params_ptr i32, params_len i32,
// name_ptr i32, name_len i32) -> i64
//
// image_preprocess whose tensor, float32 [1, 3, h, w], becomes an entry
// of the call's output named name without entering the guest: the host
// writes it where the caller will read it (Process's reuse tensor of that
// name, dtype and shape, else a new one) and adds it ahead of the guest's
// reply (exchange.attach). A 224×224 tensor written into the guest and
// copied back out cost 35–55 µs of a ~0.8 ms call, half in the copy and
// the rest in what the 1.2 MB of traffic evicted from the caches (a
// throwaway build that skipped the copy, 04:17 UTC). Only gonyx_process may
// call it; the result is empty, or the error.
func (p *Plugin) hostImagePreprocessOutput(ctx context.Context, inst *instance, stack []uint64) {
	fail := func(err error) { stack[0] = inst.replyError(ctx, "image_preprocess_output: "+err.Error()) }
	nameLen := uint32(stack[7])
	if nameLen == 0 || nameLen > maxNameBytes {
		fail(fmt.Errorf("an output name of %d bytes (1 to %d)", nameLen, maxNameBytes))
		return
	}
	name := string(inst.in(uint32(stack[6]), nameLen, "output name"))
	x := inst.cur
	if x == nil {
		fail(errors.New("only gonyx_process can add outputs"))
		return
	}
	img, plan, err := p.preprocessPlan(inst, stack)
	if img != nil {
		defer img.Release()
	}
	if err != nil {
		fail(err)
		return
	}
	err = x.attach(name, []int{1, 3, plan.OutH, plan.OutW}, p.cfg.MaxOutputBytes, func(dst []byte) error {
		return plan.ApplyDecoded(img, dst)
	})
	if err != nil {
		fail(err)
		return
	}
	stack[0] = abi.Pack(0, 0, false)
}
