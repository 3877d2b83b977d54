package sdk

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// encode is abi.Encode with a fast path for numeric tensors: on a
// little-endian machine (wasm always is) their memory already is the wire
// form, so it is copied in one block. abi.Encode converts element by
// element, which inside wasm took 8 ms (16 ms under the host's deadline
// checks) for one [1,3,224,224] float32 tensor; the block copy takes well
// under a millisecond. Other entries (bytes, strings, bools) are encoded by
// package abi itself, and a test checks both give the same bytes.
func encode(m abi.Message) ([]byte, error) {
	size := 8
	for _, e := range m {
		size += 4 + len(e.Name) + 1 + 8
		if t := e.Tensor; t != nil {
			size += 8 + 8*t.Rank() + t.Len()*max(t.DType().Size(), 4)
		} else {
			size += len(e.Bytes)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, "GNX1"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m)))
	for _, e := range m {
		raw, ok := rawData(e.Tensor)
		if !ok {
			one, err := abi.Encode(abi.Message{e})
			if err != nil {
				return nil, err
			}
			b = append(b, one[8:]...) // without the magic and the count
			continue
		}
		t := e.Tensor
		if t.Rank() > abi.MaxRank {
			return nil, fmt.Errorf("abi: tensor %q has rank %d, more than %d", e.Name, t.Rank(), abi.MaxRank)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Name)))
		b = append(b, e.Name...)
		b = append(b, 1) // kind: tensor
		b = binary.LittleEndian.AppendUint32(b, uint32(t.DType()))
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Rank()))
		for _, d := range t.Shape() {
			b = binary.LittleEndian.AppendUint64(b, uint64(d))
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(raw)))
		b = append(b, raw...)
	}
	return b, nil
}

// littleEndian is true on the machines whose memory layout is the wire's.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// rawData views a numeric tensor's data as bytes; false for bytes entries,
// strings, bools and big-endian machines.
func rawData(t *tensor.Tensor) ([]byte, bool) {
	if t == nil || !littleEndian {
		return nil, false
	}
	switch d := t.Data().(type) {
	case []float32:
		return asBytes(d), true
	case []float64:
		return asBytes(d), true
	case []int64:
		return asBytes(d), true
	case []int32:
		return asBytes(d), true
	case []int16:
		return asBytes(d), true
	case []int8:
		return asBytes(d), true
	case []uint64:
		return asBytes(d), true
	case []uint32:
		return asBytes(d), true
	case []uint16:
		return asBytes(d), true
	case []uint8:
		return d, true
	case []tensor.F16:
		return asBytes(d), true
	case []tensor.BF16:
		return asBytes(d), true
	}
	return nil, false
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
