package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
)

// convAddModel is Conv(x, W, B) + k with k a constant of the given shape
// holding 10, 20, ... (constFirst puts k first in the Add).
func convAddModel(kShape []int, constFirst bool) *graph.Model {
	b := newBuilder(17).in("x", 1, 2, 3, 3).out("y")
	b.init("W", f32([]int{2, 2, 1, 1}, 1, 2, 3, 4))
	b.init("B", f32([]int{2}, 1, 2))
	n := 1
	for _, d := range kShape {
		n *= d
	}
	kv := make([]float32, n)
	for i := range kv {
		kv[i] = float32(10 * (i + 1))
	}
	b.init("k", f32(kShape, kv...))
	b.node("Conv", ins("x", "W", "B"), ins("c"))
	if constFirst {
		b.node("Add", ins("k", "c"), ins("y"))
	} else {
		b.node("Add", ins("c", "k"), ins("y"))
	}
	return b.m
}

// matmulAddModel is MatMul(a, B) + bias with B a [4,3] constant; a has the
// given declared type (nil: none declared) and the bias the given shape.
func matmulAddModel(aType *graph.Type, biasShape []int) *graph.Model {
	b := newBuilder(17).out("y")
	if aType == nil {
		aType = &graph.Type{Kind: graph.KindTensor, Elem: 1}
	}
	b.inTyped("a", aType)
	bv := make([]float32, 12)
	for i := range bv {
		bv[i] = float32(i%5) - 2
	}
	b.init("B", f32([]int{4, 3}, bv...))
	n := 1
	for _, d := range biasShape {
		n *= d
	}
	kv := make([]float32, n)
	for i := range kv {
		kv[i] = float32(i) + 0.5
	}
	b.init("bias", f32(biasShape, kv...))
	b.node("MatMul", ins("a", "B"), ins("m"))
	b.node("Add", ins("bias", "m"), ins("y"))
	return b.m
}

func TestBias(t *testing.T) {
	rank2 := ttype(1, 2, 4)
	rank3 := ttype(1, 2, 5, 4)
	runPassCases(t, "bias", []passCase{
		{
			name:     "conv + [1,C,1,1] constant",
			build:    func() *graph.Model { return convAddModel([]int{1, 2, 1, 1}, false) },
			want:     []string{"Conv(x,W,k_convbias)->y"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				floatsNear(t, "bias", m.Graph.Initializers["k_convbias"], 11, 22)
			},
		},
		{
			name:     "[C,1,1] constant first",
			build:    func() *graph.Model { return convAddModel([]int{2, 1, 1}, true) },
			want:     []string{"Conv(x,W,k_convbias)->y"},
			rewrites: 1,
		},
		{
			name:  "a [C] constant adds along the last axis: stays",
			build: func() *graph.Model { return convAddModel([]int{3}, false) },
			want:  []string{"Conv(x,W,B)->c", "Add(c,k)->y"},
		},
		{
			name:  "a full-shape constant stays",
			build: func() *graph.Model { return convAddModel([]int{1, 2, 3, 3}, false) },
			want:  []string{"Conv(x,W,B)->c", "Add(c,k)->y"},
		},
		{
			name:     "matmul + bias on a 2-D input becomes Gemm",
			build:    func() *graph.Model { return matmulAddModel(rank2, []int{3}) },
			want:     []string{"Gemm(a,B,bias)->y"},
			rewrites: 1,
		},
		{
			name:     "matmul + bias on a 3-D input becomes FusedMatMul",
			build:    func() *graph.Model { return matmulAddModel(rank3, []int{3}) },
			want:     []string{"gonyx.FusedMatMul(a,B,bias)->y"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				if m.Opsets["gonyx"] != 1 {
					t.Errorf("opsets %v: want gonyx 1", m.Opsets)
				}
			},
		},
		{
			name:     "unknown rank becomes FusedMatMul",
			build:    func() *graph.Model { return matmulAddModel(nil, []int{3}) },
			want:     []string{"gonyx.FusedMatMul(a,B,bias)->y"},
			rewrites: 1,
		},
		{
			name:  "no FusedMatMul kernel: stays",
			build: func() *graph.Model { return matmulAddModel(rank3, []int{3}) },
			has:   onlyONNX,
			want:  []string{"MatMul(a,B)->m", "Add(bias,m)->y"},
		},
		{
			name:     "[1,N] bias on a 2-D input becomes Gemm",
			build:    func() *graph.Model { return matmulAddModel(rank2, []int{1, 3}) },
			want:     []string{"Gemm(a,B,bias)->y"},
			rewrites: 1,
		},
		{
			name:  "[1,N] bias on a 3-D input stays",
			build: func() *graph.Model { return matmulAddModel(rank3, []int{1, 3}) },
			want:  []string{"MatMul(a,B)->m", "Add(bias,m)->y"},
		},
		{
			name:  "[2,3] bias stays",
			build: func() *graph.Model { return matmulAddModel(rank2, []int{2, 3}) },
			want:  []string{"MatMul(a,B)->m", "Add(bias,m)->y"},
		},
		{
			name: "run-time B stays",
			build: func() *graph.Model {
				m := matmulAddModel(rank2, []int{3})
				m.Graph.Inputs = append(m.Graph.Inputs, graph.ValueInfo{Name: "B", Type: ttype(1, 4, 3)})
				return m
			},
			want: []string{"MatMul(a,B)->m", "Add(bias,m)->y"},
		},
	})
}
