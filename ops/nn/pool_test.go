package nn_test

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

var (
	ints   = opstest.Ints
	intA   = opstest.Int
	strA   = opstest.String
	floatA = opstest.Float
)

func TestMaxPoolIndices(t *testing.T) {
	x := seq(1, 1, 4, 4)
	o := op("MaxPool", 12, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	o.Outputs = 2
	opstest.Expect(t, o, []*tensor.Tensor{x},
		f32([]int{1, 1, 2, 2}, 6, 8, 14, 16), i64([]int{1, 1, 2, 2}, 5, 7, 13, 15))
	// Column-major indices: h + w*H.
	o.Attrs = append(o.Attrs, intA("storage_order", 1))
	opstest.Expect(t, o, []*tensor.Tensor{x}, nil, i64([]int{1, 1, 2, 2}, 5, 13, 7, 15))
	// Spec example maxpool_with_argmax_2d_precomputed_strides (5x5 input).
	opstest.Expect(t, o, []*tensor.Tensor{seq(1, 1, 5, 5)},
		f32([]int{1, 1, 2, 2}, 7, 9, 17, 19), i64([]int{1, 1, 2, 2}, 6, 16, 8, 18))
	// Indices count whole planes: second channel starts at 16.
	o = op("MaxPool", 8, ints("kernel_shape", 4, 4))
	o.Outputs = 2
	opstest.Expect(t, o, []*tensor.Tensor{seq(1, 2, 4, 4)}, f32([]int{1, 2, 1, 1}, 16, 32), i64([]int{1, 2, 1, 1}, 15, 31))
}

func TestMaxPoolSpecExamples(t *testing.T) {
	x4 := seq(1, 1, 4, 4)
	x5 := seq(1, 1, 5, 5)
	// maxpool_2d_dilations
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 2, 2), ints("dilations", 2, 2)),
		[]*tensor.Tensor{x4}, f32([]int{1, 1, 2, 2}, 11, 12, 15, 16))
	// maxpool_2d_ceil
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 3, 3), ints("strides", 2, 2), intA("ceil_mode", 1)),
		[]*tensor.Tensor{x4}, f32([]int{1, 1, 2, 2}, 11, 12, 15, 16))
	// maxpool_2d_ceil_output_size_reduce_by_one: the last window would start past the input.
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 1, 1), ints("strides", 2, 2), intA("ceil_mode", 1)),
		[]*tensor.Tensor{f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)}, f32([]int{1, 1, 1, 1}, 1))
	// maxpool_2d_precomputed_same_upper
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 3, 3), ints("strides", 2, 2), strA("auto_pad", "SAME_UPPER")),
		[]*tensor.Tensor{x5}, f32([]int{1, 1, 3, 3}, 7, 9, 10, 17, 19, 20, 22, 24, 25))
	// SAME_LOWER puts the odd pad first: windows end one earlier.
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 2, 2), ints("strides", 2, 2), strA("auto_pad", "SAME_LOWER")),
		[]*tensor.Tensor{x5}, f32([]int{1, 1, 3, 3}, 1, 3, 5, 11, 13, 15, 21, 23, 25))
	// maxpool_2d_uint8 (pads 2, kernel 5)
	u := make([]uint8, 25)
	for i := range u {
		u[i] = uint8(i + 1)
	}
	want := []uint8{13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25}
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 5, 5), ints("pads", 2, 2, 2, 2)),
		[]*tensor.Tensor{tensor.New([]int{1, 1, 5, 5}, u)}, tensor.New([]int{1, 1, 5, 5}, want))
	// int8 needs opset 12.
	expectErr(t, op("MaxPool", 11, ints("kernel_shape", 5, 5)), []*tensor.Tensor{tensor.New([]int{1, 1, 5, 5}, u)}, "float")
}

func TestMaxPool1D3DAndHalf(t *testing.T) {
	// 1-D: windows of 2 with stride 1.
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 2)),
		[]*tensor.Tensor{f32([]int{1, 1, 4}, 3, 1, 4, 2)}, f32([]int{1, 1, 3}, 3, 4, 4))
	// 3-D: the max of a 2x2x2 cube is its last element.
	opstest.Expect(t, op("MaxPool", 12, ints("kernel_shape", 2, 2, 2)),
		[]*tensor.Tensor{seq(1, 1, 2, 2, 2)}, f32([]int{1, 1, 1, 1, 1}, 8))
	// 4 spatial dims take the general path.
	opstest.Expect(t, op("AveragePool", 19, ints("kernel_shape", 2, 2, 2, 2)),
		[]*tensor.Tensor{seq(1, 1, 2, 2, 2, 2)}, f32([]int{1, 1, 1, 1, 1, 1}, 8.5))
	o := op("MaxPool", 12, ints("kernel_shape", 1, 2, 2, 2))
	o.Outputs = 2
	opstest.Expect(t, o, []*tensor.Tensor{seq(1, 1, 1, 2, 2, 2)}, f32([]int{1, 1, 1, 1, 1, 1}, 8), i64([]int{1, 1, 1, 1, 1, 1}, 7))
	// float16 goes through float32 and back.
	h := []tensor.F16{tensor.NewF16(1.5), tensor.NewF16(-2), tensor.NewF16(3.25), tensor.NewF16(0)}
	opstest.Expect(t, op("AveragePool", 11, ints("kernel_shape", 2, 2)),
		[]*tensor.Tensor{tensor.New([]int{1, 1, 2, 2}, h)}, tensor.New([]int{1, 1, 1, 1}, []tensor.F16{tensor.NewF16(0.6875)}))
}

func TestAveragePool(t *testing.T) {
	x4 := seq(1, 1, 4, 4)
	// averagepool_2d_ceil: the clipped last windows average fewer values.
	opstest.Expect(t, op("AveragePool", 11, ints("kernel_shape", 3, 3), ints("strides", 2, 2), intA("ceil_mode", 1)),
		[]*tensor.Tensor{x4}, f32([]int{1, 1, 2, 2}, 6, 7.5, 12, 13.5))
	// averagepool_2d_dilations
	opstest.Expect(t, op("AveragePool", 19, ints("kernel_shape", 2, 2), ints("dilations", 2, 2), intA("ceil_mode", 1)),
		[]*tensor.Tensor{x4}, f32([]int{1, 1, 2, 2}, 6, 7, 10, 11))
	// averagepool_2d_precomputed_pads_count_include_pad
	want := f32([]int{1, 1, 5, 5},
		2.52, 3.6, 4.8, 4.08, 3.24,
		4.56, 6.4, 8.4, 7.04, 5.52,
		7.2, 10, 13, 10.8, 8.4,
		6.96, 9.6, 12.4, 10.24, 7.92,
		6.12, 8.4, 10.8, 8.88, 6.84)
	opstest.Expect(t, op("AveragePool", 11, ints("kernel_shape", 5, 5), ints("pads", 2, 2, 2, 2), intA("count_include_pad", 1)),
		[]*tensor.Tensor{seq(1, 1, 5, 5)}, want)
	// Without count_include_pad the corner window averages its 9 real values:
	// (1+2+3+6+7+8+11+12+13)/9 = 7.
	got := opstest.MustRun(t, op("AveragePool", 11, ints("kernel_shape", 5, 5), ints("pads", 2, 2, 2, 2)), seq(1, 1, 5, 5))
	if v := tensor.Data[float32](got[0])[0]; v != 7 {
		t.Errorf("corner average = %v, want 7", v)
	}
	// float64 and 1-D with stride.
	opstest.Expect(t, op("AveragePool", 7, ints("kernel_shape", 2), ints("strides", 2)),
		[]*tensor.Tensor{f64([]int{1, 1, 5}, 1, 2, 3, 4, 5)}, f64([]int{1, 1, 2}, 1.5, 3.5))
}

func TestLpPool(t *testing.T) {
	// lppool_2d_dilations (p = 2)
	opstest.Expect(t, op("LpPool", 18, ints("kernel_shape", 2, 2), ints("dilations", 2, 2), intA("p", 2)),
		[]*tensor.Tensor{seq(1, 1, 4, 4)},
		f32([]int{1, 1, 2, 2}, 14.560219778561036, 16.24807680927192, 21.633307652783937, 23.49468024894146))
	// p = 1 sums absolute values; opset 1 takes p as a float.
	opstest.Expect(t, op("LpPool", 1, ints("kernel_shape", 2), floatA("p", 1)),
		[]*tensor.Tensor{f32([]int{1, 1, 3}, -1, 2, -3)}, f32([]int{1, 1, 2}, 3, 5))
	// p = 3: (1 + 8)^(1/3)
	opstest.Expect(t, op("LpPool", 11, ints("kernel_shape", 2), intA("p", 3)),
		[]*tensor.Tensor{f32([]int{1, 1, 2}, 1, -2)}, f32([]int{1, 1, 1}, float32(math.Cbrt(9))))
}

func TestGlobalPools(t *testing.T) {
	x := seq(2, 2, 2, 2)
	opstest.Expect(t, op("GlobalAveragePool", 1), []*tensor.Tensor{x}, f32([]int{2, 2, 1, 1}, 2.5, 6.5, 10.5, 14.5))
	opstest.Expect(t, op("GlobalMaxPool", 1), []*tensor.Tensor{x}, f32([]int{2, 2, 1, 1}, 4, 8, 12, 16))
	// sqrt(1+4+9+16) = sqrt(30)
	opstest.Expect(t, op("GlobalLpPool", 2), []*tensor.Tensor{seq(1, 1, 4)}, f32([]int{1, 1, 1}, float32(math.Sqrt(30))))
	opstest.Expect(t, op("GlobalAveragePool", 22), []*tensor.Tensor{f64([]int{1, 1, 3}, 1, 2, 6)}, f64([]int{1, 1, 1}, 3))
	// A large plane exercises the parallel path.
	big := make([]float32, 4*64*64)
	for i := range big {
		big[i] = float32(i % 64)
	}
	opstest.Expect(t, op("GlobalAveragePool", 1), []*tensor.Tensor{tensor.New([]int{1, 4, 64, 64}, big)},
		f32([]int{1, 4, 1, 1}, 31.5, 31.5, 31.5, 31.5))
}

func TestPoolErrors(t *testing.T) {
	expectErr(t, op("MaxPool", 12), []*tensor.Tensor{seq(1, 1, 4, 4)}, "kernel_shape")
	expectErr(t, op("MaxPool", 12, ints("kernel_shape", 2, 2)), []*tensor.Tensor{seq(1, 4, 4)}, "rank 4")
	expectErr(t, op("MaxPool", 12, ints("kernel_shape", 5, 5)), []*tensor.Tensor{seq(1, 1, 4, 4)}, "does not fit")
	expectErr(t, op("AveragePool", 11, ints("kernel_shape", 2, 2), ints("strides", 0, 1)), []*tensor.Tensor{seq(1, 1, 4, 4)}, "strides")
	expectErr(t, op("AveragePool", 11, ints("kernel_shape", 2, 2), ints("pads", 1, 1)), []*tensor.Tensor{seq(1, 1, 4, 4)}, "pads")
	expectErr(t, op("AveragePool", 11, ints("kernel_shape", 2, 2), strA("auto_pad", "BOGUS")), []*tensor.Tensor{seq(1, 1, 4, 4)}, "auto_pad")
	expectErr(t, op("GlobalMaxPool", 1), []*tensor.Tensor{i64([]int{1, 1, 1}, 1)}, "float")
}

func TestMaxUnpool(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 5, 6, 7, 8)
	idx := i64([]int{1, 1, 2, 2}, 5, 7, 13, 15)
	o := op("MaxUnpool", 11, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	opstest.Expect(t, o, []*tensor.Tensor{x, idx}, f32([]int{1, 1, 4, 4},
		0, 0, 0, 0,
		0, 5, 0, 6,
		0, 0, 0, 0,
		0, 7, 0, 8))
	// test_maxunpool_export_with_output_shape: the unpooled 4x4 block sits
	// at the origin of the requested 5x5 output.
	opstest.Expect(t, o, []*tensor.Tensor{x, idx, i64([]int{4}, 1, 1, 5, 5)}, f32([]int{1, 1, 5, 5},
		0, 0, 0, 0, 0,
		0, 5, 0, 6, 0,
		0, 0, 0, 0, 0,
		0, 7, 0, 8, 0,
		0, 0, 0, 0, 0))
	expectErr(t, o, []*tensor.Tensor{x, i64([]int{1, 1, 2, 2}, 5, 7, 13, 16)}, "outside")
	expectErr(t, o, []*tensor.Tensor{x, idx, i64([]int{4}, 1, 1, 3, 3)}, "smaller")
}
