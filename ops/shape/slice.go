package shape

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Ops expressible as one strided read of the input: Slice, Transpose,
// Expand, Tile, DepthToSpace, SpaceToDepth.

func init() {
	ops.RegisterVersions("", "Slice", []int{1, 10, 11, 13}, buildSlice)
	ops.RegisterVersions("", "Transpose", []int{1, 13, 21, 23}, buildTranspose)
	ops.RegisterVersions("", "Expand", []int{8, 13}, buildExpand)
	ops.RegisterVersions("", "Tile", []int{1, 6, 13}, buildTile)
	ops.RegisterVersions("", "DepthToSpace", []int{1, 11, 13}, buildDepthToSpace)
	ops.RegisterVersions("", "SpaceToDepth", []int{1, 13}, buildSpaceToDepth)
}

// stridedOut allocates a tensor of shape and fills it by a strided read of x.
func stridedOut(x *tensor.Tensor, shape, strides []int, off int) (*tensor.Tensor, error) {
	out, dst, src, err := allocLike(nil, x, shape)
	if err != nil {
		return nil, err
	}
	strided(dst, src, shape, strides, off)
	return out, nil
}

func buildSlice(n *ops.Node) (ops.Kernel, error) {
	var aStarts, aEnds, aAxes []int64
	if n.Opset < 10 {
		var err error
		if aStarts, err = n.AttrInts("starts", nil); err != nil {
			return nil, err
		}
		if aEnds, err = n.AttrInts("ends", nil); err != nil {
			return nil, err
		}
		if aAxes, err = n.AttrInts("axes", nil); err != nil {
			return nil, err
		}
		if !n.HasAttr("starts") || !n.HasAttr("ends") {
			return nil, fmt.Errorf("attributes \"starts\" and \"ends\" are required at opset %d", n.Opset)
		}
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		starts, ends, axes := aStarts, aEnds, aAxes
		var steps []int64
		if n.Opset >= 10 {
			st, err := need(in, 1, "starts")
			if err != nil {
				return nil, err
			}
			en, err := need(in, 2, "ends")
			if err != nil {
				return nil, err
			}
			if starts, err = ints1D(st, "starts"); err != nil {
				return nil, err
			}
			if ends, err = ints1D(en, "ends"); err != nil {
				return nil, err
			}
			if t := ops.Input(in, 3); t != nil {
				if axes, err = ints1D(t, "axes"); err != nil {
					return nil, err
				}
			}
			if t := ops.Input(in, 4); t != nil {
				if steps, err = ints1D(t, "steps"); err != nil {
					return nil, err
				}
			}
		}
		out, err := slice(x, starts, ends, axes, steps)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

func slice(x *tensor.Tensor, starts, ends, axes, steps []int64) (*tensor.Tensor, error) {
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts has %d entries and ends %d: they must match", len(starts), len(ends))
	}
	if axes != nil && len(axes) != len(starts) {
		return nil, fmt.Errorf("axes has %d entries and starts %d: they must match", len(axes), len(starts))
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("steps has %d entries and starts %d: they must match", len(steps), len(starts))
	}
	r := x.Rank()
	if axes == nil {
		if len(starts) > r {
			return nil, fmt.Errorf("%d starts for an input of rank %d", len(starts), r)
		}
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	norm, err := ops.NormAxes(axes, r)
	if err != nil {
		return nil, err
	}
	if r == 0 && len(norm) > 0 {
		return nil, fmt.Errorf("cannot slice a scalar")
	}
	shp := append([]int{}, x.Shape()...)
	inStr := tensor.Strides(x.Shape())
	strides := append([]int{}, inStr...)
	off := 0
	for i, a := range norm {
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("steps[%d] is 0", i)
		}
		dim := int64(x.Shape()[a])
		s, e := starts[i], ends[i]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		big := step > dim || step < -dim // at most one element; avoids overflow
		var cnt int64                    // stays 0 for an empty dimension, whatever the bounds
		switch {
		case dim == 0:
		case step > 0:
			s, e = clampInt64(s, 0, dim), clampInt64(e, 0, dim)
			if e > s {
				if big {
					cnt = 1
				} else {
					cnt = (e - s + step - 1) / step
				}
			}
		default:
			s, e = clampInt64(s, 0, dim-1), clampInt64(e, -1, dim-1)
			if e < s {
				if big {
					cnt = 1
				} else {
					cnt = (s - e - step - 1) / (-step)
				}
			}
		}
		if big {
			step = 1
		}
		shp[a] = int(cnt)
		if cnt > 0 {
			off += int(s) * inStr[a]
		}
		strides[a] = int(step) * inStr[a]
	}
	return stridedOut(x, shp, strides, off)
}

func buildTranspose(n *ops.Node) (ops.Kernel, error) {
	perm, err := n.AttrInts("perm", nil)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		out, err := transposeRC(rc, x, perm)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

// transpose permutes x's dimensions (reversing them when perm is nil).
func transpose(x *tensor.Tensor, perm []int64) (*tensor.Tensor, error) {
	return transposeRC(nil, x, perm)
}

// transposeRC is transpose with float32 outputs taken from rc's allocator
// (recycled buffers: no fresh pages per run).
func transposeRC(rc *ops.RunContext, x *tensor.Tensor, perm []int64) (*tensor.Tensor, error) {
	r := x.Rank()
	p := make([]int, r)
	if perm == nil {
		for i := range p {
			p[i] = r - 1 - i
		}
	} else {
		if len(perm) != r {
			return nil, fmt.Errorf("perm %v has %d entries for an input of rank %d", perm, len(perm), r)
		}
		seen := make([]bool, r)
		for i, v := range perm {
			if v < 0 || v >= int64(r) || seen[v] {
				return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
			}
			seen[v] = true
			p[i] = int(v)
		}
	}
	identity := true
	for i, v := range p {
		identity = identity && v == i
	}
	if identity {
		return x, nil
	}
	inStr := tensor.Strides(x.Shape())
	shp := make([]int, r)
	st := make([]int, r)
	for i, v := range p {
		shp[i] = x.Shape()[v]
		st[i] = inStr[v]
	}
	if x.DType() == tensor.Float32 && rc != nil {
		out, err := rc.NewFloat32(shp, false)
		if err != nil {
			return nil, err
		}
		strided(raw(out), raw(x), shp, st, 0)
		return out, nil
	}
	return stridedOut(x, shp, st, 0)
}

func buildExpand(n *ops.Node) (ops.Kernel, error) {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		s, err := need(in, 1, "shape")
		if err != nil {
			return nil, err
		}
		spec, err := ints1D(s, "shape")
		if err != nil {
			return nil, err
		}
		want, err := dimsOf(spec, "shape")
		if err != nil {
			return nil, err
		}
		shp, err := ops.BroadcastShapes(x.Shape(), want)
		if err != nil {
			return nil, fmt.Errorf("cannot expand shape %v to %v: %w", x.Shape(), spec, err)
		}
		if ops.ShapeEqual(shp, x.Shape()) {
			return rc.TensorResults(x), nil
		}
		if _, err := tensor.NumElements(shp); err != nil {
			return nil, err
		}
		out, err := stridedOut(x, shp, ops.BroadcastStrides(x.Shape(), shp), 0)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

func buildTile(n *ops.Node) (ops.Kernel, error) {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		var reps []int64
		if n.Opset < 6 {
			tt, err := need(in, 1, "tiles")
			if err != nil {
				return nil, err
			}
			at, err := need(in, 2, "axis")
			if err != nil {
				return nil, err
			}
			// In Tile-1 both are scalars of the input's (float) type.
			tf, err := scalarFloat(tt, "tiles")
			if err != nil {
				return nil, err
			}
			af, err := scalarFloat(at, "axis")
			if err != nil {
				return nil, err
			}
			if tf != math.Trunc(tf) || af != math.Trunc(af) || math.Abs(tf) > tensor.MaxElements || math.Abs(af) > 64 {
				return nil, fmt.Errorf("tiles %v and axis %v must be small integers", tf, af)
			}
			tiles, ax := int64(tf), int64(af)
			a, err := ops.NormAxis(int(ax), r)
			if err != nil || r == 0 {
				return nil, fmt.Errorf("axis %d out of range for input of shape %v", ax, x.Shape())
			}
			reps = make([]int64, r)
			for i := range reps {
				reps[i] = 1
			}
			reps[a] = tiles
		} else {
			rt, err := need(in, 1, "repeats")
			if err != nil {
				return nil, err
			}
			if reps, err = ints1D(rt, "repeats"); err != nil {
				return nil, err
			}
			if len(reps) != r {
				return nil, fmt.Errorf("repeats has %d entries for an input of rank %d (shape %v)", len(reps), r, x.Shape())
			}
		}
		inStr := tensor.Strides(x.Shape())
		shp := make([]int, 0, 2*r)
		st := make([]int, 0, 2*r)
		outShape := make([]int, r)
		same := true
		for i, v := range reps {
			if v < 0 || v > tensor.MaxElements {
				return nil, fmt.Errorf("repeats[%d] is %d, want >= 0", i, v)
			}
			same = same && v == 1
			shp = append(shp, int(v), x.Shape()[i])
			st = append(st, 0, inStr[i])
			outShape[i] = int(v) * x.Shape()[i]
		}
		if same {
			return rc.TensorResults(x), nil
		}
		if _, err := tensor.NumElements(shp); err != nil {
			return nil, err
		}
		out, dst, src, err := allocLike(rc, x, outShape)
		if err != nil {
			return nil, err
		}
		strided(dst, src, shp, st, 0)
		return rc.TensorResults(out), nil
	}), nil
}

func blockAttr(n *ops.Node) (int, error) {
	if !n.HasAttr("blocksize") {
		return 0, fmt.Errorf("attribute \"blocksize\" is required")
	}
	b, err := n.AttrInt("blocksize", 0)
	if err != nil {
		return 0, err
	}
	if b < 1 || b > 1<<16 {
		return 0, fmt.Errorf("attribute \"blocksize\" is %d, want >= 1", b)
	}
	return int(b), nil
}

func buildDepthToSpace(n *ops.Node) (ops.Kernel, error) {
	b, err := blockAttr(n)
	if err != nil {
		return nil, err
	}
	mode, err := n.AttrString("mode", "DCR")
	if err != nil {
		return nil, err
	}
	if n.Opset < 11 {
		mode = "DCR"
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, fmt.Errorf("attribute \"mode\" is %q, want DCR or CRD", mode)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 4 {
			return nil, fmt.Errorf("input: want shape [N, C, H, W], got %v", x.Shape())
		}
		N, C, H, W := x.Shape()[0], x.Shape()[1], x.Shape()[2], x.Shape()[3]
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("channels %d are not divisible by blocksize² = %d", C, b*b)
		}
		c := C / (b * b)
		sN, sC, sH := C*H*W, H*W, W
		// Read the output as [N, c, H, b, W, b].
		shp := []int{N, c, H, b, W, b}
		var st []int
		if mode == "DCR" { // channel = (b1*b + b2)*c + c'
			st = []int{sN, sC, sH, b * c * sC, 1, c * sC}
		} else { // CRD: channel = c'*b*b + b1*b + b2
			st = []int{sN, b * b * sC, sH, b * sC, 1, sC}
		}
		out, dst, src, err := allocLike(rc, x, []int{N, c, H * b, W * b})
		if err != nil {
			return nil, err
		}
		strided(dst, src, shp, st, 0)
		return rc.TensorResults(out), nil
	}), nil
}

func buildSpaceToDepth(n *ops.Node) (ops.Kernel, error) {
	b, err := blockAttr(n)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 4 {
			return nil, fmt.Errorf("input: want shape [N, C, H, W], got %v", x.Shape())
		}
		N, C, H, W := x.Shape()[0], x.Shape()[1], x.Shape()[2], x.Shape()[3]
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("height %d and width %d must be divisible by blocksize %d", H, W, b)
		}
		sN, sC, sH := C*H*W, H*W, W
		// Output channel = (b1*b + b2)*C + c: read as [N, b, b, C, H/b, W/b].
		shp := []int{N, b, b, C, H / b, W / b}
		st := []int{sN, sH, 1, sC, b * sH, b}
		out, dst, src, err := allocLike(rc, x, []int{N, C * b * b, H / b, W / b})
		if err != nil {
			return nil, err
		}
		strided(dst, src, shp, st, 0)
		return rc.TensorResults(out), nil
	}), nil
}
