//go:build !wasip1

package sdk

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/gonyx/gonyx/plugins/imageops"
)

// hostImagePreprocess runs the host's fused kernel in-process, with the
// host's framing: with out nil a new buffer of u32 width, u32 height and
// the values; otherwise the values written into out.
func hostImagePreprocess(data []byte, resize, crop int32, params, out []byte) ([]byte, error) {
	var p struct{ Mean, Std []float32 }
	if err := json.Unmarshal(params, &p); err != nil || len(p.Mean) != 3 || len(p.Std) != 3 {
		return nil, fmt.Errorf("params must be {\"mean\":[3],\"std\":[3]}")
	}
	tr := imageops.Transform{Resize: int(resize), Crop: int(crop), Mean: [3]float32(p.Mean), Std: [3]float32(p.Std)}
	img, err := imageops.DecodeForTransform(data, maxDecodePixels)
	if err != nil {
		return nil, err
	}
	defer img.Release()
	plan, err := tr.Plan(img.W, img.H)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if plan.OutBytes() > len(out) {
			return nil, fmt.Errorf("the %dx%d tensor needs %d bytes, the output buffer has %d", plan.OutW, plan.OutH, plan.OutBytes(), len(out))
		}
		out = out[:plan.OutBytes()]
		return out, plan.ApplyDecoded(img, out)
	}
	out = make([]byte, imageHeader+plan.OutBytes())
	binary.LittleEndian.PutUint32(out, uint32(plan.OutW))
	binary.LittleEndian.PutUint32(out[4:], uint32(plan.OutH))
	if err := plan.ApplyDecoded(img, out[imageHeader:]); err != nil {
		return nil, err
	}
	return out, nil
}

// image is Output.Image outside WebAssembly: an entry of the reply.
func (o Output) image(name string, b []byte, t Transform) (Output, error) {
	return o.imageInReply(name, b, t)
}
