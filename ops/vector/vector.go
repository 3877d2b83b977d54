package vector

import (
	"math"

	"github.com/gonyx/gonyx/ops/cpu"
)

// Kernels is the kernel set of one instruction-set level. Every function
// accepts dst == src (the same slice) but no other overlap; dst must be at
// least as long as the first input (only that length is written) and
// the inputs of Add, Sub, Mul, Div and AddScaled must have one length: a
// violation panics, as it is a bug in the caller, never bad model data.
type Kernels struct {
	Level cpu.Level

	Exp, Log, Tanh, Sigmoid, SiLU, Erf, Gelu, HardSwish, Relu func(dst, src []float32)

	Clip func(dst, src []float32, lo, hi float32)

	Add, Sub, Mul, Div func(dst, a, b []float32)

	// AddScalar: a+s, SubScalar: a−s, ScalarSub: s−a, MulScalar: a·s,
	// DivScalar: a/s, ScalarDiv: s/a.
	AddScalar, SubScalar, ScalarSub, MulScalar, DivScalar, ScalarDiv func(dst, a []float32, s float32)

	// ScaleShift: dst = x·scale + shift, AddScaled: dst = x + a·y (fused).
	ScaleShift func(dst, x []float32, scale, shift float32)
	AddScaled  func(dst, x []float32, a float32, y []float32)

	// Sum: Σx (0 if empty); Max: the largest element, NaN if any is NaN,
	// −Inf if empty.
	Sum, Max func(x []float32) float32

	// ExpShiftSum: dst = exp(x − m), returns Σdst (softmax's middle pass).
	ExpShiftSum func(dst, x []float32, m float32) float32
}

// For returns the kernels of level l, or of the highest level below l
// that this build has (For(cpu.Generic) is always the portable Go code).
// Tests and benchmarks use it to run every level; everything else uses
// the package functions, which run cpu.Active's kernels.
func For(l cpu.Level) *Kernels {
	for ; l > cpu.Generic; l-- {
		if k := asmKernels(l); k != nil {
			return k
		}
	}
	return generic
}

// active is chosen once at start-up and only read afterwards.
var active = For(cpu.Active)

// Level reports the level the package functions run at.
func Level() cpu.Level { return active.Level }

// Package functions: the active level's kernels (see Kernels).

func Exp(dst, src []float32)       { active.Exp(dst, src) }
func Log(dst, src []float32)       { active.Log(dst, src) }
func Tanh(dst, src []float32)      { active.Tanh(dst, src) }
func Sigmoid(dst, src []float32)   { active.Sigmoid(dst, src) }
func SiLU(dst, src []float32)      { active.SiLU(dst, src) }
func Erf(dst, src []float32)       { active.Erf(dst, src) }
func Gelu(dst, src []float32)      { active.Gelu(dst, src) }
func HardSwish(dst, src []float32) { active.HardSwish(dst, src) }
func Relu(dst, src []float32)      { active.Relu(dst, src) }

func Clip(dst, src []float32, lo, hi float32) { active.Clip(dst, src, lo, hi) }

func Add(dst, a, b []float32) { active.Add(dst, a, b) }
func Sub(dst, a, b []float32) { active.Sub(dst, a, b) }
func Mul(dst, a, b []float32) { active.Mul(dst, a, b) }
func Div(dst, a, b []float32) { active.Div(dst, a, b) }

func AddScalar(dst, a []float32, s float32) { active.AddScalar(dst, a, s) }
func SubScalar(dst, a []float32, s float32) { active.SubScalar(dst, a, s) }
func ScalarSub(dst, a []float32, s float32) { active.ScalarSub(dst, a, s) }
func MulScalar(dst, a []float32, s float32) { active.MulScalar(dst, a, s) }
func DivScalar(dst, a []float32, s float32) { active.DivScalar(dst, a, s) }
func ScalarDiv(dst, a []float32, s float32) { active.ScalarDiv(dst, a, s) }

func ScaleShift(dst, x []float32, scale, shift float32)  { active.ScaleShift(dst, x, scale, shift) }
func AddScaled(dst, x []float32, a float32, y []float32) { active.AddScaled(dst, x, a, y) }

func Sum(x []float32) float32 { return active.Sum(x) }
func Max(x []float32) float32 { return active.Max(x) }

func ExpShiftSum(dst, x []float32, m float32) float32 { return active.ExpShiftSum(dst, x, m) }

// Softmax writes the softmax of the row src to dst (dst may be src):
// exp(x − max) / Σ. A row with a NaN, or with +Inf, gives NaNs, as the
// formula does.
func (k *Kernels) Softmax(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	m := k.Max(src)
	s := k.ExpShiftSum(dst, src, m)
	k.MulScalar(dst, dst, 1/s)
}

// LogSoftmax writes (x − max) − log Σexp(x − max) to dst (dst may be src).
func (k *Kernels) LogSoftmax(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	m := k.Max(src)
	s := k.ExpShiftSum(dst, src, m)
	k.SubScalar(dst, src, m)
	k.SubScalar(dst, dst, float32(math.Log(float64(s))))
}

// Softmax and LogSoftmax run one contiguous row at the active level.
func Softmax(dst, src []float32)    { active.Softmax(dst, src) }
func LogSoftmax(dst, src []float32) { active.LogSoftmax(dst, src) }

// chunk bounds one assembly call (64 KiB of input, a few µs): assembly is
// not preemptible, so long slices are walked from Go.
const chunk = 1 << 14

func unaryAsm(f func(dst, src []float32)) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for len(src) > chunk {
			f(dst[:chunk], src[:chunk])
			dst, src = dst[chunk:], src[chunk:]
		}
		if len(src) > 0 {
			f(dst, src)
		}
	}
}

func clipAsm(f func(dst, src []float32, lo, hi float32)) func(dst, src []float32, lo, hi float32) {
	return func(dst, src []float32, lo, hi float32) {
		dst = dst[:len(src)]
		for len(src) > chunk {
			f(dst[:chunk], src[:chunk], lo, hi)
			dst, src = dst[chunk:], src[chunk:]
		}
		if len(src) > 0 {
			f(dst, src, lo, hi)
		}
	}
}

func sameLen(a, b []float32) {
	if len(a) != len(b) {
		panic("vector: inputs of different lengths")
	}
}

func binaryAsm(f func(dst, a, b []float32)) func(dst, a, b []float32) {
	return func(dst, a, b []float32) {
		sameLen(a, b)
		dst = dst[:len(a)]
		for len(a) > chunk {
			f(dst[:chunk], a[:chunk], b[:chunk])
			dst, a, b = dst[chunk:], a[chunk:], b[chunk:]
		}
		if len(a) > 0 {
			f(dst, a, b)
		}
	}
}

func scalarAsm(f func(dst, a []float32, s float32)) func(dst, a []float32, s float32) {
	return func(dst, a []float32, s float32) {
		dst = dst[:len(a)]
		for len(a) > chunk {
			f(dst[:chunk], a[:chunk], s)
			dst, a = dst[chunk:], a[chunk:]
		}
		if len(a) > 0 {
			f(dst, a, s)
		}
	}
}

func scaleShiftAsm(f func(dst, x []float32, scale, shift float32)) func(dst, x []float32, scale, shift float32) {
	return func(dst, x []float32, scale, shift float32) {
		dst = dst[:len(x)]
		for len(x) > chunk {
			f(dst[:chunk], x[:chunk], scale, shift)
			dst, x = dst[chunk:], x[chunk:]
		}
		if len(x) > 0 {
			f(dst, x, scale, shift)
		}
	}
}

func addScaledAsm(f func(dst, x []float32, a float32, y []float32)) func(dst, x []float32, a float32, y []float32) {
	return func(dst, x []float32, a float32, y []float32) {
		sameLen(x, y)
		dst = dst[:len(x)]
		for len(x) > chunk {
			f(dst[:chunk], x[:chunk], a, y[:chunk])
			dst, x, y = dst[chunk:], x[chunk:], y[chunk:]
		}
		if len(x) > 0 {
			f(dst, x, a, y)
		}
	}
}

func sumAsm(f func(x []float32) float32) func(x []float32) float32 {
	return func(x []float32) float32 {
		var s float32
		for len(x) > chunk {
			s += f(x[:chunk])
			x = x[chunk:]
		}
		if len(x) > 0 {
			s += f(x)
		}
		return s
	}
}

func maxAsm(f func(x []float32) float32) func(x []float32) float32 {
	return func(x []float32) float32 {
		m := cNegInf
		for len(x) > 0 {
			n := min(len(x), chunk)
			v := f(x[:n])
			if v != v {
				return v
			}
			m = max(m, v)
			x = x[n:]
		}
		return m
	}
}

func expShiftSumAsm(f func(dst, x []float32, m float32) float32) func(dst, x []float32, m float32) float32 {
	return func(dst, x []float32, m float32) float32 {
		dst = dst[:len(x)]
		var s float32
		for len(x) > chunk {
			s += f(dst[:chunk], x[:chunk], m)
			dst, x = dst[chunk:], x[chunk:]
		}
		if len(x) > 0 {
			s += f(dst, x, m)
		}
		return s
	}
}
