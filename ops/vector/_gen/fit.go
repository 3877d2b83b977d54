package main

// The polynomial fitter: `go run . -fit` prints coeffs.go. Each
// approximation is fitted in float64 by Lawson's iteratively reweighted
// least squares, which converges to the weighted minimax polynomial, then
// rounded to float32. The printed file is checked in, so that generating
// the kernels never depends on floating-point details of the machine that
// runs the fitter.

import (
	"fmt"
	"io"
	"math"
	"sort"
)

// fitSpec describes one approximation g(v) ≈ Σ c_j v^j on [lo, hi] (in the
// variable v), minimising max |s(v)·(P(v) − g(v))|.
type fitSpec struct {
	name   string
	deg    int
	lo, hi float64
	g      func(v float64) float64
	s      func(v float64) float64
	avoid0 float64 // skip points with |v| < avoid0 (g is a removable singularity there)
}

// fitMinimax returns the coefficients (lowest degree first) and the
// weighted max error in float64.
func fitMinimax(f fitSpec) ([]float64, float64) {
	const npts = 3000
	var xs []float64
	for i := 0; i < npts; i++ {
		// Chebyshev-distributed points, ends included.
		t := -math.Cos(math.Pi * float64(i) / float64(npts-1))
		v := f.lo + (f.hi-f.lo)*(t+1)/2
		if math.Abs(v) < f.avoid0 {
			continue
		}
		xs = append(xs, v)
	}
	m, n := len(xs), f.deg+1
	// Scale v to [-1, 1]-ish for conditioning: basis (v/sc)^j.
	sc := math.Max(math.Abs(f.lo), math.Abs(f.hi))
	w := make([]float64, m)
	for i := range w {
		w[i] = 1 / float64(m)
	}
	var c []float64
	var maxErr float64
	for it := 0; it < 400; it++ {
		A := make([][]float64, m)
		b := make([]float64, m)
		for i, v := range xs {
			sw := math.Sqrt(w[i]) * f.s(v)
			row := make([]float64, n)
			p := 1.0
			for j := 0; j < n; j++ {
				row[j] = p * sw
				p *= v / sc
			}
			A[i] = row
			b[i] = f.g(v) * sw
		}
		c = lstsq(A, b)
		var sum float64
		maxErr = 0
		for i, v := range xs {
			e := math.Abs(f.s(v) * (horner(c, v/sc) - f.g(v)))
			maxErr = math.Max(maxErr, e)
			w[i] *= e
			sum += w[i]
		}
		for i := range w {
			w[i] /= sum
		}
	}
	// Unscale.
	out := make([]float64, n)
	p := 1.0
	for j := range c {
		out[j] = c[j] / p
		p *= sc
	}
	return out, maxErr
}

func horner(c []float64, v float64) float64 {
	r := 0.0
	for j := len(c) - 1; j >= 0; j-- {
		r = r*v + c[j]
	}
	return r
}

// lstsq solves min ||A x − b|| by Householder QR.
func lstsq(A [][]float64, b []float64) []float64 {
	m, n := len(A), len(A[0])
	for k := 0; k < n; k++ {
		var norm float64
		for i := k; i < m; i++ {
			norm += A[i][k] * A[i][k]
		}
		norm = math.Sqrt(norm)
		if A[k][k] > 0 {
			norm = -norm
		}
		v := make([]float64, m)
		for i := k; i < m; i++ {
			v[i] = A[i][k]
		}
		v[k] -= norm
		var vv float64
		for i := k; i < m; i++ {
			vv += v[i] * v[i]
		}
		if vv == 0 {
			continue
		}
		for j := k; j < n; j++ {
			var d float64
			for i := k; i < m; i++ {
				d += v[i] * A[i][j]
			}
			d *= 2 / vv
			for i := k; i < m; i++ {
				A[i][j] -= d * v[i]
			}
		}
		var d float64
		for i := k; i < m; i++ {
			d += v[i] * b[i]
		}
		d *= 2 / vv
		for i := k; i < m; i++ {
			b[i] -= d * v[i]
		}
	}
	x := make([]float64, n)
	for k := n - 1; k >= 0; k-- {
		s := b[k]
		for j := k + 1; j < n; j++ {
			s -= A[k][j] * x[j]
		}
		x[k] = s / A[k][k]
	}
	return x
}

// Split points and ranges shared with the kernels (kept in sync by
// writing them into coeffs.go too).
const (
	tanhSmall = 0.5625 // |x| below: x + x³·P(x²)
	erfSmall  = 0.875  // |x| below: x·P(x²); above: 1 − exp(Q(|x|))
	erfMax    = 4.0    // |x| is clamped here: erfc(4) < 2^-25
)

func fitSpecs() []fitSpec {
	ln2 := math.Ln2
	return []fitSpec{
		{
			// e^r = 1 + r + r²·P(r), |r| ≤ ln2/2; relative error of e^r.
			name: "exp", deg: 4, lo: -ln2/2 - 1e-3, hi: ln2/2 + 1e-3, avoid0: 1e-3,
			g: func(r float64) float64 { return (math.Expm1(r) - r) / (r * r) },
			s: func(r float64) float64 { return r * r / math.Exp(r) },
		},
		{
			// log(1+f) = f + f²·P(f), f ∈ [√½−1, √2−1]; relative error.
			name: "log", deg: 8, lo: math.Sqrt(0.5) - 1, hi: math.Sqrt2 - 1, avoid0: 1e-3,
			g: func(f float64) float64 { return (math.Log1p(f) - f) / (f * f) },
			s: func(f float64) float64 { return f * f / math.Abs(math.Log1p(f)) },
		},
		{
			// tanh x = x + x³·P(x²), u = x² ∈ [0, tanhSmall²]; relative error.
			name: "tanh", deg: 4, lo: 0, hi: tanhSmall * tanhSmall, avoid0: 1e-4,
			g: func(u float64) float64 { x := math.Sqrt(u); return (math.Tanh(x) - x) / (x * u) },
			s: func(u float64) float64 { x := math.Sqrt(u); return x * u / math.Tanh(x) },
		},
		{
			// erf x = x·P(x²), u ∈ [0, erfSmall²]; relative error.
			name: "erf", deg: 5, lo: 0, hi: erfSmall * erfSmall, avoid0: 1e-6,
			g: func(u float64) float64 { x := math.Sqrt(u); return math.Erf(x) / x },
			s: func(u float64) float64 { x := math.Sqrt(u); return x / math.Erf(x) },
		},
		{
			// erfc z = exp(Q(z)), z ∈ [erfSmall, erfMax]; absolute error of
			// Q = relative error of erfc, weighted by erfc/erf so that erf's
			// relative error is what is minimised near the split.
			name: "erfc", deg: 7, lo: erfSmall, hi: erfMax,
			g: func(z float64) float64 { return math.Log(math.Erfc(z)) },
			s: func(z float64) float64 { return math.Max(math.Erfc(z)/math.Erf(z), 1e-3) },
		},
	}
}

func runFit(w io.Writer, only string) {
	fmt.Fprintln(w, "// Code generated by `go run . -fit` in ops/vector/_gen; DO NOT EDIT.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "package main")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "// Fitted coefficients, lowest degree first, as float32 bit patterns.")
	fmt.Fprintln(w, "var fitted = map[string][]uint32{")
	specs := fitSpecs()
	sort.Slice(specs, func(i, j int) bool { return specs[i].name < specs[j].name })
	for _, f := range specs {
		if only != "" && only != f.name {
			continue
		}
		c, e := fitMinimax(f)
		fmt.Fprintf(w, "\t// %s: degree %d on [%g, %g], weighted max error %.3g (float64)\n", f.name, f.deg, f.lo, f.hi, e)
		fmt.Fprintf(w, "\t%q: {", f.name)
		for j, v := range c {
			if j > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "0x%08x", math.Float32bits(float32(v)))
		}
		fmt.Fprintln(w, "},")
	}
	fmt.Fprintln(w, "}")
}
