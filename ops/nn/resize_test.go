package nn_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// Expected values below are the spec's examples (docs/Operators.md, Resize).

func TestResizeSpecExamples(t *testing.T) {
	x44 := seq(1, 1, 4, 4)
	none := (*tensor.Tensor)(nil)
	cases := []struct {
		name  string
		o     opstest.Op
		in    []*tensor.Tensor
		want  *tensor.Tensor
		rtol  float64
		atol  float64
		dummy bool
	}{
		{name: "downsample_scales_linear_antialias",
			o:    op("Resize", 18, strA("mode", "linear"), intA("antialias", 1)),
			in:   []*tensor.Tensor{x44, none, f32([]int{4}, 1, 1, 0.6, 0.6)},
			want: f32([]int{1, 1, 2, 2}, 2.875, 4.5, 9.375, 11)},
		{name: "downsample_scales_cubic_antialias",
			o:    op("Resize", 18, strA("mode", "cubic"), intA("antialias", 1)),
			in:   []*tensor.Tensor{x44, none, f32([]int{4}, 1, 1, 0.6, 0.6)},
			want: f32([]int{1, 1, 2, 2}, 2.5180721, 4.2858863, 9.589329, 11.357142)},
		{name: "downsample_sizes_linear_antialias",
			o:  op("Resize", 18, strA("mode", "linear"), intA("antialias", 1)),
			in: []*tensor.Tensor{x44, none, none, i64([]int{4}, 1, 1, 3, 3)},
			want: f32([]int{1, 1, 3, 3}, 2.3636363, 3.590909, 4.818182, 7.2727275, 8.5, 9.727273,
				12.181818, 13.409091, 14.636364)},
		{name: "downsample_sizes_cubic_antialias",
			o:  op("Resize", 18, strA("mode", "cubic"), intA("antialias", 1)),
			in: []*tensor.Tensor{x44, none, none, i64([]int{4}, 1, 1, 3, 3)},
			want: f32([]int{1, 1, 3, 3}, 1.7750092, 3.1200073, 4.4650054, 7.1550016, 8.5, 9.844998,
				12.534994, 13.8799925, 15.224991)},
		{name: "downsample_scales_linear_half_pixel_symmetric",
			o:    op("Resize", 19, strA("mode", "linear"), strA("coordinate_transformation_mode", "half_pixel_symmetric")),
			in:   []*tensor.Tensor{seq(1, 1, 1, 4), none, f32([]int{4}, 1, 1, 1, 0.6)},
			want: f32([]int{1, 1, 1, 2}, 1.6666667, 3.3333333)},
		{name: "upsample_scales_linear_half_pixel_symmetric",
			o:  op("Resize", 19, strA("mode", "linear"), strA("coordinate_transformation_mode", "half_pixel_symmetric")),
			in: []*tensor.Tensor{seq(1, 1, 2, 2), none, f32([]int{4}, 1, 1, 2.3, 2.94)},
			want: f32([]int{1, 1, 4, 5},
				1, 1.15986395, 1.5, 1.84013605, 2,
				1.56521738, 1.72508133, 2.06521738, 2.40535343, 2.56521738,
				2.43478262, 2.59464657, 2.93478262, 3.27491867, 3.43478262,
				3, 3.15986395, 3.5, 3.84013605, 4)},
		{name: "downsample_sizes_nearest_not_larger",
			o:    op("Resize", 18, strA("mode", "nearest"), ints("axes", 2, 3), strA("keep_aspect_ratio_policy", "not_larger")),
			in:   []*tensor.Tensor{seq(1, 1, 2, 4), none, none, i64([]int{2}, 1, 3)},
			want: f32([]int{1, 1, 1, 2}, 1, 3)},
		{name: "upsample_sizes_nearest_not_smaller",
			o:  op("Resize", 18, strA("mode", "nearest"), ints("axes", 2, 3), strA("keep_aspect_ratio_policy", "not_smaller")),
			in: []*tensor.Tensor{seq(1, 1, 2, 2), none, none, i64([]int{2}, 7, 8)},
			want: f32([]int{1, 1, 8, 8},
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				3, 3, 3, 3, 4, 4, 4, 4,
				3, 3, 3, 3, 4, 4, 4, 4,
				3, 3, 3, 3, 4, 4, 4, 4,
				3, 3, 3, 3, 4, 4, 4, 4)},
		{name: "upsample_sizes_nearest_axes_3_2",
			o:  op("Resize", 18, strA("mode", "nearest"), ints("axes", 3, 2)),
			in: []*tensor.Tensor{seq(1, 1, 2, 2), none, none, i64([]int{2}, 8, 7)},
			want: f32([]int{1, 1, 7, 8},
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				1, 1, 1, 1, 2, 2, 2, 2,
				3, 3, 3, 3, 4, 4, 4, 4,
				3, 3, 3, 3, 4, 4, 4, 4,
				3, 3, 3, 3, 4, 4, 4, 4)},
		{name: "tf_crop_and_resize_axes_3_2",
			o: op("Resize", 18, strA("mode", "linear"), strA("coordinate_transformation_mode", "tf_crop_and_resize"),
				ints("axes", 3, 2)),
			in:   []*tensor.Tensor{x44, f32([]int{4}, 0.6, 0.4, 0.8, 0.6), none, i64([]int{2}, 3, 3)},
			want: f32([]int{1, 1, 3, 3}, 7.6000004, 7.9, 8.2, 8.8, 9.1, 9.400001, 10, 10.3, 10.6)},
		// resize_tf_crop_and_resize_extrapolation_value
		{name: "tf_crop_and_resize_extrapolation",
			o: op("Resize", 13, strA("mode", "linear"), strA("coordinate_transformation_mode", "tf_crop_and_resize"),
				floatA("extrapolation_value", 10)),
			in:   []*tensor.Tensor{x44, f32([]int{8}, 0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7), none, i64([]int{4}, 1, 1, 3, 3)},
			want: f32([]int{1, 1, 3, 3}, 7.6000004, 10, 10, 12.400001, 10, 10, 10, 10, 10)},
		// resize_downsample_scales_linear_align_corners: the fractional output
		// length 2.4 enters the mapping.
		{name: "downsample_scales_linear_align_corners",
			o:    op("Resize", 13, strA("mode", "linear"), strA("coordinate_transformation_mode", "align_corners")),
			in:   []*tensor.Tensor{seq(1, 1, 2, 4), none, f32([]int{4}, 1, 1, 0.6, 0.6)},
			want: f32([]int{1, 1, 1, 2}, 1, 3.142857)},
		// resize_upsample_scales_cubic_A_n0p5_exclude_outside (first row)
		{name: "upsample_scales_cubic_A_n0p5_exclude_outside",
			o:  op("Resize", 13, strA("mode", "cubic"), floatA("cubic_coeff_a", -0.5), intA("exclude_outside", 1)),
			in: []*tensor.Tensor{x44, none, f32([]int{4}, 1, 1, 2, 2)},
			want: f32([]int{1, 1, 8, 8},
				0.55882353, 0.81494204, 1.35698249, 1.89705882, 2.39705882, 2.93713516, 3.47917561, 3.73529412,
				1.58329755, 1.83941606, 2.38145651, 2.92153285, 3.42153285, 3.96160918, 4.50364964, 4.75976814,
				3.75145936, 4.00757787, 4.54961832, 5.08969466, 5.58969466, 6.12977099, 6.67181144, 6.92792995,
				5.91176471, 6.16788321, 6.70992366, 7.25, 7.75, 8.29007634, 8.83211679, 9.08823529,
				7.91176471, 8.16788321, 8.70992366, 9.25, 9.75, 10.29007634, 10.83211679, 11.08823529,
				10.07207005, 10.32818856, 10.87022901, 11.41030534, 11.91030534, 12.45038168, 12.99242213, 13.24854064,
				12.24023186, 12.49635036, 13.03839082, 13.57846715, 14.07846715, 14.61854349, 15.16058394, 15.41670245,
				13.26470588, 13.52082439, 14.06286484, 14.60294118, 15.10294118, 15.64301751, 16.18505796, 16.44117647)},
		// resize_upsample_sizes_nearest_floor_align_corners (first two rows)
		{name: "nearest_floor_align_corners",
			o: op("Resize", 13, strA("mode", "nearest"), strA("coordinate_transformation_mode", "align_corners"),
				strA("nearest_mode", "floor")),
			in: []*tensor.Tensor{x44, none, none, i64([]int{4}, 1, 1, 2, 8)},
			want: f32([]int{1, 1, 2, 8},
				1, 1, 1, 2, 2, 3, 3, 4,
				13, 13, 13, 14, 14, 15, 15, 16)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectClose(t, c.o, c.in, 1e-5, 1e-5, c.want)
		})
	}
}

func TestResizeNearestTypes(t *testing.T) {
	// resize_upsample_scales_nearest on other element types: a gather.
	o := op("Resize", 13, strA("mode", "nearest"))
	sc := f32([]int{4}, 1, 1, 2, 3)
	want := []int64{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}
	opstest.Expect(t, o, []*tensor.Tensor{i64([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil, sc}, i64([]int{1, 1, 4, 6}, want...))
	u := make([]uint8, len(want))
	for i, v := range want {
		u[i] = uint8(v)
	}
	opstest.Expect(t, o, []*tensor.Tensor{tensor.New([]int{1, 1, 2, 2}, []uint8{1, 2, 3, 4}), nil, sc}, tensor.New([]int{1, 1, 4, 6}, u))
	// Strings work with nearest.
	opstest.Expect(t, op("Resize", 13), []*tensor.Tensor{tensor.New([]int{2}, []string{"a", "b"}), nil, f32([]int{1}, 2)},
		tensor.New([]int{4}, []string{"a", "a", "b", "b"}))
	// Linear on integers rounds the result: [0, 3] -> 0, 0.75, 2.25, 3.
	opstest.Expect(t, op("Resize", 13, strA("mode", "linear")), []*tensor.Tensor{i64([]int{2}, 0, 3), nil, f32([]int{1}, 2)},
		i64([]int{4}, 0, 1, 2, 3))
}

func TestUpsampleAndResize10(t *testing.T) {
	// test_upsample_nearest (opset 9).
	x := seq(1, 1, 2, 2)
	want := f32([]int{1, 1, 4, 6},
		1, 1, 1, 2, 2, 2,
		1, 1, 1, 2, 2, 2,
		3, 3, 3, 4, 4, 4,
		3, 3, 3, 4, 4, 4)
	opstest.Expect(t, op("Upsample", 9, strA("mode", "nearest")), []*tensor.Tensor{x, f32([]int{4}, 1, 1, 2, 3)}, want)
	opstest.Expect(t, op("Resize", 10), []*tensor.Tensor{x, f32([]int{4}, 1, 1, 2, 3)}, want)
	// Opset 7 takes scales as an attribute, opset 1 as height/width scales.
	opstest.Expect(t, op("Upsample", 7, opstest.Floats("scales", 1, 1, 2, 3)), []*tensor.Tensor{x}, want)
	opstest.Expect(t, op("Upsample", 1, floatA("height_scale", 2), floatA("width_scale", 3)), []*tensor.Tensor{x}, want)
	// Linear with asymmetric coordinates: x/2 -> 1, 1.5, 2, 2 (edge).
	opstest.Expect(t, op("Upsample", 9, strA("mode", "linear")), []*tensor.Tensor{f32([]int{2}, 1, 2), f32([]int{1}, 2)},
		f32([]int{4}, 1, 1.5, 2, 2))
	opstest.Expect(t, op("Resize", 10, strA("mode", "linear")), []*tensor.Tensor{f32([]int{2}, 1, 2), f32([]int{1}, 2)},
		f32([]int{4}, 1, 1.5, 2, 2))
}

func TestResizeErrors(t *testing.T) {
	x := seq(1, 1, 2, 2)
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, nil, nil}, "one of scales and sizes")
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 2, 2), i64([]int{4}, 1, 1, 4, 4)}, "only one")
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, f32([]int{2}, 2, 2)}, "4 values")
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, -2, 2)}, "positive")
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, nil, i64([]int{4}, 1, 1, -4, 4)}, "non-negative")
	expectErr(t, op("Resize", 13), []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 1e9, 1e9)}, "elements")
	expectErr(t, op("Resize", 13, strA("mode", "area")), []*tensor.Tensor{x}, "mode")
	expectErr(t, op("Resize", 13, strA("coordinate_transformation_mode", "half_pixel_symmetric")), []*tensor.Tensor{x}, "opset 19")
	expectErr(t, op("Resize", 13, strA("coordinate_transformation_mode", "tf_crop_and_resize")),
		[]*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 2, 2)}, "roi")
	expectErr(t, op("Resize", 13, strA("mode", "linear")), []*tensor.Tensor{tensor.New([]int{1}, []bool{true}), nil, f32([]int{1}, 2)}, "nearest")
}
