package abi

import (
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// Every platform gonyx runs on (amd64, arm64, wasm) is little-endian, the
// wire's byte order, so fixed-size tensor data crosses as one copy of its
// memory instead of an element-by-element conversion: for a 224×224×3
// image tensor that is the difference between a memmove and 150 528
// conversions, which matters most inside a guest, where every loop
// iteration pays for the deadline checks.

// rawBytes views a numeric slice's memory (nil for other types).
func rawBytes(data any) []byte {
	switch d := data.(type) {
	case []float32:
		return view(d)
	case []float64:
		return view(d)
	case []int64:
		return view(d)
	case []int32:
		return view(d)
	case []uint8:
		return d
	case []int8:
		return view(d)
	case []uint16:
		return view(d)
	case []int16:
		return view(d)
	case []uint32:
		return view(d)
	case []uint64:
		return view(d)
	case []tensor.F16:
		return view(d)
	case []tensor.BF16:
		return view(d)
	}
	return nil
}

func view[T any](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// RawBytes views the memory of a tensor of fixed-size numeric dtype, which
// is its wire form on every platform gonyx runs on; nil for string and bool
// tensors.
func RawBytes(t *tensor.Tensor) []byte {
	if t == nil || t.DType() == tensor.Bool {
		return nil
	}
	return rawBytes(t.Data())
}

// Overlap reports whether two byte views share memory: whether writing one
// can change the other (the SDK's reply buffer against an entry's data, the
// server's recycled tensors against a response's).
func Overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}
