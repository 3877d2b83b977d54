package shape

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestNonZero(t *testing.T) {
	op := opstest.Op{Type: "NonZero", Opset: 13}
	runCases(t, []kase{
		// The spec's example.
		{name: "example", op: op, in: []*tensor.Tensor{bools(sh(2, 2), true, false, true, true)}, want: []*tensor.Tensor{i64(sh(2, 3), 0, 1, 1, 0, 0, 1)}},
		{name: "floats", op: op, in: []*tensor.Tensor{f32(sh(4), 0, float32(math.Copysign(0, -1)), 2, float32(math.NaN()))}, want: []*tensor.Tensor{i64(sh(1, 2), 2, 3)}},
		{name: "f16", op: op, in: []*tensor.Tensor{f16(sh(3), 0, -0.0, 1)}, want: []*tensor.Tensor{i64(sh(1, 1), 2)}},
		{name: "strings", op: op, in: []*tensor.Tensor{strs(sh(3), "", "x", "")}, want: []*tensor.Tensor{i64(sh(1, 1), 1)}},
		{name: "none", op: op, in: []*tensor.Tensor{i32(sh(2, 1), 0, 0)}, want: []*tensor.Tensor{i64(sh(2, 0))}},
		{name: "scalar", op: op, in: []*tensor.Tensor{tensor.Scalar(int64(5))}, want: []*tensor.Tensor{i64(sh(1, 1), 0)}},
	})
}

func TestTrilu(t *testing.T) {
	x := i64(sh(3, 4), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	up := func(u int64) opstest.Op {
		return opstest.Op{Type: "Trilu", Opset: 14, Attrs: []*graph.Attribute{iattr("upper", u)}}
	}
	runCases(t, []kase{
		{name: "triu", op: up(1), in: []*tensor.Tensor{x}, want: []*tensor.Tensor{i64(sh(3, 4), 1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12)}},
		{name: "triu k=1", op: up(1), in: []*tensor.Tensor{x, scalar64(1)}, want: []*tensor.Tensor{i64(sh(3, 4), 0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12)}},
		{name: "triu k=-1", op: up(1), in: []*tensor.Tensor{x, scalar64(-1)}, want: []*tensor.Tensor{i64(sh(3, 4), 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12)}},
		{name: "tril", op: up(0), in: []*tensor.Tensor{x}, want: []*tensor.Tensor{i64(sh(3, 4), 1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0)}},
		{name: "tril k=-1", op: up(0), in: []*tensor.Tensor{x, scalar64(-1)}, want: []*tensor.Tensor{i64(sh(3, 4), 0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0)}},
		{name: "tril k=10", op: up(0), in: []*tensor.Tensor{x, scalar64(10)}, want: []*tensor.Tensor{x}},
		{name: "triu k=max", op: up(1), in: []*tensor.Tensor{x, scalar64(math.MaxInt64)}, want: []*tensor.Tensor{i64(sh(3, 4), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)}},
		{name: "tril k=min", op: up(0), in: []*tensor.Tensor{x, scalar64(math.MinInt64)}, want: []*tensor.Tensor{i64(sh(3, 4), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)}},
		{name: "triu k=-10", op: up(1), in: []*tensor.Tensor{x, scalar64(-10)}, want: []*tensor.Tensor{x}},
		{name: "batched", op: up(1), in: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)}, want: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 2, 0, 4, 5, 6, 0, 8)}},
		{name: "bool", op: up(0), in: []*tensor.Tensor{bools(sh(2, 2), true, true, true, true)}, want: []*tensor.Tensor{bools(sh(2, 2), true, false, true, true)}},
		{name: "rank 1", op: up(0), in: []*tensor.Tensor{vec(1, 2)}, wantErr: "rank >= 2"},
	})
}

func TestReverseSequence(t *testing.T) {
	// The spec's two examples.
	x := f32(sh(4, 4), seq(16)...)
	ex1in := f32(sh(4, 4), 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
	op := func(batch, time int64) opstest.Op {
		return opstest.Op{Type: "ReverseSequence", Opset: 10, Attrs: []*graph.Attribute{iattr("batch_axis", batch), iattr("time_axis", time)}}
	}
	runCases(t, []kase{
		{name: "example1", op: op(1, 0), in: []*tensor.Tensor{ex1in, vec(4, 3, 2, 1)},
			want: []*tensor.Tensor{f32(sh(4, 4), 3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15)}},
		{name: "example2", op: op(0, 1), in: []*tensor.Tensor{x, vec(1, 2, 3, 4)},
			want: []*tensor.Tensor{f32(sh(4, 4), 0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12)}},
		{name: "inner dims", op: op(1, 0), in: []*tensor.Tensor{strs(sh(2, 1, 2), "a", "b", "c", "d"), vec(2)},
			want: []*tensor.Tensor{strs(sh(2, 1, 2), "c", "d", "a", "b")}},
		{name: "len too long", op: op(1, 0), in: []*tensor.Tensor{x, vec(5, 1, 1, 1)}, wantErr: "want 0..4"},
		{name: "lens count", op: op(1, 0), in: []*tensor.Tensor{x, vec(1)}, wantErr: "batch size"},
		{name: "bad axes", op: op(1, 1), in: []*tensor.Tensor{x, vec(1)}, wantErr: "batch_axis"},
	})
}

func TestUnique(t *testing.T) {
	u := func(sorted int64, axis ...int64) opstest.Op {
		op := opstest.Op{Type: "Unique", Opset: 11, Outputs: 4, Attrs: []*graph.Attribute{iattr("sorted", sorted)}}
		if axis != nil {
			op.Attrs = append(op.Attrs, iattr("axis", axis[0]))
		}
		return op
	}
	runCases(t, []kase{
		// The spec's four examples.
		{name: "example1", op: u(0), in: []*tensor.Tensor{f32(sh(6), 2, 1, 1, 3, 4, 3)},
			want: []*tensor.Tensor{f32(sh(4), 2, 1, 3, 4), vec(0, 1, 3, 4), vec(0, 1, 1, 2, 3, 2), vec(1, 2, 2, 1)}},
		{name: "example2", op: u(1), in: []*tensor.Tensor{f32(sh(2, 2), 1, 3, 2, 3)},
			want: []*tensor.Tensor{f32(sh(3), 1, 2, 3), vec(0, 2, 1), vec(0, 2, 1, 2), vec(1, 1, 2)}},
		{name: "example3", op: u(1, 0), in: []*tensor.Tensor{f32(sh(3, 3), 1, 0, 0, 1, 0, 0, 2, 3, 4)},
			want: []*tensor.Tensor{f32(sh(2, 3), 1, 0, 0, 2, 3, 4), vec(0, 2), vec(0, 0, 1), vec(2, 1)}},
		{name: "example4", op: u(1, 1), in: []*tensor.Tensor{f32(sh(2, 4, 2), 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1)},
			want: []*tensor.Tensor{f32(sh(2, 3, 2), 0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1), vec(1, 0, 2), vec(1, 0, 2, 0), vec(2, 1, 1)}},
		{name: "negative axis", op: u(1, -2), in: []*tensor.Tensor{f32(sh(2, 4, 2), 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1)},
			want: []*tensor.Tensor{f32(sh(2, 3, 2), 0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1), vec(1, 0, 2), vec(1, 0, 2, 0), vec(2, 1, 1)}},
		{name: "strings", op: u(1), in: []*tensor.Tensor{strs(sh(4), "b", "a", "b", "c")},
			want: []*tensor.Tensor{strs(sh(3), "a", "b", "c"), vec(1, 0, 3), vec(1, 0, 1, 2), vec(1, 2, 1)}},
		{name: "empty", op: u(1), in: []*tensor.Tensor{i64(sh(0))}, want: []*tensor.Tensor{i64(sh(0)), vec(), vec(), vec()}},
	})
	// Only Y requested.
	opstest.Expect(t, opstest.Op{Type: "Unique", Opset: 11}, []*tensor.Tensor{i32(sh(3), 3, 1, 3)}, i32(sh(2), 1, 3))
}

func TestConstants(t *testing.T) {
	runCases(t, []kase{
		{name: "value", op: opstest.Op{Type: "Constant", Opset: 13, Attrs: []*graph.Attribute{opstest.TensorAttr("value", vec(1, 2))}}, want: []*tensor.Tensor{vec(1, 2)}},
		{name: "value_float", op: opstest.Op{Type: "Constant", Opset: 13, Attrs: []*graph.Attribute{opstest.Float("value_float", 2.5)}}, want: []*tensor.Tensor{tensor.Scalar(float32(2.5))}},
		{name: "value_floats", op: opstest.Op{Type: "Constant", Opset: 13, Attrs: []*graph.Attribute{opstest.Floats("value_floats", 1, 2)}}, want: []*tensor.Tensor{f32(sh(2), 1, 2)}},
		{name: "value_int", op: opstest.Op{Type: "Constant", Opset: 12, Attrs: []*graph.Attribute{iattr("value_int", 7)}}, want: []*tensor.Tensor{scalar64(7)}},
		{name: "value_ints", op: opstest.Op{Type: "Constant", Opset: 12, Attrs: []*graph.Attribute{intsA("value_ints", 7, 8)}}, want: []*tensor.Tensor{vec(7, 8)}},
		{name: "value_string", op: opstest.Op{Type: "Constant", Opset: 12, Attrs: []*graph.Attribute{opstest.String("value_string", "hi")}}, want: []*tensor.Tensor{tensor.Scalar("hi")}},
		{name: "value_strings", op: opstest.Op{Type: "Constant", Opset: 12, Attrs: []*graph.Attribute{opstest.Strings("value_strings", "a", "b")}}, want: []*tensor.Tensor{strs(sh(2), "a", "b")}},
		{name: "sparse (densified)", op: opstest.Op{Type: "Constant", Opset: 11, Attrs: []*graph.Attribute{{Name: "sparse_value", Type: graph.AttrSparseTensor, T: vec(0, 3, 0)}}}, want: []*tensor.Tensor{vec(0, 3, 0)}},
		{name: "none", op: opstest.Op{Type: "Constant", Opset: 13}, wantErr: "exactly one"},
		{name: "two", op: opstest.Op{Type: "Constant", Opset: 13, Attrs: []*graph.Attribute{iattr("value_int", 7), opstest.Float("value_float", 1)}}, wantErr: "exactly one"},

		{name: "cos default", op: opstest.Op{Type: "ConstantOfShape", Opset: 9}, in: []*tensor.Tensor{vec(2, 1)}, want: []*tensor.Tensor{f32(sh(2, 1), 0, 0)}},
		{name: "cos int", op: opstest.Op{Type: "ConstantOfShape", Opset: 20, Attrs: []*graph.Attribute{opstest.TensorAttr("value", i32(sh(1), 5))}}, in: []*tensor.Tensor{vec(3)}, want: []*tensor.Tensor{i32(sh(3), 5, 5, 5)}},
		{name: "cos scalar", op: opstest.Op{Type: "ConstantOfShape", Opset: 9, Attrs: []*graph.Attribute{opstest.TensorAttr("value", bools(sh(1), true))}}, in: []*tensor.Tensor{vec()}, want: []*tensor.Tensor{tensor.Scalar(true)}},
		{name: "cos zero dim", op: opstest.Op{Type: "ConstantOfShape", Opset: 9}, in: []*tensor.Tensor{vec(0, 3)}, want: []*tensor.Tensor{f32(sh(0, 3))}},
		{name: "cos negative", op: opstest.Op{Type: "ConstantOfShape", Opset: 9}, in: []*tensor.Tensor{vec(-1)}, wantErr: "want 0.."},
		{name: "cos huge", op: opstest.Op{Type: "ConstantOfShape", Opset: 9}, in: []*tensor.Tensor{vec(1<<30, 1<<30)}, wantErr: "more than"},
		{name: "cos value shape", op: opstest.Op{Type: "ConstantOfShape", Opset: 9, Attrs: []*graph.Attribute{opstest.TensorAttr("value", vec(1, 2))}}, in: []*tensor.Tensor{vec(1)}, wantErr: "one-element"},

		{name: "eyelike", op: opstest.Op{Type: "EyeLike", Opset: 9}, in: []*tensor.Tensor{tensor.Zeros(tensor.Float32, 2, 3)}, want: []*tensor.Tensor{f32(sh(2, 3), 1, 0, 0, 0, 1, 0)}},
		{name: "eyelike k dtype", op: opstest.Op{Type: "EyeLike", Opset: 9, Attrs: []*graph.Attribute{iattr("k", 1), iattr("dtype", int64(tensor.Int32))}}, in: []*tensor.Tensor{tensor.Zeros(tensor.Float32, 3, 3)},
			want: []*tensor.Tensor{i32(sh(3, 3), 0, 1, 0, 0, 0, 1, 0, 0, 0)}},
		{name: "eyelike k<0 bool", op: opstest.Op{Type: "EyeLike", Opset: 22, Attrs: []*graph.Attribute{iattr("k", -1)}}, in: []*tensor.Tensor{bools(sh(2, 2), false, false, false, false)},
			want: []*tensor.Tensor{bools(sh(2, 2), false, false, true, false)}},
		{name: "eyelike rank", op: opstest.Op{Type: "EyeLike", Opset: 9}, in: []*tensor.Tensor{tensor.Zeros(tensor.Float32, 2)}, wantErr: "2-D"},

		{name: "range float", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{f32(nil, 1), f32(nil, 5), f32(nil, 2)}, want: []*tensor.Tensor{f32(sh(2), 1, 3)}},
		{name: "range int neg", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{i32(nil, 10), i32(nil, 6), i32(nil, -3)}, want: []*tensor.Tensor{i32(sh(2), 10, 7)}},
		{name: "range empty", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{scalar64(5), scalar64(1), scalar64(1)}, want: []*tensor.Tensor{vec()}},
		{name: "range exact", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{scalar64(0), scalar64(6), scalar64(3)}, want: []*tensor.Tensor{vec(0, 3)}},
		{name: "range zero delta", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{scalar64(0), scalar64(6), scalar64(0)}, wantErr: "zero"},
		{name: "range huge", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{scalar64(math.MinInt64), scalar64(math.MaxInt64), scalar64(1)}, wantErr: "too many"},
		{name: "range mixed", op: opstest.Op{Type: "Range", Opset: 11}, in: []*tensor.Tensor{scalar64(0), f32(nil, 6), scalar64(1)}, wantErr: "must match"},

		// The spec's OneHot semantics: [off, on] values, depth classes.
		{name: "onehot", op: opstest.Op{Type: "OneHot", Opset: 11}, in: []*tensor.Tensor{vec(0, 2, -1, 5), f32(nil, 3), f32(sh(2), 0, 1)},
			want: []*tensor.Tensor{f32(sh(4, 3), 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0)}},
		{name: "onehot axis0", op: opstest.Op{Type: "OneHot", Opset: 11, Attrs: []*graph.Attribute{iattr("axis", 0)}}, in: []*tensor.Tensor{vec(1, 0), scalar64(2), i64(sh(2), 5, 9)},
			want: []*tensor.Tensor{i64(sh(2, 2), 5, 9, 9, 5)}},
		{name: "onehot v9 negative is off", op: opstest.Op{Type: "OneHot", Opset: 9}, in: []*tensor.Tensor{vec(-1), f32(sh(1), 2), strs(sh(2), "n", "y")},
			want: []*tensor.Tensor{strs(sh(1, 2), "n", "n")}},
		{name: "onehot float indices", op: opstest.Op{Type: "OneHot", Opset: 11}, in: []*tensor.Tensor{f32(sh(2), 1.7, 0), scalar64(2), i32(sh(2), 0, 1)},
			want: []*tensor.Tensor{i32(sh(2, 2), 0, 1, 1, 0)}},
		{name: "onehot values", op: opstest.Op{Type: "OneHot", Opset: 11}, in: []*tensor.Tensor{vec(1), scalar64(2), vec(1)}, wantErr: "two elements"},
		{name: "onehot depth", op: opstest.Op{Type: "OneHot", Opset: 11}, in: []*tensor.Tensor{vec(1), scalar64(-2), vec(0, 1)}, wantErr: "non-negative"},
		{name: "onehot axis", op: opstest.Op{Type: "OneHot", Opset: 11, Attrs: []*graph.Attribute{iattr("axis", 3)}}, in: []*tensor.Tensor{vec(1), scalar64(2), vec(0, 1)}, wantErr: "axis"},
	})
}
