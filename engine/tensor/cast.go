package tensor

import (
	"fmt"
	"strconv"
)

type real interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Convert returns t converted to dtype dt with Go's conversion rules (floats
// to integers truncate toward zero; out-of-range values are
// implementation-defined, as in C). float16/bfloat16 round to nearest even;
// bool converts to 0/1 and from "non-zero"; strings are parsed and printed.
// If t already has type dt it is returned as is.
func Convert(t *Tensor, dt DType) (*Tensor, error) {
	if t.dtype == dt {
		return t, nil
	}
	if !dt.Supported() {
		return nil, fmt.Errorf("tensor: cannot convert to %v", dt)
	}
	var out any
	switch s := t.data.(type) {
	case []float32:
		out = convertFrom(s, dt)
	case []float64:
		out = convertFrom(s, dt)
	case []int8:
		out = convertFrom(s, dt)
	case []int16:
		out = convertFrom(s, dt)
	case []int32:
		out = convertFrom(s, dt)
	case []int64:
		out = convertFrom(s, dt)
	case []uint8:
		out = convertFrom(s, dt)
	case []uint16:
		out = convertFrom(s, dt)
	case []uint32:
		out = convertFrom(s, dt)
	case []uint64:
		out = convertFrom(s, dt)
	case []F16:
		f := make([]float32, len(s))
		for i, v := range s {
			f[i] = v.Float32()
		}
		out = convertFrom(f, dt)
	case []BF16:
		f := make([]float32, len(s))
		for i, v := range s {
			f[i] = v.Float32()
		}
		out = convertFrom(f, dt)
	case []bool:
		u := make([]uint8, len(s))
		for i, v := range s {
			if v {
				u[i] = 1
			}
		}
		if dt == String {
			ss := make([]string, len(s))
			for i, v := range s {
				ss[i] = strconv.FormatBool(v)
			}
			out = ss
		} else {
			out = convertFrom(u, dt)
		}
	case []string:
		f := make([]float64, len(s))
		for i, v := range s {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("tensor: cannot parse %q as a number", v)
			}
			f[i] = x
		}
		out = convertFrom(f, dt)
	default:
		return nil, fmt.Errorf("tensor: cannot convert from %v", t.dtype)
	}
	return newTensor(dt, t.shape, out), nil
}

func convertFrom[S real](s []S, dt DType) any {
	switch dt {
	case Float32:
		return convertSlice[S, float32](s)
	case Float64:
		return convertSlice[S, float64](s)
	case Int8:
		return convertSlice[S, int8](s)
	case Int16:
		return convertSlice[S, int16](s)
	case Int32:
		return convertSlice[S, int32](s)
	case Int64:
		return convertSlice[S, int64](s)
	case Uint8:
		return convertSlice[S, uint8](s)
	case Uint16:
		return convertSlice[S, uint16](s)
	case Uint32:
		return convertSlice[S, uint32](s)
	case Uint64:
		return convertSlice[S, uint64](s)
	case Float16:
		d := make([]F16, len(s))
		for i, v := range s {
			d[i] = F16FromFloat64(float64(v))
		}
		return d
	case BFloat16:
		d := make([]BF16, len(s))
		for i, v := range s {
			d[i] = BF16FromFloat64(float64(v))
		}
		return d
	case Bool:
		d := make([]bool, len(s))
		for i, v := range s {
			d[i] = v != 0
		}
		return d
	case String:
		d := make([]string, len(s))
		for i, v := range s {
			switch x := any(v).(type) {
			case float32:
				d[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
			case float64:
				d[i] = strconv.FormatFloat(x, 'g', -1, 64)
			default:
				d[i] = fmt.Sprint(v)
			}
		}
		return d
	}
	return nil
}

func convertSlice[S, D real](s []S) []D {
	d := make([]D, len(s))
	for i, v := range s {
		d[i] = D(v)
	}
	return d
}
