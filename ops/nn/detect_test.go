package nn_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// GridSample, AffineGrid, RoiAlign, MaxRoiPool, NonMaxSuppression, Col2Im.

func TestGridSampleSpecExamples(t *testing.T) {
	x := f32([]int{1, 1, 3, 2}, 0, 1, 2, 3, 4, 5)
	grid := f32([]int{1, 2, 4, 2},
		-1, -1, -0.5, -0.5, -0.2, -0.2, 0, 0,
		0, 0, -0.2, -0.2, 0.5, 0.5, 1, 1)
	in := []*tensor.Tensor{x, grid}
	cases := []struct {
		o    opstest.Op
		want []float32
	}{
		{op("GridSample", 20, strA("mode", "linear")), []float32{0, 0.5, 1.7, 2.5, 2.5, 1.7, 4.5, 1.25}},
		{op("GridSample", 20, strA("mode", "linear"), intA("align_corners", 1)), []float32{0, 1.25, 2, 2.5, 2.5, 2, 3.75, 5}},
		{op("GridSample", 20, strA("mode", "nearest")), []float32{0, 0, 2, 2, 2, 2, 5, 0}},
		{op("GridSample", 20, strA("mode", "cubic")), []float32{-0.1406, 0.3828, 1.7556, 2.9688, 2.9688, 1.7556, 5.1445, 1.3906}},
		// Opset 16 spells the modes bilinear/bicubic.
		{op("GridSample", 16), []float32{0, 0.5, 1.7, 2.5, 2.5, 1.7, 4.5, 1.25}},
		{op("GridSample", 16, strA("mode", "bicubic")), []float32{-0.1406, 0.3828, 1.7556, 2.9688, 2.9688, 1.7556, 5.1445, 1.3906}},
	}
	for _, c := range cases {
		expectClose(t, c.o, in, 1e-3, 1e-4, f32([]int{1, 1, 2, 4}, c.want...))
	}
	// Additional PyTorch-generated examples from the spec.
	grid2 := f32([]int{1, 2, 4, 2},
		-1, -0.8, -0.6, -0.5, -0.1, -0.2, 0.7, 0,
		0, 0.4, 0.2, -0.2, -0.3, 0.5, -1, 1)
	in2 := []*tensor.Tensor{x, grid2}
	cases = []struct {
		o    opstest.Op
		want []float32
	}{
		{op("GridSample", 20, strA("mode", "nearest")), []float32{0, 0, 2, 3, 4, 3, 4, 4}},
		{op("GridSample", 20, strA("mode", "nearest"), intA("align_corners", 1)), []float32{0, 0, 2, 3, 2, 3, 4, 4}},
		{op("GridSample", 20, strA("mode", "linear")), []float32{0, 0.45, 1.8, 2.4, 3.7, 2.1, 3.7, 1}},
		{op("GridSample", 20, strA("mode", "linear"), intA("align_corners", 1)), []float32{0.4, 1.2, 2.05, 2.85, 3.3, 2.2, 3.35, 4}},
		{op("GridSample", 20, strA("mode", "cubic")), []float32{-0.173250, 0.284265, 1.923106, 2.568000, 5.170375, 2.284414, 4.744844, 1.046875}},
		{op("GridSample", 20, strA("mode", "cubic"), intA("align_corners", 1)), []float32{0.304001, 1.128750, 2.266270, 3.144844, 4.531500, 2.455360, 4.599819, 4}},
	}
	for _, c := range cases {
		expectClose(t, c.o, in2, 1e-3, 1e-4, f32([]int{1, 1, 2, 4}, c.want...))
	}
}

func TestGridSamplePadding(t *testing.T) {
	// Along one row [0, 1] (W = 2), align_corners 0: pixel centres at
	// x = -0.5 and 0.5. Sample at x = 2 (pixel coordinate 2.5).
	x := f32([]int{1, 1, 1, 2}, 10, 20)
	g := f32([]int{1, 1, 1, 2}, 2, 0)
	// zeros: pixel 2.5 lies past the data: 0.
	expectClose(t, op("GridSample", 20), []*tensor.Tensor{x, g}, 0, 1e-5, f32([]int{1, 1, 1, 1}, 0))
	// border: clamped to pixel 1.
	expectClose(t, op("GridSample", 20, strA("padding_mode", "border")), []*tensor.Tensor{x, g}, 0, 1e-5, f32([]int{1, 1, 1, 1}, 20))
	// reflection about 1.5: 2.5 -> 0.5, halfway between the pixels.
	expectClose(t, op("GridSample", 20, strA("padding_mode", "reflection")), []*tensor.Tensor{x, g}, 0, 1e-5, f32([]int{1, 1, 1, 1}, 15))
	// 1-D spatial input (opset 20 is N-D) and integer data.
	expectClose(t, op("GridSample", 20), []*tensor.Tensor{i64([]int{1, 1, 2}, 10, 20), f32([]int{1, 1, 1}, 0)}, 0, 0, i64([]int{1, 1, 1}, 15))
	expectErr(t, op("GridSample", 16), []*tensor.Tensor{f32([]int{1, 1, 2}, 10, 20), f32([]int{1, 1, 1}, 0)}, "4-D")
	expectErr(t, op("GridSample", 20), []*tensor.Tensor{x, f32([]int{1, 1, 1, 3}, 0, 0, 0)}, "grid")
}

func TestAffineGrid(t *testing.T) {
	id := f32([]int{1, 2, 3}, 1, 0, 0, 0, 1, 0)
	size := i64([]int{4}, 1, 1, 2, 2)
	opstest.Expect(t, op("AffineGrid", 20), []*tensor.Tensor{id, size},
		f32([]int{1, 2, 2, 2}, -0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5))
	opstest.Expect(t, op("AffineGrid", 20, intA("align_corners", 1)), []*tensor.Tensor{id, size},
		f32([]int{1, 2, 2, 2}, -1, -1, 1, -1, -1, 1, 1, 1))
	// x' = x + 0.5, y' = 2y.
	th := f32([]int{1, 2, 3}, 1, 0, 0.5, 0, 2, 0)
	opstest.Expect(t, op("AffineGrid", 20, intA("align_corners", 1)), []*tensor.Tensor{th, size},
		f32([]int{1, 2, 2, 2}, -0.5, -2, 1.5, -2, -0.5, 2, 1.5, 2))
	// 3-D, size (1, 1, 1, 1, 2): points (x, y, z) = (-1, -1, -1), (1, -1, -1).
	id3 := f32([]int{1, 3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)
	opstest.Expect(t, op("AffineGrid", 20, intA("align_corners", 1)), []*tensor.Tensor{id3, i64([]int{5}, 1, 1, 1, 1, 2)},
		f32([]int{1, 1, 1, 2, 3}, -1, -1, -1, 1, -1, -1))
	expectErr(t, op("AffineGrid", 20), []*tensor.Tensor{id, i64([]int{3}, 1, 2, 2)}, "size")
}

func TestRoiAlign(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	rois := f32([]int{1, 4}, 0, 0, 2, 2)
	bi := i64([]int{1}, 0)
	// No pixel shift, 2x2 samples at 0.5 and 1.5 (clamped to the last
	// row/column): 2.5, 3, 3.5, 4 -> 3.25.
	o := op("RoiAlign", 16, strA("coordinate_transformation_mode", "output_half_pixel"), intA("sampling_ratio", 2))
	opstest.Expect(t, o, []*tensor.Tensor{x, rois, bi}, f32([]int{1, 1, 1, 1}, 3.25))
	opstest.Expect(t, op("RoiAlign", 10, intA("sampling_ratio", 2)), []*tensor.Tensor{x, rois, bi}, f32([]int{1, 1, 1, 1}, 3.25))
	// Max mode takes the largest weighted corner of each sample: 1, 2, 2, 4.
	o.Attrs = append(o.Attrs, strA("mode", "max"))
	opstest.Expect(t, o, []*tensor.Tensor{x, rois, bi}, f32([]int{1, 1, 1, 1}, 4))
	// half_pixel (default from 16) shifts by -0.5: samples land on the pixels.
	opstest.Expect(t, op("RoiAlign", 16, intA("sampling_ratio", 2)), []*tensor.Tensor{x, rois, bi}, f32([]int{1, 1, 1, 1}, 2.5))
	// Adaptive sampling (ratio 0) gives ceil(2/2) = 1 sample per bin of a 2x2 output.
	opstest.Expect(t, op("RoiAlign", 16, intA("output_height", 2), intA("output_width", 2)), []*tensor.Tensor{x, rois, bi},
		f32([]int{1, 1, 2, 2}, 1, 2, 3, 4))
	expectErr(t, o, []*tensor.Tensor{x, rois, i64([]int{1}, 1)}, "batch_indices")
	expectErr(t, op("RoiAlign", 16), []*tensor.Tensor{x, f32([]int{1, 4}, 0, 0, 1e30, 1e30), bi}, "samples")
}

func TestMaxRoiPool(t *testing.T) {
	x := seq(1, 1, 4, 4)
	// RoI covering rows/cols 0..3 pooled to 2x2: quadrant maxima.
	opstest.Expect(t, op("MaxRoiPool", 1, ints("pooled_shape", 2, 2)), []*tensor.Tensor{x, f32([]int{1, 5}, 0, 0, 0, 3, 3)},
		f32([]int{1, 1, 2, 2}, 6, 8, 14, 16))
	// spatial_scale 0.5 maps (2, 2)-(4, 4) to (1, 1)-(2, 2): one bin.
	opstest.Expect(t, op("MaxRoiPool", 1, ints("pooled_shape", 1, 1), floatA("spatial_scale", 0.5)),
		[]*tensor.Tensor{x, f32([]int{1, 5}, 0, 2, 2, 4, 4)}, f32([]int{1, 1, 1, 1}, 11))
	expectErr(t, op("MaxRoiPool", 1, ints("pooled_shape", 1, 1)), []*tensor.Tensor{x, f32([]int{1, 5}, 3, 0, 0, 1, 1)}, "batch index")
}

func TestNonMaxSuppression(t *testing.T) {
	boxes := f32([]int{1, 6, 4},
		0, 0, 1, 1,
		0, 0.1, 1, 1.1,
		0, -0.1, 1, 0.9,
		0, 10, 1, 11,
		0, 10.1, 1, 11.1,
		0, 100, 1, 101)
	scores := f32([]int{1, 1, 6}, 0.9, 0.75, 0.6, 0.95, 0.5, 0.3)
	maxOut, iou, thr := i64([]int{1}, 3), f32([]int{1}, 0.5), f32([]int{1}, 0)
	// nonmaxsuppression_suppress_by_IOU
	o := op("NonMaxSuppression", 11)
	opstest.Expect(t, o, []*tensor.Tensor{boxes, scores, maxOut, iou, thr}, i64([]int{3, 3}, 0, 0, 3, 0, 0, 0, 0, 0, 5))
	// ..._and_scores (threshold 0.4)
	opstest.Expect(t, o, []*tensor.Tensor{boxes, scores, maxOut, iou, f32([]int{1}, 0.4)}, i64([]int{2, 3}, 0, 0, 3, 0, 0, 0))
	// ..._limit_output_size (2 boxes)
	opstest.Expect(t, o, []*tensor.Tensor{boxes, scores, i64([]int{1}, 2), iou, thr}, i64([]int{2, 3}, 0, 0, 3, 0, 0, 0))
	// center_point_box format
	cboxes := f32([]int{1, 6, 4},
		0.5, 0.5, 1, 1,
		0.5, 0.6, 1, 1,
		0.5, 0.4, 1, 1,
		0.5, 10.5, 1, 1,
		0.5, 10.6, 1, 1,
		0.5, 100.5, 1, 1)
	opstest.Expect(t, op("NonMaxSuppression", 10, intA("center_point_box", 1)), []*tensor.Tensor{cboxes, scores, maxOut, iou, thr},
		i64([]int{3, 3}, 0, 0, 3, 0, 0, 0, 0, 0, 5))
	// No max_output_boxes_per_class: nothing selected.
	opstest.Expect(t, o, []*tensor.Tensor{boxes, scores}, i64([]int{0, 3}))
	expectErr(t, o, []*tensor.Tensor{boxes, f32([]int{1, 1, 5}, 1, 1, 1, 1, 1), maxOut}, "scores")
}

func TestCol2Im(t *testing.T) {
	// col2im: blocks of 1x5 stacked in the channel dim.
	in := f32([]int{1, 5, 5},
		1, 6, 11, 16, 21,
		2, 7, 12, 17, 22,
		3, 8, 13, 18, 23,
		4, 9, 14, 19, 24,
		5, 0, 15, 20, 25)
	opstest.Expect(t, op("Col2Im", 18), []*tensor.Tensor{in, i64([]int{2}, 5, 5), i64([]int{2}, 1, 5)},
		f32([]int{1, 1, 5, 5},
			1, 2, 3, 4, 5,
			6, 7, 8, 9, 0,
			11, 12, 13, 14, 15,
			16, 17, 18, 19, 20,
			21, 22, 23, 24, 25))
	// col2im_dilations
	opstest.Expect(t, op("Col2Im", 18, ints("dilations", 1, 5)),
		[]*tensor.Tensor{f32([]int{1, 4, 5}, 1, 5, 9, 13, 17, 2, 6, 10, 14, 18, 3, 7, 11, 15, 19, 4, 8, 12, 16, 20),
			i64([]int{2}, 6, 6), i64([]int{2}, 2, 2)},
		f32([]int{1, 1, 6, 6},
			1, 0, 0, 0, 0, 2,
			8, 0, 0, 0, 0, 10,
			16, 0, 0, 0, 0, 18,
			24, 0, 0, 0, 0, 26,
			32, 0, 0, 0, 0, 34,
			19, 0, 0, 0, 0, 20))
	// col2im_strides: overlapping 3x3 blocks add up.
	strideIn := make([]float32, 0, 36)
	for _, v := range []float32{0, 1, 1, 1, 0, 0, 0, 1, 0} {
		strideIn = append(strideIn, v, v, v, v)
	}
	opstest.Expect(t, op("Col2Im", 18, ints("strides", 2, 2)),
		[]*tensor.Tensor{f32([]int{1, 9, 4}, strideIn...), i64([]int{2}, 5, 5), i64([]int{2}, 3, 3)},
		f32([]int{1, 1, 5, 5},
			0, 1, 1, 1, 1,
			1, 0, 1, 0, 0,
			0, 2, 1, 2, 1,
			1, 0, 1, 0, 0,
			0, 1, 0, 1, 0))
	// col2im_pads
	padIn := make([]float32, 75)
	for r := 0; r < 5; r++ {
		for l := 0; l < 15; l++ {
			padIn[r*15+l] = float32(l*5 + r + 1)
		}
	}
	opstest.Expect(t, op("Col2Im", 18, ints("pads", 0, 1, 0, 1)),
		[]*tensor.Tensor{f32([]int{1, 5, 15}, padIn...), i64([]int{2}, 5, 5), i64([]int{2}, 1, 5)},
		f32([]int{1, 1, 5, 5},
			8, 21, 24, 27, 24,
			38, 66, 69, 72, 54,
			68, 111, 114, 117, 84,
			98, 156, 159, 162, 114,
			128, 201, 204, 207, 144))
	expectErr(t, op("Col2Im", 18), []*tensor.Tensor{in, i64([]int{2}, 5, 5), i64([]int{2}, 2, 5)}, "multiple")
	expectErr(t, op("Col2Im", 18), []*tensor.Tensor{in, i64([]int{2}, 4, 5), i64([]int{2}, 1, 5)}, "number of blocks")
}
