package reduce

import (
	"fmt"
	"slices"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "TopK", []int{1, 10, 11, 24}, buildTopK)
}

type topK struct {
	axis    int
	k       int64 // opset 1: from the attribute
	kInput  bool
	largest bool
}

func buildTopK(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	t := &topK{axis: int(axis), largest: true, kInput: n.Opset >= 10}
	if !t.kInput {
		if !n.HasAttr("k") {
			return nil, fmt.Errorf("TopK: attribute k is required before opset 10")
		}
		if t.k, err = n.AttrInt("k", 0); err != nil {
			return nil, err
		}
		if t.k < 0 {
			return nil, fmt.Errorf("TopK: k must be >= 0, got %d", t.k)
		}
	}
	if n.Opset >= 11 {
		largest, err := n.AttrInt("largest", 1)
		if err != nil {
			return nil, err
		}
		t.largest = largest != 0
		// sorted=0 leaves the order unspecified: sorted output satisfies it.
		if _, err := n.AttrInt("sorted", 1); err != nil {
			return nil, err
		}
	}
	return ops.Tensors(t.run), nil
}

func (t *topK) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("TopK: input X is missing")
	}
	k := t.k
	if t.kInput {
		kt := ops.Input(in, 1)
		if kt == nil {
			return nil, fmt.Errorf("TopK: input K is missing")
		}
		if kt.DType() != tensor.Int64 && kt.DType() != tensor.Int32 {
			return nil, fmt.Errorf("TopK: K must be int64, got %v", kt.DType())
		}
		if kt.Len() != 1 || kt.Rank() > 1 {
			return nil, fmt.Errorf("TopK: K must be a 1-D tensor with one value, got shape %v", kt.Shape())
		}
		k = kt.Int64s()[0]
	}
	shape := x.Shape()
	if len(shape) == 0 {
		return nil, fmt.Errorf("TopK: input must have rank >= 1, got a scalar")
	}
	axis, err := ops.NormAxis(t.axis, len(shape))
	if err != nil {
		return nil, fmt.Errorf("TopK: %v", err)
	}
	n := shape[axis]
	if k < 0 || k > int64(n) {
		return nil, fmt.Errorf("TopK: k=%d is out of range for axis %d of size %d", k, t.axis, n)
	}
	if n > 1<<31-1 {
		return nil, fmt.Errorf("TopK: axis of size %d is too long (at most 2^31-1 elements)", n)
	}
	outer, inner := ops.Product(shape[:axis]), ops.Product(shape[axis+1:])
	outShape := append([]int{}, shape...)
	outShape[axis] = int(k)
	outLen, err := tensor.NumElements(outShape)
	if err != nil {
		return nil, fmt.Errorf("TopK: %v", err)
	}
	idx := make([]int64, outLen)
	kk := int(k)
	switch d := x.Data().(type) {
	case []float32:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []float64:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []tensor.F16, []tensor.BF16:
		topKIndices(widenHalf(x), idx, outer, n, inner, kk, t.largest)
	case []int8:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []int16:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []int32:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []int64:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []uint8:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []uint16:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []uint32:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	case []uint64:
		topKIndices(d, idx, outer, n, inner, kk, t.largest)
	default:
		return nil, fmt.Errorf("TopK: unsupported input type %v (want a numeric tensor)", x.DType())
	}
	vals, err := gatherAlong(x, idx, outShape, outer, n, inner, kk)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{vals, tensor.New(outShape, idx)}, nil
}

// cmpKey orders a and b ascending with NaN above every number.
func cmpKey[T ops.Number](a, b T) int {
	switch {
	case a != a:
		if b != b {
			return 0
		}
		return 1
	case b != b:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// topKIndices writes, for each (outer, inner) slice along the axis, the
// indices of its k first elements in the requested order (ties: smaller
// index first).
func topKIndices[T ops.Number](x []T, out []int64, outer, n, inner, k int, largest bool) {
	if k == 0 {
		return
	}
	keys := make([]T, n)
	order := func(a, b int32) int { // <0: a comes first
		c := cmpKey(keys[a], keys[b])
		if largest {
			c = -c
		}
		if c != 0 {
			return c
		}
		return int(a) - int(b)
	}
	all := make([]int32, n)
	var heap []int32
	useHeap := k < n/4
	if useHeap {
		heap = make([]int32, 0, k)
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			for j := range keys {
				keys[j] = x[base+j*inner]
			}
			var sel []int32
			if useHeap {
				sel = selectHeap(heap[:0], n, k, order)
			} else {
				for j := range all {
					all[j] = int32(j)
				}
				sel = all
			}
			slices.SortFunc(sel, order)
			ob := o*k*inner + i
			for j := 0; j < k; j++ {
				out[ob+j*inner] = int64(sel[j])
			}
		}
	}
}

// selectHeap keeps the k first elements of 0..n-1 under order in a heap
// whose root is the last of them.
func selectHeap(h []int32, n, k int, order func(a, b int32) int) []int32 {
	after := func(a, b int32) bool { return order(a, b) > 0 }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			c := l
			if r := l + 1; r < len(h) && after(h[r], h[l]) {
				c = r
			}
			if !after(h[c], h[i]) {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for j := 0; j < n; j++ {
		e := int32(j)
		if len(h) < k {
			h = append(h, e)
			for c := len(h) - 1; c > 0; {
				p := (c - 1) / 2
				if !after(h[c], h[p]) {
					break
				}
				h[c], h[p] = h[p], h[c]
				c = p
			}
			continue
		}
		if order(e, h[0]) < 0 {
			h[0] = e
			down(0)
		}
	}
	return h
}

// gatherAlong picks x's elements at idx along the axis (as TopK laid them
// out) into a new tensor of outShape.
func gatherAlong(x *tensor.Tensor, idx []int64, outShape []int, outer, n, inner, k int) (*tensor.Tensor, error) {
	switch d := x.Data().(type) {
	case []float32:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []float64:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []tensor.F16:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []tensor.BF16:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []int8:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []int16:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []int32:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []int64:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []uint8:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []uint16:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []uint32:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	case []uint64:
		return tensor.New(outShape, gatherSlice(d, idx, outer, n, inner, k)), nil
	}
	return nil, fmt.Errorf("TopK: unsupported input type %v", x.DType())
}

func gatherSlice[T tensor.Elem](x []T, idx []int64, outer, n, inner, k int) []T {
	out := make([]T, len(idx))
	for o := 0; o < outer; o++ {
		for j := 0; j < k; j++ {
			ob := (o*k + j) * inner
			for i := 0; i < inner; i++ {
				out[ob+i] = x[(o*n+int(idx[ob+i]))*inner+i]
			}
		}
	}
	return out
}
