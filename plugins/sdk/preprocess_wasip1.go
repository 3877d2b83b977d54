//go:build wasip1

package sdk

import (
	"errors"

	"github.com/gonyx/gonyx/plugins/abi"
)

//go:wasmimport gonyx image_preprocess
func gonyxImagePreprocess(ptr, n uint32, resize, crop int32, paramsPtr, paramsLen, outPtr, outLen uint32) uint64

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
