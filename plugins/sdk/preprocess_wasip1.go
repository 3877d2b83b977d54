//go:build wasip1

package sdk

import (
	"errors"
	"fmt"

	"github.com/gonyx/gonyx/plugins/abi"
)

//go:wasmimport gonyx image_preprocess
func gonyxImagePreprocess(ptr, n uint32, resize, crop int32, paramsPtr, paramsLen, outPtr, outLen uint32) uint64

//go:wasmimport gonyx image_preprocess_output
func gonyxImagePreprocessOutput(ptr, n uint32, resize, crop int32, paramsPtr, paramsLen, namePtr, nameLen uint32) uint64

// image is Output.Image inside WebAssembly: the host adds the tensor to
// the call's output (image_preprocess_output).
func (o Output) image(name string, b []byte, t Transform) (Output, error) {
	params, err := t.params()
	if err != nil {
		return o, err
	}
	if len(b) == 0 {
		return o, errors.New("preprocess image: no bytes")
	}
	if name == "" {
		return o, errors.New("preprocess image: an output needs a name")
	}
	nb := []byte(name)
	r := gonyxImagePreprocessOutput(addr(b), uint32(len(b)), int32(t.Resize), int32(t.Crop), addr(params), uint32(len(params)), addr(nb), uint32(len(nb)))
	keepAlive(b, params, nb)
	if _, err := take(r); err != nil {
		return o, fmt.Errorf("preprocess image: %v", err)
	}
	o.attached = append(o.attached[:len(o.attached):len(o.attached)], name)
	return o, nil
}

// hostImagePreprocess calls image_preprocess. With out nil the host
// allocates the result (u32 w, u32 h, values); otherwise it writes the
// values into out and the result must point there.
func hostImagePreprocess(data []byte, resize, crop int32, params, out []byte) ([]byte, error) {
	r := gonyxImagePreprocess(addr(data), uint32(len(data)), resize, crop, addr(params), uint32(len(params)), addr(out), uint32(len(out)))
	keepAlive(data, params, out)
	if out == nil {
		return take(r)
	}
	ptr, n, isErr := abi.Unpack(r)
	if isErr {
		return take(r) // the host allocated the message
	}
	if ptr != addr(out)&0x7fffffff || int64(n) > int64(len(out)) {
		return nil, errors.New("host returned a result outside the output buffer")
	}
	return out[:n], nil
}
