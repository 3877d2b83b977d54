package math

import (
	gomath "math"
	"testing"

	"github.com/gonyx/gonyx/ops/opstest"
)

func TestBroadcastShapes(t *testing.T) {
	add := op("Add", 14)
	runCases(t, []tcase{
		{name: "same", op: add,
			in:   in(f32s(sh(2, 2), 1, 2, 3, 4), f32s(sh(2, 2), 10, 20, 30, 40)),
			want: f32s(sh(2, 2), 11, 22, 33, 44)},
		{name: "scalar right", op: add,
			in:   in(f32s(sh(3), 1, 2, 3), f32s(sh(), 10)),
			want: f32s(sh(3), 11, 12, 13)},
		{name: "scalar left", op: op("Sub", 14),
			in:   in(f32s(sh(), 10), f32s(sh(3), 1, 2, 3)),
			want: f32s(sh(3), 9, 8, 7)},
		{name: "rank0 both", op: op("Mul", 14),
			in:   in(f32s(sh(), 2), f32s(sh(), 3)),
			want: f32s(sh(), 6)},
		{name: "row", op: add,
			in:   in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(3), 10, 20, 30)),
			want: f32s(sh(2, 3), 11, 22, 33, 14, 25, 36)},
		{name: "row left", op: op("Sub", 14),
			in:   in(f32s(sh(3), 10, 20, 30), f32s(sh(2, 3), 1, 2, 3, 4, 5, 6)),
			want: f32s(sh(2, 3), 9, 18, 27, 6, 15, 24)},
		{name: "outer", op: add,
			in: in(f32s(sh(3, 1), 1, 2, 3), f32s(sh(1, 4), 10, 20, 30, 40)),
			want: f32s(sh(3, 4),
				11, 21, 31, 41,
				12, 22, 32, 42,
				13, 23, 33, 43)},
		{name: "channel", op: add,
			in:   in(f32s(sh(1, 2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8), f32s(sh(2, 1, 1), 100, 200)),
			want: f32s(sh(1, 2, 2, 2), 101, 102, 103, 104, 205, 206, 207, 208)},
		{name: "middle", op: add,
			in: in(f32s(sh(2, 1, 3), 1, 2, 3, 4, 5, 6), f32s(sh(1, 2, 1), 10, 20)),
			want: f32s(sh(2, 2, 3),
				11, 12, 13, 21, 22, 23,
				14, 15, 16, 24, 25, 26)},
		{name: "rank grows", op: add,
			in:   in(f32s(sh(2), 1, 2), f32s(sh(2, 1, 1), 10, 20)),
			want: f32s(sh(2, 1, 2), 11, 12, 21, 22)},
		{name: "empty", op: add,
			in:   in(f32s(sh(0, 3)), f32s(sh(3), 1, 2, 3)),
			want: f32s(sh(0, 3))},
		{name: "empty broadcast", op: add,
			in:   in(f32s(sh(2, 0)), f32s(sh(2, 1), 1, 2)),
			want: f32s(sh(2, 0))},
		{name: "incompatible", op: add,
			in:  in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(4), 1, 2, 3, 4)),
			err: "not broadcastable"},
		{name: "zero vs three", op: add,
			in:  in(f32s(sh(0)), f32s(sh(3), 1, 2, 3)),
			err: "not broadcastable"},
	})
}

func TestArithmeticTypes(t *testing.T) {
	runCases(t, []tcase{
		{name: "int8 wraps", op: op("Add", 14),
			in: in(T(sh(2), int8(127), -128), T(sh(2), int8(1), -1)), want: T(sh(2), int8(-128), 127)},
		{name: "uint8 wraps", op: op("Sub", 14),
			in: in(T(sh(2), uint8(3), 250), T(sh(2), uint8(5), 10)), want: T(sh(2), uint8(254), 240)},
		{name: "int64 mul", op: op("Mul", 14),
			in: in(T(sh(2), int64(1)<<40, -3), T(sh(), int64(1000))), want: T(sh(2), int64(1000)<<40, -3000)},
		{name: "uint64 large", op: op("Add", 14),
			in: in(T(sh(1), uint64(1)<<63), T(sh(1), uint64(5))), want: T(sh(1), uint64(1)<<63+5)},
		{name: "int div truncates", op: op("Div", 14),
			in: in(T(sh(4), int32(7), -7, 7, -7), T(sh(4), int32(2), 2, -2, -2)), want: T(sh(4), int32(3), -3, -3, 3)},
		{name: "int div min/-1", op: op("Div", 14),
			in: in(T(sh(1), int8(-128)), T(sh(1), int8(-1))), want: T(sh(1), int8(-128))},
		{name: "uint16 div", op: op("Div", 14),
			in: in(T(sh(2), uint16(65535), 9), T(sh(2), uint16(2), 3)), want: T(sh(2), uint16(32767), 3)},
		{name: "int div by zero", op: op("Div", 14),
			in: in(T(sh(2), int32(1), 2), T(sh(2), int32(1), 0)), err: "division by zero"},
		{name: "float div by zero", op: op("Div", 14),
			in: in(f32s(sh(3), 1, -1, 2), f32s(sh(3), 0, 0, 4)), want: f32s(sh(3), float32(gomath.Inf(1)), float32(gomath.Inf(-1)), 0.5)},
		{name: "float64", op: op("Mul", 14),
			in: in(T(sh(2), 1.5, -2.0), T(sh(), 4.0)), want: T(sh(2), 6.0, -8.0)},
		{name: "float16", op: op("Add", 14),
			in: in(f16s(sh(2), 1.5, 1000), f16s(sh(2), 2.25, 0.25)), want: f16s(sh(2), 3.75, 1000)},
		{name: "bfloat16", op: op("Mul", 14),
			in: in(bf16s(sh(2), 1.5, 3), bf16s(sh(), 2)), want: bf16s(sh(2), 3, 6)},
		{name: "type mismatch", op: op("Add", 14),
			in: in(f32s(sh(1), 1), T(sh(1), int64(1))), err: "same type"},
		{name: "strings rejected", op: op("Add", 14),
			in: in(T(sh(1), "a"), T(sh(1), "b")), err: "supported types"},
		{name: "missing input", op: op("Add", 14),
			in: in(f32s(sh(1), 1), nil), err: "missing"},
	})
}

func TestLegacyBroadcast(t *testing.T) {
	bc := opstest.Int("broadcast", 1)
	runCases(t, []tcase{
		{name: "suffix", op: op("Add", 6, bc),
			in: in(T(sh(2, 3), 1.0, 2, 3, 4, 5, 6), T(sh(3), 10.0, 20, 30)), want: T(sh(2, 3), 11.0, 22, 33, 14, 25, 36)},
		{name: "axis 0", op: op("Add", 6, bc, opstest.Int("axis", 0)),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(2), 10, 20)), want: f32s(sh(2, 3), 11, 12, 13, 24, 25, 26)},
		{name: "axis 1 middle", op: op("Mul", 1, bc, opstest.Int("axis", 1)),
			in: in(f32s(sh(2, 2, 2), 1, 1, 1, 1, 1, 1, 1, 1), f32s(sh(2), 2, 3)), want: f32s(sh(2, 2, 2), 2, 2, 3, 3, 2, 2, 3, 3)},
		{name: "size1 dims", op: op("Add", 6, bc, opstest.Int("axis", 0)),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(2, 1), 10, 20)), want: f32s(sh(2, 3), 11, 12, 13, 24, 25, 26)},
		{name: "one element", op: op("Sub", 6, bc),
			in: in(f32s(sh(2, 2), 1, 2, 3, 4), f32s(sh(1, 1), 1)), want: f32s(sh(2, 2), 0, 1, 2, 3)},
		{name: "no broadcast attr", op: op("Add", 6),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(3), 1, 2, 3)), err: "broadcast=0"},
		{name: "equal shapes no attr", op: op("Div", 6),
			in: in(f32s(sh(2), 1, 2), f32s(sh(2), 2, 4)), want: f32s(sh(2), 0.5, 0.5)},
		{name: "bad axis", op: op("Add", 6, bc, opstest.Int("axis", 2)),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(3), 1, 2, 3)), err: "axis 2"},
		{name: "mismatched dim", op: op("Add", 6, bc),
			in: in(f32s(sh(2, 3), 1, 2, 3, 4, 5, 6), f32s(sh(2), 1, 2)), err: "cannot broadcast"},
		{name: "B bigger", op: op("Add", 6, bc),
			in: in(f32s(sh(2), 1, 2), f32s(sh(2, 2), 1, 2, 3, 4)), err: "cannot broadcast"},
		{name: "equal opset1", op: op("Equal", 1, bc),
			in: in(T(sh(2, 2), int32(1), 2, 3, 4), T(sh(2), int32(1), 4)), want: bools(sh(2, 2), true, false, false, true)},
		{name: "and opset1", op: op("And", 1, bc),
			in: in(bools(sh(2, 2), true, true, false, true), bools(sh(2), true, false)), want: bools(sh(2, 2), true, false, false, false)},
		{name: "pow opset1", op: op("Pow", 1, bc),
			in: in(f32s(sh(2, 2), 1, 2, 3, 4), f32s(sh(2), 2, 3)), want: f32s(sh(2, 2), 1, 8, 9, 64)},
		{name: "opset 7 numpy ignores attrs", op: op("Add", 7),
			in: in(f32s(sh(3, 1), 1, 2, 3), f32s(sh(2), 10, 20)), want: f32s(sh(3, 2), 11, 21, 12, 22, 13, 23)},
	})
}

func TestMod(t *testing.T) {
	fm := opstest.Int("fmod", 1)
	x := []int64{-4, 7, 5, 4, -7, 8}
	y := []int64{2, -3, 8, -2, 3, 5}
	var x30 []int32
	var m30 []int32
	for i := 0; i < 30; i++ {
		x30 = append(x30, int32(i))
		m30 = append(m30, int32(i%7))
	}
	runCases(t, []tcase{
		{name: "int mixed sign", op: op("Mod", 13),
			in: in(T(sh(6), x...), T(sh(6), y...)), want: T(sh(6), int64(0), -2, 5, 0, 2, 3)},
		{name: "int8 mixed sign", op: op("Mod", 10),
			in: in(T(sh(4), int8(-4), 7, -7, -128), T(sh(4), int8(3), -3, -3, 3)), want: T(sh(4), int8(2), -2, -1, 1)},
		{name: "int fmod", op: op("Mod", 13, fm),
			in: in(T(sh(6), x...), T(sh(6), y...)), want: T(sh(6), int64(0), 1, 5, 0, -1, 3)},
		{name: "float fmod", op: op("Mod", 13, fm),
			in:   in(f32s(sh(6), -4.3, 7.2, 5.0, 4.3, -7.2, 8.0), f32s(sh(6), 2.1, -3.4, 8.0, -2.1, 3.4, 5.0)),
			want: f32s(sh(6), -0.10000038, 0.39999962, 5, 0.10000038, -0.39999962, 3)},
		{name: "float16 fmod", op: op("Mod", 13, fm),
			in: in(f16s(sh(2), -4.5, 7), f16s(sh(2), 2, -3)), want: f16s(sh(2), -0.5, 1)},
		{name: "float fmod=0 is fmod", op: op("Mod", 13),
			in: in(T(sh(2), -4.5, 4.5), T(sh(2), 2.0, -2.0)), want: T(sh(2), -0.5, 0.5)},
		{name: "uint", op: op("Mod", 13),
			in: in(T(sh(3), uint32(4), 7, 5), T(sh(3), uint32(2), 3, 8)), want: T(sh(3), uint32(0), 1, 5)},
		{name: "broadcast", op: op("Mod", 13),
			in: in(T(sh(3, 2, 5), x30...), T(sh(1), int32(7))), want: T(sh(3, 2, 5), m30...)},
		{name: "zero divisor", op: op("Mod", 13),
			in: in(T(sh(2), int64(1), 2), T(sh(), int64(0))), err: "division by zero"},
		{name: "bad fmod", op: op("Mod", 13, opstest.Int("fmod", 2)),
			in: in(T(sh(1), int64(1)), T(sh(1), int64(1))), err: "fmod"},
	})
}

func TestComparisonAndLogic(t *testing.T) {
	nan := float32(gomath.NaN())
	runCases(t, []tcase{
		{name: "equal int", op: op("Equal", 13),
			in: in(T(sh(3), int32(1), 2, 3), T(sh(3), int32(1), 0, 3)), want: bools(sh(3), true, false, true)},
		{name: "equal string", op: op("Equal", 19),
			in: in(T(sh(3), "a", "b", ""), T(sh(), "b")), want: bools(sh(3), false, true, false)},
		{name: "equal bool", op: op("Equal", 13),
			in: in(bools(sh(2), true, false), bools(sh(2), true, true)), want: bools(sh(2), true, false)},
		{name: "equal nan", op: op("Equal", 13),
			in: in(f32s(sh(2), nan, 1), f32s(sh(2), nan, 1)), want: bools(sh(2), false, true)},
		{name: "greater float", op: op("Greater", 13),
			in: in(f32s(sh(4), 1, 2, nan, -1), f32s(sh(), 1)), want: bools(sh(4), false, true, false, false)},
		{name: "greater uint64", op: op("Greater", 13),
			in: in(T(sh(2), uint64(1)<<63, 1), T(sh(2), uint64(1), 2)), want: bools(sh(2), true, false)},
		{name: "less broadcast", op: op("Less", 9),
			in: in(T(sh(2, 1), int8(0), 5), T(sh(3), int8(-1), 3, 6)), want: bools(sh(2, 3), false, true, true, false, false, true)},
		{name: "greater or equal", op: op("GreaterOrEqual", 16),
			in: in(f16s(sh(3), 1, 2, 3), f16s(sh(3), 2, 2, 2)), want: bools(sh(3), false, true, true)},
		{name: "less or equal", op: op("LessOrEqual", 12),
			in: in(T(sh(3), 1.0, 2, 3), T(sh(3), 2.0, 2, 2)), want: bools(sh(3), true, true, false)},
		{name: "greater rejects strings", op: op("Greater", 13),
			in: in(T(sh(1), "a"), T(sh(1), "b")), err: "supported types"},
		{name: "and", op: op("And", 7),
			in: in(bools(sh(4), true, true, false, false), bools(sh(4), true, false, true, false)), want: bools(sh(4), true, false, false, false)},
		{name: "or", op: op("Or", 7),
			in: in(bools(sh(4), true, true, false, false), bools(sh(4), true, false, true, false)), want: bools(sh(4), true, true, true, false)},
		{name: "xor broadcast", op: op("Xor", 7),
			in: in(bools(sh(2, 1), true, false), bools(sh(2), true, false)), want: bools(sh(2, 2), false, true, true, false)},
		{name: "and rejects ints", op: op("And", 7),
			in: in(T(sh(1), int32(1)), T(sh(1), int32(1))), err: "supported types"},
		{name: "not", op: op("Not", 1),
			in: in(bools(sh(2, 2), true, false, false, true)), want: bools(sh(2, 2), false, true, true, false)},
		{name: "not float", op: op("Not", 1), in: in(f32s(sh(1), 1)), err: "supported types"},
	})
}

func TestBitwise(t *testing.T) {
	dir := func(d string) *opstest.Op {
		o := op("BitShift", 11, opstest.String("direction", d))
		return &o
	}
	runCases(t, []tcase{
		{name: "and int8", op: op("BitwiseAnd", 18),
			in: in(T(sh(3), int8(-1), 12, -128), T(sh(3), int8(5), 10, -1)), want: T(sh(3), int8(5), 8, -128)},
		{name: "or uint16", op: op("BitwiseOr", 18),
			in: in(T(sh(2), uint16(0xf000), 1), T(sh(), uint16(0x0f))), want: T(sh(2), uint16(0xf00f), 0x0f)},
		{name: "xor int32", op: op("BitwiseXor", 18),
			in: in(T(sh(2), int32(-1), 6), T(sh(2), int32(1), 3)), want: T(sh(2), int32(-2), 5)},
		{name: "not", op: op("BitwiseNot", 18),
			in: in(T(sh(3), int8(0), -1, 5)), want: T(sh(3), int8(-1), 0, -6)},
		{name: "not uint8", op: op("BitwiseNot", 18),
			in: in(T(sh(2), uint8(0), 0xf0)), want: T(sh(2), uint8(0xff), 0x0f)},
		{name: "and float", op: op("BitwiseAnd", 18),
			in: in(f32s(sh(1), 1), f32s(sh(1), 1)), err: "supported types"},
		{name: "shift right", op: *dir("RIGHT"),
			in: in(T(sh(3), uint8(16), 4, 1), T(sh(3), uint8(1), 2, 3)), want: T(sh(3), uint8(8), 1, 0)},
		{name: "shift left", op: *dir("LEFT"),
			in: in(T(sh(3), uint8(16), 4, 1), T(sh(3), uint8(1), 2, 3)), want: T(sh(3), uint8(32), 16, 8)},
		{name: "shift left overflow", op: *dir("LEFT"),
			in: in(T(sh(2), uint8(0x81), 1), T(sh(2), uint8(1), 200)), want: T(sh(2), uint8(2), 0)},
		{name: "shift uint64", op: *dir("LEFT"),
			in: in(T(sh(2), uint64(1), 3), T(sh(), uint64(63))), want: T(sh(2), uint64(1)<<63, uint64(1)<<63)},
		{name: "shift signed", op: *dir("LEFT"),
			in: in(T(sh(1), int32(1)), T(sh(1), int32(1))), err: "supported types"},
		{name: "shift bad direction", op: *dir("UP"),
			in: in(T(sh(1), uint8(1)), T(sh(1), uint8(1))), err: "direction"},
		{name: "shift no direction", op: op("BitShift", 11),
			in: in(T(sh(1), uint8(1)), T(sh(1), uint8(1))), err: "direction"},
	})
}

func TestPRelu(t *testing.T) {
	runCases(t, []tcase{
		{name: "broadcast", op: op("PRelu", 16),
			in:   in(f32s(sh(2, 3), -1, 2, -3, 4, -5, 6), f32s(sh(3), 0.1, 0.2, 0.3)),
			want: f32s(sh(2, 3), -0.1, 2, -0.9, 4, -1, 6)},
		{name: "scalar slope", op: op("PRelu", 9),
			in: in(f32s(sh(3), -2, 0, 2), f32s(sh(1), 0.5)), want: f32s(sh(3), -1, 0, 2)},
		{name: "int32", op: op("PRelu", 9),
			in: in(T(sh(3), int32(-2), 0, 2), T(sh(3), int32(3), 3, 3)), want: T(sh(3), int32(-6), 0, 2)},
		{name: "slope not unidirectional", op: op("PRelu", 16),
			in: in(f32s(sh(3), 1, 2, 3), f32s(sh(2, 3), 1, 2, 3, 4, 5, 6)), err: "does not broadcast"},
		{name: "opset6 channel", op: op("PRelu", 6),
			in:   in(f32s(sh(1, 2, 2), -1, -2, 3, -4), f32s(sh(2), 0.5, 0.25)),
			want: f32s(sh(1, 2, 2), -0.5, -1, 3, -1)},
		{name: "unique matching axis", op: op("PRelu", 16),
			in:   in(f32s(sh(1, 2, 3), -1, -1, -1, -2, -2, -2), f32s(sh(2), 0.5, 0.25)),
			want: f32s(sh(1, 2, 3), -0.5, -0.5, -0.5, -0.5, -0.5, -0.5)},
		{name: "ambiguous axis", op: op("PRelu", 16),
			in: in(f32s(sh(3, 3, 2), make([]float32, 18)...), f32s(sh(3), 1, 2, 3)), err: "does not broadcast"},
		{name: "2-D slope no fallback", op: op("PRelu", 16),
			in: in(f32s(sh(2, 2, 3), make([]float32, 12)...), f32s(sh(3, 1), 1, 2, 3)), err: "does not broadcast"},
		{name: "opset7 channel-last numpy", op: op("PRelu", 7),
			in:   in(f32s(sh(2, 2), -1, -2, -3, -4), f32s(sh(2), 0.5, 0.25)),
			want: f32s(sh(2, 2), -0.5, -0.5, -1.5, -1)},
	})
}
