package shape

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestRandomShapesAndRanges(t *testing.T) {
	seed := opstest.Float("seed", 3)
	cases := []struct {
		name  string
		op    opstest.Op
		in    []*tensor.Tensor
		dtype tensor.DType
		shape []int
		check func(v float64) bool
	}{
		{"uniform", opstest.Op{Type: "RandomUniform", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", 2, 50), opstest.Float("low", -2), opstest.Float("high", -1), seed}},
			nil, tensor.Float32, []int{2, 50}, func(v float64) bool { return v >= -2 && v <= -1 }},
		{"uniform f64", opstest.Op{Type: "RandomUniform", Opset: 22, Attrs: []*graph.Attribute{intsA("shape", 7), iattr("dtype", int64(tensor.Float64))}},
			nil, tensor.Float64, []int{7}, func(v float64) bool { return v >= 0 && v < 1 }},
		{"normal", opstest.Op{Type: "RandomNormal", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", 3), opstest.Float("mean", 100), opstest.Float("scale", 0.001), seed}},
			nil, tensor.Float32, []int{3}, func(v float64) bool { return math.Abs(v-100) < 1 }},
		{"normal like f16", opstest.Op{Type: "RandomNormalLike", Opset: 1},
			[]*tensor.Tensor{f16(sh(2, 2), 0, 0, 0, 0)}, tensor.Float16, []int{2, 2}, func(v float64) bool { return !math.IsNaN(v) }},
		{"uniform like dtype", opstest.Op{Type: "RandomUniformLike", Opset: 22, Attrs: []*graph.Attribute{iattr("dtype", int64(tensor.Float64))}},
			[]*tensor.Tensor{vec(1, 2, 3)}, tensor.Float64, []int{3}, func(v float64) bool { return v >= 0 && v < 1 }},
		{"bernoulli", opstest.Op{Type: "Bernoulli", Opset: 15, Attrs: []*graph.Attribute{seed}},
			[]*tensor.Tensor{f32(sh(4), 0, 1, 0, 1)}, tensor.Float32, []int{4}, nil},
		{"bernoulli bool", opstest.Op{Type: "Bernoulli", Opset: 22, Attrs: []*graph.Attribute{iattr("dtype", int64(tensor.Bool))}},
			[]*tensor.Tensor{f32(sh(2), 0.5, 0.5)}, tensor.Bool, []int{2}, nil},
		{"multinomial", opstest.Op{Type: "Multinomial", Opset: 7, Attrs: []*graph.Attribute{iattr("sample_size", 5), seed}},
			[]*tensor.Tensor{f32(sh(2, 3), 0, float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1)), 0)},
			tensor.Int32, []int{2, 5}, nil},
		{"multinomial int64", opstest.Op{Type: "Multinomial", Opset: 22, Attrs: []*graph.Attribute{iattr("dtype", int64(tensor.Int64))}},
			[]*tensor.Tensor{f32(sh(1, 4), 1, 2, 3, 4)}, tensor.Int64, []int{1, 1}, func(v float64) bool { return v >= 0 && v < 4 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := opstest.MustRun(t, c.op, c.in...)
			y := out[0]
			if y.DType() != c.dtype || !ops.ShapeEqual(y.Shape(), c.shape) {
				t.Fatalf("got %v%v, want %v%v", y.DType(), y.Shape(), c.dtype, c.shape)
			}
			for i, v := range y.Float64s() {
				if c.check != nil && !c.check(v) {
					t.Fatalf("element %d = %v out of range", i, v)
				}
			}
		})
	}
}

func TestRandomDeterministic(t *testing.T) {
	// Bernoulli with p in {0, 1} is deterministic whatever the generator.
	opstest.Expect(t, opstest.Op{Type: "Bernoulli", Opset: 15}, []*tensor.Tensor{f64s(0, 1, 1, 0)}, f64s(0, 1, 1, 0))
	// Multinomial with a single possible class always picks it.
	inf := float32(math.Inf(-1))
	opstest.Expect(t, opstest.Op{Type: "Multinomial", Opset: 7, Attrs: []*graph.Attribute{iattr("sample_size", 3)}},
		[]*tensor.Tensor{f32(sh(2, 3), inf, 0, inf, inf, inf, 5)}, i32(sh(2, 3), 1, 1, 1, 2, 2, 2))
	// A seeded generator repeats itself run after run.
	op := opstest.Op{Type: "RandomNormal", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", 10), opstest.Float("seed", 1)}}
	a := opstest.MustRun(t, op)[0]
	b := opstest.MustRun(t, op)[0]
	if err := opstest.Close(a, b, 0, 0); err != nil {
		t.Fatalf("seeded runs differ: %v", err)
	}
}

func f64s(v ...float64) *tensor.Tensor { return tensor.New([]int{len(v)}, v) }

func TestRandomErrors(t *testing.T) {
	runCases(t, []kase{
		{name: "no shape", op: opstest.Op{Type: "RandomNormal", Opset: 1}, wantErr: "shape"},
		{name: "int dtype", op: opstest.Op{Type: "RandomUniform", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", 1), iattr("dtype", int64(tensor.Int32))}}, wantErr: "not a float"},
		{name: "negative shape", op: opstest.Op{Type: "RandomUniform", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", -1)}}, wantErr: "want 0.."},
		{name: "like int input", op: opstest.Op{Type: "RandomUniformLike", Opset: 1}, in: []*tensor.Tensor{vec(1)}, wantErr: "dtype"},
		{name: "multinomial rank", op: opstest.Op{Type: "Multinomial", Opset: 7}, in: []*tensor.Tensor{f32(sh(2), 1, 2)}, wantErr: "batch_size"},
		{name: "multinomial dtype", op: opstest.Op{Type: "Multinomial", Opset: 7, Attrs: []*graph.Attribute{iattr("dtype", 1)}}, in: []*tensor.Tensor{f32(sh(1, 2), 1, 2)}, wantErr: "int32 or int64"},
		{name: "bernoulli int input", op: opstest.Op{Type: "Bernoulli", Opset: 15}, in: []*tensor.Tensor{vec(1)}, wantErr: "float"},
	})
}
