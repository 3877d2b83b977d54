package quant

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

func expectErr(t *testing.T, what string, op opstest.Op, in ...*tensor.Tensor) {
	t.Helper()
	if _, err := opstest.Run(op, in...); err == nil {
		t.Errorf("%s: expected an error", what)
	}
}

func TestQuantizeLinearPerTensor(t *testing.T) {
	// ONNX spec example: 3/2 = 1.5 rounds to 2 (half to even), saturation at both ends.
	x := f32([]int{6}, 0, 2, 3, 1000, -254, -1000)
	for _, opset := range []int{10, 13, 19, 21} {
		op := opstest.Op{Type: "QuantizeLinear", Opset: opset}
		opstest.Expect(t, op, []*tensor.Tensor{x, tensor.Scalar(float32(2)), tensor.Scalar(uint8(128))},
			tensor.New([]int{6}, []uint8{128, 129, 130, 255, 1, 0}))
		opstest.Expect(t, op, []*tensor.Tensor{x, tensor.Scalar(float32(2)), tensor.Scalar(int8(1))},
			tensor.New([]int{6}, []int8{1, 2, 3, 127, -126, -128}))
		// No zero point: uint8 with zero point 0; half-to-even on 0.5/1.5/2.5.
		opstest.Expect(t, op, []*tensor.Tensor{f32([]int{4}, 1, 3, 5, -4), tensor.Scalar(float32(2))},
			tensor.New([]int{4}, []uint8{0, 2, 2, 0}))
	}
	// int32 input.
	opstest.Expect(t, opstest.Op{Type: "QuantizeLinear", Opset: 13},
		[]*tensor.Tensor{tensor.New([]int{3}, []int32{5, 7, -9}), tensor.Scalar(float32(2)), tensor.Scalar(int8(0))},
		tensor.New([]int{3}, []int8{2, 4, -4}))
}

func TestQuantizeLinearAxis(t *testing.T) {
	// ONNX spec example (axis 1 of a [1,3,3,2] input).
	x := f32([]int{1, 3, 3, 2},
		-162, 10, -100, 232, -20, -50,
		-76, 0, 0, 252, 32, -44,
		245, -485, -960, -270, -375, -470)
	want := tensor.New([]int{1, 3, 3, 2}, []uint8{
		3, 89, 34, 200, 74, 59,
		5, 24, 24, 87, 32, 13,
		245, 99, 4, 142, 121, 102})
	sc := f32([]int{3}, 2, 4, 5)
	zp := tensor.New([]int{3}, []uint8{84, 24, 196})
	opstest.Expect(t, opstest.Op{Type: "QuantizeLinear", Opset: 13}, []*tensor.Tensor{x, sc, zp}, want)
	opstest.Expect(t, opstest.Op{Type: "QuantizeLinear", Opset: 13, Attrs: []*graph.Attribute{opstest.Int("axis", -3)}}, []*tensor.Tensor{x, sc, zp}, want)
	expectErr(t, "per-axis at opset 10", opstest.Op{Type: "QuantizeLinear", Opset: 10}, x, sc, zp)
	expectErr(t, "wrong axis length", opstest.Op{Type: "QuantizeLinear", Opset: 13, Attrs: []*graph.Attribute{opstest.Int("axis", 3)}}, x, sc, zp)
	expectErr(t, "zero point shape", opstest.Op{Type: "QuantizeLinear", Opset: 13}, x, sc, tensor.New([]int{2}, []uint8{1, 2}))
	expectErr(t, "zero scale", opstest.Op{Type: "QuantizeLinear", Opset: 13}, x, tensor.Scalar(float32(0)))
}

func TestQuantizeLinearBlocked(t *testing.T) {
	x := f32([]int{3, 4}, 6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4)
	sc := f32([]int{3, 2}, 1.5, 2.5, 3, 4.9, 5.1, 6.9)
	zp := tensor.New([]int{3, 2}, []uint8{0, 1, 1, 0, 2, 3})
	op := opstest.Op{Type: "QuantizeLinear", Opset: 21, Attrs: []*graph.Attribute{opstest.Int("axis", 1), opstest.Int("block_size", 2)}}
	// Row 1: 1/3 -> 0, 8/3 -> 3 (+1); 4/4.9 -> 1, 5/4.9 -> 1. Row 2: 20/5.1 -> 4 (+2); 10/6.9 -> 1, 4/6.9 -> 1 (+3).
	opstest.Expect(t, op, []*tensor.Tensor{x, sc, zp}, tensor.New([]int{3, 4}, []uint8{4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4}))
	// output_dtype int16, no zero point.
	x2 := f32([]int{3, 4}, 6, -8, -10, 5, 1, 8, 4, 5, 0, 20, 10, 4)
	op16 := opstest.Op{Type: "QuantizeLinear", Opset: 21, Attrs: []*graph.Attribute{
		opstest.Int("axis", 1), opstest.Int("block_size", 2), opstest.Int("output_dtype", int64(tensor.Int16))}}
	opstest.Expect(t, op16, []*tensor.Tensor{x2, sc}, tensor.New([]int{3, 4}, []int16{4, -5, -4, 2, 0, 3, 1, 1, 0, 4, 1, 1}))
	expectErr(t, "output_dtype vs zero point", op16, x2, sc, zp)
	expectErr(t, "bad block shape", op, x, f32([]int{3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1))
	expectErr(t, "int16 before 21", opstest.Op{Type: "QuantizeLinear", Opset: 19}, x, tensor.Scalar(float32(1)), tensor.Scalar(int16(0)))
}

func TestDequantizeLinear(t *testing.T) {
	for _, opset := range []int{10, 13, 19, 21} {
		op := opstest.Op{Type: "DequantizeLinear", Opset: opset}
		// ONNX spec example.
		opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{4}, []uint8{0, 3, 128, 255}), tensor.Scalar(float32(2)), tensor.Scalar(uint8(128))},
			f32([]int{4}, -256, -250, 0, 254))
		opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{2}, []int32{-7, 9}), tensor.Scalar(float32(0.5))}, f32([]int{2}, -3.5, 4.5))
	}
	// Per axis: x [1,3,2], scale [1,2,4], zero [0,1,2].
	op := opstest.Op{Type: "DequantizeLinear", Opset: 13}
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{1, 3, 2}, []int8{1, -1, 1, 3, 2, 0}), f32([]int{3}, 1, 2, 4), tensor.New([]int{3}, []int8{0, 1, 2})},
		f32([]int{1, 3, 2}, 1, -1, 0, 4, 0, -8))
	// Blocked along axis 0 with block 2: x [3,1], scale [2,1].
	opB := opstest.Op{Type: "DequantizeLinear", Opset: 21, Attrs: []*graph.Attribute{opstest.Int("axis", 0), opstest.Int("block_size", 2)}}
	opstest.Expect(t, opB, []*tensor.Tensor{tensor.New([]int{3, 1}, []uint16{10, 20, 30}), f32([]int{2, 1}, 1, 0.5), tensor.New([]int{2, 1}, []uint16{10, 0})},
		f32([]int{3, 1}, 0, 10, 15))
	// float16 scale gives a float16 output from opset 19.
	s16, _ := tensor.Convert(tensor.Scalar(float32(0.5)), tensor.Float16)
	got := opstest.MustRun(t, opstest.Op{Type: "DequantizeLinear", Opset: 19}, tensor.New([]int{2}, []uint8{4, 6}), s16)
	want, _ := tensor.Convert(f32([]int{2}, 2, 3), tensor.Float16)
	if err := opstest.Close(got[0], want, 0, 0); err != nil {
		t.Error(err)
	}
	expectErr(t, "f16 scale at 13", opstest.Op{Type: "DequantizeLinear", Opset: 13}, tensor.New([]int{2}, []uint8{4, 6}), s16)
	expectErr(t, "zero type", op, tensor.New([]int{1}, []uint8{1}), tensor.Scalar(float32(1)), tensor.Scalar(int8(0)))
	expectErr(t, "float x", op, f32([]int{1}, 1), tensor.Scalar(float32(1)))
}

func TestDynamicQuantizeLinear(t *testing.T) {
	op := opstest.Op{Type: "DynamicQuantizeLinear", Opset: 11, Outputs: 3}
	// The three ONNX spec examples.
	cases := []struct {
		x     []float32
		scale float32
		zero  uint8
		y     []uint8
	}{
		// -2.5/scale is -127.49999 in float32, so it rounds to -127 (the ONNX
		// test data has 26; the prose example says 25).
		{[]float32{0, 2, -3, -2.5, 1.34, 0.5}, 5.0 / 255, 153, []uint8{153, 255, 0, 26, 221, 179}},
		{[]float32{-1.0, -2.1, -1.3, -2.5, -3.34, -4.0}, 4.0 / 255, 255, []uint8{191, 121, 172, 96, 42, 0}},
		{[]float32{1, 2.1, 1.3, 3.34, 4.0, 2.5}, 4.0 / 255, 0, []uint8{64, 134, 83, 213, 255, 159}},
	}
	for _, c := range cases {
		got := opstest.MustRun(t, op, f32([]int{2, 3}, c.x...))
		if err := opstest.Close(got[0], tensor.New([]int{2, 3}, c.y), 0, 0); err != nil {
			t.Errorf("y for %v: %v", c.x, err)
		}
		if err := opstest.Close(got[1], tensor.Scalar(c.scale), 1e-6, 0); err != nil {
			t.Errorf("scale for %v: %v", c.x, err)
		}
		if err := opstest.Close(got[2], tensor.Scalar(c.zero), 0, 0); err != nil {
			t.Errorf("zero point for %v: %v", c.x, err)
		}
	}
	// All zeros: scale 1/255, zero point 0.
	got := opstest.MustRun(t, op, f32([]int{2}, 0, 0))
	if err := opstest.Close(got[0], tensor.New([]int{2}, []uint8{0, 0}), 0, 0); err != nil {
		t.Error(err)
	}
	expectErr(t, "float64", op, tensor.New([]int{1}, []float64{1}))
}
