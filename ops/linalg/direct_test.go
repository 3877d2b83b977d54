package linalg

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// directCase is a product the blocked driver runs with A read unpacked
// (skernel.direct) where the level has it: untransposed, unscaled A.
type directCase struct {
	m, n, k    int
	padA, padB int // leading-dimension slack, filled with NaN
	beta       float64
	threads    int
}

// directOperands builds A and B with NaN in their padding columns and A
// cut right after its last element, so a kernel reading outside the
// matrices either poisons the result or fails the bounds checks.
func directOperands(rng *rand.Rand, g directCase) (a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	lda, ldb, ldc = g.k+g.padA, g.n+g.padB, g.n+1
	fill := func(rows, cols, ld int) []float64 {
		s := make([]float64, (rows-1)*ld+cols)
		for i := range s {
			if i%ld < cols {
				s[i] = float64(rng.Intn(17)-8) / 4 // exact in float32
			} else {
				s[i] = math.NaN()
			}
		}
		return s
	}
	return fill(g.m, g.k, lda), lda, fill(g.k, g.n, ldb), ldb, fill(g.m, g.n, ldc), ldc
}

// directCases cover full and ragged 12-row panels (m mod 12 = 0..11), more
// than one row block (mc = 144) and K slice (sBlockK = 512), full and
// ragged 32-column panels (the first tile of a full one packs it), and
// both threaded splits (along N with A read by every worker, along M with
// B shared).
var directCases = []directCase{
	{m: 12, n: 32, k: 7, threads: 1},
	{m: 13, n: 33, k: 64, padA: 3, padB: 5, threads: 1},
	{m: 23, n: 95, k: 129, padA: 1, beta: 1, threads: 1},
	{m: 36, n: 64, k: 4, threads: 1},
	{m: 47, n: 31, k: 300, padB: 2, beta: -0.5, threads: 1},
	{m: 157, n: 130, k: 600, padA: 7, padB: 3, threads: 1},
	{m: 300, n: 97, k: 1030, padA: 2, beta: 1, threads: 1},
	{m: 20, n: 1100, k: 40, padA: 1, padB: 1, threads: 1},
	{m: 30, n: 700, k: 300, padA: 2, beta: 0.5, threads: 2},
	{m: 30, n: 700, k: 300, padA: 2, threads: 3},
	{m: 301, n: 40, k: 520, padB: 4, beta: 1, threads: 2},
	{m: 133, n: 257, k: 515, padA: 5, padB: 1, threads: 3},
}

func TestDirectA(t *testing.T) {
	cases := append([]directCase(nil), directCases...)
	for rem := 1; rem < 12; rem++ { // every row-count kernel at the edge
		cases = append(cases, directCase{m: 12 + rem, n: 40, k: 37 + rem, padA: rem % 3, beta: float64(rem % 2), threads: 1})
	}
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(31))
		for _, g := range cases {
			a, lda, b, ldb, c, ldc := directOperands(rng, g)
			want := append([]float64(nil), c...)
			refGemm(false, false, g.m, g.n, g.k, 1, a, lda, b, ldb, g.beta, want, ldc)
			a32, b32 := toF32(a), toF32(b)
			got := toF32(c)
			sgemmBlocked(g.threads, false, false, g.m, g.n, g.k, 1, a32, lda, b32, ldb, float32(g.beta), got, ldc, nil)
			checkCloseSkipPad(t, fmt.Sprintf("%+v", g), got, want, g.n, ldc)
			// Pre-packed B: A still read directly, B from its panels.
			got = toF32(c)
			SgemmPacked(g.threads, false, g.m, 1, a32, lda, NewPackedB(false, g.k, g.n, b32, ldb), float32(g.beta), got, ldc)
			checkCloseSkipPad(t, fmt.Sprintf("packed B %+v", g), got, want, g.n, ldc)
		}
	})
}

// TestDirectAEpilogue runs the fused epilogues (column and row bias,
// residual, Relu in the kernel; Sigmoid and a residual after it in Go) on
// tiles whose A is read directly, some of which pack their B panel.
func TestDirectAEpilogue(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(32))
		epis := []Epilogue{
			{Act: ActRelu},
			{BiasPerRow: true, Act: ActClip, Alpha: -1, Beta: 2},
			{Act: ActSigmoid, ResidualAfterAct: true},
			{Act: ActNone},
		}
		for i, g := range directCases {
			e := epis[i%len(epis)]
			nb := g.n
			if e.BiasPerRow {
				nb = g.m
			}
			bias := make([]float64, nb)
			for j := range bias {
				bias[j] = float64(rng.Intn(9)-4) / 2
			}
			e.Bias = toF32(bias)
			var res []float64
			if i%2 == 0 {
				e.LdResidual = g.n + 3
				res = make([]float64, g.m*e.LdResidual)
				for j := range res {
					res[j] = float64(rng.Intn(9)-4) / 4
				}
				e.Residual = toF32(res)
			}
			a, lda, b, ldb, c, ldc := directOperands(rng, g)
			want := append([]float64(nil), c...)
			refGemm(false, false, g.m, g.n, g.k, 1, a, lda, b, ldb, g.beta, want, ldc)
			refEpilogue(want, g.m, g.n, ldc, &e) // bias and residual values are exact in float32
			got := toF32(c)
			sgemmBlocked(g.threads, false, false, g.m, g.n, g.k, 1, toF32(a), lda, toF32(b), ldb, float32(g.beta), got, ldc, &e)
			checkCloseSkipPad(t, fmt.Sprintf("%+v act=%d perRow=%v res=%v", g, e.Act, e.BiasPerRow, res != nil), got, want, g.n, ldc)
		}
	})
}

// TestDirectAChosen pins which operands the AVX-512 driver reads
// unpacked: A when untransposed, unscaled and not pre-packed; B packed by
// the first tile of a panel only when the panel and its row block are
// full and B is untransposed and unscaled.
func TestDirectAChosen(t *testing.T) {
	if kernelsByLevel[cpu.AVX512] == nil || cpu.Detected < cpu.AVX512 {
		t.Skip("no AVX-512 kernels on this machine or build")
	}
	ks := kernelsByLevel[cpu.AVX512]
	base := sproblem{ks: ks, n: 1000, aAlpha: 1, bAlpha: 1, lda: 100}
	cases := []struct {
		name         string
		edit         func(*sproblem)
		direct, fuse bool
		mc, cols     int
	}{
		{"plain", func(*sproblem) {}, true, true, 144, 32},
		{"short row block", func(*sproblem) {}, true, false, 11, 32},
		{"ragged panel", func(*sproblem) {}, true, false, 144, 31},
		{"transposed A", func(p *sproblem) { p.transA = true }, false, false, 144, 32},
		{"scaled A", func(p *sproblem) { p.aAlpha = 0.5 }, false, false, 144, 32},
		{"packed A", func(p *sproblem) { p.pa = make([]float32, 1) }, false, false, 144, 32},
		{"transposed B", func(p *sproblem) { p.transB = true }, true, false, 144, 32},
		{"scaled B", func(p *sproblem) { p.bAlpha = 2 }, true, false, 144, 32},
		{"lda 1024", func(p *sproblem) { p.lda = 1024 }, true, true, 144, 32},
		{"lda 3072 (aliasing rows)", func(p *sproblem) { p.lda = 3072 }, false, false, 144, 32},
		{"lda 3072, few panels", func(p *sproblem) { p.lda, p.n = 3072, 64 }, true, true, 144, 32},
		{"lda 3088", func(p *sproblem) { p.lda = 3088 }, true, true, 144, 32},
	}
	for _, c := range cases {
		pr := base
		c.edit(&pr)
		if got := pr.directA(); got != c.direct {
			t.Errorf("%s: directA = %v, want %v", c.name, got, c.direct)
		}
		if got := pr.fusesPackB(c.mc, c.cols); got != c.fuse {
			t.Errorf("%s: fusesPackB = %v, want %v", c.name, got, c.fuse)
		}
	}
}

// checkCloseSkipPad is checkClose on the n used columns of each ldc-wide
// row (the padding of C holds NaN from directOperands and is not written).
func checkCloseSkipPad(t *testing.T, what string, got []float32, want []float64, n, ldc int) {
	t.Helper()
	for i, w := range want {
		if i%ldc >= n {
			if !math.IsNaN(float64(got[i])) {
				t.Fatalf("%s: padding element %d written: %v", what, i, got[i])
			}
			continue
		}
		if d := math.Abs(float64(got[i]) - w); !(d <= 1e-5*(1+math.Abs(w))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], w)
		}
	}
}
