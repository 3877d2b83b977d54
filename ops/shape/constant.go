package shape

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Generators of new tensors from attributes or small inputs: Constant,
// ConstantOfShape, EyeLike, Range, OneHot.

func init() {
	ops.RegisterVersions("", "Constant", []int{1, 9, 11, 12, 13, 19, 21, 23}, buildConstant)
	ops.RegisterVersions("", "ConstantOfShape", []int{9, 20, 21, 23}, buildConstantOfShape)
	ops.RegisterVersions("", "EyeLike", []int{9, 22}, buildEyeLike)
	ops.Register("", "Range", 11, buildRange)
	ops.RegisterVersions("", "OneHot", []int{9, 11}, buildOneHot)
}

func buildConstant(n *ops.Node) (ops.Kernel, error) {
	var val *tensor.Tensor
	count := 0
	for name, a := range n.Attrs {
		var t *tensor.Tensor
		switch name {
		case "value":
			if a.Type != graph.AttrTensor || a.T == nil {
				return nil, fmt.Errorf("attribute \"value\": want a tensor, got attribute type %d", a.Type)
			}
			t = a.T
		case "sparse_value":
			// The decoder densifies sparse tensors; T holds the dense value.
			if (a.Type != graph.AttrSparseTensor && a.Type != graph.AttrTensor) || a.T == nil {
				return nil, fmt.Errorf("attribute \"sparse_value\": want a sparse tensor (densified by the decoder), got attribute type %d with no value", a.Type)
			}
			t = a.T
		case "value_float":
			v, err := n.AttrFloat(name, 0)
			if err != nil {
				return nil, err
			}
			t = tensor.Scalar(v)
		case "value_floats":
			v, err := n.AttrFloats(name, nil)
			if err != nil {
				return nil, err
			}
			t = tensor.New([]int{len(v)}, append([]float32{}, v...))
		case "value_int":
			v, err := n.AttrInt(name, 0)
			if err != nil {
				return nil, err
			}
			t = tensor.Scalar(v)
		case "value_ints":
			v, err := n.AttrInts(name, nil)
			if err != nil {
				return nil, err
			}
			t = tensor.New([]int{len(v)}, append([]int64{}, v...))
		case "value_string":
			v, err := n.AttrString(name, "")
			if err != nil {
				return nil, err
			}
			t = tensor.Scalar(v)
		case "value_strings":
			v, err := n.AttrStrings(name, nil)
			if err != nil {
				return nil, err
			}
			t = tensor.New([]int{len(v)}, v)
		default:
			continue
		}
		val = t
		count++
	}
	if count != 1 {
		return nil, fmt.Errorf("exactly one of value, sparse_value, value_float(s), value_int(s), value_string(s) must be set, got %d", count)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		return rc.TensorResults(val), nil
	}), nil
}

func buildConstantOfShape(n *ops.Node) (ops.Kernel, error) {
	val, err := n.AttrTensor("value")
	if err != nil {
		return nil, err
	}
	if val == nil {
		val = tensor.New([]int{1}, []float32{0})
	}
	if val.Len() != 1 {
		return nil, fmt.Errorf("attribute \"value\": want a one-element tensor, got shape %v", val.Shape())
	}
	if raw(val) == nil {
		return nil, fmt.Errorf("attribute \"value\": unsupported element type %v", val.DType())
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		s, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		spec, err := ints1D(s, "input (shape)")
		if err != nil {
			return nil, err
		}
		shp, err := dimsOf(spec, "input (shape)")
		if err != nil {
			return nil, err
		}
		out, err := alloc(rc, val.DType(), shp)
		if err != nil {
			return nil, err
		}
		rawFill(raw(out), raw(val), 0)
		return rc.TensorResults(out), nil
	}), nil
}

// dtypeAttr reads an optional dtype attribute; 0 means "not set".
func dtypeAttr(n *ops.Node) (tensor.DType, error) {
	v, err := n.AttrInt("dtype", 0)
	if err != nil {
		return 0, err
	}
	dt := tensor.DType(v)
	if v != 0 && !dt.Supported() {
		return 0, fmt.Errorf("attribute \"dtype\": unsupported data type %d", v)
	}
	return dt, nil
}

// setOne writes 1 (or true) at element i.
func setOne(data any, i int) error {
	switch d := data.(type) {
	case []float32:
		d[i] = 1
	case []float64:
		d[i] = 1
	case []tensor.F16:
		d[i] = tensor.NewF16(1)
	case []tensor.BF16:
		d[i] = tensor.NewBF16(1)
	case []int8:
		d[i] = 1
	case []int16:
		d[i] = 1
	case []int32:
		d[i] = 1
	case []int64:
		d[i] = 1
	case []uint8:
		d[i] = 1
	case []uint16:
		d[i] = 1
	case []uint32:
		d[i] = 1
	case []uint64:
		d[i] = 1
	case []bool:
		d[i] = true
	default:
		return fmt.Errorf("unsupported element type %T", data)
	}
	return nil
}

func buildEyeLike(n *ops.Node) (ops.Kernel, error) {
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	if dt == tensor.String {
		return nil, fmt.Errorf("attribute \"dtype\": string is not a valid EyeLike output type")
	}
	k, err := n.AttrInt("k", 0)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 2 {
			return nil, fmt.Errorf("input: want a 2-D tensor, got shape %v", x.Shape())
		}
		odt := dt
		if odt == 0 {
			odt = x.DType()
		}
		if odt == tensor.String {
			return nil, fmt.Errorf("EyeLike cannot produce string tensors")
		}
		rows, cols := x.Shape()[0], x.Shape()[1]
		out, err := alloc(rc, odt, []int{rows, cols})
		if err != nil {
			return nil, err
		}
		for i := 0; i < rows; i++ {
			j := int64(i) + k
			if j < 0 || j >= int64(cols) {
				continue
			}
			if err := setOne(out.Data(), i*cols+int(j)); err != nil {
				return nil, err
			}
		}
		return rc.TensorResults(out), nil
	}), nil
}

func buildRange(n *ops.Node) (ops.Kernel, error) {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		var ts [3]*tensor.Tensor
		for i, name := range []string{"start", "limit", "delta"} {
			t, err := need(in, i, name)
			if err != nil {
				return nil, err
			}
			if t.Len() != 1 {
				return nil, fmt.Errorf("%s: want a scalar, got shape %v", name, t.Shape())
			}
			if i > 0 && t.DType() != ts[0].DType() {
				return nil, fmt.Errorf("%s has type %v but start has type %v: all three must match", name, t.DType(), ts[0].DType())
			}
			ts[i] = t
		}
		switch ts[0].DType() {
		case tensor.Float32:
			return rangeFloat[float32](ts)
		case tensor.Float64:
			return rangeFloat[float64](ts)
		case tensor.Int8:
			return rangeInt[int8](ts)
		case tensor.Int16:
			return rangeInt[int16](ts)
		case tensor.Int32:
			return rangeInt[int32](ts)
		case tensor.Int64:
			return rangeInt[int64](ts)
		case tensor.Uint8:
			return rangeInt[uint8](ts)
		case tensor.Uint16:
			return rangeInt[uint16](ts)
		case tensor.Uint32:
			return rangeInt[uint32](ts)
		case tensor.Uint64:
			return rangeInt[uint64](ts)
		}
		return nil, fmt.Errorf("unsupported type %v: want a float or integer type", ts[0].DType())
	}), nil
}

func rangeFloat[T ops.Float](ts [3]*tensor.Tensor) ([]*tensor.Tensor, error) {
	start, limit, delta := tensor.Data[T](ts[0])[0], tensor.Data[T](ts[1])[0], tensor.Data[T](ts[2])[0]
	if delta == 0 {
		return nil, fmt.Errorf("delta must not be zero")
	}
	c := math.Ceil(float64(limit-start) / float64(delta))
	if math.IsNaN(c) || math.IsInf(c, 0) || c > tensor.MaxElements {
		return nil, fmt.Errorf("range(%v, %v, %v) has too many (or undefined) elements", start, limit, delta)
	}
	cnt := max(int(c), 0)
	out := make([]T, cnt)
	for i := range out {
		out[i] = start + T(i)*delta
	}
	return []*tensor.Tensor{tensor.New([]int{cnt}, out)}, nil
}

func rangeInt[T ops.Integer](ts [3]*tensor.Tensor) ([]*tensor.Tensor, error) {
	start, limit, delta := tensor.Data[T](ts[0])[0], tensor.Data[T](ts[1])[0], tensor.Data[T](ts[2])[0]
	if delta == 0 {
		return nil, fmt.Errorf("delta must not be zero")
	}
	// Work in float64 for the count only when exact; otherwise in int64.
	var cnt int64
	s, l, d := toI64(start), toI64(limit), toI64(delta)
	if d > 0 && l > s {
		diff := uint64(l - s)
		cnt = int64((diff + uint64(d) - 1) / uint64(d))
	} else if d < 0 && l < s {
		diff := uint64(s - l)
		cnt = int64((diff + uint64(-d) - 1) / uint64(-d))
	}
	if cnt < 0 || cnt > tensor.MaxElements {
		return nil, fmt.Errorf("range(%v, %v, %v) has too many elements", start, limit, delta)
	}
	out := make([]T, cnt)
	v := start
	for i := range out {
		out[i] = v
		v += delta
	}
	return []*tensor.Tensor{tensor.New([]int{int(cnt)}, out)}, nil
}

// toI64 widens an integer; uint64 values above MaxInt64 saturate (Range on
// such values is outside any realistic model).
func toI64[T ops.Integer](v T) int64 {
	if v > 0 && uint64(v) > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func buildOneHot(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	negIdx := n.Opset >= 11
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		ind, err := need(in, 0, "indices")
		if err != nil {
			return nil, err
		}
		dt, err := need(in, 1, "depth")
		if err != nil {
			return nil, err
		}
		vals, err := need(in, 2, "values")
		if err != nil {
			return nil, err
		}
		if ind.DType() == tensor.String || ind.DType() == tensor.Bool {
			return nil, fmt.Errorf("indices: want a numeric tensor, got %v", ind.DType())
		}
		df, err := scalarFloat(dt, "depth")
		if err != nil {
			return nil, err
		}
		if math.IsNaN(df) || df < 0 || df > tensor.MaxElements {
			return nil, fmt.Errorf("depth %v: want a non-negative number of classes", df)
		}
		depth := int(df)
		if vals.Len() != 2 {
			return nil, fmt.Errorf("values: want two elements [off_value, on_value], got shape %v", vals.Shape())
		}
		r := ind.Rank()
		a := int(axis)
		if a < -(r+1) || a > r {
			return nil, fmt.Errorf("axis %d out of range [%d, %d] for indices of rank %d", axis, -(r + 1), r, r)
		}
		if a < 0 {
			a += r + 1
		}
		shp := make([]int, 0, r+1)
		shp = append(shp, ind.Shape()[:a]...)
		shp = append(shp, depth)
		shp = append(shp, ind.Shape()[a:]...)
		out, dst, src, err := allocLike(rc, vals, shp)
		if err != nil {
			return nil, err
		}
		rawFill(dst, src, 0)
		idx := ind.Int64s()
		inner := ops.Product(ind.Shape()[a:])
		for j, v := range idx {
			if v < 0 && negIdx {
				v += int64(depth)
			}
			if v < 0 || v >= int64(depth) {
				continue
			}
			o, i := j/inner, j%inner
			rawSet(dst, src, (o*depth+int(v))*inner+i, 1)
		}
		return rc.TensorResults(out), nil
	}), nil
}
