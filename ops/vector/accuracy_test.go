package vector

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// Float64 references.
func refSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func refGelu(x float64) float64 {
	if x < 0 {
		return 0.5 * x * math.Erfc(-x/math.Sqrt2)
	}
	return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
}

func refHardSwish(x float64) float64 { return x * math.Min(math.Max(x+3, 0), 6) / 6 }

// ulp32 is the spacing of float32 values at magnitude a.
func ulp32(a float64) float64 {
	a = math.Abs(a)
	if a < 0x1p-126 {
		return 0x1p-149
	}
	_, e := math.Frexp(a)
	return math.Ldexp(1, e-1-23)
}

// sweep returns n inputs evenly spaced in bit-pattern order over [0, hi]
// and over [−lo', 0] (so every binade is covered), n/2 more evenly spaced
// in value over [lo, hi], and the special values.
func sweep(lo, hi float32, n int) []float32 {
	var xs []float32
	addBits := func(a float32, neg bool) {
		top := math.Float32bits(a)
		for i := 0; i < n/2; i++ {
			b := uint32(uint64(top) * uint64(i) / uint64(n/2))
			v := math.Float32frombits(b)
			if neg {
				v = -v
			}
			xs = append(xs, v)
		}
	}
	if hi > 0 {
		addBits(hi, false)
	}
	if lo < 0 {
		addBits(-lo, true)
	}
	for i := 0; i <= n/2; i++ {
		xs = append(xs, lo+float32(float64(hi-lo)*float64(i)/float64(n/2)))
	}
	return xs
}

type accCase struct {
	name   string
	kern   func(k *Kernels) func(dst, src []float32)
	ref    func(float64) float64
	lo, hi float32
	// bound gives the allowed error at x: ulps of the float64 result, a
	// relative or an absolute error, whichever is largest. Subnormal
	// results may also be off by one subnormal step (2^-149).
	bound func(x float64) errBound
	// absMax, if set, bounds the absolute error everywhere.
	absMax float64
}

type errBound struct{ ulps, rel, abs float64 }

func ulps(n float64) func(float64) errBound {
	return func(float64) errBound { return errBound{ulps: n} }
}

var accCases = []accCase{
	{name: "Exp", kern: func(k *Kernels) func(dst, src []float32) { return k.Exp }, ref: math.Exp,
		lo: -110, hi: 95, bound: ulps(1)},
	{name: "Log", kern: func(k *Kernels) func(dst, src []float32) { return k.Log }, ref: math.Log,
		lo: 0, hi: math.MaxFloat32, bound: ulps(1)},
	{name: "Tanh", kern: func(k *Kernels) func(dst, src []float32) { return k.Tanh }, ref: math.Tanh,
		lo: -20, hi: 20, bound: ulps(2)},
	{name: "Sigmoid", kern: func(k *Kernels) func(dst, src []float32) { return k.Sigmoid }, ref: refSigmoid,
		lo: -110, hi: 110, bound: ulps(2.5)},
	// Once exp(−|x|) is subnormal (x < −87.3) SiLU keeps only an absolute
	// accuracy of |x|·2^-148 (its results are below 1e-36 there).
	{name: "SiLU", kern: func(k *Kernels) func(dst, src []float32) { return k.SiLU },
		ref: func(x float64) float64 { return x * refSigmoid(x) },
		lo:  -110, hi: 110, bound: func(x float64) errBound {
			if x < -87.33 {
				return errBound{abs: math.Abs(x) * 0x1p-148}
			}
			return errBound{ulps: 3.5}
		}},
	{name: "Erf", kern: func(k *Kernels) func(dst, src []float32) { return k.Erf }, ref: math.Erf,
		lo: -6, hi: 6, bound: ulps(2.5), absMax: 1e-6},
	// GELU: a few ulps for x ≥ 0; for −0.875·√2 < x < 0, h + h·erf(z)
	// cancels a little (relative 1e-6); below, where the result is
	// x/2·erfc(|x|/√2), the error of erfc = exp(Q(z)) grows with |Q|
	// (float32 rounding of Q ≈ −z²): relative 1e-5 down to x = −4√2, and
	// below that the result is −0 (the true value is < 5e-8 in magnitude).
	{name: "Gelu", kern: func(k *Kernels) func(dst, src []float32) { return k.Gelu }, ref: refGelu,
		lo: -20, hi: 20, bound: func(x float64) errBound {
			switch {
			case x < -4*math.Sqrt2:
				return errBound{abs: 5e-8}
			case x < -0.875*math.Sqrt2:
				return errBound{rel: 1e-5}
			case x < 0:
				// h + h·erf(z) cancels as erf(z) → −0.78.
				return errBound{rel: 1e-6}
			}
			return errBound{ulps: 2}
		}},
	{name: "HardSwish", kern: func(k *Kernels) func(dst, src []float32) { return k.HardSwish }, ref: refHardSwish,
		lo: -10, hi: 10, bound: ulps(2.5)},
	{name: "Relu", kern: func(k *Kernels) func(dst, src []float32) { return k.Relu },
		ref: func(x float64) float64 { return math.Max(x, 0) }, lo: -10, hi: 10, bound: ulps(0)},
}

// measure runs f over xs and returns the worst error in ulps of the
// float64 result (over normal results) and the point where it occurs.
func measure(c accCase, f func(dst, src []float32), xs []float32) (worst float64, where string, err error) {
	worst, _, where, err = measureRel(c, f, xs)
	return worst, where, err
}

// measureRel is measure that also returns the worst relative error where
// the bound is relative.
func measureRel(c accCase, f func(dst, src []float32), xs []float32) (worst, worstRel float64, where string, err error) {
	got := make([]float32, len(xs))
	f(got, xs)
	for i, x := range xs {
		want := c.ref(float64(x))
		g := float64(got[i])
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(g) {
				return 0, 0, "", fmt.Errorf("f(%g) = %g, want NaN", x, g)
			}
			continue
		case math.IsNaN(g):
			return 0, 0, "", fmt.Errorf("f(%g) = NaN, want %g", x, want)
		case math.Abs(want) > math.MaxFloat32:
			if !math.IsInf(g, int(math.Copysign(1, want))) && math.Abs(want) > math.MaxFloat32*(1+1e-6) {
				return 0, 0, "", fmt.Errorf("f(%g) = %g, want overflow to %g", x, g, math.Copysign(math.Inf(1), want))
			}
			continue
		case math.IsInf(g, 0):
			return 0, 0, "", fmt.Errorf("f(%g) = %g, want %g", x, g, want)
		}
		d := math.Abs(g - want)
		if c.absMax > 0 && d > c.absMax {
			return 0, 0, "", fmt.Errorf("f(%g) = %g, want %g: abs error %.3g > %g", x, g, want, d, c.absMax)
		}
		b := c.bound(float64(x))
		allowed := max(b.ulps*ulp32(want), b.rel*math.Abs(want), b.abs)
		if math.Abs(want) < 0x1p-126 {
			allowed += 0x1p-149
		}
		if d > allowed {
			return 0, 0, "", fmt.Errorf("f(%g) = %g, want %g: error %.3g ulp, abs %.3g", x, g, want, d/ulp32(want), d)
		}
		if b.rel > 0 && math.Abs(want) >= 0x1p-126 {
			worstRel = max(worstRel, d/math.Abs(want))
		}
		if math.Abs(want) >= 0x1p-126 && b.rel == 0 && b.ulps*ulp32(want) >= b.abs {
			if u := d / ulp32(want); u > worst {
				worst, where = u, fmt.Sprintf("x=%g", x)
			}
		}
	}
	return worst, worstRel, where, nil
}

// TestAccuracy checks each transcendental kernel at every level against
// float64 math over a dense sweep (about 400k inputs each, every binade).
func TestAccuracy(t *testing.T) {
	for _, c := range accCases {
		xs := sweep(c.lo, c.hi, 400000)
		for _, l := range cpu.Levels() {
			u, where, err := measure(c, c.kern(For(l)), xs)
			if err != nil {
				t.Errorf("%s/%v: %v", c.name, l, err)
				continue
			}
			t.Logf("%-9s %-7v max %.3f ulp (%s)", c.name, l, u, where)
		}
	}
}

// TestAccuracyWide is the long form of TestAccuracy, run by hand:
// GONYX_VECTOR_SWEEP=N checks every N-th float32 bit pattern of each
// kernel's range at the best level (the levels agree, see TestLevelsAgree).
func TestAccuracyWide(t *testing.T) {
	var stride int
	if _, err := fmt.Sscan(os.Getenv("GONYX_VECTOR_SWEEP"), &stride); err != nil || stride <= 0 {
		t.Skip("set GONYX_VECTOR_SWEEP=stride to run")
	}
	k := For(cpu.Detected)
	only := os.Getenv("GONYX_VECTOR_SWEEP_ONLY")
	for _, c := range accCases {
		if only != "" && only != c.name {
			continue
		}
		var worst, worstRel float64
		var where string
		buf := make([]float32, 0, 1<<20)
		flush := func() {
			u, r, w, err := measureRel(c, c.kern(k), buf)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			worstRel = max(worstRel, r)
			if u > worst {
				worst, where = u, w
			}
			buf = buf[:0]
		}
		for _, neg := range []bool{false, true} {
			top := c.hi
			if neg {
				top = -c.lo
			}
			if top <= 0 {
				continue
			}
			for b := uint64(0); b <= uint64(math.Float32bits(top)); b += uint64(stride) {
				v := math.Float32frombits(uint32(b))
				if neg {
					v = -v
				}
				buf = append(buf, v)
				if len(buf) == cap(buf) {
					flush()
				}
			}
		}
		flush()
		t.Logf("%-9s max %.3f ulp (%s), max relative error where bounded relatively %.3g", c.name, worst, where, worstRel)
	}
}

// TestAsmLevelsIdentical: the AVX2 and AVX-512 kernels do the same
// operations (VRNDSCALEPS rounds as VCVTPS2DQ does, VSCALEFPS rounds once
// as the two exponent factors do), so their results are bit-identical;
// the accuracy measured at one level holds for the other.
func TestAsmLevelsIdentical(t *testing.T) {
	if cpu.Detected < cpu.AVX512 {
		t.Skip("needs AVX-512")
	}
	for _, c := range accCases {
		xs := sweep(c.lo, c.hi, 200000)
		a := make([]float32, len(xs))
		b := make([]float32, len(xs))
		c.kern(For(cpu.AVX2))(a, xs)
		c.kern(For(cpu.AVX512))(b, xs)
		for i := range xs {
			if !same(a[i], b[i]) {
				t.Errorf("%s(%g): avx2 %g, avx512 %g", c.name, xs[i], a[i], b[i])
				break
			}
		}
	}
}

// TestGeneratedUpToDate checks that the assembly, its declarations and
// the constant table are what ops/vector/_gen writes.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(gobin, "run", ".", "-check")
	cmd.Dir = "_gen"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated files are stale (run make in ops/vector/_gen): %v\n%s", err, out)
	}
}
