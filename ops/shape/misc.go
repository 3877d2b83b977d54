package shape

import (
	"cmp"
	"fmt"
	"math"
	"sort"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// NonZero, Trilu, ReverseSequence and Unique.

func init() {
	ops.RegisterVersions("", "NonZero", []int{9, 13}, buildNonZero)
	ops.Register("", "Trilu", 14, buildTrilu)
	ops.Register("", "ReverseSequence", 10, buildReverseSequence)
	ops.Register("", "Unique", 11, buildUnique)
}

// nonZeroMask reports, per element, whether it is non-zero (true, non-empty).
func nonZeroMask(t *tensor.Tensor) ([]bool, error) {
	switch d := t.Data().(type) {
	case []float32:
		return nz(d, 0), nil
	case []float64:
		return nz(d, 0), nil
	case []int8:
		return nz(d, 0), nil
	case []int16:
		return nz(d, 0), nil
	case []int32:
		return nz(d, 0), nil
	case []int64:
		return nz(d, 0), nil
	case []uint8:
		return nz(d, 0), nil
	case []uint16:
		return nz(d, 0), nil
	case []uint32:
		return nz(d, 0), nil
	case []uint64:
		return nz(d, 0), nil
	case []bool:
		return d, nil
	case []string:
		return nz(d, ""), nil
	case []tensor.F16:
		m := make([]bool, len(d))
		for i, v := range d {
			m[i] = v&0x7fff != 0
		}
		return m, nil
	case []tensor.BF16:
		m := make([]bool, len(d))
		for i, v := range d {
			m[i] = v&0x7fff != 0
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported element type %v", t.DType())
}

func nz[T comparable](d []T, zero T) []bool {
	m := make([]bool, len(d))
	for i, v := range d {
		m[i] = v != zero
	}
	return m
}

func buildNonZero(n *ops.Node) (ops.Kernel, error) {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "X")
		if err != nil {
			return nil, err
		}
		mask, err := nonZeroMask(x)
		if err != nil {
			return nil, err
		}
		shp := x.Shape()
		if len(shp) == 0 {
			shp = []int{1} // a scalar counts as a one-element vector
		}
		r := len(shp)
		cnt := 0
		for _, m := range mask {
			if m {
				cnt++
			}
		}
		out := make([]int64, r*cnt)
		coord := make([]int, r)
		k := 0
		for _, m := range mask {
			if m {
				for d, c := range coord {
					out[d*cnt+k] = int64(c)
				}
				k++
			}
			for d := r - 1; d >= 0; d-- {
				coord[d]++
				if coord[d] < shp[d] {
					break
				}
				coord[d] = 0
			}
		}
		return []*tensor.Tensor{tensor.New([]int{r, cnt}, out)}, nil
	}), nil
}

func buildTrilu(n *ops.Node) (ops.Kernel, error) {
	upper, err := n.AttrInt("upper", 1)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		k := int64(0)
		if kt := ops.Input(in, 1); kt != nil {
			if k, err = scalarInt(kt, "k"); err != nil {
				return nil, err
			}
		}
		r := x.Rank()
		if r < 2 {
			return nil, fmt.Errorf("input: want rank >= 2, got shape %v", x.Shape())
		}
		rows, cols := x.Shape()[r-2], x.Shape()[r-1]
		// Beyond ±(rows+cols) every k selects all or nothing; clamping
		// keeps i+k from overflowing.
		k = clampInt64(k, -int64(rows+cols), int64(rows+cols))
		out, dst, src, err := allocLike(rc, x, x.Shape())
		if err != nil {
			return nil, err
		}
		mats := ops.Product(x.Shape()[:r-2])
		for m := 0; m < mats; m++ {
			for i := 0; i < rows; i++ {
				lo, hi := int64(0), int64(cols)
				if upper != 0 {
					lo = clampInt64(int64(i)+k, 0, int64(cols)) // keep j >= i+k
				} else {
					hi = clampInt64(int64(i)+k+1, 0, int64(cols)) // keep j <= i+k
				}
				if hi > lo {
					o := (m*rows+i)*cols + int(lo)
					copyRun(dst, src, o, o, int(hi-lo))
				}
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}

func buildReverseSequence(n *ops.Node) (ops.Kernel, error) {
	ba, err := n.AttrInt("batch_axis", 1)
	if err != nil {
		return nil, err
	}
	ta, err := n.AttrInt("time_axis", 0)
	if err != nil {
		return nil, err
	}
	if !((ba == 0 && ta == 1) || (ba == 1 && ta == 0)) {
		return nil, fmt.Errorf("batch_axis %d and time_axis %d: want one of them 0 and the other 1", ba, ta)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		lt, err := need(in, 1, "sequence_lens")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input: want rank >= 2, got shape %v", x.Shape())
		}
		lens, err := ints1D(lt, "sequence_lens")
		if err != nil {
			return nil, err
		}
		T, B := x.Shape()[ta], x.Shape()[ba]
		if len(lens) != B {
			return nil, fmt.Errorf("sequence_lens has %d entries for batch size %d", len(lens), B)
		}
		inner := ops.Product(x.Shape()[2:])
		strides := tensor.Strides(x.Shape())
		ts, bs := strides[ta], strides[ba]
		out := x.Clone()
		dst, src := raw(out), raw(x)
		if dst == nil {
			return nil, fmt.Errorf("unsupported element type %v", x.DType())
		}
		for b, l := range lens {
			if l < 0 || l > int64(T) {
				return nil, fmt.Errorf("sequence_lens[%d] is %d, want 0..%d", b, l, T)
			}
			for t := 0; t < int(l); t++ {
				copyRun(dst, src, t*ts+b*bs, (int(l)-1-t)*ts+b*bs, inner)
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}

// elemComparer returns a three-way comparison of elements i and j of t
// (NaN sorts last and equals NaN).
func elemComparer(t *tensor.Tensor) (func(i, j int) int, error) {
	switch d := t.Data().(type) {
	case []float32:
		return func(i, j int) int { return cmpFloat(float64(d[i]), float64(d[j])) }, nil
	case []float64:
		return func(i, j int) int { return cmpFloat(d[i], d[j]) }, nil
	case []tensor.F16:
		return func(i, j int) int { return cmpFloat(float64(d[i].Float32()), float64(d[j].Float32())) }, nil
	case []tensor.BF16:
		return func(i, j int) int { return cmpFloat(float64(d[i].Float32()), float64(d[j].Float32())) }, nil
	case []int8:
		return ordered(d), nil
	case []int16:
		return ordered(d), nil
	case []int32:
		return ordered(d), nil
	case []int64:
		return ordered(d), nil
	case []uint8:
		return ordered(d), nil
	case []uint16:
		return ordered(d), nil
	case []uint32:
		return ordered(d), nil
	case []uint64:
		return ordered(d), nil
	case []string:
		return ordered(d), nil
	case []bool:
		return func(i, j int) int {
			switch {
			case d[i] == d[j]:
				return 0
			case d[j]:
				return -1
			}
			return 1
		}, nil
	}
	return nil, fmt.Errorf("unsupported element type %v", t.DType())
}

func ordered[T cmp.Ordered](d []T) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(d[i], d[j]) }
}

func cmpFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func buildUnique(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	hasAxis := n.HasAttr("axis")
	sorted, err := n.AttrInt("sorted", 1)
	if err != nil {
		return nil, err
	}
	nout := min(max(len(n.Outputs), 1), 4)
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "X")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		a := 0
		m := x // rows laid out contiguously: [n, rowLen]
		var perm []int64
		if hasAxis {
			if r == 0 {
				return nil, fmt.Errorf("axis given for a scalar input")
			}
			if a, err = ops.NormAxis(int(axis), r); err != nil {
				return nil, err
			}
			if a != 0 {
				perm = append(perm, int64(a))
				for d := 0; d < r; d++ {
					if d != a {
						perm = append(perm, int64(d))
					}
				}
				if m, err = transpose(x, perm); err != nil {
					return nil, err
				}
			}
		}
		rows := x.Len()
		if hasAxis {
			rows = x.Shape()[a]
		}
		rowLen := 1
		if rows > 0 {
			rowLen = x.Len() / rows
		}
		ec, err := elemComparer(m)
		if err != nil {
			return nil, err
		}
		rowCmp := func(i, j int) int {
			bi, bj := i*rowLen, j*rowLen
			for t := 0; t < rowLen; t++ {
				if c := ec(bi+t, bj+t); c != 0 {
					return c
				}
			}
			return 0
		}
		order := make([]int, rows)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return rowCmp(order[i], order[j]) < 0 })
		// Group equal rows; the first of each group (stable sort) is its first occurrence.
		var first, counts []int64
		inverse := make([]int64, rows)
		for i := 0; i < rows; {
			j := i + 1
			for j < rows && rowCmp(order[i], order[j]) == 0 {
				j++
			}
			g := int64(len(first))
			first = append(first, int64(order[i]))
			counts = append(counts, int64(j-i))
			for _, o := range order[i:j] {
				inverse[o] = g
			}
			i = j
		}
		if sorted == 0 {
			// Reorder groups by first occurrence.
			gs := make([]int, len(first))
			for i := range gs {
				gs[i] = i
			}
			sort.Slice(gs, func(i, j int) bool { return first[gs[i]] < first[gs[j]] })
			rank := make([]int64, len(gs))
			f2, c2 := make([]int64, len(gs)), make([]int64, len(gs))
			for newID, g := range gs {
				rank[g] = int64(newID)
				f2[newID], c2[newID] = first[g], counts[g]
			}
			first, counts = f2, c2
			for i, g := range inverse {
				inverse[i] = rank[g]
			}
		}
		nu := len(first)
		// Y in the row layout, then moved back.
		yshp := []int{nu}
		if hasAxis {
			yshp = append([]int{}, m.Shape()...)
			yshp[0] = nu
		}
		y, dst, src, err := allocLike(rc, m, yshp)
		if err != nil {
			return nil, err
		}
		for g, f := range first {
			copyRun(dst, src, g*rowLen, int(f)*rowLen, rowLen)
		}
		if perm != nil {
			inv := make([]int64, r)
			for i, p := range perm {
				inv[p] = int64(i)
			}
			if y, err = transpose(y, inv); err != nil {
				return nil, err
			}
		}
		outs := []*tensor.Tensor{
			y,
			tensor.New([]int{nu}, first),
			tensor.New([]int{rows}, inverse),
			tensor.New([]int{nu}, counts),
		}
		return outs[:nout], nil
	}), nil
}
