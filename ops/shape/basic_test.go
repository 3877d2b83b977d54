package shape

import (
	"context"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestShapeSize(t *testing.T) {
	x := f32(sh(2, 3, 4), seq(24)...)
	runCases(t, []kase{
		{name: "shape", op: opstest.Op{Type: "Shape", Opset: 13}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3, 4)}},
		{name: "scalar", op: opstest.Op{Type: "Shape", Opset: 13}, in: []*tensor.Tensor{tensor.Scalar(float32(1))}, want: []*tensor.Tensor{vec()}},
		{name: "start1", op: opstest.Op{Type: "Shape", Opset: 15, Attrs: []*graph.Attribute{iattr("start", 1)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(3, 4)}},
		{name: "end-1", op: opstest.Op{Type: "Shape", Opset: 15, Attrs: []*graph.Attribute{iattr("end", -1)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3)}},
		{name: "clip", op: opstest.Op{Type: "Shape", Opset: 15, Attrs: []*graph.Attribute{iattr("start", -10), iattr("end", 10)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3, 4)}},
		{name: "empty range", op: opstest.Op{Type: "Shape", Opset: 15, Attrs: []*graph.Attribute{iattr("start", 2), iattr("end", 1)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec()}},
		{name: "start ignored before 15", op: opstest.Op{Type: "Shape", Opset: 13, Attrs: []*graph.Attribute{iattr("start", 1)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3, 4)}},
		{name: "size", op: opstest.Op{Type: "Size", Opset: 13}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{tensor.Scalar(int64(24))}},
		{name: "size strings", op: opstest.Op{Type: "Size", Opset: 1}, in: []*tensor.Tensor{strs(sh(0, 3))}, want: []*tensor.Tensor{tensor.Scalar(int64(0))}},
	})
}

func TestIdentity(t *testing.T) {
	x := strs(sh(2), "a", "b")
	runCases(t, []kase{
		{name: "tensor", op: opstest.Op{Type: "Identity", Opset: 1}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{x}},
	})
	// Sequences and optionals pass through (opset 14/16).
	b, ok := ops.Lookup("", "Identity", 16)
	if !ok {
		t.Fatal("Identity-16 not registered")
	}
	k, err := b(&ops.Node{Node: &graph.Node{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"b"}}, Opset: 16})
	if err != nil {
		t.Fatal(err)
	}
	sq := &tensor.Sequence{ElemType: tensor.Float32, Tensors: []*tensor.Tensor{f32(sh(1), 1)}}
	out, err := k.Run(&ops.RunContext{Ctx: context.Background()}, []tensor.Value{sq})
	if err != nil || out[0] != tensor.Value(sq) {
		t.Fatalf("sequence identity: got %v, %v", out, err)
	}
}

func TestReshape(t *testing.T) {
	x := f32(sh(2, 3, 4), seq(24)...)
	op := opstest.Op{Type: "Reshape", Opset: 14}
	runCases(t, []kase{
		{name: "plain", op: op, in: []*tensor.Tensor{x, vec(4, 6)}, want: []*tensor.Tensor{f32(sh(4, 6), seq(24)...)}},
		{name: "minus one", op: op, in: []*tensor.Tensor{x, vec(-1, 2)}, want: []*tensor.Tensor{f32(sh(12, 2), seq(24)...)}},
		{name: "zero copies", op: op, in: []*tensor.Tensor{x, vec(0, -1)}, want: []*tensor.Tensor{f32(sh(2, 12), seq(24)...)}},
		{name: "to scalar", op: op, in: []*tensor.Tensor{f32(sh(1, 1), 7), vec()}, want: []*tensor.Tensor{tensor.Scalar(float32(7))}},
		{name: "allowzero", op: opstest.Op{Type: "Reshape", Opset: 14, Attrs: []*graph.Attribute{iattr("allowzero", 1)}},
			in: []*tensor.Tensor{f32(sh(0, 3)), vec(3, 0)}, want: []*tensor.Tensor{f32(sh(3, 0))}},
		{name: "opset1 attr", op: opstest.Op{Type: "Reshape", Opset: 1, Attrs: []*graph.Attribute{intsA("shape", 6, -1)}},
			in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(6, 4), seq(24)...)}},
		{name: "strings", op: op, in: []*tensor.Tensor{strs(sh(2, 2), "a", "b", "c", "d"), vec(4)}, want: []*tensor.Tensor{strs(sh(4), "a", "b", "c", "d")}},
		{name: "two -1", op: op, in: []*tensor.Tensor{x, vec(-1, -1)}, wantErr: "more than one -1"},
		{name: "mismatch", op: op, in: []*tensor.Tensor{x, vec(5, 5)}, wantErr: "cannot reshape"},
		{name: "indivisible", op: op, in: []*tensor.Tensor{x, vec(5, -1)}, wantErr: "cannot reshape"},
		{name: "zero past rank", op: op, in: []*tensor.Tensor{f32(sh(6), seq(6)...), vec(3, 0)}, wantErr: "copies an input dimension"},
		{name: "negative", op: op, in: []*tensor.Tensor{x, vec(-2, 12)}, wantErr: "invalid dimension"},
		{name: "zero and -1 with allowzero", op: opstest.Op{Type: "Reshape", Opset: 14, Attrs: []*graph.Attribute{iattr("allowzero", 1)}},
			in: []*tensor.Tensor{f32(sh(0, 3)), vec(0, -1)}, wantErr: "zero product"},
		{name: "overflowing shape", op: op, in: []*tensor.Tensor{x, vec(1<<34, 1<<34, 0)}, wantErr: "more than"},
		{name: "float shape", op: op, in: []*tensor.Tensor{x, f32(sh(2), 4, 6)}, wantErr: "integer"},
		{name: "missing shape", op: op, in: []*tensor.Tensor{x, nil}, wantErr: "missing"},
	})
}

func TestFlatten(t *testing.T) {
	x := f32(sh(2, 3, 4), seq(24)...)
	mk := func(axis int64) opstest.Op {
		return opstest.Op{Type: "Flatten", Opset: 13, Attrs: []*graph.Attribute{iattr("axis", axis)}}
	}
	runCases(t, []kase{
		{name: "default", op: opstest.Op{Type: "Flatten", Opset: 13}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(2, 12), seq(24)...)}},
		{name: "axis0", op: mk(0), in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(1, 24), seq(24)...)}},
		{name: "axis3", op: mk(3), in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(24, 1), seq(24)...)}},
		{name: "axis-1", op: mk(-1), in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(6, 4), seq(24)...)}},
		{name: "axis out of range", op: mk(4), in: []*tensor.Tensor{x}, wantErr: "out of range"},
	})
}

func TestSqueezeUnsqueeze(t *testing.T) {
	x := f32(sh(1, 3, 1, 2), seq(6)...)
	runCases(t, []kase{
		{name: "squeeze all", op: opstest.Op{Type: "Squeeze", Opset: 13}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(3, 2), seq(6)...)}},
		{name: "squeeze input axes", op: opstest.Op{Type: "Squeeze", Opset: 13}, in: []*tensor.Tensor{x, vec(-2)}, want: []*tensor.Tensor{f32(sh(1, 3, 2), seq(6)...)}},
		{name: "squeeze attr axes", op: opstest.Op{Type: "Squeeze", Opset: 11, Attrs: []*graph.Attribute{intsA("axes", 0)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(3, 1, 2), seq(6)...)}},
		{name: "squeeze non-1", op: opstest.Op{Type: "Squeeze", Opset: 13}, in: []*tensor.Tensor{x, vec(1)}, wantErr: "not 1"},
		{name: "squeeze bad axis", op: opstest.Op{Type: "Squeeze", Opset: 13}, in: []*tensor.Tensor{x, vec(4)}, wantErr: "out of range"},
		{name: "unsqueeze", op: opstest.Op{Type: "Unsqueeze", Opset: 13}, in: []*tensor.Tensor{f32(sh(3, 2), seq(6)...), vec(0, 3)}, want: []*tensor.Tensor{f32(sh(1, 3, 2, 1), seq(6)...)}},
		{name: "unsqueeze negative unsorted", op: opstest.Op{Type: "Unsqueeze", Opset: 13}, in: []*tensor.Tensor{f32(sh(3, 2), seq(6)...), vec(-1, 1)}, want: []*tensor.Tensor{f32(sh(3, 1, 2, 1), seq(6)...)}},
		{name: "unsqueeze scalar", op: opstest.Op{Type: "Unsqueeze", Opset: 13}, in: []*tensor.Tensor{tensor.Scalar(int64(5)), vec(0)}, want: []*tensor.Tensor{vec(5)}},
		{name: "unsqueeze attr", op: opstest.Op{Type: "Unsqueeze", Opset: 1, Attrs: []*graph.Attribute{intsA("axes", 1)}}, in: []*tensor.Tensor{f32(sh(3), 1, 2, 3)}, want: []*tensor.Tensor{f32(sh(3, 1), 1, 2, 3)}},
		{name: "unsqueeze dup", op: opstest.Op{Type: "Unsqueeze", Opset: 13}, in: []*tensor.Tensor{f32(sh(3), 1, 2, 3), vec(1, 1)}, wantErr: "repeated"},
		{name: "unsqueeze missing axes", op: opstest.Op{Type: "Unsqueeze", Opset: 13}, in: []*tensor.Tensor{f32(sh(3), 1, 2, 3)}, wantErr: "axes"},
	})
}

func TestDropout(t *testing.T) {
	x := f32(sh(2, 2), 1, -2, 3, 4)
	runCases(t, []kase{
		{name: "identity", op: opstest.Op{Type: "Dropout", Opset: 13}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{x}},
		{name: "mask", op: opstest.Op{Type: "Dropout", Opset: 13, Outputs: 2}, in: []*tensor.Tensor{x, f32(nil, 0.3)},
			want: []*tensor.Tensor{x, bools(sh(2, 2), true, true, true, true)}},
		{name: "training false", op: opstest.Op{Type: "Dropout", Opset: 12, Outputs: 2}, in: []*tensor.Tensor{x, f32(nil, 0.3), tensor.Scalar(false)},
			want: []*tensor.Tensor{x, bools(sh(2, 2), true, true, true, true)}},
		{name: "training zero ratio", op: opstest.Op{Type: "Dropout", Opset: 13}, in: []*tensor.Tensor{x, f32(nil, 0), tensor.Scalar(true)}, want: []*tensor.Tensor{x}},
		{name: "training", op: opstest.Op{Type: "Dropout", Opset: 13}, in: []*tensor.Tensor{x, f32(nil, 0.5), tensor.Scalar(true)}, wantErr: "training mode"},
		{name: "old float mask", op: opstest.Op{Type: "Dropout", Opset: 7, Outputs: 2, Attrs: []*graph.Attribute{opstest.Float("ratio", 0.2)}}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{x, f32(sh(2, 2), 1, 1, 1, 1)}},
		{name: "is_test", op: opstest.Op{Type: "Dropout", Opset: 6, Attrs: []*graph.Attribute{iattr("is_test", 1)}}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{x}},
	})
}
