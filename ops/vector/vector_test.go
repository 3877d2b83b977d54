package vector

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

var (
	inf  = float32(math.Inf(1))
	nan  = float32(math.NaN())
	tiny = math.Float32frombits(1) // smallest subnormal
)

func isNaN(v float32) bool { return v != v }

// same is bitwise equality, with any NaN equal to any NaN.
func same(a, b float32) bool {
	if isNaN(a) || isNaN(b) {
		return isNaN(a) && isNaN(b)
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// TestSpecialValues: hand-written results at the edges of each function,
// at every level.
func TestSpecialValues(t *testing.T) {
	type pair struct{ x, want float32 }
	cases := []struct {
		name string
		f    func(k *Kernels) func(dst, src []float32)
		ps   []pair
	}{
		{"Exp", func(k *Kernels) func(dst, src []float32) { return k.Exp }, []pair{
			{0, 1}, {float32(math.Copysign(0, -1)), 1}, {tiny, 1}, {-tiny, 1}, {1, math.E},
			{89, inf}, {88.8, inf}, {1e30, inf}, {inf, inf}, // overflow
			{-104, 0}, {-1e30, 0}, {-inf, 0}, // underflow
			{-103.5, tiny}, // e^-103.5 ≈ 1.1e-45: the smallest subnormal
			{nan, nan},
		}},
		{"Log", func(k *Kernels) func(dst, src []float32) { return k.Log }, []pair{
			{1, 0}, {0, -inf}, {float32(math.Copysign(0, -1)), -inf}, {-1, nan}, {-tiny, nan},
			{-inf, nan}, {inf, inf}, {nan, nan}, {math.E, 1},
			{tiny, -103.27893}, // log(2^-149) = −149·ln2
			{math.MaxFloat32, 88.72284},
		}},
		{"Tanh", func(k *Kernels) func(dst, src []float32) { return k.Tanh }, []pair{
			{0, 0}, {float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))}, {tiny, tiny}, {-tiny, -tiny},
			{10, 1}, {-10, -1}, {1e30, 1}, {inf, 1}, {-inf, -1}, {nan, nan},
		}},
		{"Sigmoid", func(k *Kernels) func(dst, src []float32) { return k.Sigmoid }, []pair{
			{0, 0.5}, {tiny, 0.5}, {-tiny, 0.5}, {20, 1}, {100, 1}, {inf, 1},
			{-104, 0}, {-inf, 0}, {nan, nan},
		}},
		{"SiLU", func(k *Kernels) func(dst, src []float32) { return k.SiLU }, []pair{
			{0, 0}, {float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))},
			{30, 30}, {inf, inf}, {-200, float32(math.Copysign(0, -1))}, {nan, nan},
		}},
		{"Erf", func(k *Kernels) func(dst, src []float32) { return k.Erf }, []pair{
			{0, 0}, {float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))},
			{4, 1}, {-4, -1}, {10, 1}, {-1e30, -1}, {inf, 1}, {-inf, -1}, {nan, nan},
		}},
		{"Gelu", func(k *Kernels) func(dst, src []float32) { return k.Gelu }, []pair{
			{0, 0}, {10, 10}, {inf, inf}, {-10, float32(math.Copysign(0, -1))}, {nan, nan},
		}},
		{"HardSwish", func(k *Kernels) func(dst, src []float32) { return k.HardSwish }, []pair{
			{0, 0}, {-3, float32(math.Copysign(0, -1))}, {-5, float32(math.Copysign(0, -1))}, {3, 3}, {6, 6}, {1e30, 1e30}, {inf, inf}, {nan, nan},
		}},
		{"Relu", func(k *Kernels) func(dst, src []float32) { return k.Relu }, []pair{
			{0, 0}, {float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))}, {-tiny, 0}, {tiny, tiny},
			{-inf, 0}, {inf, inf}, {nan, nan}, {-3, 0}, {2.5, 2.5},
		}},
	}
	for _, c := range cases {
		for _, l := range cpu.Levels() {
			xs := make([]float32, len(c.ps))
			for i, p := range c.ps {
				xs[i] = p.x
			}
			got := make([]float32, len(xs))
			c.f(For(l))(got, xs)
			for i, p := range c.ps {
				ok := same(got[i], p.want)
				if !ok && !isNaN(p.want) && p.want != 0 && !math.IsInf(float64(p.want), 0) && p.want != tiny {
					// Finite non-zero hand values are rounded decimals.
					ok = math.Abs(float64(got[i]-p.want)) <= 2*ulp32(float64(p.want))
				}
				if !ok {
					t.Errorf("%s/%v(%g) = %g, want %g", c.name, l, p.x, got[i], p.want)
				}
			}
		}
	}
}

func TestClip(t *testing.T) {
	xs := []float32{-5, -1, 0, 0.5, 1, 5, nan, -inf, inf}
	for _, l := range cpu.Levels() {
		k := For(l)
		got := make([]float32, len(xs))
		k.Clip(got, xs, -1, 1)
		want := []float32{-1, -1, 0, 0.5, 1, 1, nan, -1, 1}
		for i := range want {
			if !same(got[i], want[i]) {
				t.Errorf("%v: Clip(%g, -1, 1) = %g, want %g", l, xs[i], got[i], want[i])
			}
		}
		// min > max: every element becomes max (max is applied last).
		k.Clip(got, xs, 2, 1)
		for i, x := range xs {
			if w := float32(1); !isNaN(x) && got[i] != w {
				t.Errorf("%v: Clip(%g, 2, 1) = %g, want 1", l, x, got[i])
			}
		}
		// No bounds: ±Inf.
		k.Clip(got, xs, -inf, inf)
		for i, x := range xs {
			if !same(got[i], x) {
				t.Errorf("%v: Clip(%g, -Inf, Inf) = %g", l, x, got[i])
			}
		}
	}
}

// lengths are the slice lengths of the ragged tests: every length up to
// 70 (all tail sizes of both vector widths and of the unrolled loops),
// then random ones up to 1000.
func lengths(r *rand.Rand) []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	for i := 0; i < 30; i++ {
		ns = append(ns, r.Intn(1001))
	}
	return ns
}

func randSlice(r *rand.Rand, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

// withGuard returns a dst of length n followed by guard elements that no
// kernel may touch, and a function that checks them.
func withGuard(n int) ([]float32, func() bool) {
	buf := make([]float32, n+17)
	for i := n; i < len(buf); i++ {
		buf[i] = 12345
	}
	return buf[:n], func() bool {
		for _, v := range buf[n:] {
			if v != 12345 {
				return false
			}
		}
		return true
	}
}

// ulpDiff is the distance between two float32s in units in the last place.
func ulpDiff(a, b float32) float64 {
	if same(a, b) {
		return 0
	}
	if isNaN(a) || isNaN(b) || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return math.Inf(1)
	}
	return math.Abs(float64(a)-float64(b)) / ulp32(math.Max(math.Abs(float64(a)), math.Abs(float64(b))))
}

// TestLevelsAgree runs every unary kernel of every level on ragged,
// misaligned slices, out of place and in place, and compares with the Go
// twin (the twin computes in float64, so the two may differ by the
// assembly's error bound plus an ulp) and with float64 math (within the
// TestAccuracy bounds).
func TestLevelsAgree(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, c := range accCases {
		twin := c.kern(generic)
		for _, l := range cpu.Levels() {
			f := c.kern(For(l))
			for _, n := range lengths(r) {
				base := randSlice(r, n+1, max(c.lo, -30), min(c.hi, 30))
				src := base[1:] // misaligned
				orig := append([]float32(nil), src...)
				dst, guardOK := withGuard(n)
				f(dst, src)
				if !guardOK() {
					t.Fatalf("%s/%v n=%d: wrote past the end of dst", c.name, l, n)
				}
				for i := range src {
					if src[i] != orig[i] {
						t.Fatalf("%s/%v n=%d: modified its input", c.name, l, n)
					}
				}
				want := make([]float32, n)
				twin(want, src)
				for i := range want {
					// The twin is within 1 ulp of the exact result,
					// the kernel within its accuracy bound.
					b := c.bound(float64(src[i]))
					w := float64(want[i])
					tol := max(b.ulps*ulp32(w), b.rel*math.Abs(w), b.abs) + ulp32(w)
					if d := math.Abs(float64(dst[i]) - w); d > tol || isNaN(dst[i]) != isNaN(want[i]) {
						t.Fatalf("%s/%v n=%d: [%d] f(%g) = %g, Go twin %g", c.name, l, n, i, src[i], dst[i], want[i])
					}
				}
				if _, _, err := measure(c, f, src); err != nil {
					t.Fatalf("%s/%v n=%d: %v", c.name, l, n, err)
				}
				// In place.
				f(src, src)
				for i := range src {
					if !same(src[i], dst[i]) {
						t.Fatalf("%s/%v n=%d: in place [%d] = %g, out of place %g", c.name, l, n, i, src[i], dst[i])
					}
				}
			}
		}
	}
}

// TestArithmetic: the binary, scalar and fused kernels at every level
// against plain Go float32 arithmetic (exact: IEEE operations round once,
// as the FMA kernels do against math.FMA).
func TestArithmetic(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	fma := func(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }
	type binCase struct {
		name string
		f    func(k *Kernels) func(dst, a, b []float32)
		ref  func(a, b float32) float32
	}
	bins := []binCase{
		{"Add", func(k *Kernels) func(dst, a, b []float32) { return k.Add }, func(a, b float32) float32 { return a + b }},
		{"Sub", func(k *Kernels) func(dst, a, b []float32) { return k.Sub }, func(a, b float32) float32 { return a - b }},
		{"Mul", func(k *Kernels) func(dst, a, b []float32) { return k.Mul }, func(a, b float32) float32 { return a * b }},
		{"Div", func(k *Kernels) func(dst, a, b []float32) { return k.Div }, func(a, b float32) float32 { return a / b }},
		{"AddScaled", func(k *Kernels) func(dst, a, b []float32) {
			return func(dst, a, b []float32) { k.AddScaled(dst, a, 0.3, b) }
		}, func(a, b float32) float32 { return fma(0.3, b, a) }},
	}
	type scCase struct {
		name string
		f    func(k *Kernels) func(dst, a []float32, s float32)
		ref  func(a, s float32) float32
	}
	scs := []scCase{
		{"AddScalar", func(k *Kernels) func(dst, a []float32, s float32) { return k.AddScalar }, func(a, s float32) float32 { return a + s }},
		{"SubScalar", func(k *Kernels) func(dst, a []float32, s float32) { return k.SubScalar }, func(a, s float32) float32 { return a - s }},
		{"ScalarSub", func(k *Kernels) func(dst, a []float32, s float32) { return k.ScalarSub }, func(a, s float32) float32 { return s - a }},
		{"MulScalar", func(k *Kernels) func(dst, a []float32, s float32) { return k.MulScalar }, func(a, s float32) float32 { return a * s }},
		{"DivScalar", func(k *Kernels) func(dst, a []float32, s float32) { return k.DivScalar }, func(a, s float32) float32 { return a / s }},
		{"ScalarDiv", func(k *Kernels) func(dst, a []float32, s float32) { return k.ScalarDiv }, func(a, s float32) float32 { return s / a }},
		{"ScaleShift", func(k *Kernels) func(dst, a []float32, s float32) {
			return func(dst, a []float32, s float32) { k.ScaleShift(dst, a, s, -0.7) }
		}, func(a, s float32) float32 { return fma(s, a, -0.7) }},
		{"Clip", func(k *Kernels) func(dst, a []float32, s float32) {
			return func(dst, a []float32, s float32) { k.Clip(dst, a, -s, s) }
		}, func(a, s float32) float32 { return min(max(a, -s), s) }},
	}
	for _, l := range cpu.Levels() {
		k := For(l)
		for _, n := range lengths(r) {
			a := randSlice(r, n+1, -10, 10)[1:]
			b := randSlice(r, n, -10, 10)
			if n > 3 {
				a[0], b[1], a[2], b[3] = nan, 0, inf, -inf
			}
			for _, c := range bins {
				dst, guardOK := withGuard(n)
				c.f(k)(dst, a, b)
				if !guardOK() {
					t.Fatalf("%s/%v n=%d: wrote past the end of dst", c.name, l, n)
				}
				for i := range dst {
					if w := c.ref(a[i], b[i]); !same(dst[i], w) {
						t.Fatalf("%s/%v n=%d: [%d] f(%g, %g) = %g, want %g", c.name, l, n, i, a[i], b[i], dst[i], w)
					}
				}
			}
			for _, c := range scs {
				s := float32(1.7)
				dst, guardOK := withGuard(n)
				c.f(k)(dst, a, s)
				if !guardOK() {
					t.Fatalf("%s/%v n=%d: wrote past the end of dst", c.name, l, n)
				}
				for i := range dst {
					w := c.ref(a[i], s)
					if c.name == "Clip" && isNaN(a[i]) {
						w = nan
					}
					if !same(dst[i], w) {
						t.Fatalf("%s/%v n=%d: [%d] f(%g, %g) = %g, want %g", c.name, l, n, i, a[i], s, dst[i], w)
					}
				}
			}
		}
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	for _, l := range cpu.Levels() {
		k := For(l)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: Add of lengths 3 and 2 did not panic", l)
				}
			}()
			k.Add(make([]float32, 3), make([]float32, 3), make([]float32, 2))
		}()
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: Exp into a short dst did not panic", l)
				}
			}()
			k.Exp(make([]float32, 2), make([]float32, 3))
		}()
	}
}

func TestReductions(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, l := range cpu.Levels() {
		k := For(l)
		if got := k.Sum(nil); got != 0 {
			t.Errorf("%v: Sum(empty) = %g", l, got)
		}
		if got := k.Max(nil); got != -inf {
			t.Errorf("%v: Max(empty) = %g", l, got)
		}
		if got := k.Sum([]float32{1, 2, 3.5}); got != 6.5 {
			t.Errorf("%v: Sum(1, 2, 3.5) = %g", l, got)
		}
		if got := k.Max([]float32{-7, -3, -5}); got != -3 {
			t.Errorf("%v: Max(-7, -3, -5) = %g", l, got)
		}
		for _, n := range lengths(r) {
			x := randSlice(r, n+1, -100, 50)[1:]
			var want64, abs float64
			want := -inf
			for _, v := range x {
				want64 += float64(v)
				abs += math.Abs(float64(v))
				want = max(want, v)
			}
			if got := k.Sum(x); math.Abs(float64(got)-want64) > 1e-6*abs+1e-6 {
				t.Fatalf("%v n=%d: Sum = %g, want %g", l, n, got, want64)
			}
			if got := k.Max(x); got != want {
				t.Fatalf("%v n=%d: Max = %g, want %g", l, n, got, want)
			}
			if n > 0 {
				// NaN anywhere (also in the tail) makes Max NaN.
				i := r.Intn(n)
				old := x[i]
				x[i] = nan
				if got := k.Max(x); !isNaN(got) {
					t.Fatalf("%v n=%d: Max with NaN at %d = %g", l, n, i, got)
				}
				x[i] = old
				// All-negative data: masked-off tail lanes must not count as 0.
				neg := randSlice(r, n, -9, -1)
				if got, want := k.Max(neg), maxGo(neg); got != want {
					t.Fatalf("%v n=%d: Max(negative) = %g, want %g", l, n, got, want)
				}
			}
			// ExpShiftSum.
			m := k.Max(x)
			dst, guardOK := withGuard(n)
			s := k.ExpShiftSum(dst, x, m)
			if !guardOK() {
				t.Fatalf("%v n=%d: ExpShiftSum wrote past the end of dst", l, n)
			}
			var ws float64
			for i, v := range x {
				w := math.Exp(float64(v - m)) // the kernel's argument is rounded to float32
				ws += w
				if math.Abs(float64(dst[i])-w) > 2*ulp32(w) && w > 0x1p-126 {
					t.Fatalf("%v n=%d: ExpShiftSum [%d] = %g, want %g", l, n, i, dst[i], w)
				}
			}
			if math.Abs(float64(s)-ws) > 1e-6*ws {
				t.Fatalf("%v n=%d: ExpShiftSum = %g, want %g", l, n, s, ws)
			}
		}
	}
}

// TestChunks runs slices longer than one assembly call.
func TestChunks(t *testing.T) {
	n := 3*chunk + 13
	r := rand.New(rand.NewSource(4))
	x := randSlice(r, n, -5, 5)
	y := randSlice(r, n, -5, 5)
	for _, l := range cpu.Levels() {
		k := For(l)
		got := make([]float32, n)
		k.Exp(got, x)
		for i := range x {
			if d := ulpDiff(got[i], exp32(x[i])); d > 2 {
				t.Fatalf("%v: Exp [%d] = %g, want %g", l, i, got[i], exp32(x[i]))
			}
		}
		k.Add(got, x, y)
		for i := range x {
			if got[i] != x[i]+y[i] {
				t.Fatalf("%v: Add [%d] = %g", l, i, got[i])
			}
		}
		k.MulScalar(got, x, 3)
		k.Clip(got, got, -1, 1)
		k.ScaleShift(got, got, 2, 1)
		k.AddScaled(got, got, 2, y)
		for i := range x {
			if w := fma32(2, y[i], fma32(2, min(max(x[i]*3, -1), 1), 1)); got[i] != w {
				t.Fatalf("%v: fused chain [%d] = %g, want %g", l, i, got[i], w)
			}
		}
		var want float64
		for _, v := range x {
			want += float64(v)
		}
		if s := k.Sum(x); math.Abs(float64(s)-want) > 1e-3 {
			t.Fatalf("%v: Sum = %g, want %g", l, s, want)
		}
		x[n-2] = nan
		if m := k.Max(x); !isNaN(m) {
			t.Fatalf("%v: Max with NaN in the last chunk = %g", l, m)
		}
		x[n-2] = 100
		if m := k.Max(x); m != 100 {
			t.Fatalf("%v: Max = %g, want 100", l, m)
		}
	}
}

func TestSoftmax(t *testing.T) {
	// The ONNX Softmax example, x = [1, 2, 3] (onnx docs/Operators.md).
	x := []float32{1, 2, 3}
	wantSM := []float64{0.09003057, 0.24472847, 0.66524096}
	wantLSM := []float64{-2.40760596, -1.40760596, -0.40760596}
	for _, l := range cpu.Levels() {
		k := For(l)
		got := make([]float32, 3)
		k.Softmax(got, x)
		for i := range got {
			if math.Abs(float64(got[i])-wantSM[i]) > 1e-7 {
				t.Errorf("%v: Softmax %v = %v, want %v", l, x, got, wantSM)
			}
		}
		k.LogSoftmax(got, x)
		for i := range got {
			if math.Abs(float64(got[i])-wantLSM[i]) > 2e-7 {
				t.Errorf("%v: LogSoftmax %v = %v, want %v", l, x, got, wantLSM)
			}
		}
		// Large offsets cancel: softmax(x + 1000) = softmax(x).
		big := []float32{1001, 1002, 1003}
		k.Softmax(big, big) // in place
		for i := range big {
			if math.Abs(float64(big[i])-wantSM[i]) > 1e-7 {
				t.Errorf("%v: Softmax in place of x+1000 = %v", l, big)
			}
		}
		// A long ragged row sums to 1.
		r := rand.New(rand.NewSource(5))
		row := randSlice(r, 999, -20, 20)
		k.Softmax(row, row)
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("%v: softmax row sums to %g", l, s)
		}
		k.Softmax(nil, nil) // empty: nothing to do
	}
}

func TestForFallsBack(t *testing.T) {
	if For(cpu.Generic) != generic || For(cpu.Generic).Level != cpu.Generic {
		t.Fatal("For(Generic) is not the Go twin set")
	}
	for _, l := range cpu.Levels() {
		if got := For(l).Level; got != l {
			t.Errorf("For(%v).Level = %v", l, got)
		}
	}
	if Level() != For(cpu.Active).Level {
		t.Errorf("active level %v, cpu.Active %v", Level(), cpu.Active)
	}
}
