package linalg

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refGemm is the textbook triple loop in float64.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	padA, padB     int // extra leading-dimension slack
	padC           int
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g pads=%d,%d,%d", g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.padA, g.padB, g.padC)
}

// operands builds random matrices for a case, in float64.
func (g gemmCase) operands(rng *rand.Rand) (a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ar, ac := dims(g.transA, g.m, g.k)
	br, bc := dims(g.transB, g.k, g.n)
	lda, ldb, ldc = ac+g.padA, bc+g.padB, g.n+g.padC
	fill := func(rows, ld int) []float64 {
		s := make([]float64, rows*ld)
		for i := range s {
			s[i] = float64(rng.Intn(17)-8) / 4 // exact in float32
		}
		return s
	}
	return fill(ar, lda), lda, fill(br, ldb), ldb, fill(g.m, ldc), ldc
}

func randomCases(rng *rand.Rand, n int) []gemmCase {
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 13, 16, 17, 31, 37, 53, 64, 67, 70}
	var cs []gemmCase
	alphas := []float64{1, 0.5, -2, 0}
	betas := []float64{0, 1, -0.5, 2}
	for i := 0; i < n; i++ {
		cs = append(cs, gemmCase{
			transA: rng.Intn(2) == 0, transB: rng.Intn(2) == 0,
			m: sizes[rng.Intn(len(sizes))], n: sizes[rng.Intn(len(sizes))], k: sizes[rng.Intn(len(sizes))],
			alpha: alphas[rng.Intn(len(alphas))], beta: betas[rng.Intn(len(betas))],
			padA: rng.Intn(3), padB: rng.Intn(3), padC: rng.Intn(3),
		})
	}
	// Larger products that cross the block sizes and the parallel threshold.
	cs = append(cs,
		gemmCase{m: 300, n: 257, k: 131, alpha: 1, beta: 0},
		gemmCase{transA: true, transB: true, m: 131, n: 70, k: 600, alpha: 0.5, beta: 1, padA: 1, padB: 2, padC: 3},
		gemmCase{m: 7, n: 2500, k: 40, alpha: 1, beta: 1},
		gemmCase{transB: true, m: 1, n: 1031, k: 300, alpha: 1, beta: 0},
		gemmCase{transA: true, m: 1200, n: 3, k: 9, alpha: -1, beta: 0.5},
	)
	return cs
}

func toF32(s []float64) []float32 {
	o := make([]float32, len(s))
	for i, v := range s {
		o[i] = float32(v)
	}
	return o
}

func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > tol*(1+math.Abs(w)) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], w)
		}
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, g := range randomCases(rng, 250) {
		a, lda, b, ldb, c, ldc := g.operands(rng)
		want := append([]float64(nil), c...)
		refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
		for _, threads := range []int{1, 3} {
			got := toF32(c)
			SgemmN(threads, g.transA, g.transB, g.m, g.n, g.k, float32(g.alpha), toF32(a), lda, toF32(b), ldb, float32(g.beta), got, ldc)
			checkClose(t, fmt.Sprintf("Sgemm %v threads=%d", g, threads), got, want, 1e-5)
		}
	}
}

func TestDgemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, g := range randomCases(rng, 120) {
		a, lda, b, ldb, c, ldc := g.operands(rng)
		want := append([]float64(nil), c...)
		refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
		got := append([]float64(nil), c...)
		DgemmN(2, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, got, ldc)
		for i := range want {
			if got[i] != want[i] { // inputs are multiples of 1/4: sums are exact
				t.Fatalf("Dgemm %v: element %d = %v, want %v", g, i, got[i], want[i])
			}
		}
	}
}

func TestSgemmPacked(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, g := range randomCases(rng, 120) {
		a, lda, b, ldb, c, ldc := g.operands(rng)
		want := append([]float64(nil), c...)
		refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)

		pb := NewPackedB(g.transB, g.k, g.n, toF32(b), ldb)
		got := toF32(c)
		SgemmPacked(2, g.transA, g.m, float32(g.alpha), toF32(a), lda, pb, float32(g.beta), got, ldc)
		checkClose(t, "SgemmPacked "+g.String(), got, want, 1e-5)

		pa := NewPackedA(g.transA, g.m, g.k, toF32(a), lda)
		got = toF32(c)
		SgemmPackedA(2, pa, g.transB, g.n, float32(g.alpha), toF32(b), ldb, float32(g.beta), got, ldc)
		checkClose(t, "SgemmPackedA "+g.String(), got, want, 1e-5)
	}
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	c := []float32{float32(math.NaN()), float32(math.Inf(1)), 0, float32(math.NaN())}
	Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	want := []float64{19, 22, 43, 50} // [[1 2][3 4]]·[[5 6][7 8]]
	checkClose(t, "beta=0", c, want, 0)
}

func TestSgemmKZero(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 3, c, 2)
	checkClose(t, "k=0", c, []float64{3, 6, 9, 12}, 0)
}

func TestSgemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short A")
		}
	}()
	Sgemm(false, false, 3, 3, 3, 1, make([]float32, 8), 3, make([]float32, 9), 3, 0, make([]float32, 9), 3)
}

func TestIGemm(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for it := 0; it < 60; it++ {
		m, n, k := 1+rng.Intn(40), 1+rng.Intn(40), 1+rng.Intn(70)
		if it == 0 {
			m, n, k = 130, 90, 300
		}
		lda, ldb, ldc := k+rng.Intn(2), n+rng.Intn(2), n+rng.Intn(2)
		a := make([]uint8, m*lda)
		b := make([]int8, k*ldb)
		for i := range a {
			a[i] = uint8(rng.Intn(256))
		}
		for i := range b {
			b[i] = int8(rng.Intn(256) - 128)
		}
		var az, bz []int32
		switch it % 3 {
		case 1:
			az, bz = []int32{int32(rng.Intn(256))}, []int32{int32(rng.Intn(256) - 128)}
		case 2:
			az, bz = make([]int32, m), make([]int32, n)
			for i := range az {
				az[i] = int32(rng.Intn(256))
			}
			for i := range bz {
				bz[i] = int32(rng.Intn(256) - 128)
			}
		}
		zaf := func(i int) int64 {
			if len(az) == 0 {
				return 0
			}
			if len(az) == 1 {
				return int64(az[0])
			}
			return int64(az[i])
		}
		zbf := func(j int) int64 {
			if len(bz) == 0 {
				return 0
			}
			if len(bz) == 1 {
				return int64(bz[0])
			}
			return int64(bz[j])
		}
		c := make([]int32, m*ldc)
		for i := range c {
			c[i] = 12345 // must be overwritten
		}
		IGemm(2, m, n, k, a, lda, az, b, ldb, bz, c, ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s int64
				for p := 0; p < k; p++ {
					s += (int64(a[i*lda+p]) - zaf(i)) * (int64(b[p*ldb+j]) - zbf(j))
				}
				if int64(c[i*ldc+j]) != s {
					t.Fatalf("IGemm m=%d n=%d k=%d: C[%d,%d] = %d, want %d", m, n, k, i, j, c[i*ldc+j], s)
				}
			}
		}
	}
}

func TestParallelCoversRange(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		for _, th := range []int{1, 2, 5} {
			seen := make([]int32, n)
			ParallelN(th, n, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("n=%d threads=%d: index %d visited %d times", n, th, i, s)
				}
			}
		}
	}
}

func TestParallelPropagatesPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("worker panic was swallowed")
		}
	}()
	ParallelN(4, 8, 1, func(lo, hi int) {
		if lo > 0 {
			panic("boom")
		}
	})
}

func TestSaturate(t *testing.T) {
	cases := []struct {
		v    float64
		want int
	}{{2.5, 2}, {3.5, 4}, {-2.5, -2}, {-0.5, 0}, {300, 127}, {-300, -128}, {math.NaN(), 0}}
	for _, c := range cases {
		if got := Saturate[int8](c.v); int(got) != c.want {
			t.Errorf("Saturate[int8](%v) = %d, want %d", c.v, got, c.want)
		}
	}
	if got := Saturate[uint8](-3); got != 0 {
		t.Errorf("Saturate[uint8](-3) = %d", got)
	}
	if got := Saturate[uint8](255.5); got != 255 {
		t.Errorf("Saturate[uint8](255.5) = %d", got)
	}
	if got := Quantize32[uint8](2.5, 1, 0); got != 2 {
		t.Errorf("Quantize32(2.5) = %d, want 2 (half to even)", got)
	}
}
