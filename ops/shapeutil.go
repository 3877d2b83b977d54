package ops

import (
	"fmt"
	"slices"

	"github.com/gonyx/gonyx/engine/tensor"
)

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		if rank == 0 && (axis == 0 || axis == -1) {
			return 0, nil
		}
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// NormAxes normalises a list of axes and rejects duplicates.
func NormAxes(axes []int64, rank int) ([]int, error) {
	return NormAxesInto(make([]int, 0, len(axes)), axes, rank)
}

// NormAxesInto is NormAxes building the result in buf[:0] when it is
// large enough, so that a kernel can keep it in a small array on its
// stack instead of allocating per run.
func NormAxesInto(buf []int, axes []int64, rank int) ([]int, error) {
	out := buf[:0]
	if cap(out) < len(axes) {
		out = make([]int, 0, len(axes))
	}
	for _, a := range axes {
		v, err := NormAxis(int(a), rank)
		if err != nil {
			return nil, err
		}
		// Axis lists are short: a scan of those seen beats a set (and
		// allocates nothing).
		if slices.Contains(out, v) {
			// A copy in the message keeps the callers' axes off the heap.
			return nil, fmt.Errorf("axis %d repeated in %v", a, slices.Clone(axes))
		}
		out = append(out, v)
	}
	return out, nil
}

// BroadcastShapes computes the numpy-style broadcast of the given shapes.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		if len(s) > rank {
			rank = len(s)
		}
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o:
			case o == 1:
				out[off+i] = d
			case d == 1:
			default:
				return nil, fmt.Errorf("shapes %v are not broadcastable", shapes)
			}
		}
	}
	return out, nil
}

// BroadcastStrides gives strides for reading a tensor of shape in as if it
// had shape out (0 on broadcast dims). in must broadcast to out.
func BroadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	off := len(out) - len(in)
	acc := 1
	for i := len(in) - 1; i >= 0; i-- {
		if in[i] != 1 {
			st[off+i] = acc
		}
		acc *= in[i]
	}
	return st
}

// BroadcastIndex fills idx[k][j] with the flat index into input k for output
// element j, for inputs broadcast to out. It costs one int per output
// element and input; kernels with a fast path for equal shapes should take it
// first.
func BroadcastIndex(out []int, ins ...[]int) [][]int {
	n := 1
	for _, d := range out {
		n *= d
	}
	res := make([][]int, len(ins))
	for k, in := range ins {
		st := BroadcastStrides(in, out)
		idx := make([]int, n)
		res[k] = idx
		forEachIndex(out, st, idx)
	}
	return res
}

func forEachIndex(shape, strides []int, dst []int) {
	rank := len(shape)
	if len(dst) == 0 {
		return
	}
	if rank == 0 {
		dst[0] = 0
		return
	}
	counter := make([]int, rank)
	pos := 0
	last := rank - 1
	inner := shape[last]
	innerStride := strides[last]
	for j := 0; j < len(dst); {
		p := pos
		for i := 0; i < inner; i++ {
			dst[j] = p
			j++
			p += innerStride
		}
		// advance the outer counters
		for d := last - 1; d >= 0; d-- {
			counter[d]++
			pos += strides[d]
			if counter[d] < shape[d] {
				break
			}
			pos -= strides[d] * shape[d]
			counter[d] = 0
		}
	}
}

// Input returns in[i] or nil when i is out of range.
func Input(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// ShapeEqual compares two shapes.
func ShapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Product multiplies dims.
func Product(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}
