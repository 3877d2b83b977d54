package quant

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "QuantizeLinear", []int{10, 13, 19, 21}, buildQuantize)
	ops.RegisterVersions("", "DequantizeLinear", []int{10, 13, 19, 21}, buildDequantize)
}

// layout says how a scale/zero-point tensor maps onto the elements of x,
// viewed as [outer, d, inner] around the quantisation axis.
type layout struct {
	outer, d, inner int
	mode            int // 0 per-tensor, 1 per-axis, 2 blocked
	block, sBlocks  int // blocked: block size and scale length on the axis
}

const (
	perTensor = iota
	perAxis
	blocked
)

// index is the scale index for element (o, a, i).
func (l *layout) index(o, a, i int) int {
	switch l.mode {
	case perAxis:
		return a
	case blocked:
		return (o*l.sBlocks+a/l.block)*l.inner + i
	}
	return 0
}

// params holds the parsed attributes shared by both ops.
type params struct {
	op        string
	opset     int
	axis      int
	blockSize int
}

// resolveLayout checks scale (and zero point) shapes against x.
func (p *params) resolveLayout(x, scale, zero *tensor.Tensor) (*layout, error) {
	xs := x.Shape()
	ss := scale.Shape()
	if zero != nil && !ops.ShapeEqual(zero.Shape(), ss) && !(zero.Len() == 1 && scale.Len() == 1) {
		return nil, fmt.Errorf("%s: zero point shape %v differs from scale shape %v", p.op, zero.Shape(), ss)
	}
	l := &layout{outer: 1, d: 1, inner: ops.Product(xs)}
	if scale.Len() == 1 && len(ss) <= 1 {
		return l, nil
	}
	if p.opset < 13 {
		return nil, fmt.Errorf("%s-%d: scale must be a scalar, got shape %v", p.op, p.opset, ss)
	}
	axis, err := ops.NormAxis(p.axis, len(xs))
	if err != nil || len(xs) == 0 {
		return nil, fmt.Errorf("%s: axis %d is out of range for input shape %v", p.op, p.axis, xs)
	}
	l.outer, l.d, l.inner = ops.Product(xs[:axis]), xs[axis], ops.Product(xs[axis+1:])
	if p.blockSize == 0 {
		if len(ss) != 1 || ss[0] != xs[axis] {
			return nil, fmt.Errorf("%s: per-axis scale must be 1-D of length %d (input %v, axis %d), got shape %v", p.op, xs[axis], xs, axis, ss)
		}
		l.mode = perAxis
		return l, nil
	}
	if p.blockSize < 0 {
		return nil, fmt.Errorf("%s: block_size must be positive, got %d", p.op, p.blockSize)
	}
	if len(ss) != len(xs) {
		return nil, fmt.Errorf("%s: blocked scale must have the rank of the input %v, got shape %v", p.op, xs, ss)
	}
	for i := range xs {
		want := xs[i]
		if i == axis {
			want = (xs[i] + p.blockSize - 1) / p.blockSize
		}
		if ss[i] != want {
			return nil, fmt.Errorf("%s: blocked scale for input %v, axis %d, block_size %d must have dimension %d = %d, got shape %v",
				p.op, xs, axis, p.blockSize, i, want, ss)
		}
	}
	l.mode, l.block, l.sBlocks = blocked, p.blockSize, ss[axis]
	return l, nil
}

func parseParams(n *ops.Node, op string) (*params, error) {
	p := &params{op: op, opset: n.Opset, axis: 1}
	if n.Opset >= 13 {
		a, err := n.AttrInt("axis", 1)
		if err != nil {
			return nil, err
		}
		p.axis = int(a)
	}
	if n.Opset >= 19 {
		if _, err := n.AttrInt("saturate", 1); err != nil {
			return nil, err
		}
	}
	if n.Opset >= 21 {
		b, err := n.AttrInt("block_size", 0)
		if err != nil {
			return nil, err
		}
		if b < 0 {
			return nil, fmt.Errorf("%s: block_size must be >= 0, got %d", op, b)
		}
		p.blockSize = int(b)
	}
	if len(n.Inputs) < 2 || len(n.Inputs) > 3 {
		return nil, fmt.Errorf("%s takes 2 or 3 inputs, got %d", op, len(n.Inputs))
	}
	return p, nil
}

// quantTypes are the output types QuantizeLinear can produce per opset.
func quantTypeOK(dt tensor.DType, opset int) bool {
	switch dt {
	case tensor.Uint8, tensor.Int8:
		return true
	case tensor.Uint16, tensor.Int16:
		return opset >= 21
	}
	return false
}

func buildQuantize(n *ops.Node) (ops.Kernel, error) {
	p, err := parseParams(n, "QuantizeLinear")
	if err != nil {
		return nil, err
	}
	outDT := tensor.Undefined
	if n.Opset >= 21 {
		od, err := n.AttrInt("output_dtype", 0)
		if err != nil {
			return nil, err
		}
		if od != 0 {
			outDT = tensor.DType(od)
			if !quantTypeOK(outDT, n.Opset) {
				return nil, fmt.Errorf("QuantizeLinear: output_dtype %v is not supported (want uint8, int8, uint16 or int16)", outDT)
			}
		}
	}
	return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		return p.quantize(in, outDT)
	}), nil
}

func (p *params) quantize(in []*tensor.Tensor, outDT tensor.DType) ([]*tensor.Tensor, error) {
	x, scale, zero := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if x == nil || scale == nil {
		return nil, fmt.Errorf("QuantizeLinear: inputs x and y_scale are required")
	}
	switch x.DType() {
	case tensor.Float32, tensor.Int32:
	case tensor.Float16, tensor.BFloat16:
		if p.opset < 19 {
			return nil, fmt.Errorf("QuantizeLinear-%d: x must be float32 or int32, got %v", p.opset, x.DType())
		}
	default:
		return nil, fmt.Errorf("QuantizeLinear: x must be float32, float16, bfloat16 or int32, got %v", x.DType())
	}
	if !scale.DType().IsFloat() && scale.DType() != tensor.Int32 {
		return nil, fmt.Errorf("QuantizeLinear: y_scale must be a float tensor, got %v", scale.DType())
	}
	dt := tensor.Uint8
	if outDT != tensor.Undefined {
		dt = outDT
	}
	if zero != nil {
		if outDT != tensor.Undefined && zero.DType() != outDT {
			return nil, fmt.Errorf("QuantizeLinear: y_zero_point has type %v but output_dtype is %v", zero.DType(), outDT)
		}
		dt = zero.DType()
	}
	if !quantTypeOK(dt, p.opset) {
		return nil, fmt.Errorf("QuantizeLinear-%d: unsupported quantised type %v", p.opset, dt)
	}
	l, err := p.resolveLayout(x, scale, zero)
	if err != nil {
		return nil, err
	}
	sc := scale.Float64s()
	for _, s := range sc {
		if s == 0 {
			return nil, fmt.Errorf("QuantizeLinear: y_scale contains 0")
		}
	}
	var zp []float64
	if zero != nil {
		zp = zero.Float64s()
	}
	var out *tensor.Tensor
	switch dt {
	case tensor.Uint8:
		out = quantizeTo[uint8](x, sc, zp, l)
	case tensor.Int8:
		out = quantizeTo[int8](x, sc, zp, l)
	case tensor.Uint16:
		out = quantizeTo[uint16](x, sc, zp, l)
	case tensor.Int16:
		out = quantizeTo[int16](x, sc, zp, l)
	}
	return []*tensor.Tensor{out}, nil
}

// quantizeTo computes saturate(round(x / scale) + zero_point), rounding
// half to even. Float inputs divide in float32 as the ONNX reference does;
// int32 inputs in float64.
func quantizeTo[T linalg.QInt](x *tensor.Tensor, sc, zp []float64, l *layout) *tensor.Tensor {
	out := make([]T, x.Len())
	sc32 := make([]float32, len(sc))
	for i, s := range sc {
		sc32[i] = float32(s)
	}
	var xf []float32
	var xi []int32
	switch x.DType() {
	case tensor.Float32:
		xf = tensor.Data[float32](x)
	case tensor.Int32:
		xi = tensor.Data[int32](x)
	default:
		c, _ := tensor.Convert(x, tensor.Float32)
		xf = tensor.Data[float32](c)
	}
	j := 0
	for o := 0; o < l.outer; o++ {
		for a := 0; a < l.d; a++ {
			for i := 0; i < l.inner; i++ {
				si := l.index(o, a, i)
				var q float64
				if xf != nil {
					q = math.RoundToEven(float64(xf[j] / sc32[si]))
				} else {
					q = math.RoundToEven(float64(xi[j]) / sc[si])
				}
				if zp != nil {
					q += zp[si]
				}
				out[j] = linalg.Saturate[T](q)
				j++
			}
		}
	}
	t, _ := tensor.FromSlice(x.Shape(), out)
	return t
}

func buildDequantize(n *ops.Node) (ops.Kernel, error) {
	p, err := parseParams(n, "DequantizeLinear")
	if err != nil {
		return nil, err
	}
	return ops.Tensors(p.dequantize), nil
}

func (p *params) dequantize(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, scale, zero := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if x == nil || scale == nil {
		return nil, fmt.Errorf("DequantizeLinear: inputs x and x_scale are required")
	}
	switch x.DType() {
	case tensor.Uint8, tensor.Int8, tensor.Int32:
	case tensor.Uint16, tensor.Int16:
		if p.opset < 21 {
			return nil, fmt.Errorf("DequantizeLinear-%d: x must be int8, uint8 or int32, got %v", p.opset, x.DType())
		}
	default:
		return nil, fmt.Errorf("DequantizeLinear: unsupported x type %v (want int8, uint8, int16, uint16 or int32)", x.DType())
	}
	outDT := tensor.Float32
	switch scale.DType() {
	case tensor.Float32:
	case tensor.Float16, tensor.BFloat16:
		if p.opset < 19 {
			return nil, fmt.Errorf("DequantizeLinear-%d: x_scale must be float32, got %v", p.opset, scale.DType())
		}
		outDT = scale.DType()
	default:
		return nil, fmt.Errorf("DequantizeLinear: x_scale must be float32, float16 or bfloat16, got %v", scale.DType())
	}
	if zero != nil && zero.DType() != x.DType() {
		return nil, fmt.Errorf("DequantizeLinear: x_zero_point has type %v, want %v like x", zero.DType(), x.DType())
	}
	l, err := p.resolveLayout(x, scale, zero)
	if err != nil {
		return nil, err
	}
	sc := make([]float32, scale.Len())
	for i, v := range scale.Float64s() {
		sc[i] = float32(v)
	}
	var zp []float32
	if zero != nil {
		zp = make([]float32, zero.Len())
		for i, v := range zero.Float64s() {
			zp[i] = float32(v)
		}
	}
	xv := x.Float64s()
	out := make([]float32, len(xv))
	j := 0
	for o := 0; o < l.outer; o++ {
		for a := 0; a < l.d; a++ {
			for i := 0; i < l.inner; i++ {
				si := l.index(o, a, i)
				v := float32(xv[j])
				if zp != nil {
					v -= zp[si]
				}
				out[j] = v * sc[si]
				j++
			}
		}
	}
	t, err := tensor.FromSlice(x.Shape(), out)
	if err != nil {
		return nil, err
	}
	if outDT != tensor.Float32 {
		if t, err = tensor.Convert(t, outDT); err != nil {
			return nil, err
		}
	}
	return []*tensor.Tensor{t}, nil
}
