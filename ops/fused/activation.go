package fused

import (
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/vector"
)

// actKind names an epilogue activation.
type actKind int

const (
	actNone actKind = iota
	actRelu
	actLeakyRelu
	actClip
	actSigmoid
	actTanh
	actHardSigmoid
	actHardSwish
	actSiLU
	actGelu
)

var actNames = map[string]actKind{
	"Relu": actRelu, "LeakyRelu": actLeakyRelu, "Clip": actClip, "Sigmoid": actSigmoid,
	"Tanh": actTanh, "HardSigmoid": actHardSigmoid, "HardSwish": actHardSwish, "SiLU": actSiLU,
	"Gelu": actGelu,
}

// activation is a parsed activation attribute. p0, p1 are its parameters:
// LeakyRelu alpha; Clip min, max; HardSigmoid alpha, beta.
type activation struct {
	kind   actKind
	name   string
	p0, p1 float32
}

// parseActivation reads the activation and activation_params attributes.
func parseActivation(n *ops.Node, op string) (activation, error) {
	name, err := n.AttrString("activation", "")
	if err != nil {
		return activation{}, fmt.Errorf("%s: %w", op, err)
	}
	params, err := n.AttrFloats("activation_params", nil)
	if err != nil {
		return activation{}, fmt.Errorf("%s: %w", op, err)
	}
	if name == "" {
		if len(params) != 0 {
			return activation{}, fmt.Errorf("%s: activation_params %v given without an activation", op, params)
		}
		return activation{}, nil
	}
	k, ok := actNames[name]
	if !ok {
		return activation{}, fmt.Errorf("%s: activation must be one of Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, SiLU, Gelu, got %q", op, name)
	}
	a := activation{kind: k, name: name}
	want := 0
	switch k {
	case actLeakyRelu:
		a.p0 = 0.01
		if len(params) == 1 {
			a.p0 = params[0]
		} else if len(params) != 0 {
			want = 1
		}
	case actHardSigmoid:
		a.p0, a.p1 = 0.2, 0.5
		if len(params) == 2 {
			a.p0, a.p1 = params[0], params[1]
		} else if len(params) != 0 {
			want = 2
		}
	case actClip:
		if len(params) != 2 {
			return a, fmt.Errorf("%s: activation Clip needs activation_params [min, max], got %v", op, params)
		}
		a.p0, a.p1 = params[0], params[1]
	default:
		if len(params) != 0 {
			return a, fmt.Errorf("%s: activation %s takes no activation_params, got %v", op, name, params)
		}
	}
	if want != 0 {
		return a, fmt.Errorf("%s: activation %s takes %d activation_params (or none for the defaults), got %v", op, name, want, params)
	}
	return a, nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// actLoop applies a in place. Each case is its own loop so that no
// per-element dispatch happens; values compute as the ai.onnx kernels do,
// but for the float32 logistic functions (sigmoid32s, silu32s).
func actLoop[T float32 | float64](a activation, y []T) {
	if y32, ok := any(y).([]float32); ok {
		switch a.kind {
		case actSigmoid:
			sigmoid32s(y32)
			return
		case actSiLU:
			silu32s(y32)
			return
		case actGelu:
			vector.Gelu(y32, y32)
			return
		}
	}
	switch a.kind {
	case actRelu:
		for i, v := range y {
			if v < 0 {
				y[i] = 0
			}
		}
	case actLeakyRelu:
		alpha := float64(a.p0)
		for i, v := range y {
			if v < 0 {
				y[i] = T(alpha * float64(v))
			}
		}
	case actClip:
		lo, hi := T(a.p0), T(a.p1)
		for i, v := range y {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			y[i] = v
		}
	case actSigmoid:
		for i, v := range y {
			y[i] = T(sigmoid(float64(v)))
		}
	case actTanh:
		for i, v := range y {
			y[i] = T(math.Tanh(float64(v)))
		}
	case actHardSigmoid:
		alpha, beta := float64(a.p0), float64(a.p1)
		for i, v := range y {
			y[i] = T(math.Max(0, math.Min(1, alpha*float64(v)+beta)))
		}
	case actHardSwish:
		for i, v := range y {
			x := float64(v)
			y[i] = T(x * math.Max(0, math.Min(1, x/6+0.5)))
		}
	case actSiLU:
		// x * Sigmoid(x) as two ops would compute it: the sigmoid is
		// rounded to T before the product.
		for i, v := range y {
			y[i] = v * T(sigmoid(float64(v)))
		}
	case actGelu:
		for i, v := range y {
			y[i] = T(gelu64(float64(v)))
		}
	}
}

// gelu64 is the exact (erf) GELU: x·(1 + erf(x/√2))/2.
func gelu64(x float64) float64 { return x * (1 + math.Erf(x/math.Sqrt2)) / 2 }

// Float32 exponential for the logistic function: e^t for -80 ≤ t ≤ 0 by
// Cody–Waite reduction t = n·ln2 + r, |r| ≤ ln2/2, and the degree-7 Taylor
// polynomial of e^r (truncation error < 6e-9 relative), scaled by 2^n
// through the exponent bits. The result is within 2 ulp of e^t.
const (
	log2e   = 1.44269504088896341
	ln2Hi   = 0.693359375 // ln 2 split so that n·ln2Hi is exact
	ln2Lo   = -2.12194440e-4
	roundMg = 12582912 // 1.5·2^23: adding it rounds a float32 to an integer
	// expMin: below it e^t nears the subnormal range; those rare inputs
	// take the float64 path.
	expMin = -80
)

// expPoly is the degree-7 Taylor polynomial of e^r, evaluated in Estrin's
// form (shorter dependency chains than Horner's).
func expPoly(r float32) float32 {
	r2 := r * r
	return (1 + r) + r2*((1.0/2+r*(1.0/6))+r2*((1.0/24+r*(1.0/120))+r2*(1.0/720+r*(1.0/5040))))
}

// sigmoid32s applies the logistic function in place: 1/(1+e^-x) for x ≥ 0,
// e^x/(1+e^x) below, with e^(−|x|) from the float32 polynomial.
func sigmoid32s(y []float32) {
	for i, v := range y {
		t := v
		if t > 0 {
			t = -t
		}
		if t < expMin {
			y[i] = float32(sigmoid(float64(v)))
			continue
		}
		n := float32(t*log2e+roundMg) - roundMg
		r := t - n*ln2Hi - n*ln2Lo
		e := expPoly(r) * math.Float32frombits(uint32(int32(n)+127)<<23)
		num := e // e^x/(1+e^x) for x < 0
		if v >= 0 {
			num = 1 // 1/(1+e^-x)
		}
		y[i] = num / (1 + e)
	}
}

// silu32s is x·sigmoid(x) in place, the sigmoid as in sigmoid32s.
func silu32s(y []float32) {
	for i, v := range y {
		t := v
		if t > 0 {
			t = -t
		}
		if t < expMin {
			y[i] = v * float32(sigmoid(float64(v)))
			continue
		}
		n := float32(t*log2e+roundMg) - roundMg
		r := t - n*ln2Hi - n*ln2Lo
		e := expPoly(r) * math.Float32frombits(uint32(int32(n)+127)<<23)
		num := e
		if v >= 0 {
			num = 1
		}
		y[i] = v * num / (1 + e)
	}
}

// act64 is the activation of one value, for the half-precision paths.
func (a activation) act64(x float64) float64 {
	switch a.kind {
	case actRelu:
		if x < 0 {
			return 0
		}
	case actLeakyRelu:
		if x < 0 {
			return float64(a.p0) * x
		}
	case actClip:
		if x < float64(a.p0) {
			x = float64(a.p0)
		}
		if x > float64(a.p1) {
			x = float64(a.p1)
		}
	case actSigmoid:
		return sigmoid(x)
	case actTanh:
		return math.Tanh(x)
	case actHardSigmoid:
		return math.Max(0, math.Min(1, float64(a.p0)*x+float64(a.p1)))
	case actHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case actGelu:
		return gelu64(x)
	}
	return x
}

// chunk is the unit of work of the epilogue loops (fits L1 with its addend).
const chunk = 4096

// parallelMin is the element count below which an epilogue runs on one
// goroutine.
const parallelMin = 1 << 15

// serial reports whether parallelFor(threads, n, ...) would run on the
// calling goroutine alone; callers then skip building the closure, which
// escapes to the heap when it is passed to parallelFor.
func serial(threads, n int) bool { return n < parallelMin || threads <= 1 }

// parallelFor splits [0, n) into chunk-aligned ranges over up to threads
// goroutines.
func parallelFor(threads, n int, f func(lo, hi int)) {
	if threads < 1 {
		threads = 1
	}
	if serial(threads, n) {
		f(0, n)
		return
	}
	per := (n + threads - 1) / threads
	per = (per + chunk - 1) / chunk * chunk
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// addAct adds z (nil: nothing) to y elementwise, then applies a, chunk by
// chunk so each block is still in cache for the activation.
func addAct[T float32 | float64](a activation, y, z []T) {
	for lo := 0; lo < len(y); lo += chunk {
		hi := min(lo+chunk, len(y))
		yb := y[lo:hi]
		if z != nil {
			zb := z[lo:hi]
			for i := range yb {
				yb[i] += zb[i]
			}
		}
		actLoop(a, yb)
	}
}

// half is the constraint for the 16-bit float element types.
type half interface{ tensor.F16 | tensor.BF16 }

func widen[H half](h H) float32 {
	switch v := any(h).(type) {
	case tensor.F16:
		return v.Float32()
	case tensor.BF16:
		return v.Float32()
	}
	return 0
}

func narrow[H half](x float64) H {
	var z H
	if _, ok := any(z).(tensor.F16); ok {
		return H(tensor.F16FromFloat64(x))
	}
	return H(tensor.BF16FromFloat64(x))
}

// addActHalf is addAct for float16/bfloat16: the sum is rounded to the
// element type (as Add would) before the activation, whose result is
// rounded once from float64.
func addActHalf[H half](a activation, y, z []H) {
	for i, v := range y {
		x := float64(widen(v))
		if z != nil {
			// Add rounds the exact sum to the element type.
			x = float64(widen(narrow[H](x + float64(widen(z[i])))))
		}
		if a.kind == actSiLU {
			s := float64(widen(narrow[H](sigmoid(x))))
			y[i] = narrow[H](x * s)
			continue
		}
		y[i] = narrow[H](a.act64(x))
	}
}

// epilogue adds z (nil: none; same dtype and shape as y) to y in place and
// applies a. y must be memory the caller owns.
func epilogue(threads int, a activation, y, z *tensor.Tensor) error {
	if a.kind == actNone && z == nil {
		return nil
	}
	n := y.Len()
	switch yd := y.Data().(type) {
	case []float32:
		zd := sliceOrNil[float32](z)
		if serial(threads, n) {
			// No closure: it would be allocated on every run.
			addAct(a, yd, zd)
			break
		}
		parallelFor(threads, n, func(lo, hi int) { addAct(a, yd[lo:hi], sub(zd, lo, hi)) })
	case []float64:
		zd := sliceOrNil[float64](z)
		parallelFor(threads, n, func(lo, hi int) { addAct(a, yd[lo:hi], sub(zd, lo, hi)) })
	case []tensor.F16:
		zd := sliceOrNil[tensor.F16](z)
		parallelFor(threads, n, func(lo, hi int) { addActHalf(a, yd[lo:hi], sub(zd, lo, hi)) })
	case []tensor.BF16:
		zd := sliceOrNil[tensor.BF16](z)
		parallelFor(threads, n, func(lo, hi int) { addActHalf(a, yd[lo:hi], sub(zd, lo, hi)) })
	default:
		if a.kind != actNone {
			return fmt.Errorf("activation %s needs a float tensor (float16, bfloat16, float32, float64), got %v", a.name, y.DType())
		}
		return fmt.Errorf("internal: epilogue on %v", y.DType())
	}
	return nil
}

func sliceOrNil[T tensor.Elem](t *tensor.Tensor) []T {
	if t == nil {
		return nil
	}
	return tensor.Data[T](t)
}

func sub[T any](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// floatOut reports whether dt is one of the types epilogue handles.
func floatOut(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float64 || dt == tensor.Float16 || dt == tensor.BFloat16
}

// overlaps reports whether two tensors' backing arrays share memory.
func overlaps(a, b *tensor.Tensor) bool {
	if a == nil || b == nil || a.Len() == 0 || b.Len() == 0 {
		return false
	}
	va, vb := reflect.ValueOf(a.Data()), reflect.ValueOf(b.Data())
	if va.Kind() != reflect.Slice || vb.Kind() != reflect.Slice {
		return false
	}
	a0, b0 := va.Pointer(), vb.Pointer()
	a1 := a0 + uintptr(va.Len())*va.Type().Elem().Size()
	b1 := b0 + uintptr(vb.Len())*vb.Type().Elem().Size()
	return a0 < b1 && b0 < a1
}

// owned returns y, or a copy of it when it shares memory with one of the
// kernel's inputs (the epilogue writes in place and must never touch an
// input: it may be a model weight or a caller's buffer).
func owned(y *tensor.Tensor, in []tensor.Value) *tensor.Tensor {
	for _, v := range in {
		if t, ok := v.(*tensor.Tensor); ok && overlaps(y, t) {
			return y.Clone()
		}
	}
	return y
}
