package shape

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Index-driven reads: Gather, GatherElements, GatherND, Compress.

func init() {
	ops.RegisterVersions("", "Gather", []int{1, 11, 13}, buildGather)
	ops.RegisterVersions("", "GatherElements", []int{11, 13}, buildGatherElements)
	ops.RegisterVersions("", "GatherND", []int{11, 12, 13}, buildGatherND)
	ops.RegisterVersions("", "Compress", []int{9, 11}, buildCompress)
}

func buildGather(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		it, err := need(in, 1, "indices")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		if r == 0 {
			return nil, fmt.Errorf("data must have rank >= 1, got a scalar")
		}
		a, err := ops.NormAxis(int(axis), r)
		if err != nil {
			return nil, err
		}
		dim := x.Shape()[a]
		var idxBuf [64]int
		idx, err := indexListInto(idxBuf[:], it, dim, "index")
		if err != nil {
			// The message is formatted only on failure: Sprintf on
			// every run would allocate.
			_, err = indexList(it, dim, fmt.Sprintf("index (axis %d of size %d):", a, dim))
			return nil, err
		}
		var shpBuf [8]int
		shp := shpBuf[:0]
		shp = append(shp, x.Shape()[:a]...)
		shp = append(shp, it.Shape()...)
		shp = append(shp, x.Shape()[a+1:]...)
		out, dst, src, err := allocLike(rc, x, shp)
		if err != nil {
			return nil, err
		}
		outer := ops.Product(x.Shape()[:a])
		inner := ops.Product(x.Shape()[a+1:])
		if inner == 1 {
			// Element gather: build the flat source list once.
			flat := make([]int, 0, outer*len(idx))
			for o := 0; o < outer; o++ {
				for _, j := range idx {
					flat = append(flat, o*dim+j)
				}
			}
			gatherIdx(dst, src, flat)
		} else if inner > 0 {
			d := 0
			for o := 0; o < outer; o++ {
				base := o * dim * inner
				for _, j := range idx {
					copyRun(dst, src, d, base+j*inner, inner)
					d += inner
				}
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}

func buildGatherElements(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		it, err := need(in, 1, "indices")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		if r == 0 || it.Rank() != r {
			return nil, fmt.Errorf("data %v and indices %v must have the same rank >= 1", x.Shape(), it.Shape())
		}
		a, err := ops.NormAxis(int(axis), r)
		if err != nil {
			return nil, err
		}
		flat, err := elementOffsets(x.Shape(), it, a)
		if err != nil {
			return nil, err
		}
		out, dst, src, err := allocLike(rc, x, it.Shape())
		if err != nil {
			return nil, err
		}
		gatherIdx(dst, src, flat)
		return rc.TensorResults(out), nil
	}), nil
}

// elementOffsets maps every position of the indices tensor (same rank as
// data) to a flat offset in data, replacing the axis coordinate by the index
// value (GatherElements / ScatterElements addressing).
func elementOffsets(dshape []int, it *tensor.Tensor, axis int) ([]int, error) {
	ishape := it.Shape()
	for d := range ishape {
		if d != axis && ishape[d] > dshape[d] {
			return nil, fmt.Errorf("indices shape %v exceeds data shape %v in dimension %d", ishape, dshape, d)
		}
	}
	dim := dshape[axis]
	idx, err := indexList(it, dim, fmt.Sprintf("index (axis %d of size %d):", axis, dim))
	if err != nil {
		return nil, err
	}
	if len(idx) == 0 {
		return idx, nil
	}
	dstr := tensor.Strides(dshape)
	r := len(ishape)
	cnt := make([]int, r)
	base := 0 // offset of the current position with the axis coordinate 0
	as := dstr[axis]
	for i := range idx {
		idx[i] = base + idx[i]*as
		for d := r - 1; d >= 0; d-- {
			cnt[d]++
			if d != axis {
				base += dstr[d]
			}
			if cnt[d] < ishape[d] {
				break
			}
			if d != axis {
				base -= dstr[d] * ishape[d]
			}
			cnt[d] = 0
		}
	}
	return idx, nil
}

func buildGatherND(n *ops.Node) (ops.Kernel, error) {
	bd, err := n.AttrInt("batch_dims", 0)
	if err != nil {
		return nil, err
	}
	if n.Opset < 12 {
		bd = 0
	}
	if bd < 0 {
		return nil, fmt.Errorf("attribute \"batch_dims\" is %d, want >= 0", bd)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		it, err := need(in, 1, "indices")
		if err != nil {
			return nil, err
		}
		if it.DType() != tensor.Int64 && it.DType() != tensor.Int32 {
			return nil, fmt.Errorf("indices: want int64, got %v", it.DType())
		}
		b := int(bd)
		r, q := x.Rank(), it.Rank()
		if r < 1 || q < 1 || b >= q || b >= r {
			return nil, fmt.Errorf("data %v and indices %v need rank >= 1 and more dimensions than batch_dims %d", x.Shape(), it.Shape(), b)
		}
		for d := 0; d < b; d++ {
			if x.Shape()[d] != it.Shape()[d] {
				return nil, fmt.Errorf("batch dimension %d differs: data %v, indices %v", d, x.Shape(), it.Shape())
			}
		}
		k := it.Shape()[q-1]
		if k < 1 || k > r-b {
			return nil, fmt.Errorf("indices last dimension is %d, want 1..%d for data %v with batch_dims %d", k, r-b, x.Shape(), b)
		}
		shp := make([]int, 0, q-1+r-b-k)
		shp = append(shp, it.Shape()[:q-1]...)
		shp = append(shp, x.Shape()[b+k:]...)
		out, dst, src, err := allocLike(rc, x, shp)
		if err != nil {
			return nil, err
		}
		offs, err := ndOffsets(x.Shape(), it, b)
		if err != nil {
			return nil, err
		}
		inner := ops.Product(x.Shape()[b+k:])
		if inner == 1 {
			gatherIdx(dst, src, offs)
		} else if inner > 0 {
			for i, o := range offs {
				copyRun(dst, src, i*inner, o, inner)
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}

// ndOffsets turns GatherND/ScatterND index tuples (last dimension of it)
// into flat element offsets into data, honouring batch_dims b.
func ndOffsets(dshape []int, it *tensor.Tensor, b int) ([]int, error) {
	q := it.Rank()
	k := it.Shape()[q-1]
	vals := it.Int64s()
	m := len(vals) / k
	dstr := tensor.Strides(dshape)
	perBatch := 1
	if b > 0 {
		perBatch = ops.Product(it.Shape()[b : q-1])
	}
	batchStride := 0
	if b > 0 {
		batchStride = dstr[b-1]
	}
	offs := make([]int, m)
	for i := 0; i < m; i++ {
		o := 0
		if b > 0 && perBatch > 0 {
			o = (i / perBatch) * batchStride
		}
		for j := 0; j < k; j++ {
			d := b + j
			v := vals[i*k+j]
			dim := dshape[d]
			if v < -int64(dim) || v >= int64(dim) {
				return nil, fmt.Errorf("index %d out of range [%d, %d) for dimension %d of data %v", v, -dim, dim, d, dshape)
			}
			if v < 0 {
				v += int64(dim)
			}
			o += int(v) * dstr[d]
		}
		offs[i] = o
	}
	return offs, nil
}

func buildCompress(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	hasAxis := n.HasAttr("axis")
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		ct, err := need(in, 1, "condition")
		if err != nil {
			return nil, err
		}
		if ct.Rank() != 1 {
			return nil, fmt.Errorf("condition: want a 1-D tensor, got shape %v", ct.Shape())
		}
		var cond []bool
		if ct.DType() == tensor.Bool {
			cond = tensor.Data[bool](ct)
		} else if ct.DType() != tensor.String {
			for _, v := range ct.Float64s() {
				cond = append(cond, v != 0)
			}
		} else {
			return nil, fmt.Errorf("condition: want a bool tensor, got %v", ct.DType())
		}
		shp := x.Shape()
		a := 0
		if hasAxis {
			if a, err = ops.NormAxis(int(axis), x.Rank()); err != nil {
				return nil, err
			}
			if x.Rank() == 0 {
				return nil, fmt.Errorf("cannot compress a scalar along an axis")
			}
		} else {
			shp = []int{x.Len()}
		}
		dim := shp[a]
		var sel []int
		for i, c := range cond {
			if c {
				if i >= dim {
					return nil, fmt.Errorf("condition selects entry %d but dimension %d has size %d", i, a, dim)
				}
				sel = append(sel, i)
			}
		}
		oshp := append([]int{}, shp...)
		oshp[a] = len(sel)
		out, dst, src, err := allocLike(rc, x, oshp)
		if err != nil {
			return nil, err
		}
		outer := ops.Product(shp[:a])
		inner := ops.Product(shp[a+1:])
		d := 0
		if inner > 0 {
			for o := 0; o < outer; o++ {
				for _, j := range sel {
					copyRun(dst, src, d, (o*dim+j)*inner, inner)
					d += inner
				}
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}
