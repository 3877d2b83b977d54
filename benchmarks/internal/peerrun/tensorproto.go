package peerrun

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ONNX TensorProto data types used here.
const (
	tpFloat  = 1
	tpInt32  = 6
	tpInt64  = 7
	tpDouble = 11
)

// DecodeTensorProto reads the fields of a serialized onnx.TensorProto that
// the shared test sets use (dims, data_type, name, raw_data and the typed
// float/int32/int64/double lists) into a Value. Float types become F32,
// integer types I64.
func DecodeTensorProto(buf []byte) (Value, error) {
	var v Value
	var dtype uint64
	var raw []byte
	var f32 []float32
	var f64 []float64
	var ints []int64
	for len(buf) > 0 {
		key, n := binary.Uvarint(buf)
		if n <= 0 {
			return v, errors.New("tensorproto: bad field key")
		}
		buf = buf[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			x, n := binary.Uvarint(buf)
			if n <= 0 {
				return v, errors.New("tensorproto: bad varint")
			}
			buf = buf[n:]
			switch field {
			case 1:
				v.Shape = append(v.Shape, int(int64(x)))
			case 2:
				dtype = x
			case 5, 7:
				ints = append(ints, int64(x))
			}
		case 1:
			if len(buf) < 8 {
				return v, errors.New("tensorproto: truncated fixed64")
			}
			if field == 10 {
				f64 = append(f64, math.Float64frombits(binary.LittleEndian.Uint64(buf)))
			}
			buf = buf[8:]
		case 5:
			if len(buf) < 4 {
				return v, errors.New("tensorproto: truncated fixed32")
			}
			if field == 4 {
				f32 = append(f32, math.Float32frombits(binary.LittleEndian.Uint32(buf)))
			}
			buf = buf[4:]
		case 2:
			l, n := binary.Uvarint(buf)
			if n <= 0 || uint64(len(buf)-n) < l {
				return v, errors.New("tensorproto: truncated bytes field")
			}
			body := buf[n : n+int(l)]
			buf = buf[n+int(l):]
			switch field {
			case 1, 5, 7: // packed dims / int32_data / int64_data
				for len(body) > 0 {
					x, m := binary.Uvarint(body)
					if m <= 0 {
						return v, errors.New("tensorproto: bad packed varint")
					}
					body = body[m:]
					if field == 1 {
						v.Shape = append(v.Shape, int(int64(x)))
					} else if field == 5 {
						ints = append(ints, int64(int32(x)))
					} else {
						ints = append(ints, int64(x))
					}
				}
			case 4:
				for ; len(body) >= 4; body = body[4:] {
					f32 = append(f32, math.Float32frombits(binary.LittleEndian.Uint32(body)))
				}
			case 10:
				for ; len(body) >= 8; body = body[8:] {
					f64 = append(f64, math.Float64frombits(binary.LittleEndian.Uint64(body)))
				}
			case 8:
				v.Name = string(body)
			case 9:
				raw = body
			}
		default:
			return v, fmt.Errorf("tensorproto: unsupported wire type %d", wire)
		}
	}
	n := 1
	for _, d := range v.Shape {
		n *= d
	}
	switch dtype {
	case tpFloat:
		v.DType = "float32"
		if raw != nil {
			if len(raw) != 4*n {
				return v, fmt.Errorf("tensorproto %q: %d raw bytes for %d floats", v.Name, len(raw), n)
			}
			f32 = make([]float32, n)
			for i := range f32 {
				f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		v.F32 = f32
	case tpDouble:
		v.DType = "float32"
		if raw != nil {
			if len(raw) != 8*n {
				return v, fmt.Errorf("tensorproto %q: %d raw bytes for %d doubles", v.Name, len(raw), n)
			}
			f64 = make([]float64, n)
			for i := range f64 {
				f64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		v.F32 = make([]float32, len(f64))
		for i, x := range f64 {
			v.F32[i] = float32(x)
		}
	case tpInt64, tpInt32:
		v.DType = "int64"
		if raw != nil {
			w := 8
			if dtype == tpInt32 {
				w = 4
			}
			if len(raw) != w*n {
				return v, fmt.Errorf("tensorproto %q: %d raw bytes for %d ints", v.Name, len(raw), n)
			}
			ints = make([]int64, n)
			for i := range ints {
				if w == 8 {
					ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
				} else {
					ints[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
				}
			}
		}
		v.I64 = ints
	default:
		return v, fmt.Errorf("tensorproto %q: data type %d not supported by the peer runners", v.Name, dtype)
	}
	if got := max(len(v.F32), len(v.I64)); got != n {
		return v, fmt.Errorf("tensorproto %q: %d values for shape %v", v.Name, got, v.Shape)
	}
	return v, nil
}
