package matmul

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func einsumOp(eq string) opstest.Op {
	return opstest.Op{Type: "Einsum", Opset: 12, Attrs: []*graph.Attribute{opstest.String("equation", eq)}}
}

func TestEinsumBasics(t *testing.T) {
	m := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	sq := f32([]int{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	cases := []struct {
		eq   string
		in   []*tensor.Tensor
		want *tensor.Tensor
	}{
		{"ij->ji", []*tensor.Tensor{m}, f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)},
		{"ij->i", []*tensor.Tensor{m}, f32([]int{2}, 6, 15)},
		{"ij->", []*tensor.Tensor{m}, tensor.New([]int{}, []float32{21})},
		{"ij", []*tensor.Tensor{m}, m},                                   // implicit: identity
		{"ji", []*tensor.Tensor{m}, f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)},  // implicit: output "ij" = transpose
		{"ii", []*tensor.Tensor{sq}, tensor.New([]int{}, []float32{15})}, // trace
		{"ii->i", []*tensor.Tensor{sq}, f32([]int{3}, 1, 5, 9)},          // diagonal
		{"i,i", []*tensor.Tensor{f32([]int{3}, 1, 2, 3), f32([]int{3}, 4, 5, 6)}, tensor.New([]int{}, []float32{32})},
		{"i,j->ij", []*tensor.Tensor{f32([]int{2}, 1, 2), f32([]int{3}, 1, 10, 100)}, f32([]int{2, 3}, 1, 10, 100, 2, 20, 200)},
		{"ij,ij->ij", []*tensor.Tensor{m, m}, f32([]int{2, 3}, 1, 4, 9, 16, 25, 36)},
		{"ij,jk", []*tensor.Tensor{m, f32([]int{3, 1}, 1, 1, 1)}, f32([]int{2, 1}, 6, 15)},
		{"Ab,bA->A", []*tensor.Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2, 2}, 1, 0, 0, 1)}, f32([]int{2}, 1, 4)},
		// Batch diagonal with ellipsis (ONNX test shape, small values).
		{"...ii ->...i", []*tensor.Tensor{f32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)}, f32([]int{2, 2}, 1, 4, 5, 8)},
		// Ellipsis broadcasting: [1,2,2] x [3,2,1] -> [3,2,1].
		{"...ij,...jk->...ik", []*tensor.Tensor{f32([]int{1, 2, 2}, 1, 2, 3, 4), f32([]int{3, 2, 1}, 1, 0, 0, 1, 1, 1)},
			f32([]int{3, 2, 1}, 1, 3, 2, 4, 3, 7)},
		// Implicit with ellipsis: ellipsis dims first, then sorted letters.
		{"b...,b", []*tensor.Tensor{f32([]int{2, 3}, 1, 2, 3, 4, 5, 6), f32([]int{2}, 1, 1)}, f32([]int{3}, 5, 7, 9)},
		// Summed ellipsis in explicit form.
		{"...i->i", []*tensor.Tensor{f32([]int{2, 2}, 1, 2, 3, 4)}, f32([]int{2}, 4, 6)},
		// Three operands.
		{"i,ij,j->", []*tensor.Tensor{f32([]int{2}, 1, 2), f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 1, 1)}, tensor.New([]int{}, []float32{3 + 14})},
	}
	for _, c := range cases {
		got, err := opstest.Run(einsumOp(c.eq), c.in...)
		if err != nil {
			t.Errorf("%q: %v", c.eq, err)
			continue
		}
		expectClose(t, c.eq, got[0], c.want, 1e-6, 0)
	}
}

func TestEinsumTypes(t *testing.T) {
	a := tensor.New([]int{2, 2}, []int32{1, 2, 3, 4})
	opstest.Expect(t, einsumOp("ij,jk->ik"), []*tensor.Tensor{a, a}, tensor.New([]int{2, 2}, []int32{7, 10, 15, 22}))
	a64 := tensor.New([]int{2, 2}, []float64{1, 2, 3, 4})
	opstest.Expect(t, einsumOp("ij,jk->ik"), []*tensor.Tensor{a64, a64}, tensor.New([]int{2, 2}, []float64{7, 10, 15, 22}))
	got := opstest.MustRun(t, einsumOp("ij->j"), toF16(f32([]int{2, 2}, 1, 2, 3, 4)))
	expectClose(t, "f16", got[0], toF16(f32([]int{2}, 4, 6)), 0, 0)
}

func TestEinsumErrors(t *testing.T) {
	m := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, eq := range []string{"ij,jk", "ijk", "i", "ij->k", "ij->ii", "i1", "..i", "ii"} {
		expectErr(t, eq, einsumOp(eq), m)
	}
	expectErr(t, "size mismatch", einsumOp("ij,ij->i"), m, f32([]int{3, 2}, 1, 2, 3, 4, 5, 6))
}

// bruteEinsum evaluates an explicit equation without ellipsis by looping
// over every assignment of the labels.
func bruteEinsum(eq string, ins [][]float64, shapes [][]int) ([]int, []float64) {
	lhs, rhs, _ := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	size := map[byte]int{}
	var letters []byte
	for i, tm := range terms {
		for d := 0; d < len(tm); d++ {
			if _, ok := size[tm[d]]; !ok {
				letters = append(letters, tm[d])
			}
			size[tm[d]] = shapes[i][d]
		}
	}
	outShape := make([]int, len(rhs))
	for i := range rhs {
		outShape[i] = size[rhs[i]]
	}
	n := 1
	for _, d := range outShape {
		n *= d
	}
	out := make([]float64, n)
	val := map[byte]int{}
	var rec func(li int)
	rec = func(li int) {
		if li == len(letters) {
			prod := 1.0
			for i, tm := range terms {
				off := 0
				for d := 0; d < len(tm); d++ {
					off = off*shapes[i][d] + val[tm[d]]
				}
				prod *= ins[i][off]
			}
			off := 0
			for d := 0; d < len(rhs); d++ {
				off = off*outShape[d] + val[rhs[d]]
			}
			out[off] += prod
			return
		}
		for v := 0; v < size[letters[li]]; v++ {
			val[letters[li]] = v
			rec(li + 1)
		}
	}
	rec(0)
	return outShape, out
}

func TestEinsumRandomAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	eqs := []string{
		"bij,bjk->bik", "ij,jk->ki", "abc,cd->abd", "abc,bd->dca", "ijk,ikl,l->jk",
		"iij,jk->ik", "ab,ab->", "abc,abc->b", "ijkl,jl->ik", "ab,cd->abcd", "ij,j->i",
	}
	for _, eq := range eqs {
		lhs, _, _ := strings.Cut(eq, "->")
		terms := strings.Split(lhs, ",")
		size := map[byte]int{}
		for _, tm := range terms {
			for d := 0; d < len(tm); d++ {
				if _, ok := size[tm[d]]; !ok {
					size[tm[d]] = 1 + rng.Intn(4)
				}
			}
		}
		var ins []*tensor.Tensor
		var vals [][]float64
		var shapes [][]int
		for _, tm := range terms {
			sh := make([]int, len(tm))
			n := 1
			for d := range sh {
				sh[d] = size[tm[d]]
				n *= sh[d]
			}
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(rng.Intn(7) - 3)
			}
			ins = append(ins, tensor.New(sh, v))
			vals = append(vals, v)
			shapes = append(shapes, sh)
		}
		ws, wv := bruteEinsum(eq, vals, shapes)
		got, err := opstest.Run(einsumOp(eq), ins...)
		if err != nil {
			t.Errorf("%s: %v", eq, err)
			continue
		}
		expectClose(t, eq, got[0], tensor.New(ws, wv), 0, 0)
	}
}
