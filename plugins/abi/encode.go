package abi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// The appending encoders let a guest build its reply in a buffer it keeps
// from call to call, and lay out a large tensor's header before the tensor
// is computed, so that the tensor is written straight into the reply (see
// AppendTensorHeader). The bytes on the wire are Encode's.

// headerLen is the size of a message's "GNX1" and count.
const headerLen = 8

// AppendEncode appends m's encoding (Encode's format) to dst. A tensor whose
// data already sits exactly where its bytes go is not copied onto itself.
func AppendEncode(dst []byte, m Message) ([]byte, error) {
	dst = AppendHeader(dst, len(m))
	for _, e := range m {
		var err error
		if dst, err = AppendEntry(dst, e); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// AppendHeader appends a message header announcing count entries; SetCount
// changes the count once the entries are known.
func AppendHeader(dst []byte, count int) []byte {
	dst = append(dst, magic...)
	return binary.LittleEndian.AppendUint32(dst, uint32(count))
}

// SetCount rewrites the entry count of the encoded message msg.
func SetCount(msg []byte, count int) error {
	if len(msg) < headerLen || string(msg[:4]) != magic {
		return errors.New("abi: not a gonyx message (bad magic)")
	}
	if count < 0 || uint64(count) > 1<<32-1 {
		return fmt.Errorf("abi: entry count %d out of range", count)
	}
	binary.LittleEndian.PutUint32(msg[4:], uint32(count))
	return nil
}

// AppendEntry appends one entry of a message.
func AppendEntry(dst []byte, e Entry) ([]byte, error) {
	if e.Tensor == nil {
		dst = appendName(dst, e.Name, kindBytes)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(len(e.Bytes)))
		return append(dst, e.Bytes...), nil
	}
	t := e.Tensor
	data, err := tensorBytes(t)
	if err != nil {
		return nil, fmt.Errorf("abi: tensor %q: %w", e.Name, err)
	}
	if dst, err = appendTensorHeader(dst, e.Name, t.DType(), t.Shape(), len(data)); err != nil {
		return nil, err
	}
	if n := len(dst); len(data) > 0 && cap(dst)-n >= len(data) &&
		unsafe.SliceData(data) == unsafe.SliceData(dst[n:n+1]) {
		return dst[:n+len(data)], nil // already in place
	}
	return append(dst, data...), nil
}

// AppendTensorHeader appends the header of a tensor entry of fixed-size
// dtype dt and the given shape: everything up to its data, which the caller
// then writes as the next TensorDataLen(dt, shape) bytes (little-endian).
func AppendTensorHeader(dst []byte, name string, dt tensor.DType, shape []int) ([]byte, error) {
	n, err := TensorDataLen(dt, shape)
	if err != nil {
		return nil, fmt.Errorf("abi: tensor %q: %w", name, err)
	}
	return appendTensorHeader(dst, name, dt, shape, n)
}

// TensorDataLen is the size on the wire of the data of a tensor of
// fixed-size dtype dt (not string or bool, whose sizes differ) and shape.
func TensorDataLen(dt tensor.DType, shape []int) (int, error) {
	size := dt.Size()
	if !dt.Supported() || dt == tensor.String || dt == tensor.Bool || size == 0 {
		return 0, fmt.Errorf("dtype %v has no fixed-size wire form", dt)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return 0, err
	}
	if n > (1<<31-1)/size {
		return 0, fmt.Errorf("%d elements of %v exceed a wasm32 buffer", n, dt)
	}
	return n * size, nil
}

// TensorHeaderLen is the size of a tensor entry's header, before its data.
func TensorHeaderLen(name string, rank int) int {
	return 4 + len(name) + 1 + 4 + 4 + 8*rank + 8
}

func appendTensorHeader(dst []byte, name string, dt tensor.DType, shape []int, dataLen int) ([]byte, error) {
	if len(shape) > MaxRank {
		return nil, fmt.Errorf("abi: tensor %q has rank %d, more than %d", name, len(shape), MaxRank)
	}
	dst = appendName(dst, name, kindTensor)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(dt))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(shape)))
	for _, d := range shape {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(d))
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(dataLen)), nil
}

func appendName(dst []byte, name string, kind byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(name)))
	dst = append(dst, name...)
	return append(dst, kind)
}

// EncodedLen is the exact size of m's encoding.
func EncodedLen(m Message) (int, error) {
	size := headerLen
	for _, e := range m {
		size += 4 + len(e.Name) + 1 + 8
		if e.Tensor == nil {
			size += len(e.Bytes)
			continue
		}
		t := e.Tensor
		size += 8 + 8*t.Rank()
		switch t.DType() {
		case tensor.String:
			for _, s := range tensor.Data[string](t) {
				size += 4 + len(s)
			}
		case tensor.Bool:
			size += t.Len()
		default:
			if t.DType().Size() == 0 {
				return 0, fmt.Errorf("abi: tensor %q: dtype %v cannot cross the plugin boundary", e.Name, t.DType())
			}
			size += t.Len() * t.DType().Size()
		}
	}
	return size, nil
}
