package math

import (
	"fmt"
	gomath "math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/vector"
)

// unaryFn describes an elementwise function of one tensor that keeps the
// dtype. Floats compute through f (float64; float32, float16 and bfloat16
// are widened and the result rounded back) unless a float32 form is given.
// Integers use i (signed, computed in int64 and wrapped back, as C would)
// or u (unsigned), or else f with a C-style conversion back.
type unaryFn struct {
	types typeSet
	f     func(float64) float64
	f32   func(float32) float32
	i     func(int64) int64
	u     func(uint64) uint64
	// vec, if set, computes float32 data instead of f32/f (a SIMD kernel).
	vec func(dst, src []float32)
}

// applyRC is apply with float32 outputs taken from rc's recycled buffers
// (rc may be nil); the values are apply's.
func (u *unaryFn) applyRC(rc *ops.RunContext, x *tensor.Tensor) (*tensor.Tensor, error) {
	if x.DType() != tensor.Float32 || u.types.check("input", x) != nil {
		return u.apply(x)
	}
	y, dst, err := newF32(rc, x.Shape())
	if err != nil {
		return nil, err
	}
	src := tensor.Data[float32](x)
	switch {
	case u.vec != nil:
		u.vec(dst, src)
	case u.f32 != nil:
		for i, v := range src {
			dst[i] = u.f32(v)
		}
	default:
		for i, v := range src {
			dst[i] = float32(u.f(float64(v)))
		}
	}
	return y, nil
}

// apply runs u over x and returns a new tensor of x's shape and type.
func (u *unaryFn) apply(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := u.types.check("input", x); err != nil {
		return nil, err
	}
	sh := x.Shape()
	f := u.f
	switch d := x.Data().(type) {
	case []float32:
		if u.vec != nil {
			return wrap(sh, applyVec1(d, u.vec))
		}
		f32 := u.f32
		if f32 == nil {
			f32 = func(v float32) float32 { return float32(f(float64(v))) }
		}
		return wrap(sh, apply1(d, f32))
	case []float64:
		return wrap(sh, apply1(d, f))
	case []tensor.F16:
		return wrap(sh, apply1(d, func(v tensor.F16) tensor.F16 { return toF16(f(float64(v.Float32()))) }))
	case []tensor.BF16:
		return wrap(sh, apply1(d, func(v tensor.BF16) tensor.BF16 { return toBF16(f(float64(v.Float32()))) }))
	case []int8:
		return wrap(sh, apply1(d, signedUnary[int8](u)))
	case []int16:
		return wrap(sh, apply1(d, signedUnary[int16](u)))
	case []int32:
		return wrap(sh, apply1(d, signedUnary[int32](u)))
	case []int64:
		return wrap(sh, apply1(d, signedUnary[int64](u)))
	case []uint8:
		return wrap(sh, apply1(d, unsignedUnary[uint8](u)))
	case []uint16:
		return wrap(sh, apply1(d, unsignedUnary[uint16](u)))
	case []uint32:
		return wrap(sh, apply1(d, unsignedUnary[uint32](u)))
	case []uint64:
		return wrap(sh, apply1(d, unsignedUnary[uint64](u)))
	}
	return nil, fmt.Errorf("input type %v is not supported", x.DType())
}

func signedUnary[T ops.Signed](u *unaryFn) func(T) T {
	if i := u.i; i != nil {
		return func(v T) T { return T(i(int64(v))) }
	}
	f := u.f
	return func(v T) T { return f64ToInt[T](f(float64(v))) }
}

func unsignedUnary[T ops.Unsigned](u *unaryFn) func(T) T {
	if g := u.u; g != nil {
		return func(v T) T { return T(g(uint64(v))) }
	}
	f := u.f
	return func(v T) T { return f64ToInt[T](f(float64(v))) }
}

// unaryKernel wraps a unaryFn as a one-input, one-output kernel.
func unaryKernel(u *unaryFn) ops.Kernel {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "X"); err != nil {
			return nil, err
		}
		y, err := u.applyRC(rc, in[0])
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	})
}

// regUnary registers an op built from a unaryFn at the given versions.
func regUnary(op string, versions []int, build func(n *ops.Node) (*unaryFn, error)) {
	ops.RegisterVersions("", op, versions, func(n *ops.Node) (ops.Kernel, error) {
		u, err := build(n)
		if err != nil {
			return nil, err
		}
		return unaryKernel(u), nil
	})
}

// regFixed registers an attribute-free unary op.
func regFixed(op string, versions []int, u *unaryFn) {
	regUnary(op, versions, func(*ops.Node) (*unaryFn, error) { return u, nil })
}

// floatFn is a float-only unaryFn.
func floatFn(f func(float64) float64) *unaryFn { return &unaryFn{types: tFloat, f: f} }

// attrFloats reads float attributes with defaults, in order.
func attrFloats(n *ops.Node, names []string, defs []float32) ([]float64, error) {
	out := make([]float64, len(names))
	for i, nm := range names {
		v, err := n.AttrFloat(nm, defs[i])
		if err != nil {
			return nil, err
		}
		out[i] = float64(v)
	}
	return out, nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + gomath.Exp(-x))
	}
	e := gomath.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+exp(x)) computed without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + gomath.Log1p(gomath.Exp(-x))
	}
	return gomath.Log1p(gomath.Exp(x))
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0 or NaN
}

func init() {
	v := func(vs ...int) []int { return vs }

	regFixed("Abs", v(1, 6, 13), &unaryFn{
		types: tNumeric,
		f:     gomath.Abs,
		f32: func(x float32) float32 {
			return gomath.Float32frombits(gomath.Float32bits(x) &^ (1 << 31))
		},
		i: func(x int64) int64 {
			if x < 0 {
				return -x
			}
			return x
		},
		u: func(x uint64) uint64 { return x },
	})
	regFixed("Neg", v(1, 6, 13), &unaryFn{
		types: tFloat | tSigned,
		f:     func(x float64) float64 { return -x },
		f32:   func(x float32) float32 { return -x },
		i:     func(x int64) int64 { return -x },
	})
	regFixed("Sign", v(9, 13), &unaryFn{
		types: tNumeric,
		f:     sign,
		i: func(x int64) int64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		},
		u: func(x uint64) uint64 {
			if x > 0 {
				return 1
			}
			return 0
		},
	})
	regFixed("Relu", v(1, 6, 13, 14), &unaryFn{
		types: tFloat | tSigned,
		vec:   vector.Relu,
		f: func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return x
		},
		f32: func(x float32) float32 {
			if x < 0 {
				return 0
			}
			return x
		},
		i: func(x int64) int64 { return max(x, 0) },
	})
	regFixed("Reciprocal", v(1, 6, 13), &unaryFn{
		types: tFloat,
		f:     func(x float64) float64 { return 1 / x },
		f32:   func(x float32) float32 { return 1 / x },
	})
	regFixed("BitwiseNot", v(18), &unaryFn{
		types: tInt,
		i:     func(x int64) int64 { return ^x },
		u:     func(x uint64) uint64 { return ^x },
	})

	// Plain float functions.
	vecOf := map[string]func(dst, src []float32){
		"Exp": vector.Exp, "Log": vector.Log, "Sigmoid": vector.Sigmoid, "Tanh": vector.Tanh,
		"HardSwish": vector.HardSwish,
	}
	for _, o := range []struct {
		op string
		vs []int
		f  func(float64) float64
	}{
		{"Ceil", v(1, 6, 13), gomath.Ceil},
		{"Floor", v(1, 6, 13), gomath.Floor},
		{"Round", v(11, 22), gomath.RoundToEven},
		{"Sqrt", v(1, 6, 13), gomath.Sqrt},
		{"Exp", v(1, 6, 13), gomath.Exp},
		{"Log", v(1, 6, 13), gomath.Log},
		{"Sigmoid", v(1, 6, 13), sigmoid},
		{"Tanh", v(1, 6, 13), gomath.Tanh},
		{"Sin", v(7, 22), gomath.Sin},
		{"Cos", v(7, 22), gomath.Cos},
		{"Tan", v(7, 22), gomath.Tan},
		{"Asin", v(7, 22), gomath.Asin},
		{"Acos", v(7, 22), gomath.Acos},
		{"Atan", v(7, 22), gomath.Atan},
		{"Sinh", v(9, 22), gomath.Sinh},
		{"Cosh", v(9, 22), gomath.Cosh},
		{"Asinh", v(9, 22), gomath.Asinh},
		{"Acosh", v(9, 22), gomath.Acosh},
		{"Atanh", v(9, 22), gomath.Atanh},
		{"Softplus", v(1, 22), softplus},
		{"Softsign", v(1, 22), func(x float64) float64 { return x / (1 + gomath.Abs(x)) }},
		{"Mish", v(18, 22), func(x float64) float64 { return x * gomath.Tanh(softplus(x)) }},
		{"HardSwish", v(14, 22), func(x float64) float64 {
			return x * gomath.Max(0, gomath.Min(1, x/6+0.5))
		}},
	} {
		u := floatFn(o.f)
		u.vec = vecOf[o.op]
		regFixed(o.op, o.vs, u)
	}
	// Erf-9 also accepts integer types.
	regFixed("Erf", v(9, 13), &unaryFn{types: tNumeric, f: gomath.Erf, vec: vector.Erf})

	// Activations with attributes.
	regUnary("Elu", v(1, 6, 22), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"alpha"}, []float32{1})
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return floatFn(func(x float64) float64 {
			if x < 0 {
				return alpha * gomath.Expm1(x)
			}
			return x
		}), nil
	})
	regUnary("Celu", v(12), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"alpha"}, []float32{1})
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		if alpha == 0 {
			return nil, fmt.Errorf("attribute alpha must not be 0")
		}
		return floatFn(func(x float64) float64 {
			return gomath.Max(0, x) + gomath.Min(0, alpha*gomath.Expm1(x/alpha))
		}), nil
	})
	regUnary("Selu", v(1, 6, 22), func(n *ops.Node) (*unaryFn, error) {
		defs := []float32{1.67326319217681884765625, 1.05070102214813232421875}
		if n.Opset < 6 {
			defs = []float32{1.6732, 1.0507}
		}
		a, err := attrFloats(n, []string{"alpha", "gamma"}, defs)
		if err != nil {
			return nil, err
		}
		alpha, gamma := a[0], a[1]
		return floatFn(func(x float64) float64 {
			if x > 0 {
				return gamma * x
			}
			return gamma * (alpha*gomath.Exp(x) - alpha)
		}), nil
	})
	regUnary("LeakyRelu", v(1, 6, 16), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"alpha"}, []float32{0.01})
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return floatFn(func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}), nil
	})
	regUnary("ThresholdedRelu", v(10, 22), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"alpha"}, []float32{1})
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return floatFn(func(x float64) float64 {
			if x > alpha {
				return x
			}
			return 0
		}), nil
	})
	regUnary("HardSigmoid", v(1, 6, 22), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"alpha", "beta"}, []float32{0.2, 0.5})
		if err != nil {
			return nil, err
		}
		alpha, beta := a[0], a[1]
		return floatFn(func(x float64) float64 {
			return gomath.Max(0, gomath.Min(1, alpha*x+beta))
		}), nil
	})
	regUnary("Shrink", v(9), func(n *ops.Node) (*unaryFn, error) {
		a, err := attrFloats(n, []string{"lambd", "bias"}, []float32{0.5, 0})
		if err != nil {
			return nil, err
		}
		lambd, bias := a[0], a[1]
		return &unaryFn{types: tNumeric, f: func(x float64) float64 {
			switch {
			case x < -lambd:
				return x + bias
			case x > lambd:
				return x - bias
			}
			return 0
		}}, nil
	})
	regUnary("Gelu", v(20), func(n *ops.Node) (*unaryFn, error) {
		approx, err := n.AttrString("approximate", "none")
		if err != nil {
			return nil, err
		}
		switch approx {
		case "none":
			u := floatFn(func(x float64) float64 {
				return 0.5 * x * (1 + gomath.Erf(x/gomath.Sqrt2))
			})
			u.vec = vector.Gelu
			return u, nil
		case "tanh":
			c := gomath.Sqrt(2 / gomath.Pi)
			return floatFn(func(x float64) float64 {
				return 0.5 * x * (1 + gomath.Tanh(c*(x+0.044715*x*x*x)))
			}), nil
		}
		return nil, fmt.Errorf(`attribute approximate must be "none" or "tanh", got %q`, approx)
	})

	// Predicates with a bool output.
	ops.RegisterVersions("", "IsNaN", v(9, 13, 20), func(n *ops.Node) (ops.Kernel, error) {
		return predKernel(func(x float64) bool { return x != x }), nil
	})
	ops.RegisterVersions("", "IsInf", v(10, 20), func(n *ops.Node) (ops.Kernel, error) {
		neg, err := n.AttrInt("detect_negative", 1)
		if err != nil {
			return nil, err
		}
		pos, err := n.AttrInt("detect_positive", 1)
		if err != nil {
			return nil, err
		}
		return predKernel(func(x float64) bool {
			return (pos != 0 && gomath.IsInf(x, 1)) || (neg != 0 && gomath.IsInf(x, -1))
		}), nil
	})
	ops.RegisterVersions("", "Not", v(1), func(n *ops.Node) (ops.Kernel, error) {
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, "X"); err != nil {
				return nil, err
			}
			if err := tBool.check("input X", in[0]); err != nil {
				return nil, err
			}
			y, err := wrap(in[0].Shape(), apply1(tensor.Data[bool](in[0]), func(b bool) bool { return !b }))
			if err != nil {
				return nil, err
			}
			return rc.TensorResults(y), nil
		}), nil
	})
}

// predKernel maps a float predicate over a float tensor to a bool tensor.
func predKernel(p func(float64) bool) ops.Kernel {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "X"); err != nil {
			return nil, err
		}
		x := in[0]
		var out []bool
		switch d := x.Data().(type) {
		case []float32:
			out = apply1(d, func(v float32) bool { return p(float64(v)) })
		case []float64:
			out = apply1(d, p)
		case []tensor.F16:
			out = apply1(d, func(v tensor.F16) bool { return p(float64(v.Float32())) })
		case []tensor.BF16:
			out = apply1(d, func(v tensor.BF16) bool { return p(float64(v.Float32())) })
		default:
			return nil, fmt.Errorf("input X has type %v; supported types: %v", x.DType(), tFloat)
		}
		y, err := wrap(x.Shape(), out)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	})
}
