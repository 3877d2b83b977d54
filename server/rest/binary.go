package rest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
)

// Triton's binary tensor data extension: elements are little-endian in
// their native size, BOOL is one byte (0 or 1), and each BYTES element is
// a 4-byte little-endian length followed by that many bytes.

// decodeBinary turns exactly len(b) bytes into a tensor of n elements.
func decodeBinary(dt tensor.DType, shape []int, n int, b []byte) (*tensor.Tensor, error) {
	if dt == tensor.String {
		return decodeBinaryStrings(shape, n, b)
	}
	size := dt.Size()
	if size == 0 {
		return nil, fmt.Errorf("datatype %v cannot be sent as binary data", dt)
	}
	if len(b)%size != 0 || len(b)/size != n {
		return nil, fmt.Errorf("binary_data_size is %d bytes but shape %v of %d-byte elements needs %d",
			len(b), shape, size, int64(n)*int64(size))
	}
	var data any
	le := binary.LittleEndian
	switch dt {
	case tensor.Float32:
		data = decodeLE(b, 4, func(p []byte) float32 { return math.Float32frombits(le.Uint32(p)) })
	case tensor.Float64:
		data = decodeLE(b, 8, func(p []byte) float64 { return math.Float64frombits(le.Uint64(p)) })
	case tensor.Float16:
		data = decodeLE(b, 2, func(p []byte) tensor.F16 { return tensor.F16(le.Uint16(p)) })
	case tensor.BFloat16:
		data = decodeLE(b, 2, func(p []byte) tensor.BF16 { return tensor.BF16(le.Uint16(p)) })
	case tensor.Int8:
		data = decodeLE(b, 1, func(p []byte) int8 { return int8(p[0]) })
	case tensor.Int16:
		data = decodeLE(b, 2, func(p []byte) int16 { return int16(le.Uint16(p)) })
	case tensor.Int32:
		data = decodeLE(b, 4, func(p []byte) int32 { return int32(le.Uint32(p)) })
	case tensor.Int64:
		data = decodeLE(b, 8, func(p []byte) int64 { return int64(le.Uint64(p)) })
	case tensor.Uint8:
		data = append([]uint8(nil), b...)
	case tensor.Uint16:
		data = decodeLE(b, 2, le.Uint16)
	case tensor.Uint32:
		data = decodeLE(b, 4, le.Uint32)
	case tensor.Uint64:
		data = decodeLE(b, 8, le.Uint64)
	case tensor.Bool:
		bools := make([]bool, len(b))
		for i, v := range b {
			if v > 1 {
				return nil, fmt.Errorf("BOOL element %d is byte %d; binary BOOL must be 0 or 1", i, v)
			}
			bools[i] = v == 1
		}
		data = bools
	default:
		return nil, fmt.Errorf("datatype %v cannot be sent as binary data", dt)
	}
	return tensor.FromAny(shape, data)
}

func decodeLE[T any](b []byte, size int, get func([]byte) T) []T {
	out := make([]T, len(b)/size)
	for i := range out {
		out[i] = get(b[i*size : i*size+size])
	}
	return out
}

func decodeBinaryStrings(shape []int, n int, b []byte) (*tensor.Tensor, error) {
	// Every element takes at least its 4-byte length, which bounds n
	// before the slice is allocated.
	if n > len(b)/4 {
		return nil, fmt.Errorf("binary_data_size is %d bytes, too few for the %d BYTES elements of shape %v", len(b), n, shape)
	}
	out := make([]string, n)
	for i := range out {
		if len(b) < 4 {
			return nil, fmt.Errorf("BYTES element %d: binary data ends inside its 4-byte length", i)
		}
		l := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(l) > uint64(len(b)) {
			return nil, fmt.Errorf("BYTES element %d: length %d but only %d bytes are left", i, l, len(b))
		}
		out[i] = string(b[:l])
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("binary_data_size has %d bytes more than the %d BYTES elements of shape %v", len(b), n, shape)
	}
	return tensor.FromSlice(shape, out)
}

// appendBinary appends t in the binary format.
func appendBinary(buf []byte, t *tensor.Tensor) ([]byte, error) {
	le := binary.LittleEndian
	switch d := t.Data().(type) {
	case []float32:
		return appendLE(buf, d, func(b []byte, v float32) []byte { return le.AppendUint32(b, math.Float32bits(v)) }), nil
	case []float64:
		return appendLE(buf, d, func(b []byte, v float64) []byte { return le.AppendUint64(b, math.Float64bits(v)) }), nil
	case []tensor.F16:
		return appendLE(buf, d, func(b []byte, v tensor.F16) []byte { return le.AppendUint16(b, uint16(v)) }), nil
	case []tensor.BF16:
		return appendLE(buf, d, func(b []byte, v tensor.BF16) []byte { return le.AppendUint16(b, uint16(v)) }), nil
	case []int8:
		return appendLE(buf, d, func(b []byte, v int8) []byte { return append(b, byte(v)) }), nil
	case []int16:
		return appendLE(buf, d, func(b []byte, v int16) []byte { return le.AppendUint16(b, uint16(v)) }), nil
	case []int32:
		return appendLE(buf, d, func(b []byte, v int32) []byte { return le.AppendUint32(b, uint32(v)) }), nil
	case []int64:
		return appendLE(buf, d, func(b []byte, v int64) []byte { return le.AppendUint64(b, uint64(v)) }), nil
	case []uint8:
		return append(buf, d...), nil
	case []uint16:
		return appendLE(buf, d, le.AppendUint16), nil
	case []uint32:
		return appendLE(buf, d, le.AppendUint32), nil
	case []uint64:
		return appendLE(buf, d, le.AppendUint64), nil
	case []bool:
		return appendLE(buf, d, func(b []byte, v bool) []byte {
			if v {
				return append(b, 1)
			}
			return append(b, 0)
		}), nil
	case []string:
		for _, s := range d {
			if uint64(len(s)) > math.MaxUint32 {
				return nil, errors.New("BYTES element longer than 4 GiB")
			}
			buf = le.AppendUint32(buf, uint32(len(s)))
			buf = append(buf, s...)
		}
		return buf, nil
	}
	return nil, fmt.Errorf("no binary encoding for %T", t.Data())
}

func appendLE[T any](buf []byte, data []T, put func([]byte, T) []byte) []byte {
	for _, v := range data {
		buf = put(buf, v)
	}
	return buf
}
