package math

import (
	"fmt"
	gomath "math"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// typeSet is a set of dtypes (bit i set = DType i allowed).
type typeSet uint32

func setOf(dts ...tensor.DType) typeSet {
	var s typeSet
	for _, d := range dts {
		s |= 1 << uint(d)
	}
	return s
}

var (
	tFloat    = setOf(tensor.Float16, tensor.BFloat16, tensor.Float32, tensor.Float64)
	tSigned   = setOf(tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64)
	tUnsigned = setOf(tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64)
	tInt      = tSigned | tUnsigned
	tNumeric  = tFloat | tInt
	tBool     = setOf(tensor.Bool)
	tString   = setOf(tensor.String)
	tAll      = tNumeric | tBool | tString
)

func (s typeSet) has(d tensor.DType) bool { return d >= 0 && d < 32 && s&(1<<uint(d)) != 0 }

func (s typeSet) String() string {
	var names []string
	for d := tensor.DType(0); d < 32; d++ {
		if s.has(d) {
			names = append(names, d.String())
		}
	}
	return strings.Join(names, ", ")
}

// check reports an error when t's dtype is not in s.
func (s typeSet) check(what string, t *tensor.Tensor) error {
	if !s.has(t.DType()) {
		return fmt.Errorf("%s has type %v; supported types: %v", what, t.DType(), s)
	}
	return nil
}

// need checks that the named leading inputs are present.
func need(in []*tensor.Tensor, names ...string) error {
	for i, nm := range names {
		if i >= len(in) || in[i] == nil {
			return fmt.Errorf("missing required input %d (%s)", i, nm)
		}
	}
	return nil
}

// sameType checks that a and b have one dtype.
func sameType(an string, a *tensor.Tensor, bn string, b *tensor.Tensor) error {
	if a.DType() != b.DType() {
		return fmt.Errorf("inputs %s (%v) and %s (%v) must have the same type", an, a.DType(), bn, b.DType())
	}
	return nil
}

// wrap makes a tensor of the given shape around data produced by a driver.
func wrap[T tensor.Elem](shape []int, data []T) (*tensor.Tensor, error) {
	return tensor.FromSlice(shape, data)
}

// toF16 rounds a float64 to the nearest float16 (ties to even).
func toF16(x float64) tensor.F16 { return tensor.F16FromFloat64(x) }

// toBF16 rounds a float64 to the nearest bfloat16 (ties to even).
func toBF16(x float64) tensor.BF16 { return tensor.BF16FromFloat64(x) }

// f64ToInt converts a float to an integer type as a C cast through int64
// does (numpy's astype): truncation toward zero, wrapping for values that
// fit int64 but not T. NaN and out-of-range values give an unspecified but
// deterministic result; nothing panics.
func f64ToInt[T ops.Integer](v float64) T {
	var z T
	if _, ok := any(z).(uint64); ok && v >= 0 {
		u := uint64(gomath.MaxUint64)
		if v < 18446744073709551616.0 {
			u = uint64(v)
		}
		return T(u)
	}
	if v != v {
		return 0
	}
	var i int64
	switch {
	case v >= 9223372036854775807.0:
		i = gomath.MaxInt64
	case v <= -9223372036854775808.0:
		i = gomath.MinInt64
	default:
		i = int64(v)
	}
	return T(i)
}

// widenF16 and widenBF16 return float32 copies of half-precision data.
func widenF16(s []tensor.F16) []float32 {
	return apply1(s, func(v tensor.F16) float32 { return v.Float32() })
}

func widenBF16(s []tensor.BF16) []float32 {
	return apply1(s, func(v tensor.BF16) float32 { return v.Float32() })
}
