package tensor

import "math"

// F16 is an IEEE 754 half-precision number stored as its bit pattern.
type F16 uint16

// BF16 is a brain float (the top 16 bits of a float32) stored as its bit pattern.
type BF16 uint16

// Float32 widens h exactly.
func (h F16) Float32() float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal half: value is mant * 2^-24, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// NewF16 rounds f to the nearest half (ties to even), as numpy and ONNX Runtime do.
func NewF16(f float32) F16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return F16(sign | 0x7e00 | uint16(mant>>13)) // keep NaN quiet
		}
		return F16(sign | 0x7c00)
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return F16(sign | 0x7c00)
	}
	if e <= 0 {
		if e < -10 {
			return F16(sign)
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return F16(sign | uint16(r))
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is still correct (up to Inf)
	}
	return F16(uint32(sign) | r)
}

// Float32 widens b exactly.
func (b BF16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// NewBF16 rounds f to the nearest bfloat16 (ties to even).
func NewBF16(f float32) BF16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return BF16(b>>16 | 0x40) // quiet NaN
	}
	b += 0x7fff + (b>>16)&1
	return BF16(b >> 16)
}

// roundToOddFloat32 narrows x to float32 with "round to odd" when inexact,
// so that a second rounding to float16 or bfloat16 gives the correctly
// rounded result of x (plain float32(x) would round twice).
func roundToOddFloat32(x float64) float32 {
	f := float32(x)
	if float64(f) == x || x != x || math.IsInf(float64(f), 0) {
		return f
	}
	b := math.Float32bits(f)
	if math.Abs(float64(f)) > math.Abs(x) {
		b-- // step toward zero: the truncated value
	}
	return math.Float32frombits(b | 1)
}

// F16FromFloat64 rounds x to the nearest float16 (ties to even), without double rounding.
func F16FromFloat64(x float64) F16 { return NewF16(roundToOddFloat32(x)) }

// BF16FromFloat64 rounds x to the nearest bfloat16 (ties to even), without double rounding.
func BF16FromFloat64(x float64) BF16 { return NewBF16(roundToOddFloat32(x)) }
