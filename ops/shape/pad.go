package shape

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "Pad", []int{1, 2, 11, 13, 18, 19, 21, 23}, buildPad)
	ops.Register("", "CenterCropPad", 18, buildCenterCropPad)
}

func buildPad(n *ops.Node) (ops.Kernel, error) {
	mode, err := n.AttrString("mode", "constant")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "constant", "reflect", "edge":
	case "wrap":
		if n.Opset < 19 {
			return nil, fmt.Errorf("pad mode \"wrap\" needs opset 19, the model imports opset %d", n.Opset)
		}
	default:
		return nil, fmt.Errorf("attribute \"mode\" is %q, want constant, reflect, edge or wrap", mode)
	}
	var attrPads []int64
	var attrValue float32
	if n.Opset < 11 {
		name := "pads"
		if n.Opset < 2 {
			name = "paddings"
		}
		if !n.HasAttr(name) {
			return nil, fmt.Errorf("attribute %q is required at opset %d", name, n.Opset)
		}
		if attrPads, err = n.AttrInts(name, nil); err != nil {
			return nil, err
		}
		if attrValue, err = n.AttrFloat("value", 0); err != nil {
			return nil, err
		}
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		pads := attrPads
		var cval any // raw one-element view, nil for zero
		if n.Opset < 11 {
			if attrValue != 0 {
				if x.DType() == tensor.String {
					return nil, fmt.Errorf("a numeric pad value cannot fill a string tensor")
				}
				v, err := tensor.FromFloat64s(x.DType(), []int{1}, []float64{float64(attrValue)})
				if err != nil {
					return nil, err
				}
				cval = raw(v)
			}
		} else {
			pt, err := need(in, 1, "pads")
			if err != nil {
				return nil, err
			}
			if pads, err = ints1D(pt, "pads"); err != nil {
				return nil, err
			}
			if cv := ops.Input(in, 2); cv != nil && cv.Len() > 0 {
				if cv.DType() != x.DType() {
					return nil, fmt.Errorf("constant_value has type %v, data %v: they must match", cv.DType(), x.DType())
				}
				if cv.Len() != 1 {
					return nil, fmt.Errorf("constant_value: want a scalar, got shape %v", cv.Shape())
				}
				cval = raw(cv)
			}
		}
		axes := make([]int, r)
		for i := range axes {
			axes[i] = i
		}
		if n.Opset >= 18 {
			if at := ops.Input(in, 3); at != nil {
				av, err := ints1D(at, "axes")
				if err != nil {
					return nil, err
				}
				if axes, err = ops.NormAxes(av, r); err != nil {
					return nil, err
				}
			}
		}
		if len(pads) != 2*len(axes) {
			return nil, fmt.Errorf("pads has %d entries, want 2×%d for input shape %v", len(pads), len(axes), x.Shape())
		}
		begin, end := make([]int, r), make([]int, r)
		for i, a := range axes {
			b, e := pads[i], pads[i+len(axes)]
			if b > tensor.MaxElements || b < -tensor.MaxElements || e > tensor.MaxElements || e < -tensor.MaxElements {
				return nil, fmt.Errorf("pads %v out of range", pads)
			}
			begin[a], end[a] = int(b), int(e)
		}
		out, err := padTensor(x, begin, end, mode, cval)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

// padTensor pads (or, for negative amounts, crops) x by begin/end elements
// per dimension. cval is a raw one-element view of the constant, or nil for
// the zero value.
func padTensor(x *tensor.Tensor, begin, end []int, mode string, cval any) (*tensor.Tensor, error) {
	r := x.Rank()
	ishape := x.Shape()
	oshape := make([]int, r)
	maps := make([][]int, r)
	for d := 0; d < r; d++ {
		in := ishape[d]
		o := in + begin[d] + end[d]
		if o < 0 {
			return nil, fmt.Errorf("pads %d and %d remove more than the %d elements of dimension %d", begin[d], end[d], in, d)
		}
		oshape[d] = o
	}
	if _, err := tensor.NumElements(oshape); err != nil {
		return nil, err
	}
	for d := 0; d < r; d++ {
		in, o := ishape[d], oshape[d]
		m := make([]int, o)
		for i := range m {
			s := i - begin[d]
			if s < 0 || s >= in {
				switch {
				case mode == "constant":
					s = -1
				case in == 0:
					return nil, fmt.Errorf("cannot %s-pad dimension %d of size 0", mode, d)
				case mode == "edge":
					s = min(max(s, 0), in-1)
				case mode == "wrap":
					s = ((s % in) + in) % in
				default: // reflect
					if in == 1 {
						s = 0
					} else {
						p := 2 * (in - 1)
						s = ((s % p) + p) % p
						if s >= in {
							s = p - s
						}
					}
				}
			}
			m[i] = s
		}
		maps[d] = m
	}
	out, dst, src, err := allocLike(nil, x, oshape)
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	if r == 0 {
		copyRun(dst, src, 0, 0, 1)
		return out, nil
	}
	// Runs of the innermost dimension: contiguous source ranges or constant.
	type run struct{ o, s, n int }
	var runs []run
	last := maps[r-1]
	for i := 0; i < len(last); {
		j := i + 1
		if last[i] < 0 {
			for j < len(last) && last[j] < 0 {
				j++
			}
		} else {
			for j < len(last) && last[j] == last[j-1]+1 {
				j++
			}
		}
		runs = append(runs, run{i, last[i], j - i})
		i = j
	}
	inStr := tensor.Strides(ishape)
	rowLen := oshape[r-1]
	cnt := make([]int, r-1)
	dpos := 0
	for {
		base, isConst := 0, false
		for d := 0; d < r-1; d++ {
			s := maps[d][cnt[d]]
			if s < 0 {
				isConst = true
				break
			}
			base += s * inStr[d]
		}
		if isConst {
			if cval != nil {
				rawFill(rawSlice(dst, dpos, dpos+rowLen), cval, 0)
			}
		} else {
			for _, rn := range runs {
				if rn.s < 0 {
					if cval != nil {
						rawFill(rawSlice(dst, dpos+rn.o, dpos+rn.o+rn.n), cval, 0)
					}
				} else {
					copyRun(dst, src, dpos+rn.o, base+rn.s, rn.n)
				}
			}
		}
		dpos += rowLen
		d := r - 2
		for ; d >= 0; d-- {
			cnt[d]++
			if cnt[d] < oshape[d] {
				break
			}
			cnt[d] = 0
		}
		if d < 0 {
			return out, nil
		}
	}
}

func buildCenterCropPad(n *ops.Node) (ops.Kernel, error) {
	axes, err := n.AttrInts("axes", nil)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input_data")
		if err != nil {
			return nil, err
		}
		st, err := need(in, 1, "shape")
		if err != nil {
			return nil, err
		}
		target, err := ints1D(st, "shape")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		var ax []int
		if axes == nil {
			ax = make([]int, r)
			for i := range ax {
				ax[i] = i
			}
		} else if ax, err = ops.NormAxes(axes, r); err != nil {
			return nil, err
		}
		if len(target) != len(ax) {
			return nil, fmt.Errorf("shape has %d entries for %d axes", len(target), len(ax))
		}
		begin, end := make([]int, r), make([]int, r)
		for i, a := range ax {
			t := target[i]
			if t < 0 || t > tensor.MaxElements {
				return nil, fmt.Errorf("shape[%d] is %d, want >= 0", i, t)
			}
			diff := int(t) - x.Shape()[a]
			begin[a] = diff / 2 // toward zero: floor for crops and pads alike
			end[a] = diff - begin[a]
		}
		out, err := padTensor(x, begin, end, "constant", nil)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}
