package reduce

import (
	"math"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func withAttrs(typ string, opset int, attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: typ, Opset: opset, Attrs: attrs}
}

func wantErr(t *testing.T, o opstest.Op, want string, in ...*tensor.Tensor) {
	t.Helper()
	_, err := opstest.Run(o, in...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one mentioning %q", o.Type, err, want)
	}
}

func TestArgMaxMin(t *testing.T) {
	// Spec examples: data [[2, 1], [3, 10]].
	x := f32([]int{2, 2}, 2, 1, 3, 10)
	opstest.Expect(t, withAttrs("ArgMax", 13), []*tensor.Tensor{x}, i64([]int{1, 2}, 1, 1))
	opstest.Expect(t, withAttrs("ArgMax", 13, opstest.Int("axis", 1), opstest.Int("keepdims", 0)),
		[]*tensor.Tensor{x}, i64([]int{2}, 0, 1))
	opstest.Expect(t, withAttrs("ArgMin", 13, opstest.Int("axis", -1)), []*tensor.Tensor{x}, i64([]int{2, 1}, 1, 0))
	// select_last_index with ties: [[2, 2], [3, 10]].
	tie := f32([]int{2, 2}, 2, 2, 3, 10)
	opstest.Expect(t, withAttrs("ArgMax", 12, opstest.Int("axis", 1)), []*tensor.Tensor{tie}, i64([]int{2, 1}, 0, 1))
	opstest.Expect(t, withAttrs("ArgMax", 12, opstest.Int("axis", 1), opstest.Int("select_last_index", 1)),
		[]*tensor.Tensor{tie}, i64([]int{2, 1}, 1, 1))
	tieMin := f32([]int{2, 2}, 2, 2, 3, 10)
	opstest.Expect(t, withAttrs("ArgMin", 13, opstest.Int("axis", 1), opstest.Int("select_last_index", 1)),
		[]*tensor.Tensor{tieMin}, i64([]int{2, 1}, 1, 0))
	// NaN wins, first one.
	nan := float32(math.NaN())
	opstest.Expect(t, withAttrs("ArgMax", 13, opstest.Int("keepdims", 0)), []*tensor.Tensor{f32([]int{4}, 1, nan, 5, nan)}, i64([]int{}, 1))
	// Integer and half types.
	opstest.Expect(t, withAttrs("ArgMin", 13, opstest.Int("keepdims", 0)),
		[]*tensor.Tensor{tensor.New([]int{3}, []uint8{7, 3, 9})}, i64([]int{}, 1))
	h := []tensor.F16{tensor.NewF16(-1), tensor.NewF16(4), tensor.NewF16(2)}
	opstest.Expect(t, withAttrs("ArgMax", 13, opstest.Int("keepdims", 0)), []*tensor.Tensor{tensor.New([]int{3}, h)}, i64([]int{}, 1))
	wantErr(t, withAttrs("ArgMax", 13, opstest.Int("axis", 2)), "out of range", x)
	wantErr(t, withAttrs("ArgMax", 13, opstest.Int("axis", 1)), "size 0", f32([]int{2, 0}))
}

func TestTopK(t *testing.T) {
	// Spec example: k=3 along axis 1 of [[0..3], [4..7], [8..11]].
	x := f32([]int{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	k := i64([]int{1}, 3)
	opstest.Expect(t, withAttrs("TopK", 11, opstest.Int("axis", 1)), []*tensor.Tensor{x, k},
		f32([]int{3, 3}, 3, 2, 1, 7, 6, 5, 11, 10, 9),
		i64([]int{3, 3}, 3, 2, 1, 3, 2, 1, 3, 2, 1))
	opstest.Expect(t, withAttrs("TopK", 11, opstest.Int("largest", 0)), []*tensor.Tensor{x, k},
		f32([]int{3, 3}, 0, 1, 2, 4, 5, 6, 8, 9, 10),
		i64([]int{3, 3}, 0, 1, 2, 0, 1, 2, 0, 1, 2))
	// Along axis 0 (inner block), opset 1 with k attribute.
	opstest.Expect(t, withAttrs("TopK", 1, opstest.Int("axis", 0), opstest.Int("k", 2)), []*tensor.Tensor{x},
		f32([]int{2, 4}, 8, 9, 10, 11, 4, 5, 6, 7),
		i64([]int{2, 4}, 2, 2, 2, 2, 1, 1, 1, 1))
	// Ties: smaller index first.
	ties := f32([]int{5}, 1, 3, 3, 2, 3)
	opstest.Expect(t, withAttrs("TopK", 11), []*tensor.Tensor{ties, k}, f32([]int{3}, 3, 3, 3), i64([]int{3}, 1, 2, 4))
	opstest.Expect(t, withAttrs("TopK", 11, opstest.Int("largest", 0)), []*tensor.Tensor{ties, i64([]int{1}, 2)},
		f32([]int{2}, 1, 2), i64([]int{2}, 0, 3))
	// Heap path (k < n/4): x[j] = 17j mod 40 is a permutation of 0..39;
	// 39, 38, 37 sit at j = 7, 14, 21.
	perm := make([]int32, 40)
	for j := range perm {
		perm[j] = int32(17 * j % 40)
	}
	opstest.Expect(t, withAttrs("TopK", 11), []*tensor.Tensor{tensor.New([]int{40}, perm), k},
		tensor.New([]int{3}, []int32{39, 38, 37}), i64([]int{3}, 7, 14, 21))
	same := make([]float64, 40)
	opstest.Expect(t, withAttrs("TopK", 11), []*tensor.Tensor{tensor.New([]int{40}, same), k},
		tensor.New([]int{3}, []float64{0, 0, 0}), i64([]int{3}, 0, 1, 2))
	// k = 0 gives empty outputs.
	opstest.Expect(t, withAttrs("TopK", 11), []*tensor.Tensor{ties, i64([]int{1}, 0)}, f32([]int{0}), i64([]int{0}))
	// float16 values come back bit-exact.
	h := []tensor.F16{tensor.NewF16(0.1), tensor.NewF16(0.3), tensor.NewF16(0.2)}
	opstest.Expect(t, withAttrs("TopK", 11), []*tensor.Tensor{tensor.New([]int{3}, h), i64([]int{1}, 1)},
		tensor.New([]int{1}, []tensor.F16{tensor.NewF16(0.3)}), i64([]int{1}, 1))
	wantErr(t, withAttrs("TopK", 11), "out of range", ties, i64([]int{1}, 6))
	wantErr(t, withAttrs("TopK", 11), "out of range", ties, i64([]int{1}, -1))
	wantErr(t, withAttrs("TopK", 11), "K must", ties, f32([]int{1}, 1))
	wantErr(t, withAttrs("TopK", 11), "unsupported", tensor.New([]int{1}, []string{"a"}), i64([]int{1}, 1))
}

func TestCumSum(t *testing.T) {
	x := f32([]int{3}, 1, 2, 3)
	ax := i64([]int{}, 0)
	opstest.Expect(t, withAttrs("CumSum", 14), []*tensor.Tensor{x, ax}, f32([]int{3}, 1, 3, 6))
	opstest.Expect(t, withAttrs("CumSum", 14, opstest.Int("exclusive", 1)), []*tensor.Tensor{x, ax}, f32([]int{3}, 0, 1, 3))
	opstest.Expect(t, withAttrs("CumSum", 14, opstest.Int("reverse", 1)), []*tensor.Tensor{x, ax}, f32([]int{3}, 6, 5, 3))
	opstest.Expect(t, withAttrs("CumSum", 11, opstest.Int("reverse", 1), opstest.Int("exclusive", 1)),
		[]*tensor.Tensor{x, ax}, f32([]int{3}, 5, 3, 0))
	y := tensor.New([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	opstest.Expect(t, withAttrs("CumSum", 14), []*tensor.Tensor{y, tensor.New([]int{}, []int32{0})},
		tensor.New([]int{2, 3}, []int32{1, 2, 3, 5, 7, 9}))
	opstest.Expect(t, withAttrs("CumSum", 14), []*tensor.Tensor{y, i64([]int{}, -1)},
		tensor.New([]int{2, 3}, []int32{1, 3, 6, 4, 9, 15}))
	h := []tensor.F16{tensor.NewF16(0.5), tensor.NewF16(1), tensor.NewF16(2)}
	opstest.Expect(t, withAttrs("CumSum", 14), []*tensor.Tensor{tensor.New([]int{3}, h), ax},
		tensor.New([]int{3}, []tensor.F16{tensor.NewF16(0.5), tensor.NewF16(1.5), tensor.NewF16(3.5)}))
	wantErr(t, withAttrs("CumSum", 14), "out of range", x, i64([]int{}, 1))
	wantErr(t, withAttrs("CumSum", 14), "int32 or int64", x, f32([]int{}, 0))
	wantErr(t, withAttrs("CumSum", 14), "scalar", x, i64([]int{2}, 0, 0))
}

// NLL examples from the spec: N=2, C=3, d1=2.
var (
	nllInput  = f32([]int{2, 3, 2}, 1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2)
	nllTarget = i64([]int{2, 2}, 2, 1, 0, 2)
	nllWeight = f32([]int{3}, 0.2, 0.3, 0.1)
)

func TestNegativeLogLikelihoodLoss(t *testing.T) {
	nll := func(opset int, attrs ...*graph.Attribute) opstest.Op {
		return withAttrs("NegativeLogLikelihoodLoss", opset, attrs...)
	}
	opstest.Expect(t, nll(13, opstest.String("reduction", "none")), []*tensor.Tensor{nllInput, nllTarget},
		f32([]int{2, 2}, -3, -2, 0, -2))
	opstest.Expect(t, nll(13, opstest.String("reduction", "sum")), []*tensor.Tensor{nllInput, nllTarget, nllWeight},
		f32([]int{}, -1.1))
	// -1.1 / (0.1 + 0.3 + 0.2 + 0.1)
	opstest.Expect(t, nll(12), []*tensor.Tensor{nllInput, nllTarget, nllWeight}, f32([]int{}, float32(-1.1/0.7)))
	// Unweighted mean: (-3 - 2 - 0 - 2) / 4.
	opstest.Expect(t, nll(22), []*tensor.Tensor{nllInput, nllTarget}, f32([]int{}, -1.75))
	// ignore_index=2 leaves targets (0,1)=1 and (1,0)=0: mean of -2 and -0.
	opstest.Expect(t, nll(13, opstest.Int("ignore_index", 2)), []*tensor.Tensor{nllInput, nllTarget}, f32([]int{}, -1))
	// Weighted mean with an ignored class: (-2*0.3 - 0*0.2) / 0.5.
	opstest.Expect(t, nll(13, opstest.Int("ignore_index", 2)), []*tensor.Tensor{nllInput, nllTarget, nllWeight},
		f32([]int{}, -1.2))
	// A negative ignore_index may appear among the labels.
	neg := i64([]int{2, 2}, -1, 1, 0, -1)
	opstest.Expect(t, nll(13, opstest.Int("ignore_index", -1), opstest.String("reduction", "none")),
		[]*tensor.Tensor{nllInput, neg}, f32([]int{2, 2}, 0, -2, 0, 0))
	// (N, C) input with int32 targets.
	opstest.Expect(t, nll(13, opstest.String("reduction", "none")),
		[]*tensor.Tensor{f32([]int{2, 2}, 0.5, 1.5, 2.5, 3.5), tensor.New([]int{2}, []int32{1, 0})}, f32([]int{2}, -1.5, -2.5))
	wantErr(t, nll(13), "outside", nllInput, i64([]int{2, 2}, 2, 3, 0, 0))
	wantErr(t, nll(13), "labels must have shape", nllInput, i64([]int{2}, 0, 0))
	wantErr(t, nll(13), "weights must have shape", nllInput, nllTarget, f32([]int{2}, 1, 1))
	if _, err := opstest.Run(nll(13, opstest.String("reduction", "avg")), nllInput, nllTarget); err == nil {
		t.Error("reduction=avg: want an error")
	}
}

func TestSoftmaxCrossEntropyLoss(t *testing.T) {
	sce := func(opset int, attrs ...*graph.Attribute) opstest.Op {
		return withAttrs("SoftmaxCrossEntropyLoss", opset, attrs...)
	}
	ln3 := math.Log(3)
	// Row 0: uniform scores, softmax 1/3 each, label 0: loss ln 3.
	// Row 1: scores [0, ln 3, 0] give softmax [1/5, 3/5, 1/5], label 1: loss ln(5/3).
	scores := f32([]int{2, 3}, 0, 0, 0, 0, float32(ln3), 0)
	labels := i64([]int{2}, 0, 1)
	l0, l1 := ln3, math.Log(5.0/3)
	logProb := f32([]int{2, 3},
		float32(-ln3), float32(-ln3), float32(-ln3),
		float32(-math.Log(5)), float32(math.Log(3.0/5)), float32(-math.Log(5)))
	o := sce(13, opstest.String("reduction", "none"))
	o.Outputs = 2
	opstest.Expect(t, o, []*tensor.Tensor{scores, labels}, f32([]int{2}, float32(l0), float32(l1)), logProb)
	opstest.Expect(t, sce(12), []*tensor.Tensor{scores, labels}, f32([]int{}, float32((l0+l1)/2)))
	opstest.Expect(t, sce(13, opstest.String("reduction", "sum")), []*tensor.Tensor{scores, labels}, f32([]int{}, float32(l0+l1)))
	// Weights [1, 2, 1]: (1*l0 + 2*l1) / (1 + 2).
	w := f32([]int{3}, 1, 2, 1)
	opstest.Expect(t, sce(13), []*tensor.Tensor{scores, labels, w}, f32([]int{}, float32((l0+2*l1)/3)))
	// ignore_index drops row 1.
	opstest.Expect(t, sce(13, opstest.Int("ignore_index", 1)), []*tensor.Tensor{scores, labels}, f32([]int{}, float32(l0)))
	// N-D: [1, 3, 2] scores where position d=1 holds row 1's scores.
	nd := f32([]int{1, 3, 2}, 0, 0, 0, float32(ln3), 0, 0)
	opstest.Expect(t, sce(13, opstest.String("reduction", "none")), []*tensor.Tensor{nd, i64([]int{1, 2}, 0, 1)},
		f32([]int{1, 2}, float32(l0), float32(l1)))
	// float64 and large scores stay finite.
	big := tensor.New([]int{1, 2}, []float64{1000, 0})
	opstest.Expect(t, sce(13), []*tensor.Tensor{big, i64([]int{1}, 1)}, tensor.New([]int{}, []float64{1000}))
	wantErr(t, sce(13), "outside", scores, i64([]int{2}, 0, 3))
	wantErr(t, sce(13), "float", tensor.New([]int{1, 2}, []int32{1, 2}), i64([]int{1}, 0))
}
