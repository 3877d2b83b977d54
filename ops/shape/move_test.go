package shape

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestConcat(t *testing.T) {
	a := i64(sh(2, 2), 1, 2, 3, 4)
	b := i64(sh(2, 1), 5, 6)
	ax := func(v int64, opset int) opstest.Op {
		return opstest.Op{Type: "Concat", Opset: opset, Attrs: []*graph.Attribute{iattr("axis", v)}}
	}
	runCases(t, []kase{
		{name: "axis1", op: ax(1, 13), in: []*tensor.Tensor{a, b}, want: []*tensor.Tensor{i64(sh(2, 3), 1, 2, 5, 3, 4, 6)}},
		{name: "axis-1", op: ax(-1, 13), in: []*tensor.Tensor{a, b}, want: []*tensor.Tensor{i64(sh(2, 3), 1, 2, 5, 3, 4, 6)}},
		{name: "axis0", op: ax(0, 13), in: []*tensor.Tensor{a, i64(sh(1, 2), 7, 8)}, want: []*tensor.Tensor{i64(sh(3, 2), 1, 2, 3, 4, 7, 8)}},
		{name: "three with empty", op: ax(0, 11), in: []*tensor.Tensor{strs(sh(1), "x"), strs(sh(0)), strs(sh(2), "y", "z")}, want: []*tensor.Tensor{strs(sh(3), "x", "y", "z")}},
		{name: "bool", op: ax(0, 4), in: []*tensor.Tensor{bools(sh(1), true), bools(sh(1), false)}, want: []*tensor.Tensor{bools(sh(2), true, false)}},
		{name: "f16", op: ax(1, 13), in: []*tensor.Tensor{f16(sh(1, 1), 1.5), f16(sh(1, 1), -2)}, want: []*tensor.Tensor{f16(sh(1, 2), 1.5, -2)}},
		{name: "opset1 default axis 1", op: opstest.Op{Type: "Concat", Opset: 1}, in: []*tensor.Tensor{f32(sh(1, 1), 1), f32(sh(1, 1), 2)}, want: []*tensor.Tensor{f32(sh(1, 2), 1, 2)}},
		{name: "axis required", op: opstest.Op{Type: "Concat", Opset: 13}, in: []*tensor.Tensor{a, b}, wantErr: "required"},
		{name: "shape mismatch", op: ax(0, 13), in: []*tensor.Tensor{a, b}, wantErr: "must match"},
		{name: "type mismatch", op: ax(0, 13), in: []*tensor.Tensor{a, f32(sh(1, 2), 1, 2)}, wantErr: "same type"},
		{name: "rank mismatch", op: ax(0, 13), in: []*tensor.Tensor{a, vec(1, 2)}, wantErr: "same rank"},
		{name: "bad axis", op: ax(2, 13), in: []*tensor.Tensor{a, b}, wantErr: "out of range"},
	})
}

func TestSplit(t *testing.T) {
	x := f32(sh(2, 6), seq(12)...)
	runCases(t, []kase{
		{name: "equal axis1", op: opstest.Op{Type: "Split", Opset: 13, Attrs: []*graph.Attribute{iattr("axis", 1)}, Outputs: 3}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(2, 2), 0, 1, 6, 7), f32(sh(2, 2), 2, 3, 8, 9), f32(sh(2, 2), 4, 5, 10, 11)}},
		{name: "input split", op: opstest.Op{Type: "Split", Opset: 13, Attrs: []*graph.Attribute{iattr("axis", -1)}}, in: []*tensor.Tensor{x, vec(1, 5)},
			want: []*tensor.Tensor{f32(sh(2, 1), 0, 6), f32(sh(2, 5), 1, 2, 3, 4, 5, 7, 8, 9, 10, 11)}},
		{name: "attr split opset2", op: opstest.Op{Type: "Split", Opset: 2, Attrs: []*graph.Attribute{iattr("axis", 0), intsA("split", 1, 1)}}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(1, 6), 0, 1, 2, 3, 4, 5), f32(sh(1, 6), 6, 7, 8, 9, 10, 11)}},
		{name: "opset1 split input", op: opstest.Op{Type: "Split", Opset: 1, Attrs: []*graph.Attribute{iattr("axis", 1)}}, in: []*tensor.Tensor{x, vec(4, 2)},
			want: []*tensor.Tensor{f32(sh(2, 4), 0, 1, 2, 3, 6, 7, 8, 9), f32(sh(2, 2), 4, 5, 10, 11)}},
		{name: "zero size part", op: opstest.Op{Type: "Split", Opset: 13}, in: []*tensor.Tensor{vec(1, 2, 3), vec(0, 3)},
			want: []*tensor.Tensor{vec(), vec(1, 2, 3)}},
		{name: "num_outputs uneven", op: opstest.Op{Type: "Split", Opset: 18, Attrs: []*graph.Attribute{iattr("num_outputs", 3)}, Outputs: 3},
			in: []*tensor.Tensor{vec(1, 2, 3, 4, 5, 6, 7)}, want: []*tensor.Tensor{vec(1, 2, 3), vec(4, 5, 6), vec(7)}},
		{name: "strings", op: opstest.Op{Type: "Split", Opset: 18, Outputs: 2}, in: []*tensor.Tensor{strs(sh(2), "a", "b")},
			want: []*tensor.Tensor{strs(sh(1), "a"), strs(sh(1), "b")}},
		{name: "indivisible before 18", op: opstest.Op{Type: "Split", Opset: 13, Outputs: 4}, in: []*tensor.Tensor{vec(1, 2, 3)}, wantErr: "equal parts"},
		{name: "bad sum", op: opstest.Op{Type: "Split", Opset: 13, Outputs: 2}, in: []*tensor.Tensor{vec(1, 2, 3), vec(1, 1)}, wantErr: "add up"},
		{name: "negative split", op: opstest.Op{Type: "Split", Opset: 13, Outputs: 2}, in: []*tensor.Tensor{vec(1, 2, 3), vec(-1, 4)}, wantErr: ">= 0"},
		{name: "count mismatch", op: opstest.Op{Type: "Split", Opset: 13, Outputs: 3}, in: []*tensor.Tensor{vec(1, 2, 3), vec(1, 2)}, wantErr: "outputs"},
		{name: "num_outputs mismatch", op: opstest.Op{Type: "Split", Opset: 18, Attrs: []*graph.Attribute{iattr("num_outputs", 3)}, Outputs: 2}, in: []*tensor.Tensor{vec(1, 2, 3)}, wantErr: "num_outputs"},
		{name: "too many parts", op: opstest.Op{Type: "Split", Opset: 18, Outputs: 4}, in: []*tensor.Tensor{vec(1, 2, 3, 4, 5)}, wantErr: "cannot split"},
	})
}

func TestSlice(t *testing.T) {
	x := f32(sh(2, 4), 1, 2, 3, 4, 5, 6, 7, 8)
	op := opstest.Op{Type: "Slice", Opset: 13}
	runCases(t, []kase{
		// The spec's two examples.
		{name: "example1", op: op, in: []*tensor.Tensor{x, vec(1, 0), vec(2, 3), vec(0, 1), vec(1, 2)}, want: []*tensor.Tensor{f32(sh(1, 2), 5, 7)}},
		{name: "example2", op: op, in: []*tensor.Tensor{x, vec(0, 1), vec(-1, 1000)}, want: []*tensor.Tensor{f32(sh(1, 3), 2, 3, 4)}},
		{name: "negative step", op: op, in: []*tensor.Tensor{x, vec(-1), vec(math.MinInt64), vec(1), vec(-1)}, want: []*tensor.Tensor{f32(sh(2, 4), 4, 3, 2, 1, 8, 7, 6, 5)}},
		{name: "negative step 2", op: op, in: []*tensor.Tensor{x, vec(10), vec(0), vec(-1), vec(-2)}, want: []*tensor.Tensor{f32(sh(2, 2), 4, 2, 8, 6)}},
		{name: "huge step", op: op, in: []*tensor.Tensor{x, vec(1), vec(math.MaxInt64), vec(1), vec(math.MaxInt64)}, want: []*tensor.Tensor{f32(sh(2, 1), 2, 6)}},
		{name: "empty dim negative step", op: op, in: []*tensor.Tensor{f32(sh(0)), vec(-1), vec(-1), vec(0), vec(-1)}, want: []*tensor.Tensor{f32(sh(0))}},
		{name: "start past end", op: op, in: []*tensor.Tensor{x, vec(5), vec(10), vec(1)}, want: []*tensor.Tensor{f32(sh(2, 0))}},
		{name: "int32 params", op: op, in: []*tensor.Tensor{x, i32(sh(1), 1), i32(sh(1), 3), i32(sh(1), -1)}, want: []*tensor.Tensor{f32(sh(2, 2), 2, 3, 6, 7)}},
		{name: "opset1 attrs", op: opstest.Op{Type: "Slice", Opset: 1, Attrs: []*graph.Attribute{intsA("starts", 0, 1), intsA("ends", -1, 1000)}}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(1, 3), 2, 3, 4)}},
		{name: "strings", op: op, in: []*tensor.Tensor{strs(sh(3), "a", "b", "c"), vec(2), vec(-4), vec(0), vec(-1)}, want: []*tensor.Tensor{strs(sh(3), "c", "b", "a")}},
		{name: "zero step", op: op, in: []*tensor.Tensor{x, vec(0), vec(1), vec(0), vec(0)}, wantErr: "steps[0] is 0"},
		{name: "repeated axes", op: op, in: []*tensor.Tensor{x, vec(0, 0), vec(1, 1), vec(1, 1)}, wantErr: "repeated"},
		{name: "length mismatch", op: op, in: []*tensor.Tensor{x, vec(0, 0), vec(1)}, wantErr: "must match"},
		{name: "bad axis", op: op, in: []*tensor.Tensor{x, vec(0), vec(1), vec(2)}, wantErr: "out of range"},
	})
}

// naiveTranspose is an independent reference: per-element index arithmetic.
func naiveTranspose(shape []int, perm []int, data []float32) ([]int, []float32) {
	r := len(shape)
	out := make([]int, r)
	for i, p := range perm {
		out[i] = shape[p]
	}
	inStr := tensor.Strides(shape)
	n := len(data)
	res := make([]float32, n)
	idx := make([]int, r)
	for j := 0; j < n; j++ {
		rem := j
		for d := r - 1; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		src := 0
		for d := 0; d < r; d++ {
			src += idx[d] * inStr[perm[d]]
		}
		res[j] = data[src]
	}
	return out, res
}

func TestTranspose(t *testing.T) {
	op := func(perm ...int64) opstest.Op {
		if perm == nil {
			return opstest.Op{Type: "Transpose", Opset: 13}
		}
		return opstest.Op{Type: "Transpose", Opset: 13, Attrs: []*graph.Attribute{intsA("perm", perm...)}}
	}
	runCases(t, []kase{
		{name: "2d default", op: op(), in: []*tensor.Tensor{f32(sh(2, 3), 1, 2, 3, 4, 5, 6)}, want: []*tensor.Tensor{f32(sh(3, 2), 1, 4, 2, 5, 3, 6)}},
		{name: "3d 0,2,1", op: op(0, 2, 1), in: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)}, want: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 3, 2, 4, 5, 7, 6, 8)}},
		{name: "3d 1,0,2", op: op(1, 0, 2), in: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)}, want: []*tensor.Tensor{f32(sh(2, 2, 2), 1, 2, 5, 6, 3, 4, 7, 8)}},
		{name: "strings", op: op(), in: []*tensor.Tensor{strs(sh(1, 2), "a", "b")}, want: []*tensor.Tensor{strs(sh(2, 1), "a", "b")}},
		{name: "f16", op: op(1, 0), in: []*tensor.Tensor{f16(sh(2, 2), 1, 2, 3, 4)}, want: []*tensor.Tensor{f16(sh(2, 2), 1, 3, 2, 4)}},
		{name: "scalar", op: op(), in: []*tensor.Tensor{tensor.Scalar(int8(3))}, want: []*tensor.Tensor{tensor.Scalar(int8(3))}},
		{name: "not a permutation", op: op(0, 0), in: []*tensor.Tensor{f32(sh(1, 1), 1)}, wantErr: "permutation"},
		{name: "wrong length", op: op(0), in: []*tensor.Tensor{f32(sh(1, 1), 1)}, wantErr: "rank"},
	})
	// Larger shapes exercise the blocked and strided paths; compare with the
	// naive reference.
	for _, c := range []struct {
		shape []int
		perm  []int
	}{
		{[]int{67, 45}, []int{1, 0}},
		{[]int{3, 37, 40}, []int{0, 2, 1}},
		{[]int{2, 5, 3, 8}, []int{0, 2, 1, 3}}, // BERT head split
		{[]int{4, 3, 5, 6}, []int{3, 1, 0, 2}},
		{[]int{2, 3, 4, 5, 2}, []int{4, 0, 3, 1, 2}},
		{[]int{33, 1, 34}, []int{2, 1, 0}},
	} {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		data := seq(n)
		wantShape, want := naiveTranspose(c.shape, c.perm, data)
		perm := make([]int64, len(c.perm))
		for i, p := range c.perm {
			perm[i] = int64(p)
		}
		opstest.Expect(t, op(perm...), []*tensor.Tensor{f32(c.shape, data...)}, f32(wantShape, want...))
	}
}

func TestExpandTile(t *testing.T) {
	runCases(t, []kase{
		{name: "expand", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{f32(sh(3, 1), 1, 2, 3), vec(2, 1, 6)},
			want: []*tensor.Tensor{f32(sh(2, 3, 6), 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3)}},
		{name: "expand keeps larger input dims", op: opstest.Op{Type: "Expand", Opset: 8}, in: []*tensor.Tensor{i64(sh(3, 1), 1, 2, 3), vec(1, 2)},
			want: []*tensor.Tensor{i64(sh(3, 2), 1, 1, 2, 2, 3, 3)}},
		{name: "expand row", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{strs(sh(2), "a", "b"), vec(2, 2)},
			want: []*tensor.Tensor{strs(sh(2, 2), "a", "b", "a", "b")}},
		{name: "expand to zero", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{f32(sh(1), 1), vec(0)}, want: []*tensor.Tensor{f32(sh(0))}},
		{name: "expand incompatible", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{f32(sh(3), 1, 2, 3), vec(2)}, wantErr: "cannot expand"},
		{name: "expand negative", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{f32(sh(1), 1), vec(-2)}, wantErr: "want 0.."},
		{name: "expand huge", op: opstest.Op{Type: "Expand", Opset: 13}, in: []*tensor.Tensor{f32(sh(1), 1), vec(1<<30, 1<<30)}, wantErr: "more than"},
		// numpy.tile([[1, 2], [3, 4]], (1, 2)) from the spec.
		{name: "tile spec", op: opstest.Op{Type: "Tile", Opset: 13}, in: []*tensor.Tensor{f32(sh(2, 2), 1, 2, 3, 4), vec(1, 2)},
			want: []*tensor.Tensor{f32(sh(2, 4), 1, 2, 1, 2, 3, 4, 3, 4)}},
		{name: "tile both", op: opstest.Op{Type: "Tile", Opset: 6}, in: []*tensor.Tensor{i64(sh(1, 2), 1, 2), vec(2, 2)},
			want: []*tensor.Tensor{i64(sh(2, 4), 1, 2, 1, 2, 1, 2, 1, 2)}},
		{name: "tile zero", op: opstest.Op{Type: "Tile", Opset: 13}, in: []*tensor.Tensor{i64(sh(2), 1, 2), vec(0)}, want: []*tensor.Tensor{i64(sh(0))}},
		{name: "tile opset1", op: opstest.Op{Type: "Tile", Opset: 1}, in: []*tensor.Tensor{f32(sh(2, 1), 1, 2), f32(nil, 3), f32(nil, 1)},
			want: []*tensor.Tensor{f32(sh(2, 3), 1, 1, 1, 2, 2, 2)}},
		{name: "tile rank mismatch", op: opstest.Op{Type: "Tile", Opset: 13}, in: []*tensor.Tensor{i64(sh(2), 1, 2), vec(1, 2)}, wantErr: "rank"},
		{name: "tile negative", op: opstest.Op{Type: "Tile", Opset: 13}, in: []*tensor.Tensor{i64(sh(2), 1, 2), vec(-1)}, wantErr: ">= 0"},
	})
}

func TestDepthSpace(t *testing.T) {
	// 1×8×1×1 input, blocksize 2 → 1×2×2×2.
	x := f32(sh(1, 8, 1, 1), seq(8)...)
	b2 := iattr("blocksize", 2)
	runCases(t, []kase{
		// DCR: out[c', h*b+b1, w*b+b2] = in[(b1*b+b2)*C' + c'].
		{name: "dcr", op: opstest.Op{Type: "DepthToSpace", Opset: 13, Attrs: []*graph.Attribute{b2}}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(1, 2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7)}},
		// CRD: channel = c'*4 + b1*2 + b2.
		{name: "crd", op: opstest.Op{Type: "DepthToSpace", Opset: 13, Attrs: []*graph.Attribute{b2, opstest.String("mode", "CRD")}}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(1, 2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7)}},
		{name: "space to depth", op: opstest.Op{Type: "SpaceToDepth", Opset: 13, Attrs: []*graph.Attribute{b2}}, in: []*tensor.Tensor{f32(sh(1, 2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7)},
			want: []*tensor.Tensor{x}},
		// 1×1×2×4 → 1×4×1×2: channel (b1*2+b2) holds in[h'*2+b1, w'*2+b2].
		{name: "space to depth wide", op: opstest.Op{Type: "SpaceToDepth", Opset: 1, Attrs: []*graph.Attribute{b2}}, in: []*tensor.Tensor{f32(sh(1, 1, 2, 4), 0, 1, 2, 3, 4, 5, 6, 7)},
			want: []*tensor.Tensor{f32(sh(1, 4, 1, 2), 0, 2, 1, 3, 4, 6, 5, 7)}},
		{name: "bad channels", op: opstest.Op{Type: "DepthToSpace", Opset: 13, Attrs: []*graph.Attribute{b2}}, in: []*tensor.Tensor{f32(sh(1, 3, 1, 1), 1, 2, 3)}, wantErr: "divisible"},
		{name: "bad mode", op: opstest.Op{Type: "DepthToSpace", Opset: 13, Attrs: []*graph.Attribute{b2, opstest.String("mode", "XYZ")}}, in: []*tensor.Tensor{x}, wantErr: "mode"},
		{name: "no blocksize", op: opstest.Op{Type: "SpaceToDepth", Opset: 13}, in: []*tensor.Tensor{x}, wantErr: "blocksize"},
		{name: "rank", op: opstest.Op{Type: "SpaceToDepth", Opset: 13, Attrs: []*graph.Attribute{b2}}, in: []*tensor.Tensor{f32(sh(2, 2), 1, 2, 3, 4)}, wantErr: "[N, C, H, W]"},
	})
}
