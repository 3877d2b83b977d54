package vector

import "math"

// The portable Go twins: the same algorithms as the assembly (same range
// reduction, clamps, branches and fitted polynomials), evaluated in
// float64 and rounded to float32 once at the end. Emulating float32 FMAs
// in Go costs about five instructions each, which made a bit-exact twin
// 4x slower than math.Exp; in float64 the twins are about as fast and
// never less accurate than the assembly (the two differ by at most the
// assembly's rounding error, see TestLevelsAgree).

// maxps and minps are VMAXPS and VMINPS: when either operand is NaN (or
// both are zeros) they return the second one.
func maxps(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

func minps(a, b float32) float32 {
	if a < b {
		return a
	}
	return b
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ bSignMask) }

// The fitted polynomials in float64.
var (
	pExp  = widen(cExpP[:])
	pLog  = widen(cLogP[:])
	pTanh = widen(cTanhP[:])
	pErf  = widen(cErfP[:])
	qErfc = widen(cErfcQ[:])
)

func widen(c []float32) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
	}
	return out
}

// horner evaluates Σ p[i]·v^i.
func horner(p []float64, v float64) float64 {
	r := p[len(p)-1]
	for i := len(p) - 2; i >= 0; i-- {
		r = r*v + p[i]
	}
	return r
}

// exp64 is the exp kernel for x already clamped to [−104, 89]: x = n·ln2
// + r, |r| ≤ ln2/2, e^r = 1 + r + r²·P(r), times 2^n (exact in float64).
func exp64(x float64) float64 {
	if x != x {
		return x
	}
	if x <= float64(cExpLo) {
		return 0 // as the float32 result rounds to 0
	}
	n := math.RoundToEven(x * math.Log2E)
	r := x - n*math.Ln2
	p := 1 + r*(1+r*horner(pExp, r))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

func exp32(x float32) float32 {
	return float32(exp64(float64(minps(cExpHi, maxps(cExpLo, x)))))
}

// log32: x = m·2^e with m ∈ [√½, √2) (subnormals scaled by 2^23 first),
// log x = e·ln2 + f + f²·P(f), f = m − 1.
func log32(x float32) float32 {
	switch {
	case x == cPosInf:
		return x
	case x == 0:
		return cNegInf
	case !(x >= 0):
		return cNaN
	}
	t, e := x, 0.0
	if x < cMinNorm {
		t, e = x*cTwo23, -23
	}
	ix := int32(math.Float32bits(t)) - int32(bLogOff)
	e += float64(ix >> 23)
	f := float64(math.Float32frombits(uint32(ix&int32(bMantMask)+int32(bLogOff)))) - 1
	return float32(e*math.Ln2 + f + f*f*horner(pLog, f))
}

// tanh32: x + x³·P(x²) for |x| < 0.5625, else ±(1 − 2/(e^{2|x|}+1)) with
// |x| clamped to 9.1.
func tanh32(x float32) float32 {
	a := abs32(x)
	var r float32
	if a < cTanhSmall {
		v := float64(a)
		u := v * v
		r = float32(v + v*u*horner(pTanh, u))
	} else {
		q := exp64(2 * float64(minps(cTanhMax, a)))
		r = float32(1 - 2/(q+1))
	}
	return math.Float32frombits(math.Float32bits(r) | math.Float32bits(x)&bSignMask)
}

// sigmoid32: e = exp(−|x|); 1/(1+e) for x ≥ 0, e/(1+e) below.
func sigmoid32(x float32) float32 {
	e := exp64(float64(maxps(cExpLo, -abs32(x))))
	if x >= 0 {
		return float32(1 / (1 + e))
	}
	return float32(e / (1 + e))
}

// silu32 is x·sigmoid(x).
func silu32(x float32) float32 {
	e := exp64(float64(maxps(cExpLo, -abs32(x))))
	if x >= 0 {
		return float32(float64(x) / (1 + e))
	}
	return float32(float64(x) * e / (1 + e))
}

// erfcLarge is exp(Q(min(z, 4))) for z ≥ 0.875.
func erfcLarge(z float32) float64 {
	return exp64(horner(qErfc, float64(minps(cErfMax, z))))
}

// erf32: x·P(x²) for |x| < 0.875, else ±(1 − exp(Q(min(|x|, 4)))).
func erf32(x float32) float32 {
	a := abs32(x)
	if a < cErfSmall {
		v := float64(x)
		return float32(v * horner(pErf, v*v))
	}
	r := float32(1 - erfcLarge(a))
	return math.Float32frombits(math.Float32bits(r) | math.Float32bits(x)&bSignMask)
}

// gelu32 is x/2·(1 + erf(x/√2)); below −4√2 it is −0 (|gelu| < 5e-8
// there), and on the negative side erfc is used directly, so there is no
// cancellation.
func gelu32(x float32) float32 {
	v := float64(x)
	h := v / 2
	z := float32(x * cInvSqrt2) // as the assembly rounds it
	a := abs32(z)
	if a < cErfSmall {
		w := float64(z)
		return float32(h + h*w*horner(pErf, w*w))
	}
	c := erfcLarge(a)
	if a > cErfMax {
		c = 0
	}
	if x >= 0 {
		return float32((2 - c) * h)
	}
	return float32(c * h)
}

// hardswish32 is x·min(max(x+3, 0), 6)/6.
func hardswish32(x float32) float32 {
	u := minps(cSix, maxps(0, x+3))
	return float32(float64(u) * float64(x) / 6)
}

func mapGo(f func(float32) float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, x := range src {
			dst[i] = f(x)
		}
	}
}

func clipGo(dst, src []float32, lo, hi float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = minps(hi, maxps(lo, x))
	}
}

// The arithmetic twins are written out (no per-element function call).

func reluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = maxps(0, x)
	}
}

func addGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, x := range a {
		dst[i] = x + b[i]
	}
}

func subGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, x := range a {
		dst[i] = x - b[i]
	}
}

func mulGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, x := range a {
		dst[i] = x * b[i]
	}
}

func divGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, x := range a {
		dst[i] = x / b[i]
	}
}

func addScalarGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = x + s
	}
}

func subScalarGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = x - s
	}
}

func scalarSubGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = s - x
	}
}

func mulScalarGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = x * s
	}
}

func divScalarGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = x / s
	}
}

func scalarDivGo(dst, a []float32, s float32) {
	dst = dst[:len(a)]
	for i, x := range a {
		dst[i] = s / x
	}
}

// fma32 is a·b + c rounded to float32: the product of two float32s is
// exact in float64, so this is the fused result (rounded twice, which can
// differ from one rounding only when the float64 sum lands exactly
// halfway between two float32s).
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}

func scaleShiftGo(dst, x []float32, scale, shift float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = fma32(scale, v, shift)
	}
}

func addScaledGo(dst, x []float32, a float32, y []float32) {
	dst, y = dst[:len(x)], y[:len(x)]
	for i, v := range x {
		dst[i] = fma32(a, y[i], v)
	}
}

// sumGo adds in 8 interleaved partial sums, as the AVX2 kernel's lanes do.
func sumGo(x []float32) float32 {
	var s [8]float32
	for len(x) >= 8 {
		for j := range s {
			s[j] += x[j]
		}
		x = x[8:]
	}
	for j, v := range x {
		s[j] += v
	}
	return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

// maxGo is NaN when any element is NaN and −Inf for an empty slice.
func maxGo(x []float32) float32 {
	m := cNegInf
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

func expShiftSumGo(dst, x []float32, m float32) float32 {
	dst = dst[:len(x)]
	var s [8]float32
	for i, v := range x {
		e := exp32(v - m)
		dst[i] = e
		s[i&7] += e
	}
	return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

var generic = &Kernels{
	Exp:       mapGo(exp32),
	Log:       mapGo(log32),
	Tanh:      mapGo(tanh32),
	Sigmoid:   mapGo(sigmoid32),
	SiLU:      mapGo(silu32),
	Erf:       mapGo(erf32),
	Gelu:      mapGo(gelu32),
	HardSwish: mapGo(hardswish32),
	Relu:      reluGo,
	Clip:      clipGo,
	Add:       binaryGo(addGo),
	Sub:       binaryGo(subGo),
	Mul:       binaryGo(mulGo),
	Div:       binaryGo(divGo),
	AddScalar: addScalarGo,
	SubScalar: subScalarGo,
	ScalarSub: scalarSubGo,
	MulScalar: mulScalarGo,
	DivScalar: divScalarGo,
	ScalarDiv: scalarDivGo,

	ScaleShift:  scaleShiftGo,
	AddScaled:   func(dst, x []float32, a float32, y []float32) { sameLen(x, y); addScaledGo(dst, x, a, y) },
	Sum:         sumGo,
	Max:         maxGo,
	ExpShiftSum: expShiftSumGo,
}

// binaryGo adds the length check of the assembly drivers.
func binaryGo(f func(dst, a, b []float32)) func(dst, a, b []float32) {
	return func(dst, a, b []float32) {
		sameLen(a, b)
		f(dst, a, b)
	}
}
