package math

import (
	"fmt"
	gomath "math"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// binOp computes a broadcast binary op on inputs that p describes.
type binOp func(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error)

// binFn describes an elementwise function of two tensors of one dtype
// that keeps the dtype (arithmetic, bitwise). The fields are used as in
// unaryFn.
type binFn struct {
	types typeSet
	f     func(a, b float64) float64
	f32   func(a, b float32) float32
	i     func(a, b int64) int64
	u     func(a, b uint64) uint64
	// divisor: for integer types B must not contain 0 (Div, Mod).
	divisor bool
	// vec, if set, computes float32 spans with SIMD kernels.
	vec *vecBin
}

// applyRC is apply with the output of the float32 vector path taken from
// rc's recycled buffers (rc may be nil).
func (s *binFn) applyRC(rc *ops.RunContext, p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if s.vec == nil || a.DType() != tensor.Float32 || b.DType() != tensor.Float32 || s.types.check("input A", a) != nil {
		return s.apply(p, a, b)
	}
	f32 := s.f32
	if f32 == nil {
		f := s.f
		f32 = func(u, v float32) float32 { return float32(f(float64(u), float64(v))) }
	}
	y, dst, err := newF32(rc, p.out)
	if err != nil {
		return nil, err
	}
	applyVec2Into(dst, p, tensor.Data[float32](a), tensor.Data[float32](b), s.vec, f32)
	return y, nil
}

func (s *binFn) apply(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if err := sameType("A", a, "B", b); err != nil {
		return nil, err
	}
	if err := s.types.check("input A", a); err != nil {
		return nil, err
	}
	if s.divisor && p.n > 0 && hasIntZero(b) {
		return nil, fmt.Errorf("integer division by zero: divisor B (%v%v) contains 0", b.DType(), b.Shape())
	}
	f := s.f
	switch x := a.Data().(type) {
	case []float32:
		f32 := s.f32
		if f32 == nil {
			f32 = func(u, v float32) float32 { return float32(f(float64(u), float64(v))) }
		}
		if s.vec != nil {
			return wrap(p.out, applyVec2(p, x, tensor.Data[float32](b), s.vec, f32))
		}
		return wrap(p.out, apply2(p, x, tensor.Data[float32](b), f32))
	case []float64:
		return wrap(p.out, apply2(p, x, tensor.Data[float64](b), f))
	case []tensor.F16:
		return wrap(p.out, apply2(p, x, tensor.Data[tensor.F16](b), func(u, v tensor.F16) tensor.F16 {
			return toF16(f(float64(u.Float32()), float64(v.Float32())))
		}))
	case []tensor.BF16:
		return wrap(p.out, apply2(p, x, tensor.Data[tensor.BF16](b), func(u, v tensor.BF16) tensor.BF16 {
			return toBF16(f(float64(u.Float32()), float64(v.Float32())))
		}))
	case []int8:
		return wrap(p.out, apply2(p, x, tensor.Data[int8](b), signedBin[int8](s)))
	case []int16:
		return wrap(p.out, apply2(p, x, tensor.Data[int16](b), signedBin[int16](s)))
	case []int32:
		return wrap(p.out, apply2(p, x, tensor.Data[int32](b), signedBin[int32](s)))
	case []int64:
		return wrap(p.out, apply2(p, x, tensor.Data[int64](b), signedBin[int64](s)))
	case []uint8:
		return wrap(p.out, apply2(p, x, tensor.Data[uint8](b), unsignedBin[uint8](s)))
	case []uint16:
		return wrap(p.out, apply2(p, x, tensor.Data[uint16](b), unsignedBin[uint16](s)))
	case []uint32:
		return wrap(p.out, apply2(p, x, tensor.Data[uint32](b), unsignedBin[uint32](s)))
	case []uint64:
		return wrap(p.out, apply2(p, x, tensor.Data[uint64](b), unsignedBin[uint64](s)))
	}
	return nil, fmt.Errorf("input type %v is not supported", a.DType())
}

func signedBin[T ops.Signed](s *binFn) func(T, T) T {
	if i := s.i; i != nil {
		return func(a, b T) T { return T(i(int64(a), int64(b))) }
	}
	f := s.f
	return func(a, b T) T { return f64ToInt[T](f(float64(a), float64(b))) }
}

func unsignedBin[T ops.Unsigned](s *binFn) func(T, T) T {
	if u := s.u; u != nil {
		return func(a, b T) T { return T(u(uint64(a), uint64(b))) }
	}
	f := s.f
	return func(a, b T) T { return f64ToInt[T](f(float64(a), float64(b))) }
}

func anyZero[T ops.Integer](s []T) bool {
	for _, v := range s {
		if v == 0 {
			return true
		}
	}
	return false
}

// hasIntZero reports whether an integer tensor holds a 0 (false for floats).
func hasIntZero(t *tensor.Tensor) bool {
	switch d := t.Data().(type) {
	case []int8:
		return anyZero(d)
	case []int16:
		return anyZero(d)
	case []int32:
		return anyZero(d)
	case []int64:
		return anyZero(d)
	case []uint8:
		return anyZero(d)
	case []uint16:
		return anyZero(d)
	case []uint32:
		return anyZero(d)
	case []uint64:
		return anyZero(d)
	}
	return false
}

// cmpFn describes a comparison: two tensors of one dtype to a bool tensor.
// Bools compare through i as 0/1.
type cmpFn struct {
	types typeSet
	f     func(a, b float64) bool
	i     func(a, b int64) bool
	u     func(a, b uint64) bool
	s     func(a, b string) bool
}

func (c *cmpFn) apply(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if err := sameType("A", a, "B", b); err != nil {
		return nil, err
	}
	if err := c.types.check("input A", a); err != nil {
		return nil, err
	}
	f := c.f
	switch x := a.Data().(type) {
	case []float32:
		return wrap(p.out, apply2(p, x, tensor.Data[float32](b), func(u, v float32) bool { return f(float64(u), float64(v)) }))
	case []float64:
		return wrap(p.out, apply2(p, x, tensor.Data[float64](b), f))
	case []tensor.F16:
		return wrap(p.out, apply2(p, x, tensor.Data[tensor.F16](b), func(u, v tensor.F16) bool {
			return f(float64(u.Float32()), float64(v.Float32()))
		}))
	case []tensor.BF16:
		return wrap(p.out, apply2(p, x, tensor.Data[tensor.BF16](b), func(u, v tensor.BF16) bool {
			return f(float64(u.Float32()), float64(v.Float32()))
		}))
	case []int8:
		return wrap(p.out, apply2(p, x, tensor.Data[int8](b), signedCmp[int8](c.i)))
	case []int16:
		return wrap(p.out, apply2(p, x, tensor.Data[int16](b), signedCmp[int16](c.i)))
	case []int32:
		return wrap(p.out, apply2(p, x, tensor.Data[int32](b), signedCmp[int32](c.i)))
	case []int64:
		return wrap(p.out, apply2(p, x, tensor.Data[int64](b), c.i))
	case []uint8:
		return wrap(p.out, apply2(p, x, tensor.Data[uint8](b), unsignedCmp[uint8](c.u)))
	case []uint16:
		return wrap(p.out, apply2(p, x, tensor.Data[uint16](b), unsignedCmp[uint16](c.u)))
	case []uint32:
		return wrap(p.out, apply2(p, x, tensor.Data[uint32](b), unsignedCmp[uint32](c.u)))
	case []uint64:
		return wrap(p.out, apply2(p, x, tensor.Data[uint64](b), c.u))
	case []bool:
		i := c.i
		return wrap(p.out, apply2(p, x, tensor.Data[bool](b), func(u, v bool) bool { return i(b2i(u), b2i(v)) }))
	case []string:
		return wrap(p.out, apply2(p, x, tensor.Data[string](b), c.s))
	}
	return nil, fmt.Errorf("input type %v is not supported", a.DType())
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func signedCmp[T ops.Signed](i func(a, b int64) bool) func(T, T) bool {
	return func(a, b T) bool { return i(int64(a), int64(b)) }
}

func unsignedCmp[T ops.Unsigned](u func(a, b uint64) bool) func(T, T) bool {
	return func(a, b T) bool { return u(uint64(a), uint64(b)) }
}

// logicOp is a binary op on bool tensors.
func logicOp(f func(a, b bool) bool) binOp {
	return func(p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) {
		if err := tBool.check("input A", a); err != nil {
			return nil, err
		}
		if err := tBool.check("input B", b); err != nil {
			return nil, err
		}
		return wrap(p.out, apply2(p, tensor.Data[bool](a), tensor.Data[bool](b), f))
	}
}

// binaryKernel runs op with broadcasting under the node's rules (numpy from
// opset 7, the broadcast/axis attributes before).
func binaryKernel(n *ops.Node, op binOp) (ops.Kernel, error) {
	return binaryKernelRC(n, func(_ *ops.RunContext, p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error) { return op(p, a, b) })
}

// binaryKernelRC is binaryKernel for an op that takes the RunContext (for
// its buffer allocator).
func binaryKernelRC(n *ops.Node, op func(rc *ops.RunContext, p *plan, a, b *tensor.Tensor) (*tensor.Tensor, error)) (ops.Kernel, error) {
	lb, err := readLegacy(n)
	if err != nil {
		return nil, err
	}
	var plans planCache
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "A", "B"); err != nil {
			return nil, err
		}
		a, b := in[0].Shape(), in[1].Shape()
		p, err := plans.get(func(p *plan) error { return lb.planInto(p, a, b) }, a, b)
		if err != nil {
			return nil, err
		}
		y, err := op(rc, p, in[0], in[1])
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

// regBinary registers a binary op whose behaviour does not depend on
// attributes (other than the legacy broadcast ones).
func regBinary(op string, versions []int, f binOp) {
	ops.RegisterVersions("", op, versions, func(n *ops.Node) (ops.Kernel, error) {
		return binaryKernel(n, f)
	})
}

// pyMod is the remainder with the sign of the divisor (Python's %).
func pyMod(a, b int64) int64 {
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

var arithTypes = tNumeric

var (
	addFn = &binFn{
		types: arithTypes,
		vec:   vecAdd,
		f:     func(a, b float64) float64 { return a + b },
		f32:   func(a, b float32) float32 { return a + b },
		i:     func(a, b int64) int64 { return a + b },
		u:     func(a, b uint64) uint64 { return a + b },
	}
	subFn = &binFn{
		types: arithTypes,
		vec:   vecSub,
		f:     func(a, b float64) float64 { return a - b },
		f32:   func(a, b float32) float32 { return a - b },
		i:     func(a, b int64) int64 { return a - b },
		u:     func(a, b uint64) uint64 { return a - b },
	}
	mulFn = &binFn{
		types: arithTypes,
		vec:   vecMul,
		f:     func(a, b float64) float64 { return a * b },
		f32:   func(a, b float32) float32 { return a * b },
		i:     func(a, b int64) int64 { return a * b },
		u:     func(a, b uint64) uint64 { return a * b },
	}
	divFn = &binFn{
		types:   arithTypes,
		vec:     vecDiv,
		f:       func(a, b float64) float64 { return a / b },
		f32:     func(a, b float32) float32 { return a / b },
		i:       func(a, b int64) int64 { return a / b },
		u:       func(a, b uint64) uint64 { return a / b },
		divisor: true,
	}
	maxFn = &binFn{
		types: tNumeric,
		f: func(a, b float64) float64 {
			if a != a || a > b {
				return a
			}
			return b
		},
		f32: func(a, b float32) float32 {
			if a != a || a > b {
				return a
			}
			return b
		},
		i: func(a, b int64) int64 { return max(a, b) },
		u: func(a, b uint64) uint64 { return max(a, b) },
	}
	minFn = &binFn{
		types: tNumeric,
		f: func(a, b float64) float64 {
			if a != a || a < b {
				return a
			}
			return b
		},
		f32: func(a, b float32) float32 {
			if a != a || a < b {
				return a
			}
			return b
		},
		i: func(a, b int64) int64 { return min(a, b) },
		u: func(a, b uint64) uint64 { return min(a, b) },
	}
)

func init() {
	v := func(vs ...int) []int { return vs }
	arith := []int{1, 6, 7, 13, 14}
	for _, r := range []struct {
		op string
		fn *binFn
	}{{"Add", addFn}, {"Sub", subFn}, {"Mul", mulFn}, {"Div", divFn}} {
		fn := r.fn
		ops.RegisterVersions("", r.op, arith, func(n *ops.Node) (ops.Kernel, error) {
			return binaryKernelRC(n, fn.applyRC)
		})
	}

	ops.RegisterVersions("", "Mod", v(10, 13), func(n *ops.Node) (ops.Kernel, error) {
		fm, err := n.AttrInt("fmod", 0)
		if err != nil {
			return nil, err
		}
		// Floats always use C fmod (the sign of the dividend): the spec
		// requires fmod=1 for them and the ONNX reference runtime computes
		// fmod even when the attribute is 0.
		s := &binFn{types: tNumeric, f: gomath.Mod}
		switch fm {
		case 0:
			s.i = pyMod
		case 1:
			s.i = func(a, b int64) int64 { return a % b }
		default:
			return nil, fmt.Errorf("attribute fmod must be 0 or 1, got %d", fm)
		}
		s.u = func(a, b uint64) uint64 { return a % b }
		s.divisor = true
		return binaryKernel(n, s.apply)
	})

	bitwise := func(i func(a, b int64) int64, u func(a, b uint64) uint64) binOp {
		return (&binFn{types: tInt, i: i, u: u}).apply
	}
	regBinary("BitwiseAnd", v(18), bitwise(func(a, b int64) int64 { return a & b }, func(a, b uint64) uint64 { return a & b }))
	regBinary("BitwiseOr", v(18), bitwise(func(a, b int64) int64 { return a | b }, func(a, b uint64) uint64 { return a | b }))
	regBinary("BitwiseXor", v(18), bitwise(func(a, b int64) int64 { return a ^ b }, func(a, b uint64) uint64 { return a ^ b }))
	ops.RegisterVersions("", "BitShift", v(11), func(n *ops.Node) (ops.Kernel, error) {
		if !n.HasAttr("direction") {
			return nil, fmt.Errorf(`attribute direction is required ("LEFT" or "RIGHT")`)
		}
		dir, err := n.AttrString("direction", "")
		if err != nil {
			return nil, err
		}
		var u func(a, b uint64) uint64
		switch strings.ToUpper(dir) {
		case "LEFT":
			u = func(a, b uint64) uint64 { return a << b }
		case "RIGHT":
			u = func(a, b uint64) uint64 { return a >> b }
		default:
			return nil, fmt.Errorf(`attribute direction must be "LEFT" or "RIGHT", got %q`, dir)
		}
		return binaryKernel(n, (&binFn{types: tUnsigned, u: u}).apply)
	})

	regBinary("And", v(1, 7), logicOp(func(a, b bool) bool { return a && b }))
	regBinary("Or", v(1, 7), logicOp(func(a, b bool) bool { return a || b }))
	regBinary("Xor", v(1, 7), logicOp(func(a, b bool) bool { return a != b }))

	regBinary("Equal", v(1, 7, 11, 13, 19), (&cmpFn{
		types: tAll,
		f:     func(a, b float64) bool { return a == b },
		i:     func(a, b int64) bool { return a == b },
		u:     func(a, b uint64) bool { return a == b },
		s:     func(a, b string) bool { return a == b },
	}).apply)
	regBinary("Greater", v(1, 7, 9, 13), (&cmpFn{
		types: tNumeric,
		f:     func(a, b float64) bool { return a > b },
		i:     func(a, b int64) bool { return a > b },
		u:     func(a, b uint64) bool { return a > b },
	}).apply)
	regBinary("Less", v(1, 7, 9, 13), (&cmpFn{
		types: tNumeric,
		f:     func(a, b float64) bool { return a < b },
		i:     func(a, b int64) bool { return a < b },
		u:     func(a, b uint64) bool { return a < b },
	}).apply)
	regBinary("GreaterOrEqual", v(12, 16), (&cmpFn{
		types: tNumeric,
		f:     func(a, b float64) bool { return a >= b },
		i:     func(a, b int64) bool { return a >= b },
		u:     func(a, b uint64) bool { return a >= b },
	}).apply)
	regBinary("LessOrEqual", v(12, 16), (&cmpFn{
		types: tNumeric,
		f:     func(a, b float64) bool { return a <= b },
		i:     func(a, b int64) bool { return a <= b },
		u:     func(a, b uint64) bool { return a <= b },
	}).apply)

	ops.RegisterVersions("", "PRelu", v(1, 6, 7, 9, 16), buildPRelu)
}

var preluFn = &binFn{
	types: tFloat | setOf(tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64),
	f: func(x, s float64) float64 {
		if x < 0 {
			return s * x
		}
		return x
	},
	f32: func(x, s float32) float32 {
		if x < 0 {
			return s * x
		}
		return x
	},
	i: func(x, s int64) int64 {
		if x < 0 {
			return s * x
		}
		return x
	},
	u: func(x, s uint64) uint64 { return x },
}

// buildPRelu: the slope broadcasts unidirectionally to X's shape. When it
// does not and the slope is 1-D with a length that occurs exactly once in
// X's shape, it applies along that axis (as the ONNX reference runtime
// does). Before opset 7 (Caffe2 semantics, which the PyTorch exporter of
// that time relied on) a 1-D slope of X's channel count applies along axis
// 1 first.
func buildPRelu(n *ops.Node) (ops.Kernel, error) {
	old := n.Opset < 7
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "X", "slope"); err != nil {
			return nil, err
		}
		x, s := in[0], in[1]
		p, err := preluPlan(x.Shape(), s.Shape(), old)
		if err != nil {
			return nil, err
		}
		y, err := preluFn.apply(p, x, s)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

func preluPlan(xs, ss []int, old bool) (*plan, error) {
	along := func(axis int) []int {
		cs := make([]int, len(xs)-axis)
		for i := range cs {
			cs[i] = 1
		}
		cs[0] = ss[0]
		return cs
	}
	if old && len(ss) == 1 && ss[0] != 1 && len(xs) >= 2 && ss[0] == xs[1] {
		return planTo(xs, xs, along(1))
	}
	if p, err := newPlan(xs, ss); err == nil && ops.ShapeEqual(p.out, xs) {
		return p, nil
	}
	if len(ss) == 1 {
		axis := -1
		for i, d := range xs {
			if d == ss[0] {
				if axis >= 0 {
					axis = -2
					break
				}
				axis = i
			}
		}
		if axis >= 0 {
			return planTo(xs, xs, along(axis))
		}
	}
	return nil, fmt.Errorf("slope of shape %v does not broadcast to X's shape %v", ss, xs)
}
