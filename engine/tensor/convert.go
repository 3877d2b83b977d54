package tensor

import (
	"fmt"
	"math"
	"strconv"
)

// Float64s returns t's elements converted to float64 (a new slice). Bools
// become 0/1; strings are parsed. Meant for small tensors (shapes, scalars,
// attributes given as inputs) and for tests, not for hot kernels.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	switch d := t.data.(type) {
	case []float32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []float64:
		copy(out, d)
	case []F16:
		for i, v := range d {
			out[i] = float64(v.Float32())
		}
	case []BF16:
		for i, v := range d {
			out[i] = float64(v.Float32())
		}
	case []int8:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int16:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int64:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint8:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint16:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint64:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []bool:
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
	case []string:
		for i, v := range d {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				f = math.NaN()
			}
			out[i] = f
		}
	}
	return out
}

// Int64s returns t's elements converted to int64 (a new slice); for integer
// inputs such as shapes, axes, indices. Floats are truncated toward zero.
func (t *Tensor) Int64s() []int64 {
	out := make([]int64, t.Len())
	switch d := t.data.(type) {
	case []int64:
		copy(out, d)
	case []int32:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []int16:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []int8:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []uint8:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []uint16:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []uint32:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []uint64:
		for i, v := range d {
			out[i] = int64(v)
		}
	case []bool:
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
	default:
		for i, v := range t.Float64s() {
			out[i] = int64(v)
		}
	}
	return out
}

// FromFloat64s builds a tensor of dtype dt from float64 values (rounding to
// the target type as a C cast would; float16/bfloat16 round to nearest even).
func FromFloat64s(dt DType, shape []int, vals []float64) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(vals) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, have %d", dimsOf(shape), n, len(vals))
	}
	data := MakeSlice(dt, n)
	switch d := data.(type) {
	case []float32:
		for i, v := range vals {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, vals)
	case []F16:
		for i, v := range vals {
			d[i] = F16FromFloat64(v)
		}
	case []BF16:
		for i, v := range vals {
			d[i] = BF16FromFloat64(v)
		}
	case []int8:
		for i, v := range vals {
			d[i] = int8(v)
		}
	case []int16:
		for i, v := range vals {
			d[i] = int16(v)
		}
	case []int32:
		for i, v := range vals {
			d[i] = int32(v)
		}
	case []int64:
		for i, v := range vals {
			d[i] = int64(v)
		}
	case []uint8:
		for i, v := range vals {
			d[i] = uint8(v)
		}
	case []uint16:
		for i, v := range vals {
			d[i] = uint16(v)
		}
	case []uint32:
		for i, v := range vals {
			d[i] = uint32(v)
		}
	case []uint64:
		for i, v := range vals {
			d[i] = uint64(v)
		}
	case []bool:
		for i, v := range vals {
			d[i] = v != 0
		}
	case []string:
		for i, v := range vals {
			d[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	default:
		return nil, fmt.Errorf("tensor: cannot build dtype %v", dt)
	}
	return newTensor(dt, shape, data), nil
}
