package math

import (
	gomath "math"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func castTo(dt tensor.DType) opstest.Op {
	return op("Cast", 13, opstest.Int("to", int64(dt)))
}

func TestCastNumeric(t *testing.T) {
	runCases(t, []tcase{
		{name: "float to int truncates", op: castTo(tensor.Int32),
			in: in(f32s(sh(4), -1.7, 2.9, 0.5, -0.5)), want: T(sh(4), int32(-1), 2, 0, 0)},
		{name: "float to uint8 wraps like numpy", op: castTo(tensor.Uint8),
			in: in(f32s(sh(3), 300, -1, 255.9)), want: T(sh(3), uint8(44), 255, 255)},
		{name: "float64 to uint64", op: castTo(tensor.Uint64),
			in: in(T(sh(2), 1.8446744073709550e19, 3.5)), want: T(sh(2), uint64(18446744073709549568), 3)},
		{name: "float to bool", op: castTo(tensor.Bool),
			in: in(f32s(sh(3), 0, -0.5, float32(gomath.NaN()))), want: bools(sh(3), false, true, true)},
		{name: "bool to float", op: castTo(tensor.Float64),
			in: in(bools(sh(2), true, false)), want: T(sh(2), 1.0, 0.0)},
		{name: "int64 to int8 wraps", op: castTo(tensor.Int8),
			in: in(T(sh(3), int64(127), 128, -129)), want: T(sh(3), int8(127), -128, 127)},
		{name: "int8 to uint16", op: castTo(tensor.Uint16),
			in: in(T(sh(2), int8(-1), 5)), want: T(sh(2), uint16(65535), 5)},
		{name: "uint32 to int64", op: castTo(tensor.Int64),
			in: in(T(sh(1), uint32(4000000000))), want: T(sh(1), int64(4000000000))},
		{name: "int to bool", op: castTo(tensor.Bool),
			in: in(T(sh(3), int32(0), 7, -1)), want: bools(sh(3), false, true, true)},
		{name: "int64 to float32 rounds", op: castTo(tensor.Float32),
			in: in(T(sh(1), int64(16777217))), want: f32s(sh(1), 16777216)},
		{name: "same type copies", op: castTo(tensor.Float32),
			in: in(f32s(sh(2), 1, 2)), want: f32s(sh(2), 1, 2)},
		{name: "empty", op: castTo(tensor.Int64), in: in(f32s(sh(0, 2))), want: T[int64](sh(0, 2))},
		{name: "scalar", op: castTo(tensor.Float16), in: in(T(sh(), int32(3))), want: f16s(sh(), 3)},
		{name: "CastLike", op: op("CastLike", 15),
			in: in(f32s(sh(2), 1.5, -2.5), T(sh(1), int64(0))), want: T(sh(2), int64(1), -2)},
		{name: "Cast-1 string to", op: op("Cast", 1, opstest.String("to", "DOUBLE")),
			in: in(f32s(sh(1), 0.5)), want: T(sh(1), 0.5)},
		{name: "Cast-6 int to", op: op("Cast", 6, opstest.Int("to", int64(tensor.Int16))),
			in: in(f32s(sh(1), -2.5)), want: T(sh(1), int16(-2))},
		{name: "Cast-19 saturate ignored", op: op("Cast", 19, opstest.Int("to", int64(tensor.Float16)), opstest.Int("saturate", 0)),
			in: in(f32s(sh(1), 1e6)), want: f16s(sh(1), float32(gomath.Inf(1)))},
	})
}

func TestCastHalf(t *testing.T) {
	bits16 := func(shape []int, b ...uint16) *tensor.Tensor {
		h := make([]tensor.F16, len(b))
		for i, v := range b {
			h[i] = tensor.F16(v)
		}
		return T(shape, h...)
	}
	bitsBF := func(shape []int, b ...uint16) *tensor.Tensor {
		h := make([]tensor.BF16, len(b))
		for i, v := range b {
			h[i] = tensor.BF16(v)
		}
		return T(shape, h...)
	}
	// 1+2^-11 is a float16 tie (rounds to even 1.0); 1+3·2^-11 rounds up to
	// 1+2^-9. 1+2^-11+2^-40 is just above the tie: a float64→float32→float16
	// double rounding would give 1.0, the correct result is 1+2^-10.
	runCases(t, []tcase{
		{name: "f32 to f16 ties", op: castTo(tensor.Float16),
			in:   in(f32s(sh(4), 1+1.0/2048, 1+3.0/2048, 65504, 65520)),
			want: bits16(sh(4), 0x3c00, 0x3c02, 0x7bff, 0x7c00)},
		{name: "f64 to f16 no double rounding", op: castTo(tensor.Float16),
			in: in(T(sh(2), 1+1.0/2048+1.0/(1<<40), 0.1)), want: bits16(sh(2), 0x3c01, 0x2e66)},
		{name: "f16 subnormal", op: castTo(tensor.Float16),
			in: in(f32s(sh(2), 5.960464477539063e-08, 2.9802322387695312e-08)), want: bits16(sh(2), 0x0001, 0x0000)},
		{name: "f32 to bf16 ties", op: castTo(tensor.BFloat16),
			in: in(f32s(sh(3), 1+1.0/256, 1+3.0/256, float32(gomath.Inf(-1)))), want: bitsBF(sh(3), 0x3f80, 0x3f82, 0xff80)},
		{name: "f64 to bf16 no double rounding", op: castTo(tensor.BFloat16),
			in: in(T(sh(1), 1+1.0/256+1.0/(1<<40))), want: bitsBF(sh(1), 0x3f81)},
		{name: "bf16 to f32", op: castTo(tensor.Float32),
			in: in(bitsBF(sh(3), 0x3ef5, 0x7f80, 0xc000)), want: f32s(sh(3), 0.478515625, float32(gomath.Inf(1)), -2)},
		{name: "f16 to f64", op: castTo(tensor.Float64),
			in: in(bits16(sh(2), 0x3555, 0xfc00)), want: T(sh(2), 0.333251953125, gomath.Inf(-1))},
		{name: "f16 to int", op: castTo(tensor.Int32),
			in: in(f16s(sh(2), -3.5, 100)), want: T(sh(2), int32(-3), 100)},
		{name: "int to bf16", op: castTo(tensor.BFloat16),
			in: in(T(sh(2), int64(257), -3)), want: bf16s(sh(2), 256, -3)},
	})
}

func TestCastStrings(t *testing.T) {
	nan := float32(gomath.NaN())
	inf := float32(gomath.Inf(1))
	runCases(t, []tcase{
		// Strings as numpy's astype(str) prints them.
		{name: "float32 to string", op: castTo(tensor.String),
			in: in(f32s(sh(15), 0.9767611, 1e6, 1e16, 1e15, 1e-4, 9.9e-5, nan, inf, -inf, float32(gomath.Copysign(0, -1)), 1, 123456789, 1e-45, 1.5e-7, 0.00012345)),
			want: T(sh(15), "0.9767611", "1000000.0", "1e+16", "1000000000000000.0", "1e-04", "9.9e-05", "nan", "inf", "-inf", "-0.0", "1.0",
				"123456790.0", "1e-45", "1.5e-07", "0.00012345")},
		{name: "float64 to string", op: castTo(tensor.String),
			in: in(T(sh(5), 0.1, 1.0/3, 1e22, 1e-300, float64(float32(0.1)))), want: T(sh(5), "0.1", "0.3333333333333333", "1e+22", "1e-300", "0.10000000149011612")},
		{name: "float16 to string", op: castTo(tensor.String),
			in: in(f16s(sh(4), 65504, 0.1, 5, -2.5)), want: T(sh(4), "65500.0", "0.1", "5.0", "-2.5")},
		{name: "int to string", op: castTo(tensor.String),
			in: in(T(sh(2), int8(-5), 7)), want: T(sh(2), "-5", "7")},
		{name: "uint64 to string", op: castTo(tensor.String),
			in: in(T(sh(1), uint64(18446744073709551615))), want: T(sh(1), "18446744073709551615")},
		{name: "bool to string", op: castTo(tensor.String),
			in: in(bools(sh(2), true, false)), want: T(sh(2), "True", "False")},
		{name: "string to float", op: castTo(tensor.Float32),
			in:   in(T(sh(10), "0.47892547", "NaN", "INF", "+INF", "-INF", "inf", "-Infinity", " 5 ", "1e3", "1e50")),
			want: f32s(sh(10), 0.47892547, nan, inf, inf, -inf, inf, -inf, 5, 1000, inf)},
		{name: "string to float16", op: castTo(tensor.Float16),
			in: in(T(sh(2), "0.1", "-nan")), want: f16s(sh(2), 0.0999755859375, nan)},
		{name: "string to int32", op: castTo(tensor.Int32),
			in: in(T(sh(3), "12", "-3", "7.9")), want: T(sh(3), int32(12), -3, 7)},
		{name: "string to uint64", op: castTo(tensor.Uint64),
			in: in(T(sh(2), "18446744073709551615", "4")), want: T(sh(2), uint64(18446744073709551615), 4)},
		{name: "string to bool", op: castTo(tensor.Bool),
			in: in(T(sh(4), "True", "false", "0", "2.5")), want: bools(sh(4), true, false, false, true)},
		{name: "string to string", op: castTo(tensor.String),
			in: in(T(sh(1), "x")), want: T(sh(1), "x")},
		{name: "bad string", op: castTo(tensor.Float32),
			in: in(T(sh(2), "1", "one")), err: `"one"`},
		{name: "bad int string", op: castTo(tensor.Int64),
			in: in(T(sh(1), "1x")), err: `"1x"`},
		{name: "to float8", op: op("Cast", 19, opstest.Int("to", 17)),
			in: in(f32s(sh(1), 1)), err: "cannot cast"},
		{name: "to unknown", op: op("Cast", 13, opstest.Int("to", 99)),
			in: in(f32s(sh(1), 1)), err: "cannot cast"},
		{name: "no to", op: op("Cast", 13),
			in: in(f32s(sh(1), 1)), err: "required"},
		{name: "bad name", op: op("Cast", 1, opstest.String("to", "FLOAT128")),
			in: in(f32s(sh(1), 1)), err: "FLOAT128"},
	})
}
