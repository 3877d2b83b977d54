package math

import (
	gomath "math"
	"testing"

	"github.com/gonyx/gonyx/ops/opstest"
)

func TestUnaryMath(t *testing.T) {
	nan := float32(gomath.NaN())
	inf := float32(gomath.Inf(1))
	x3 := f32s(sh(3), -1, 0, 1)
	runCases(t, []tcase{
		{op: op("Abs", 13), in: in(f32s(sh(3), -1.5, 0, 2)), want: f32s(sh(3), 1.5, 0, 2)},
		{name: "Abs int8", op: op("Abs", 13), in: in(T(sh(4), int8(-3), 0, 5, -128)), want: T(sh(4), int8(3), 0, 5, -128)},
		{name: "Abs uint16", op: op("Abs", 6), in: in(T(sh(2), uint16(3), 65535)), want: T(sh(2), uint16(3), 65535)},
		{name: "Abs bfloat16", op: op("Abs", 13), in: in(bf16s(sh(2), -2.5, 3)), want: bf16s(sh(2), 2.5, 3)},
		{op: op("Neg", 13), in: in(T(sh(3), int32(-4), 0, 7)), want: T(sh(3), int32(4), 0, -7)},
		{name: "Neg float64", op: op("Neg", 6), in: in(T(sh(2), 1.5, -2.0)), want: T(sh(2), -1.5, 2.0)},
		{name: "Neg uint", op: op("Neg", 13), in: in(T(sh(1), uint8(1))), err: "supported types"},
		{op: op("Sign", 13), in: in(f32s(sh(5), -3, 0, 2, inf, nan)), want: f32s(sh(5), -1, 0, 1, 1, nan)},
		{name: "Sign int64", op: op("Sign", 9), in: in(T(sh(3), int64(-9), 0, 9)), want: T(sh(3), int64(-1), 0, 1)},
		{name: "Sign uint8", op: op("Sign", 13), in: in(T(sh(2), uint8(0), 200)), want: T(sh(2), uint8(0), 1)},
		{op: op("Ceil", 13), in: in(f32s(sh(3), -1.5, 1.2, 2)), want: f32s(sh(3), -1, 2, 2)},
		{op: op("Floor", 13), in: in(f32s(sh(3), -1.5, 1.2, 2)), want: f32s(sh(3), -2, 1, 2)},
		{op: op("Round", 11),
			in:   in(f32s(sh(15), 0.1, 0.5, 0.9, 1.2, 1.5, 1.8, 2.3, 2.5, 2.7, -1.1, -1.5, -1.9, -2.2, -2.5, -2.8)),
			want: f32s(sh(15), 0, 0, 1, 1, 2, 2, 2, 2, 3, -1, -2, -2, -2, -2, -3)},
		{op: op("Sqrt", 13), in: in(f32s(sh(3), 4, 9, -1)), want: f32s(sh(3), 2, 3, nan)},
		{name: "Sqrt float16", op: op("Sqrt", 13), in: in(f16s(sh(1), 2)), want: f16s(sh(1), 1.4140625)},
		{op: op("Exp", 13), in: in(x3), want: f32s(sh(3), 0.36787944, 1, 2.7182817)},
		{op: op("Log", 13), in: in(f32s(sh(3), 1, 2.7182817, 0)), want: f32s(sh(3), 0, 1, -inf)},
		{op: op("Reciprocal", 13), in: in(f32s(sh(3), -4, 2, 0)), want: f32s(sh(3), -0.25, 0.5, inf)},
		{op: op("Sigmoid", 13), in: in(f32s(sh(4), -1, 0, 1, -1000)), want: f32s(sh(4), 0.26894142, 0.5, 0.7310586, 0)},
		{op: op("Tanh", 13), in: in(x3), want: f32s(sh(3), -0.7615942, 0, 0.7615942)},
		{op: op("Sin", 7), in: in(f32s(sh(2), 0, gomath.Pi/2)), want: f32s(sh(2), 0, 1)},
		{op: op("Cos", 7), in: in(f32s(sh(2), 0, gomath.Pi)), want: f32s(sh(2), 1, -1)},
		{op: op("Tan", 7), in: in(f32s(sh(2), 0, gomath.Pi/4)), want: f32s(sh(2), 0, 1)},
		{op: op("Asin", 7), in: in(f32s(sh(2), 0, 1)), want: f32s(sh(2), 0, gomath.Pi/2)},
		{op: op("Acos", 22), in: in(f32s(sh(2), 1, -1)), want: f32s(sh(2), 0, gomath.Pi)},
		{op: op("Atan", 7), in: in(f32s(sh(2), 0, 1)), want: f32s(sh(2), 0, 0.7853982)},
		{op: op("Sinh", 9), in: in(x3), want: f32s(sh(3), -1.1752012, 0, 1.1752012)},
		{op: op("Cosh", 9), in: in(x3), want: f32s(sh(3), 1.5430806, 1, 1.5430806)},
		{op: op("Asinh", 9), in: in(x3), want: f32s(sh(3), -0.8813736, 0, 0.8813736)},
		{op: op("Acosh", 9), in: in(f32s(sh(2), 1, 10)), want: f32s(sh(2), 0, 2.993223)},
		{op: op("Atanh", 9), in: in(f32s(sh(2), 0, 0.5)), want: f32s(sh(2), 0, 0.54930615)},
		{op: op("Erf", 13), in: in(x3), want: f32s(sh(3), -0.8427008, 0, 0.8427008)},
		{name: "Erf int", op: op("Erf", 9), in: in(T(sh(3), int32(-3), 0, 3)), want: T(sh(3), int32(0), 0, 0)},
		{name: "Exp int rejected", op: op("Exp", 13), in: in(T(sh(1), int32(1))), err: "supported types"},
		{name: "Relu", op: op("Relu", 14), in: in(f32s(sh(3), -1, 0, 2)), want: f32s(sh(3), 0, 0, 2)},
		{name: "Relu int8", op: op("Relu", 14), in: in(T(sh(3), int8(-1), 0, 2)), want: T(sh(3), int8(0), 0, 2)},
		{name: "Relu empty", op: op("Relu", 14), in: in(f32s(sh(0, 2))), want: f32s(sh(0, 2))},
		{name: "Relu scalar", op: op("Relu", 6), in: in(f32s(sh(), -3)), want: f32s(sh(), 0)},
	})
}

func TestActivations(t *testing.T) {
	x3 := f32s(sh(3), -1, 0, 1)
	runCases(t, []tcase{
		// Spec examples.
		{name: "Elu", op: op("Elu", 6, opstest.Float("alpha", 2)), in: in(x3), want: f32s(sh(3), -1.2642411, 0, 1)},
		{name: "Elu default", op: op("Elu", 22), in: in(x3), want: f32s(sh(3), -0.63212055, 0, 1)},
		{name: "Selu", op: op("Selu", 6, opstest.Float("alpha", 2), opstest.Float("gamma", 3)), in: in(x3), want: f32s(sh(3), -3.7927232, 0, 3)},
		{name: "Selu default", op: op("Selu", 6), in: in(x3), want: f32s(sh(3), -1.1113307, 0, 1.050701)},
		{name: "Selu opset1 default", op: op("Selu", 1), in: in(f32s(sh(2), 1, 0)), want: f32s(sh(2), 1.0507, 0)},
		{name: "Celu", op: op("Celu", 12, opstest.Float("alpha", 2)), in: in(x3), want: f32s(sh(3), -0.78693867, 0, 1)},
		{name: "Celu zero alpha", op: op("Celu", 12, opstest.Float("alpha", 0)), in: in(x3), err: "alpha"},
		{name: "LeakyRelu", op: op("LeakyRelu", 16, opstest.Float("alpha", 0.1)), in: in(x3), want: f32s(sh(3), -0.1, 0, 1)},
		{name: "LeakyRelu default", op: op("LeakyRelu", 6), in: in(x3), want: f32s(sh(3), -0.01, 0, 1)},
		{name: "LeakyRelu float16", op: op("LeakyRelu", 16, opstest.Float("alpha", 0.5)), in: in(f16s(sh(2), -3, 3)), want: f16s(sh(2), -1.5, 3)},
		{name: "ThresholdedRelu", op: op("ThresholdedRelu", 10, opstest.Float("alpha", 2)),
			in: in(f32s(sh(5), -1.5, 0, 1.2, 2, 2.2)), want: f32s(sh(5), 0, 0, 0, 0, 2.2)},
		{name: "HardSigmoid", op: op("HardSigmoid", 6, opstest.Float("alpha", 0.5), opstest.Float("beta", 0.6)),
			in: in(x3), want: f32s(sh(3), 0.1, 0.6, 1)},
		{name: "HardSigmoid default", op: op("HardSigmoid", 22), in: in(f32s(sh(3), -5, 0, 1)), want: f32s(sh(3), 0, 0.5, 0.7)},
		{name: "HardSwish", op: op("HardSwish", 14), in: in(f32s(sh(6), -4, -3, 0, 1, 3, 4)), want: f32s(sh(6), 0, 0, 0, 0.6666667, 3, 4)},
		{name: "Shrink hard", op: op("Shrink", 9, opstest.Float("lambd", 1.5)),
			in: in(f32s(sh(5), -2, -1, 0, 1, 2)), want: f32s(sh(5), -2, 0, 0, 0, 2)},
		{name: "Shrink soft", op: op("Shrink", 9, opstest.Float("lambd", 1.5), opstest.Float("bias", 1.5)),
			in: in(f32s(sh(5), -2, -1, 0, 1, 2)), want: f32s(sh(5), -0.5, 0, 0, 0, 0.5)},
		{name: "Shrink int8", op: op("Shrink", 9, opstest.Float("lambd", 1), opstest.Float("bias", 1)),
			in: in(T(sh(4), int8(-5), -1, 1, 5)), want: T(sh(4), int8(-4), 0, 0, 4)},
		{name: "Softplus", op: op("Softplus", 1), in: in(x3), want: f32s(sh(3), 0.31326166, 0.6931472, 1.3132616)},
		{name: "Softplus large", op: op("Softplus", 22), in: in(f32s(sh(2), 100, -100)), want: f32s(sh(2), 100, 3.7200760e-44)},
		{name: "Softsign", op: op("Softsign", 1), in: in(x3), want: f32s(sh(3), -0.5, 0, 0.5)},
		{name: "Mish", op: op("Mish", 18), in: in(f32s(sh(2), 0, 1)), want: f32s(sh(2), 0, 0.86509839)},
		{name: "Gelu", op: op("Gelu", 20), in: in(x3), want: f32s(sh(3), -0.15865526, 0, 0.8413447)},
		{name: "Gelu tanh", op: op("Gelu", 20, opstest.String("approximate", "tanh")), in: in(x3), want: f32s(sh(3), -0.15880801, 0, 0.841192)},
		{name: "Gelu bad", op: op("Gelu", 20, opstest.String("approximate", "fast")), in: in(x3), err: "approximate"},
		{name: "Elu int", op: op("Elu", 6), in: in(T(sh(1), int32(1))), err: "supported types"},
		{name: "bad attr type", op: op("Elu", 6, opstest.Int("alpha", 1)), in: in(x3), err: "alpha"},
	})
}

func TestPredicates(t *testing.T) {
	nan := gomath.NaN()
	inf := gomath.Inf(1)
	x := T(sh(6), -1.2, nan, inf, 2.8, -inf, inf)
	runCases(t, []tcase{
		{name: "IsInf", op: op("IsInf", 10), in: in(x), want: bools(sh(6), false, false, true, false, true, true)},
		{name: "IsInf negative", op: op("IsInf", 10, opstest.Int("detect_positive", 0)), in: in(x),
			want: bools(sh(6), false, false, false, false, true, false)},
		{name: "IsInf positive", op: op("IsInf", 20, opstest.Int("detect_negative", 0)), in: in(x),
			want: bools(sh(6), false, false, true, false, false, true)},
		{name: "IsInf float16", op: op("IsInf", 20), in: in(f16s(sh(3), 1, float32(inf), 70000)), want: bools(sh(3), false, true, true)},
		{name: "IsNaN", op: op("IsNaN", 13), in: in(f32s(sh(4), 3, float32(nan), 4, float32(nan))), want: bools(sh(4), false, true, false, true)},
		{name: "IsNaN bfloat16", op: op("IsNaN", 20), in: in(bf16s(sh(2), float32(nan), 1)), want: bools(sh(2), true, false)},
		{name: "IsNaN int", op: op("IsNaN", 13), in: in(T(sh(1), int32(1))), err: "supported types"},
	})
}
