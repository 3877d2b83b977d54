package shape

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestPad(t *testing.T) {
	data := f32(sh(3, 2), 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)
	mode := func(opset int, m string) opstest.Op {
		return opstest.Op{Type: "Pad", Opset: opset, Attrs: []*graph.Attribute{opstest.String("mode", m)}}
	}
	runCases(t, []kase{
		// The spec's four examples.
		{name: "constant", op: mode(11, "constant"), in: []*tensor.Tensor{data, vec(0, 2, 0, 0), f32(nil, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7)}},
		{name: "reflect", op: mode(11, "reflect"), in: []*tensor.Tensor{data, vec(0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7)}},
		{name: "edge", op: mode(13, "edge"), in: []*tensor.Tensor{data, vec(0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7)}},
		{name: "wrap", op: mode(19, "wrap"), in: []*tensor.Tensor{data, vec(2, 1, 1, 1)},
			want: []*tensor.Tensor{f32(sh(6, 4),
				3.4, 2.3, 3.4, 2.3,
				5.7, 4.5, 5.7, 4.5,
				1.2, 1.0, 1.2, 1.0,
				3.4, 2.3, 3.4, 2.3,
				5.7, 4.5, 5.7, 4.5,
				1.2, 1.0, 1.2, 1.0)}},
		{name: "constant value", op: mode(18, "constant"), in: []*tensor.Tensor{i64(sh(2), 1, 2), vec(1, 2), scalar64(9)}, want: []*tensor.Tensor{vec(9, 1, 2, 9, 9)}},
		{name: "negative pads crop", op: mode(13, "constant"), in: []*tensor.Tensor{data, vec(-1, 1, 0, -1)},
			want: []*tensor.Tensor{f32(sh(2, 2), 0, 2.3, 0, 4.5)}},
		// numpy.pad([1, 2, 3], (4, 4), "reflect") = [1 2 3 2 1 2 3 2 1 2 3].
		{name: "reflect beyond size", op: mode(13, "reflect"), in: []*tensor.Tensor{vec(1, 2, 3), vec(4, 4)}, want: []*tensor.Tensor{vec(1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3)}},
		{name: "axes input", op: mode(18, "constant"), in: []*tensor.Tensor{data, vec(1, 0), nil, vec(-2)},
			want: []*tensor.Tensor{f32(sh(4, 2), 0, 0, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)}},
		{name: "strings", op: mode(13, "constant"), in: []*tensor.Tensor{strs(sh(1), "a"), vec(1, 1), strs(nil, "_")}, want: []*tensor.Tensor{strs(sh(3), "_", "a", "_")}},
		{name: "bool default", op: mode(13, "constant"), in: []*tensor.Tensor{bools(sh(1), true), vec(0, 1)}, want: []*tensor.Tensor{bools(sh(2), true, false)}},
		{name: "opset2 attrs", op: opstest.Op{Type: "Pad", Opset: 2, Attrs: []*graph.Attribute{intsA("pads", 0, 1, 0, 0), opstest.Float("value", 1.5)}}, in: []*tensor.Tensor{f32(sh(1, 1), 7)},
			want: []*tensor.Tensor{f32(sh(1, 2), 1.5, 7)}},
		{name: "opset1 paddings", op: opstest.Op{Type: "Pad", Opset: 1, Attrs: []*graph.Attribute{intsA("paddings", 0, 0, 1, 0), opstest.String("mode", "edge")}}, in: []*tensor.Tensor{f32(sh(1, 2), 7, 8)},
			want: []*tensor.Tensor{f32(sh(2, 2), 7, 8, 7, 8)}},
		{name: "f16 value", op: mode(11, "constant"), in: []*tensor.Tensor{f16(sh(1), 1), vec(1, 0), f16(nil, -0.5)}, want: []*tensor.Tensor{f16(sh(2), -0.5, 1)}},
		{name: "pads length", op: mode(13, "constant"), in: []*tensor.Tensor{data, vec(1, 1)}, wantErr: "pads has 2 entries"},
		{name: "crop too much", op: mode(13, "constant"), in: []*tensor.Tensor{data, vec(-2, 0, -2, 0)}, wantErr: "remove more"},
		{name: "wrap before 19", op: mode(18, "wrap"), in: []*tensor.Tensor{data, vec(0, 0, 0, 0)}, wantErr: "opset 19"},
		{name: "bad mode", op: mode(18, "mirror"), in: []*tensor.Tensor{data, vec(0, 0, 0, 0)}, wantErr: "mode"},
		{name: "edge of empty", op: mode(13, "edge"), in: []*tensor.Tensor{f32(sh(0)), vec(1, 1)}, wantErr: "size 0"},
		{name: "value type", op: mode(13, "constant"), in: []*tensor.Tensor{data, vec(0, 0, 0, 0), vec(1)}, wantErr: "must match"},
		{name: "huge", op: mode(13, "constant"), in: []*tensor.Tensor{data, vec(1<<34, 0, 1<<34, 0)}, wantErr: "more than"},
	})
}

func TestCenterCropPad(t *testing.T) {
	x := f32(sh(3, 4), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	op := opstest.Op{Type: "CenterCropPad", Opset: 18}
	runCases(t, []kase{
		// Crop 3→1 rows (start 1) and pad 4→7 columns (1 left, 2 right).
		{name: "crop and pad", op: op, in: []*tensor.Tensor{x, vec(1, 7)}, want: []*tensor.Tensor{f32(sh(1, 7), 0, 5, 6, 7, 8, 0, 0)}},
		// Odd crop 4→1: start floor(3/2) = 1.
		{name: "axes", op: opstest.Op{Type: "CenterCropPad", Opset: 18, Attrs: []*graph.Attribute{intsA("axes", -1)}}, in: []*tensor.Tensor{x, i32(sh(1), 1)},
			want: []*tensor.Tensor{f32(sh(3, 1), 2, 6, 10)}},
		{name: "same", op: op, in: []*tensor.Tensor{x, vec(3, 4)}, want: []*tensor.Tensor{x}},
		{name: "length", op: op, in: []*tensor.Tensor{x, vec(3)}, wantErr: "entries"},
		{name: "negative", op: op, in: []*tensor.Tensor{x, vec(3, -1)}, wantErr: ">= 0"},
	})
}
