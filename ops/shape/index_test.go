package shape

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestGather(t *testing.T) {
	data := f32(sh(3, 2), 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)
	data3 := f32(sh(3, 3), 1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9)
	axis := func(a int64) opstest.Op {
		return opstest.Op{Type: "Gather", Opset: 13, Attrs: []*graph.Attribute{iattr("axis", a)}}
	}
	runCases(t, []kase{
		// The spec's examples.
		{name: "example1", op: axis(0), in: []*tensor.Tensor{data, i64(sh(2, 2), 0, 1, 1, 2)},
			want: []*tensor.Tensor{f32(sh(2, 2, 2), 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7)}},
		{name: "example2", op: axis(1), in: []*tensor.Tensor{data3, i64(sh(1, 2), 0, 2)},
			want: []*tensor.Tensor{f32(sh(3, 1, 2), 1.0, 1.9, 2.3, 3.9, 4.5, 5.9)}},
		{name: "negative", op: axis(0), in: []*tensor.Tensor{data, i32(sh(2), -1, -3)}, want: []*tensor.Tensor{f32(sh(2, 2), 4.5, 5.7, 1.0, 1.2)}},
		{name: "scalar index", op: axis(-1), in: []*tensor.Tensor{data, tensor.Scalar(int64(1))}, want: []*tensor.Tensor{f32(sh(3), 1.2, 3.4, 5.7)}},
		{name: "strings", op: axis(0), in: []*tensor.Tensor{strs(sh(3), "a", "b", "c"), vec(2, 2, 0)}, want: []*tensor.Tensor{strs(sh(3), "c", "c", "a")}},
		{name: "empty indices", op: axis(0), in: []*tensor.Tensor{data, vec()}, want: []*tensor.Tensor{f32(sh(0, 2))}},
		{name: "out of range", op: axis(0), in: []*tensor.Tensor{data, vec(3)}, wantErr: "out of range"},
		{name: "too negative", op: axis(0), in: []*tensor.Tensor{data, vec(-4)}, wantErr: "out of range"},
		{name: "float indices", op: axis(0), in: []*tensor.Tensor{data, f32(sh(1), 0)}, wantErr: "int32 or int64"},
		{name: "bad axis", op: axis(2), in: []*tensor.Tensor{data, vec(0)}, wantErr: "out of range"},
		{name: "scalar data", op: axis(0), in: []*tensor.Tensor{tensor.Scalar(float32(1)), vec(0)}, wantErr: "rank"},
	})
}

func TestGatherElements(t *testing.T) {
	op := func(a int64) opstest.Op {
		return opstest.Op{Type: "GatherElements", Opset: 13, Attrs: []*graph.Attribute{iattr("axis", a)}}
	}
	runCases(t, []kase{
		{name: "example1", op: op(1), in: []*tensor.Tensor{i64(sh(2, 2), 1, 2, 3, 4), i64(sh(2, 2), 0, 0, 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 2), 1, 1, 4, 3)}},
		{name: "example2", op: op(0), in: []*tensor.Tensor{i64(sh(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), i64(sh(2, 3), 1, 2, 0, 2, 0, 0)},
			want: []*tensor.Tensor{i64(sh(2, 3), 4, 8, 3, 7, 2, 3)}},
		{name: "negative", op: op(0), in: []*tensor.Tensor{i64(sh(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), i32(sh(2, 3), -1, -2, 0, -2, 0, 0)},
			want: []*tensor.Tensor{i64(sh(2, 3), 7, 5, 3, 4, 2, 3)}},
		{name: "out of range", op: op(0), in: []*tensor.Tensor{i64(sh(2), 1, 2), vec(2)}, wantErr: "out of range"},
		{name: "rank mismatch", op: op(0), in: []*tensor.Tensor{i64(sh(2), 1, 2), i64(sh(1, 1), 0)}, wantErr: "same rank"},
		{name: "indices too big", op: op(0), in: []*tensor.Tensor{i64(sh(2, 1), 1, 2), i64(sh(1, 2), 0, 0)}, wantErr: "exceeds"},
	})
}

func TestGatherND(t *testing.T) {
	d2 := i64(sh(2, 2), 0, 1, 2, 3)
	d3 := i64(sh(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7)
	op := opstest.Op{Type: "GatherND", Opset: 13}
	runCases(t, []kase{
		// The spec's five examples.
		{name: "example1", op: op, in: []*tensor.Tensor{d2, i64(sh(2, 2), 0, 0, 1, 1)}, want: []*tensor.Tensor{vec(0, 3)}},
		{name: "example2", op: op, in: []*tensor.Tensor{d2, i64(sh(2, 1), 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 0, 1)}},
		{name: "example3", op: op, in: []*tensor.Tensor{d3, i64(sh(2, 2), 0, 1, 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 4, 5)}},
		{name: "example4", op: op, in: []*tensor.Tensor{d3, i64(sh(2, 1, 2), 0, 1, 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 1, 2), 2, 3, 4, 5)}},
		{name: "example5", op: opstest.Op{Type: "GatherND", Opset: 12, Attrs: []*graph.Attribute{iattr("batch_dims", 1)}}, in: []*tensor.Tensor{d3, i64(sh(2, 1), 1, 0)},
			want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 4, 5)}},
		{name: "negative", op: op, in: []*tensor.Tensor{d2, i64(sh(1, 2), -1, -2)}, want: []*tensor.Tensor{vec(2)}},
		{name: "out of range", op: op, in: []*tensor.Tensor{d2, i64(sh(1, 2), 0, 2)}, wantErr: "out of range"},
		{name: "k too big", op: op, in: []*tensor.Tensor{d2, i64(sh(1, 3), 0, 0, 0)}, wantErr: "last dimension"},
		{name: "batch mismatch", op: opstest.Op{Type: "GatherND", Opset: 12, Attrs: []*graph.Attribute{iattr("batch_dims", 1)}}, in: []*tensor.Tensor{d3, i64(sh(3, 1), 1, 0, 0)}, wantErr: "batch dimension"},
	})
}

func TestCompress(t *testing.T) {
	x := f32(sh(3, 2), 1, 2, 3, 4, 5, 6)
	ax := func(a int64) opstest.Op {
		return opstest.Op{Type: "Compress", Opset: 11, Attrs: []*graph.Attribute{iattr("axis", a)}}
	}
	runCases(t, []kase{
		// The spec's examples (numpy.compress).
		{name: "axis0", op: ax(0), in: []*tensor.Tensor{x, bools(sh(3), false, true, true)}, want: []*tensor.Tensor{f32(sh(2, 2), 3, 4, 5, 6)}},
		{name: "axis1", op: ax(1), in: []*tensor.Tensor{x, bools(sh(2), false, true)}, want: []*tensor.Tensor{f32(sh(3, 1), 2, 4, 6)}},
		{name: "flat", op: opstest.Op{Type: "Compress", Opset: 11}, in: []*tensor.Tensor{x, bools(sh(5), false, true, false, false, true)}, want: []*tensor.Tensor{f32(sh(2), 2, 5)}},
		{name: "negative axis", op: ax(-1), in: []*tensor.Tensor{x, bools(sh(2), false, true)}, want: []*tensor.Tensor{f32(sh(3, 1), 2, 4, 6)}},
		{name: "selects past end", op: ax(1), in: []*tensor.Tensor{x, bools(sh(3), false, false, true)}, wantErr: "size 2"},
	})
}

func TestScatterElements(t *testing.T) {
	zeros := f32(sh(3, 3), 0, 0, 0, 0, 0, 0, 0, 0, 0)
	ind := i64(sh(2, 3), 1, 0, 2, 0, 2, 1)
	upd := f32(sh(2, 3), 1.0, 1.1, 1.2, 2.0, 2.1, 2.2)
	want1 := f32(sh(3, 3), 2.0, 1.1, 0.0, 1.0, 0.0, 2.2, 0.0, 2.1, 1.2)
	se := func(opset int, attrs ...*graph.Attribute) opstest.Op {
		return opstest.Op{Type: "ScatterElements", Opset: opset, Attrs: attrs}
	}
	row := f32(sh(1, 5), 1, 2, 3, 4, 5)
	runCases(t, []kase{
		// The spec's examples.
		{name: "example1", op: se(11), in: []*tensor.Tensor{zeros, ind, upd}, want: []*tensor.Tensor{want1}},
		{name: "scatter-9 alias", op: opstest.Op{Type: "Scatter", Opset: 9}, in: []*tensor.Tensor{zeros, ind, upd}, want: []*tensor.Tensor{want1}},
		{name: "example2", op: se(13, iattr("axis", 1)), in: []*tensor.Tensor{row, i64(sh(1, 2), 1, 3), f32(sh(1, 2), 1.1, 2.1)},
			want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 3, 2.1, 5)}},
		{name: "negative", op: se(13, iattr("axis", 1)), in: []*tensor.Tensor{row, i64(sh(1, 2), 1, -3), f32(sh(1, 2), 1.1, 2.1)},
			want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 2.1, 4, 5)}},
		{name: "add duplicates", op: se(16, iattr("axis", 1), opstest.String("reduction", "add")), in: []*tensor.Tensor{row, i64(sh(1, 2), 1, 1), f32(sh(1, 2), 1.1, 2.1)},
			want: []*tensor.Tensor{f32(sh(1, 5), 1, 5.2, 3, 4, 5)}},
		{name: "mul", op: se(16, iattr("axis", 1), opstest.String("reduction", "mul")), in: []*tensor.Tensor{row, i64(sh(1, 2), 1, 1), f32(sh(1, 2), 1.5, 2)},
			want: []*tensor.Tensor{f32(sh(1, 5), 1, 6, 3, 4, 5)}},
		{name: "max", op: se(18, iattr("axis", 1), opstest.String("reduction", "max")), in: []*tensor.Tensor{row, i64(sh(1, 2), 1, 1), f32(sh(1, 2), 1.1, 2.1)},
			want: []*tensor.Tensor{f32(sh(1, 5), 1, 2.1, 3, 4, 5)}},
		{name: "min int", op: se(18, iattr("axis", 1), opstest.String("reduction", "min")), in: []*tensor.Tensor{i64(sh(1, 3), 5, 5, 5), i64(sh(1, 2), 0, 0), i64(sh(1, 2), 7, 3)},
			want: []*tensor.Tensor{i64(sh(1, 3), 3, 5, 5)}},
		{name: "f16 add", op: se(16, opstest.String("reduction", "add")), in: []*tensor.Tensor{f16(sh(2), 1, 2), vec(1), f16(sh(1), 0.5)},
			want: []*tensor.Tensor{f16(sh(2), 1, 2.5)}},
		{name: "strings", op: se(13), in: []*tensor.Tensor{strs(sh(2), "a", "b"), vec(0), strs(sh(1), "z")}, want: []*tensor.Tensor{strs(sh(2), "z", "b")}},
		{name: "string add", op: se(16, opstest.String("reduction", "add")), in: []*tensor.Tensor{strs(sh(2), "a", "b"), vec(0), strs(sh(1), "z")}, wantErr: "not defined"},
		{name: "max before 18", op: se(16, opstest.String("reduction", "max")), in: []*tensor.Tensor{row, i64(sh(1, 1), 1), f32(sh(1, 1), 1)}, wantErr: "opset 18"},
		{name: "out of range", op: se(13), in: []*tensor.Tensor{zeros, i64(sh(1, 1), 3), f32(sh(1, 1), 1)}, wantErr: "out of range"},
		{name: "shape mismatch", op: se(13), in: []*tensor.Tensor{zeros, i64(sh(1, 1), 0), f32(sh(1, 2), 1, 2)}, wantErr: "must equal"},
		{name: "type mismatch", op: se(13), in: []*tensor.Tensor{zeros, i64(sh(1, 1), 0), i64(sh(1, 1), 1)}, wantErr: "must match"},
	})
}

func TestScatterND(t *testing.T) {
	nd := func(opset int, red string) opstest.Op {
		op := opstest.Op{Type: "ScatterND", Opset: opset}
		if red != "" {
			op.Attrs = []*graph.Attribute{opstest.String("reduction", red)}
		}
		return op
	}
	d1 := f32(sh(8), 1, 2, 3, 4, 5, 6, 7, 8)
	d3 := f32(sh(4, 4, 4),
		1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8)
	u3 := f32(sh(2, 4, 4),
		5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8,
		1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4)
	w3 := f32(sh(4, 4, 4),
		5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8,
		1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
		1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8)
	runCases(t, []kase{
		// The spec's examples.
		{name: "example1", op: nd(11, ""), in: []*tensor.Tensor{d1, i64(sh(4, 1), 4, 3, 1, 7), f32(sh(4), 9, 10, 11, 12)},
			want: []*tensor.Tensor{f32(sh(8), 1, 11, 3, 10, 9, 6, 7, 12)}},
		{name: "example2", op: nd(13, ""), in: []*tensor.Tensor{d3, i64(sh(2, 1), 0, 2), u3}, want: []*tensor.Tensor{w3}},
		{name: "add", op: nd(16, "add"), in: []*tensor.Tensor{d1, i64(sh(2, 1), 0, 0), f32(sh(2), 5, 6)}, want: []*tensor.Tensor{f32(sh(8), 12, 2, 3, 4, 5, 6, 7, 8)}},
		{name: "mul", op: nd(16, "mul"), in: []*tensor.Tensor{d1, i64(sh(2, 1), 1, 1), f32(sh(2), 3, 4)}, want: []*tensor.Tensor{f32(sh(8), 1, 24, 3, 4, 5, 6, 7, 8)}},
		{name: "max", op: nd(18, "max"), in: []*tensor.Tensor{d1, i64(sh(2, 1), 2, 3), f32(sh(2), 1, 9)}, want: []*tensor.Tensor{f32(sh(8), 1, 2, 3, 9, 5, 6, 7, 8)}},
		{name: "min", op: nd(18, "min"), in: []*tensor.Tensor{d1, i64(sh(2, 1), 2, 3), f32(sh(2), 1, 9)}, want: []*tensor.Tensor{f32(sh(8), 1, 2, 1, 4, 5, 6, 7, 8)}},
		{name: "full index", op: nd(13, ""), in: []*tensor.Tensor{i64(sh(2, 2), 0, 0, 0, 0), i64(sh(1, 2), -1, 0), vec(7)}, want: []*tensor.Tensor{i64(sh(2, 2), 0, 0, 7, 0)}},
		{name: "bool", op: nd(13, ""), in: []*tensor.Tensor{bools(sh(2), false, false), i64(sh(1, 1), 1), bools(sh(1), true)}, want: []*tensor.Tensor{bools(sh(2), false, true)}},
		{name: "out of range", op: nd(13, ""), in: []*tensor.Tensor{d1, i64(sh(1, 1), 8), f32(sh(1), 1)}, wantErr: "out of range"},
		{name: "updates shape", op: nd(13, ""), in: []*tensor.Tensor{d1, i64(sh(1, 1), 0), f32(sh(2), 1, 2)}, wantErr: "updates shape"},
		{name: "bad reduction", op: nd(18, "avg"), in: []*tensor.Tensor{d1, i64(sh(1, 1), 0), f32(sh(1), 1)}, wantErr: "reduction"},
	})
}
