package shape

import (
	"context"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// recycler is a one-buffer Allocator, as the engine's recycling looks to a
// kernel: the buffer comes back dirty.
type recycler struct{ buf []float32 }

func (r *recycler) Float32(n int) []float32 {
	if cap(r.buf) < n {
		r.buf = make([]float32, n)
	}
	b := r.buf[:n]
	for i := range b {
		b[i] = -1
	}
	return b
}

// TestTransposeTiles checks transposes whose sizes leave partial 4×4 and
// 32×32 tiles against the definition y[i] = x[perm(i)], for float32 (from
// a recycled, dirty buffer) and int64.
func TestTransposeTiles(t *testing.T) {
	bld, _ := ops.Lookup("", "Transpose", 13)
	for _, tc := range []struct {
		shape []int
		perm  []int64
	}{
		{[]int{37, 53}, []int64{1, 0}},
		{[]int{4, 4}, []int64{1, 0}},
		{[]int{3, 65}, []int64{1, 0}},
		{[]int{2, 5, 7, 9}, []int64{0, 3, 2, 1}},
		{[]int{3, 6, 2, 33}, []int64{3, 1, 2, 0}},
		{[]int{2, 34, 3, 5}, []int64{0, 2, 3, 1}},
	} {
		k, err := bld(&ops.Node{Node: &graph.Node{OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: map[string]*graph.Attribute{"perm": intsA("perm", tc.perm...)}}, Opset: 13})
		if err != nil {
			t.Fatal(err)
		}
		n := 1
		for _, d := range tc.shape {
			n *= d
		}
		f := make([]float32, n)
		i64 := make([]int64, n)
		for i := range f {
			f[i], i64[i] = float32(i), int64(i)
		}
		for _, x := range []*tensor.Tensor{tensor.New(tc.shape, f), tensor.New(tc.shape, i64)} {
			rc := &ops.RunContext{Ctx: context.Background(), Threads: 1, Alloc: &recycler{}}
			out, err := k.Run(rc, []tensor.Value{x})
			if err != nil {
				t.Fatal(err)
			}
			y := out[0].(*tensor.Tensor)
			got := y.Float64s()
			// Walk the output in row-major order; the source index is
			// Σ idx[d]·stride_in[perm[d]].
			inStr := tensor.Strides(tc.shape)
			idx := make([]int, len(tc.shape))
			oshape := y.Shape()
			for o := 0; o < n; o++ {
				src := 0
				for d, p := range tc.perm {
					src += idx[d] * inStr[p]
				}
				if got[o] != float64(src) {
					t.Fatalf("%v perm %v (%v): element %d is %v, want %d", tc.shape, tc.perm, x.DType(), o, got[o], src)
				}
				for d := len(idx) - 1; d >= 0; d-- {
					idx[d]++
					if idx[d] < oshape[d] {
						break
					}
					idx[d] = 0
				}
			}
		}
	}
}
