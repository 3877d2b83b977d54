package matmul

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// A = [[1 2 3] [4 5 6]], B = [[1 0] [0 1] [1 1]]: A·B = [[4 5] [10 11]].
var (
	gemmA  = f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	gemmAT = f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)
	gemmB  = f32([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	gemmBT = f32([]int{2, 3}, 1, 0, 1, 0, 1, 1)
)

func TestGemmAttributes(t *testing.T) {
	c := f32([]int{2}, 1, -2)
	// 2·AB + 0.5·C
	want := f32([]int{2, 2}, 8.5, 9, 20.5, 21)
	for _, tc := range []struct {
		name   string
		a, b   *tensor.Tensor
		ta, tb int64
	}{{"plain", gemmA, gemmB, 0, 0}, {"transA", gemmAT, gemmB, 1, 0}, {"transB", gemmA, gemmBT, 0, 1}, {"both", gemmAT, gemmBT, 1, 1}} {
		for _, opset := range []int{1, 6, 7, 9, 11, 13} {
			op := opstest.Op{Type: "Gemm", Opset: opset, Attrs: []*graph.Attribute{
				opstest.Float("alpha", 2), opstest.Float("beta", 0.5),
				opstest.Int("transA", tc.ta), opstest.Int("transB", tc.tb),
			}}
			if opset < 7 {
				op.Attrs = append(op.Attrs, opstest.Int("broadcast", 1))
			}
			got := opstest.MustRun(t, op, tc.a, tc.b, c)
			expectClose(t, tc.name, got[0], want, 0, 0)
			// Constant B goes through the pre-packed path.
			got = runConst(t, op, []int{1}, tc.a, tc.b, c)
			expectClose(t, tc.name+" const B", got[0], want, 0, 0)
		}
	}
}

func TestGemmBiasShapes(t *testing.T) {
	op := opstest.Op{Type: "Gemm", Opset: 13}
	ab := []float32{4, 5, 10, 11}
	for _, tc := range []struct {
		c    *tensor.Tensor
		want []float32
	}{
		{nil, ab},
		{tensor.New([]int{}, []float32{3}), []float32{7, 8, 13, 14}},
		{f32([]int{1, 1}, 3), []float32{7, 8, 13, 14}},
		{f32([]int{2, 1}, 1, 2), []float32{5, 6, 12, 13}},
		{f32([]int{1, 2}, 1, 2), []float32{5, 7, 11, 13}},
		{f32([]int{2, 2}, 1, 2, 3, 4), []float32{5, 7, 13, 15}},
	} {
		in := []*tensor.Tensor{gemmA, gemmB}
		if tc.c != nil {
			in = append(in, tc.c)
		}
		opstest.Expect(t, op, in, f32([]int{2, 2}, tc.want...))
	}
}

func TestGemmTypes(t *testing.T) {
	op := opstest.Op{Type: "Gemm", Opset: 13, Attrs: []*graph.Attribute{opstest.Float("alpha", 2)}}
	// float64
	a64, _ := tensor.Convert(gemmA, tensor.Float64)
	b64, _ := tensor.Convert(gemmB, tensor.Float64)
	opstest.Expect(t, op, []*tensor.Tensor{a64, b64}, tensor.New([]int{2, 2}, []float64{8, 10, 20, 22}))
	// int64 and uint32
	ai, _ := tensor.Convert(gemmA, tensor.Int64)
	bi, _ := tensor.Convert(gemmB, tensor.Int64)
	opstest.Expect(t, op, []*tensor.Tensor{ai, bi}, tensor.New([]int{2, 2}, []int64{8, 10, 20, 22}))
	au, _ := tensor.Convert(gemmA, tensor.Uint32)
	bu, _ := tensor.Convert(gemmB, tensor.Uint32)
	opstest.Expect(t, op, []*tensor.Tensor{au, bu}, tensor.New([]int{2, 2}, []uint32{8, 10, 20, 22}))
	// float16 (exact values)
	got := opstest.MustRun(t, op, toF16(gemmA), toF16(gemmB))
	expectClose(t, "float16", got[0], toF16(f32([]int{2, 2}, 8, 10, 20, 22)), 0, 0)
	got = runConst(t, op, []int{1}, toF16(gemmA), toF16(gemmB))
	expectClose(t, "float16 const", got[0], toF16(f32([]int{2, 2}, 8, 10, 20, 22)), 0, 0)
}

func TestGemmErrors(t *testing.T) {
	op := opstest.Op{Type: "Gemm", Opset: 13}
	expectErr(t, "inner mismatch", op, gemmA, gemmA)
	expectErr(t, "bad C", op, gemmA, gemmB, f32([]int{3}, 1, 2, 3))
	expectErr(t, "rank 3", op, f32([]int{1, 2, 3}, 1, 2, 3, 4, 5, 6), gemmB)
	expectErr(t, "mixed types", op, gemmA, tensor.New([]int{3, 2}, []float64{1, 2, 3, 4, 5, 6}))
	expectErr(t, "C required before 11", opstest.Op{Type: "Gemm", Opset: 9}, gemmA, gemmB)
	expectErr(t, "bool", op, tensor.New([]int{1, 1}, []bool{true}), tensor.New([]int{1, 1}, []bool{true}))
}

func TestGemmLargeMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	m, n, k := 37, 129, 70
	a := make([]float32, m*k)
	b := make([]float32, n*k)
	for i := range a {
		a[i] = float32(rng.Intn(9) - 4)
	}
	for i := range b {
		b[i] = float32(rng.Intn(9) - 4)
	}
	want := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*k+p] * b[j*k+p] // B stored transposed
			}
			want[i*n+j] = s + 1
		}
	}
	op := opstest.Op{Type: "Gemm", Opset: 13, Attrs: []*graph.Attribute{opstest.Int("transB", 1)}}
	in := []*tensor.Tensor{f32([]int{m, k}, a...), f32([]int{n, k}, b...), tensor.New([]int{}, []float32{1})}
	got := runConst(t, op, []int{1, 2}, in...)
	expectClose(t, "const", got[0], f32([]int{m, n}, want...), 0, 0)
	got = opstest.MustRun(t, op, in...)
	expectClose(t, "runtime", got[0], f32([]int{m, n}, want...), 0, 0)
}

// TestGemmBiasEpilogue: C added in the GEMM epilogue (beta 1) or by the
// broadcast pass (other betas), with B constant (pre-packed) and not, and a
// one-row output ([1, n] C is then both the full matrix and a row bias).
func TestGemmBiasEpilogue(t *testing.T) {
	for _, tc := range []struct {
		beta float32
		c    *tensor.Tensor
		want []float32
	}{
		{1, f32([]int{2}, 1, 2), []float32{5, 7, 11, 13}},
		{1, f32([]int{2, 1}, 1, 2), []float32{5, 6, 12, 13}},
		{1, f32([]int{2, 2}, 1, 2, 3, 4), []float32{5, 7, 13, 15}},
		{0.5, f32([]int{2}, 2, 4), []float32{5, 7, 11, 13}},
		{0.5, f32([]int{2, 2}, 2, 4, 6, 8), []float32{5, 7, 13, 15}},
		{-1, f32([]int{2, 1}, 1, 2), []float32{3, 4, 8, 9}},
	} {
		op := opstest.Op{Type: "Gemm", Opset: 13, Attrs: []*graph.Attribute{opstest.Float("beta", tc.beta)}}
		want := f32([]int{2, 2}, tc.want...)
		opstest.Expect(t, op, []*tensor.Tensor{gemmA, gemmB, tc.c}, want)
		got := runConst(t, op, []int{1}, gemmA, gemmB, tc.c)
		expectClose(t, fmt.Sprintf("const B, beta %v, C %v", tc.beta, tc.c.Shape()), got[0], want, 0, 0)
	}
	// One row: A [1, 3] = [1 2 3], A·B = [4 5].
	a1 := f32([]int{1, 3}, 1, 2, 3)
	op := opstest.Op{Type: "Gemm", Opset: 13}
	for _, c := range []*tensor.Tensor{f32([]int{1, 2}, 1, 2), f32([]int{2}, 1, 2)} {
		got := runConst(t, op, []int{1}, a1, gemmB, c)
		expectClose(t, fmt.Sprintf("one row, C %v", c.Shape()), got[0], f32([]int{1, 2}, 5, 7), 0, 0)
	}
}
