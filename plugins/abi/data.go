package abi

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
)

// tensorBytes is a tensor's data in little-endian wire form.
func tensorBytes(t *tensor.Tensor) ([]byte, error) {
	n := t.Len()
	switch t.DType() {
	case tensor.String:
		var b []byte
		for _, s := range tensor.Data[string](t) {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
		return b, nil
	case tensor.Bool:
		b := make([]byte, n)
		for i, v := range tensor.Data[bool](t) {
			if v {
				b[i] = 1
			}
		}
		return b, nil
	}
	size := t.DType().Size()
	if size == 0 {
		return nil, fmt.Errorf("dtype %v cannot cross the plugin boundary", t.DType())
	}
	if raw := rawBytes(t.Data()); raw != nil && len(raw) == n*size {
		return raw, nil // Encode copies it into the message
	}
	b := make([]byte, n*size)
	switch d := t.Data().(type) {
	case []float32:
		for i, v := range d {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range d {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case []int64:
		for i, v := range d {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
	case []int32:
		for i, v := range d {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
	case []uint8:
		copy(b, d)
	case []int8:
		for i, v := range d {
			b[i] = byte(v)
		}
	case []uint16:
		for i, v := range d {
			binary.LittleEndian.PutUint16(b[2*i:], v)
		}
	case []int16:
		for i, v := range d {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
	case []uint32:
		for i, v := range d {
			binary.LittleEndian.PutUint32(b[4*i:], v)
		}
	case []uint64:
		for i, v := range d {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
	case []tensor.F16:
		for i, v := range d {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
	case []tensor.BF16:
		for i, v := range d {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
	default:
		return nil, fmt.Errorf("dtype %v cannot cross the plugin boundary", t.DType())
	}
	return b, nil
}

// tensorFromBytes builds a tensor from wire data, checking the size. A
// non-nil into, of dtype dt and this shape, receives the data instead of a
// new tensor.
func tensorFromBytes(dt tensor.DType, shape []int, data []byte, into *tensor.Tensor) (*tensor.Tensor, error) {
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if dt == tensor.String {
		out := make([]string, 0, min(n, len(data)/4))
		for range n {
			if len(data) < 4 {
				return nil, errTruncated
			}
			l := binary.LittleEndian.Uint32(data)
			if uint64(l) > uint64(len(data)-4) {
				return nil, errTruncated
			}
			out = append(out, string(data[4:4+l]))
			data = data[4+l:]
		}
		if len(data) != 0 {
			return nil, fmt.Errorf("%d bytes after the last string", len(data))
		}
		return tensor.New(shape, out), nil
	}
	size := dt.Size()
	if size == 0 || uint64(len(data)) != uint64(n)*uint64(size) {
		return nil, fmt.Errorf("%d data bytes for %d elements of %v", len(data), n, dt)
	}
	if into != nil && (dt == tensor.Bool || len(rawBytes(into.Data())) != len(data)) {
		into = nil // only a plain copy into exactly the right storage
	}
	t := into
	if t == nil {
		t = tensor.Zeros(dt, shape...)
	}
	if dt != tensor.Bool {
		if raw := rawBytes(t.Data()); raw != nil && len(raw) == len(data) {
			copy(raw, data)
			return t, nil
		}
	}
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case []float64:
		for i := range d {
			d[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case []int64:
		for i := range d {
			d[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case []int32:
		for i := range d {
			d[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case []uint8:
		copy(d, data)
	case []int8:
		for i := range d {
			d[i] = int8(data[i])
		}
	case []bool:
		for i := range d {
			if data[i] > 1 {
				return nil, fmt.Errorf("bool byte %d is neither 0 nor 1", data[i])
			}
			d[i] = data[i] == 1
		}
	case []uint16:
		for i := range d {
			d[i] = binary.LittleEndian.Uint16(data[2*i:])
		}
	case []int16:
		for i := range d {
			d[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case []uint32:
		for i := range d {
			d[i] = binary.LittleEndian.Uint32(data[4*i:])
		}
	case []uint64:
		for i := range d {
			d[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
	case []tensor.F16:
		for i := range d {
			d[i] = tensor.F16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case []tensor.BF16:
		for i := range d {
			d[i] = tensor.BF16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("dtype %v cannot cross the plugin boundary", dt)
	}
	return t, nil
}
