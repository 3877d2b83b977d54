package linalg

import "math"

// Quantisation helpers shared by the QuantizeLinear, QLinear* and *Integer
// kernels.

// QInt is the integer types quantised tensors use.
type QInt interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32
}

// QRange is the saturation range of T.
func QRange[T QInt]() (lo, hi float64) {
	var z T
	switch any(z).(type) {
	case int8:
		return math.MinInt8, math.MaxInt8
	case uint8:
		return 0, math.MaxUint8
	case int16:
		return math.MinInt16, math.MaxInt16
	case uint16:
		return 0, math.MaxUint16
	}
	return math.MinInt32, math.MaxInt32
}

// Saturate rounds v half to even and clamps it into T's range (NaN gives 0).
func Saturate[T QInt](v float64) T {
	lo, hi := QRange[T]()
	v = math.RoundToEven(v)
	switch {
	case v != v:
		return 0
	case v < lo:
		v = lo
	case v > hi:
		v = hi
	}
	return T(v)
}

// Quantize32 computes saturate(round(x/scale) + zero) the way the ONNX
// reference does for float32 data: the division is done in float32 and
// rounded half to even before the zero point is added.
func Quantize32[T QInt](x, scale float32, zero int32) T {
	q := math.RoundToEven(float64(x / scale))
	return Saturate[T](q + float64(zero))
}
