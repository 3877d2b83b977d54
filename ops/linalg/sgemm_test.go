package linalg

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/gonyx/gonyx/ops/cpu"
)

// forLevels runs f once per CPU level this machine supports, with that
// level's kernels active.
func forLevels(t *testing.T, f func(t *testing.T)) {
	for _, l := range cpu.Levels() {
		t.Run(l.String(), func(t *testing.T) {
			old := setLevel(l)
			defer func() { active = old }()
			if active.level != l {
				t.Skipf("no %v kernels in this build", l)
			}
			f(t)
		})
	}
}

// raggedCases are shapes around every level's tile edges (12×32, 6×16,
// 5×2), primes, and a few large ones that cross the cache blocks
// (sBlockK, sBlockN, mc) and the parallel threshold.
func raggedCases(rng *rand.Rand, n int) []gemmCase {
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 15, 16, 17, 23, 29, 31, 32, 33, 47, 48, 61, 64, 65, 97, 100}
	var cs []gemmCase
	alphas := []float64{1, 0.5, -2}
	betas := []float64{0, 1, -0.5}
	for i := 0; i < n; i++ {
		cs = append(cs, gemmCase{
			transA: rng.Intn(2) == 0, transB: rng.Intn(2) == 0,
			m: sizes[rng.Intn(len(sizes))], n: sizes[rng.Intn(len(sizes))], k: sizes[rng.Intn(len(sizes))],
			alpha: alphas[rng.Intn(len(alphas))], beta: betas[rng.Intn(len(betas))],
			padA: rng.Intn(3), padB: rng.Intn(3), padC: rng.Intn(3),
		})
	}
	return append(cs,
		gemmCase{m: 150, n: 1100, k: 40, alpha: 1, beta: 0},
		gemmCase{transA: true, transB: true, m: 300, n: 67, k: 530, alpha: 0.5, beta: 1, padA: 1, padB: 2, padC: 3},
		gemmCase{m: 4, n: 1031, k: 600, alpha: 1, beta: 0},
		gemmCase{transB: true, m: 1, n: 999, k: 257, alpha: 1, beta: 0.5},
	)
}

func TestSgemmLevels(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(11))
		for _, g := range raggedCases(rng, 150) {
			a, lda, b, ldb, c, ldc := g.operands(rng)
			want := append([]float64(nil), c...)
			refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
			a32, b32 := toF32(a), toF32(b)
			for _, threads := range []int{1, 2} {
				got := toF32(c)
				SgemmN(threads, g.transA, g.transB, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), got, ldc)
				checkClose(t, fmt.Sprintf("SgemmN %v threads=%d", g, threads), got, want, 1e-5)
			}
			pb := NewPackedB(g.transB, g.k, g.n, b32, ldb)
			got := toF32(c)
			SgemmPacked(2, g.transA, g.m, float32(g.alpha), a32, lda, pb, float32(g.beta), got, ldc)
			checkClose(t, "SgemmPacked "+g.String(), got, want, 1e-5)
			pa := NewPackedA(g.transA, g.m, g.k, a32, lda)
			got = toF32(c)
			SgemmPackedA(1, pa, g.transB, g.n, float32(g.alpha), b32, ldb, float32(g.beta), got, ldc)
			checkClose(t, "SgemmPackedA "+g.String(), got, want, 1e-5)
		}
	})
}

// TestSgemmLeavesOutsideAlone checks that C's padding columns (ldc > n) and
// elements past the matrix are never written, at every tile edge.
func TestSgemmLeavesOutsideAlone(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, mn := range [][2]int{{1, 1}, {13, 33}, {11, 31}, {25, 17}, {7, 50}} {
			m, n, k := mn[0], mn[1], 9
			ldc := n + 5
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 1
			}
			c := make([]float32, m*ldc+7)
			for i := range c {
				c[i] = -7
			}
			SgemmN(1, false, false, m, n, k, 1, a, k, b, n, 0, c, ldc)
			for i := range c {
				inside := i < m*ldc && i%ldc < n
				want := float32(-7)
				if inside {
					want = 9
				}
				if c[i] != want {
					t.Fatalf("m=%d n=%d: c[%d] = %v, want %v", m, n, i, c[i], want)
				}
			}
		}
	})
}

// refAct is the activation written out from the ONNX definitions.
func refAct(x float64, act Activation, alpha, beta float64) float64 {
	switch act {
	case ActRelu:
		return math.Max(x, 0)
	case ActClip:
		return math.Min(math.Max(x, alpha), beta)
	case ActLeakyRelu:
		if x < 0 {
			return alpha * x
		}
		return x
	case ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case ActSiLU:
		return x / (1 + math.Exp(-x))
	case ActHardSigmoid:
		return math.Max(0, math.Min(1, alpha*x+beta))
	case ActHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case ActTanh:
		return math.Tanh(x)
	case ActGelu:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	}
	return x
}

// refEpilogue applies e to the m×n result in want (row stride ldc) as the
// Epilogue documentation defines it: bias, then the residual before or
// after the activation.
func refEpilogue(want []float64, m, n, ldc int, e *Epilogue) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			x := want[i*ldc+j]
			if e.Bias != nil {
				if e.BiasPerRow {
					x += float64(e.Bias[i])
				} else {
					x += float64(e.Bias[j])
				}
			}
			r := 0.0
			if e.Residual != nil {
				r = float64(e.Residual[i*e.LdResidual+j])
			}
			if !e.ResidualAfterAct {
				x += r
			}
			x = refAct(x, e.Act, float64(e.Alpha), float64(e.Beta))
			if e.ResidualAfterAct {
				x += r
			}
			want[i*ldc+j] = x
		}
	}
}

func TestSgemmEpilogue(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(12))
		acts := []Activation{ActNone, ActRelu, ActClip, ActLeakyRelu, ActSigmoid, ActSiLU, ActHardSigmoid, ActHardSwish, ActTanh, ActGelu}
		for it := 0; it < 80; it++ {
			g := gemmCase{m: 1 + rng.Intn(40), n: 1 + rng.Intn(70), k: 1 + rng.Intn(300), alpha: 0.5, beta: float64(rng.Intn(2)), padC: rng.Intn(3)}
			if it == 0 {
				g.m, g.n, g.k = 50, 300, 600 // several K slices and workers
			}
			a, lda, b, ldb, c, ldc := g.operands(rng)
			e := Epilogue{Act: acts[it%len(acts)], Alpha: 0.3, Beta: 0.6, BiasPerRow: it%3 == 1, ResidualAfterAct: it%4 == 3}
			if e.Act == ActClip {
				e.Alpha, e.Beta = -1, 2
			}
			if it%2 == 0 {
				nb := g.n
				if e.BiasPerRow {
					nb = g.m
				}
				e.Bias = make([]float32, nb)
				for i := range e.Bias {
					e.Bias[i] = float32(rng.Intn(9)-4) / 2
				}
			}
			var res []float64
			if it%3 != 0 {
				e.LdResidual = g.n + 2
				res = make([]float64, g.m*e.LdResidual)
				for i := range res {
					res[i] = float64(rng.Intn(9)-4) / 4
				}
				e.Residual = toF32(res)
			}
			want := append([]float64(nil), c...)
			refGemm(false, false, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
			refEpilogue(want, g.m, g.n, ldc, &e)
			a32, b32 := toF32(a), toF32(b)
			name := fmt.Sprintf("%v act=%d bias=%v perRow=%v res=%v after=%v", g, e.Act, e.Bias != nil, e.BiasPerRow, res != nil, e.ResidualAfterAct)
			got := toF32(c)
			SgemmN(2, false, false, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), got, ldc, e)
			checkClose(t, "SgemmN "+name, got, want, 1e-5)
			got = toF32(c)
			SgemmPacked(2, false, g.m, float32(g.alpha), a32, lda, NewPackedB(false, g.k, g.n, b32, ldb), float32(g.beta), got, ldc, e)
			checkClose(t, "SgemmPacked "+name, got, want, 1e-5)
			got = toF32(c)
			SgemmPackedA(2, NewPackedA(false, g.m, g.k, a32, lda), false, g.n, float32(g.alpha), b32, ldb, float32(g.beta), got, ldc, e)
			checkClose(t, "SgemmPackedA "+name, got, want, 1e-5)
		}
	})
}

// TestEpilogueActivations pins the activations to hand-computed values.
func TestEpilogueActivations(t *testing.T) {
	x := []float32{-3, -1, 0, 2, 4}
	cases := []struct {
		act         Activation
		alpha, beta float32
		want        []float64
	}{
		{ActRelu, 0, 0, []float64{0, 0, 0, 2, 4}},
		{ActClip, -2, 3, []float64{-2, -1, 0, 2, 3}},
		{ActLeakyRelu, 0.1, 0, []float64{-0.3, -0.1, 0, 2, 4}},
		{ActHardSigmoid, 0.2, 0.5, []float64{0, 0.3, 0.5, 0.9, 1}},
		{ActHardSwish, 0, 0, []float64{0, -1.0 / 3, 0, 2 * 5.0 / 6, 4}},
		{ActSigmoid, 0, 0, []float64{0.04742587317756678, 0.2689414213699951, 0.5, 0.8807970779778823, 0.9820137900379085}},
		{ActSiLU, 0, 0, []float64{-0.14227761953270035, -0.2689414213699951, 0, 1.7615941559557646, 3.928055160151634}},
	}
	for _, c := range cases {
		got := append([]float32(nil), x...)
		activate(got, c.act, c.alpha, c.beta)
		checkClose(t, fmt.Sprintf("act %d", c.act), got, c.want, 1e-6)
	}
}

func TestSgemmDegenerateEpilogue(t *testing.T) {
	c := []float32{1, -2, 3, -4}
	SgemmN(1, false, false, 2, 2, 0, 1, nil, 1, nil, 2, 1, c, 2, Epilogue{Bias: []float32{1, 1}, Act: ActRelu})
	checkClose(t, "k=0 epilogue", c, []float64{2, 0, 4, 0}, 0)
}

func TestPackedFormatFollowsLevel(t *testing.T) {
	want := map[cpu.Level][2]int{cpu.Generic: {MR, NR}, cpu.AVX2: {6, 16}, cpu.AVX512: {12, 32}}
	forLevels(t, func(t *testing.T) {
		pb := NewPackedB(false, 3, 5, make([]float32, 15), 5)
		pa := NewPackedA(false, 5, 3, make([]float32, 15), 3)
		w := want[active.level]
		if pa.ks.mr != w[0] || pb.ks.nr != w[1] {
			t.Fatalf("panels %d×%d, want %v", pa.ks.mr, pb.ks.nr, w)
		}
		if !aligned64(pb.data) || !aligned64(pa.data) {
			t.Fatal("packed data not 64-byte aligned")
		}
	})
}

// benchSgemm times an n³ product; packedB packs B once, outside the timing.
func benchSgemm(b *testing.B, n, threads int, packedB bool) {
	rng := rand.New(rand.NewSource(5))
	a := make([]float32, n*n)
	bb := make([]float32, n*n)
	c := make([]float32, n*n)
	for i := range a {
		a[i] = rng.Float32()
		bb[i] = rng.Float32()
	}
	for _, l := range cpu.Levels() {
		b.Run(l.String(), func(b *testing.B) {
			old := setLevel(l)
			defer func() { active = old }()
			var pb *PackedB
			if packedB {
				pb = NewPackedB(false, n, n, bb, n)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			t0 := threadCPU()
			for i := 0; i < b.N; i++ {
				if pb != nil {
					SgemmPacked(threads, false, n, 1, a, n, pb, 0, c, n)
				} else {
					SgemmN(threads, false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
				}
			}
			reportFlops(b, 2*float64(n)*float64(n)*float64(n), threadCPU()-t0, threads == 1)
		})
	}
}

// reportFlops reports GFLOP/s over wall-clock time and, for single-threaded
// runs, over the thread's CPU time (GFLOP/cpu-s: steadier on a busy machine).
func reportFlops(b *testing.B, flopsPerOp float64, cpuTime time.Duration, single bool) {
	total := flopsPerOp * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if single && cpuTime > 0 {
		b.ReportMetric(total/cpuTime.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkSgemm512 is the single-threaded 512³ product at every level.
func BenchmarkSgemm512(b *testing.B) { benchSgemm(b, 512, 1, false) }

// BenchmarkSgemm512PackedB is the 512³ product as the engine runs a layer:
// B (the weights) packed once at load, A packed per call.
func BenchmarkSgemm512PackedB(b *testing.B) { benchSgemm(b, 512, 1, true) }

// BenchmarkSgemm512Parallel uses every P.
func BenchmarkSgemm512Parallel(b *testing.B) { benchSgemm(b, 512, 0, false) }

// BenchmarkSgemmM1 is a batch-1 fully connected layer (resnet50's FC:
// 2048 → 1000) on a pre-packed B.
func BenchmarkSgemmM1(b *testing.B) {
	k, n := 2048, 1000
	w := make([]float32, k*n)
	x := make([]float32, k)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	y := make([]float32, n)
	pb := NewPackedB(false, k, n, w, n)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	t0 := threadCPU()
	for i := 0; i < b.N; i++ {
		SgemmPacked(1, false, 1, 1, x, k, pb, 0, y, n)
	}
	reportFlops(b, 2*float64(k)*float64(n), threadCPU()-t0, true)
}

// TestEpilogueReluKeepsNaN: Relu/Clip of NaN is NaN (as ONNX Relu/Clip on
// NaN), in the fused assembly clamp too; finite values are clamped.
func TestEpilogueReluKeepsNaN(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		m, n, k := 13, 33, 8
		a := make([]float32, m*k)
		b := make([]float32, k*n)
		for i := range a {
			a[i] = -1
		}
		a[5*k] = float32(math.NaN()) // row 5 is NaN everywhere
		for i := range b {
			b[i] = 1
		}
		for _, e := range []Epilogue{{Act: ActRelu}, {Act: ActClip, Alpha: -3, Beta: 5}} {
			c := make([]float32, m*n)
			SgemmN(1, false, false, m, n, k, 1, a, k, b, n, 0, c, n, e)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					v := c[i*n+j]
					want := float32(0) // -8 clamped
					if e.Act == ActClip {
						want = -3
					}
					if i == 5 {
						if v == v {
							t.Fatalf("act %d: c[5,%d] = %v, want NaN", e.Act, j, v)
						}
					} else if v != want {
						t.Fatalf("act %d: c[%d,%d] = %v, want %v", e.Act, i, j, v, want)
					}
				}
			}
		}
	})
}

// BenchmarkConvEpilogue is a resnet-like 1×1 convolution (64 output
// channels, 64 input channels, 56×56 pixels) with per-row bias and Relu
// fused, against the plain product.
func BenchmarkConvEpilogue(b *testing.B) {
	m, n, k := 64, 56*56, 64
	w := make([]float32, m*k)
	x := make([]float32, k*n)
	bias := make([]float32, m)
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	for i := range w {
		w[i] = float32(i%3) - 1
	}
	y := make([]float32, m*n)
	pa := NewPackedA(false, m, k, w, k)
	for _, fused := range []bool{false, true} {
		b.Run(fmt.Sprintf("fused=%v", fused), func(b *testing.B) {
			var epi []Epilogue
			if fused {
				epi = []Epilogue{{Bias: bias, BiasPerRow: true, Act: ActRelu}}
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			t0 := threadCPU()
			for i := 0; i < b.N; i++ {
				SgemmPackedA(1, pa, false, n, 1, x, n, 0, y, n, epi...)
			}
			reportFlops(b, 2*float64(m*n*k), threadCPU()-t0, true)
		})
	}
}

// TestPackedKeepsItsLevel: an operand packed under one level is used with
// that level's kernels even after the active level changes.
func TestPackedKeepsItsLevel(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	g := gemmCase{m: 29, n: 45, k: 37, alpha: 1, beta: 0}
	a, lda, b, ldb, c, ldc := g.operands(rng)
	want := append([]float64(nil), c...)
	refGemm(false, false, g.m, g.n, g.k, 1, a, lda, b, ldb, 0, want, ldc)
	for _, from := range cpu.Levels() {
		for _, to := range cpu.Levels() {
			old := setLevel(from)
			pb := NewPackedB(false, g.k, g.n, toF32(b), ldb)
			pa := NewPackedA(false, g.m, g.k, toF32(a), lda)
			setLevel(to)
			got := toF32(c)
			SgemmPacked(1, false, g.m, 1, toF32(a), lda, pb, 0, got, ldc)
			checkClose(t, fmt.Sprintf("SgemmPacked packed at %v, run at %v", from, to), got, want, 1e-5)
			got = toF32(c)
			SgemmPackedA(1, pa, false, g.n, 1, toF32(b), ldb, 0, got, ldc)
			checkClose(t, fmt.Sprintf("SgemmPackedA packed at %v, run at %v", from, to), got, want, 1e-5)
			active = old
		}
	}
}

// TestPoolReusesWorkers: repeated parallel loops do not grow the number of
// goroutines (workers park and are reused).
func TestPoolReusesWorkers(t *testing.T) {
	run := func() {
		for i := 0; i < 50; i++ {
			ParallelN(3, 30, 1, func(lo, hi int) {})
		}
	}
	run()
	before := runtime.NumGoroutine()
	run()
	if after := runtime.NumGoroutine(); after > before+4 { // slack: a worker may be between tasks
		t.Fatalf("goroutines grew from %d to %d", before, after)
	}
}

// TestEpilogueChecks: an epilogue that does not fit the output is a
// programming error reported before any work (like a short operand).
func TestEpilogueChecks(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	for name, e := range map[string]Epilogue{
		"short column bias": {Bias: make([]float32, 1)},
		"short row bias":    {Bias: make([]float32, 1), BiasPerRow: true},
		"short residual":    {Residual: make([]float32, 3)},
		"bad activation":    {Act: Activation(99)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			SgemmN(1, false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, e)
		}()
	}
}

// TestPackA32 compares A packing (the 12-row assembly transpose and its Go
// tails included) with the panel layout written out directly: element
// (r, p) of panel i at panel[i*kc*mr + p*mr + r] = alpha·A(i*mr+r, p0+p),
// zero past the last row.
func TestPackA32(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		mr := active.mr
		rng := rand.New(rand.NewSource(3))
		for _, kc := range []int{1, 7, 8, 9, 16, 23, 64, 257} {
			for _, mc := range []int{mr, 2*mr + 5} {
				for _, alpha := range []float32{1, -0.75} {
					lda, i0, p0 := kc+13, 3, 5
					a := make([]float32, (i0+mc)*lda+p0+kc)
					for i := range a {
						a[i] = rng.Float32()*2 - 1
					}
					panels := ceilDiv(mc, mr)
					got := make([]float32, panels*kc*mr)
					for i := range got {
						got[i] = float32(math.NaN()) // every element must be written
					}
					packA32(got, a, lda, false, alpha, mr, i0, mc, p0, kc)
					for i := 0; i < panels; i++ {
						for p := 0; p < kc; p++ {
							for r := 0; r < mr; r++ {
								var want float32
								if row := i*mr + r; row < mc {
									want = a[(i0+row)*lda+p0+p] * alpha
								}
								if g := got[i*kc*mr+p*mr+r]; g != want {
									t.Fatalf("kc=%d mc=%d alpha=%v: panel %d (%d,%d) = %v, want %v", kc, mc, alpha, i, r, p, g, want)
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestPackB32 compares B packing (the full-panel copy, in assembly and in
// Go, and the partial last panel) with the panel layout written out
// directly: element (p, c) of panel q at panel[q*kc*nr + p*nr + c] =
// alpha·B(p0+p, j0+q*nr+c), zero past the last column.
func TestPackB32(t *testing.T) {
	asm := copyRowsAsm
	defer func() { copyRowsAsm = asm }()
	rng := rand.New(rand.NewSource(4))
	for _, withAsm := range []bool{true, false} {
		if withAsm && asm == nil {
			continue // no assembly in this build: the Go copy below
		}
		copyRowsAsm = nil
		if withAsm {
			copyRowsAsm = asm
		}
		for _, nr := range []int{16, 32} {
			for _, kc := range []int{1, 5, 64} {
				for _, nc := range []int{3, nr, 3*nr + 7, 4 * nr} {
					for _, alpha := range []float32{1, 0.5} {
						ldb, p0, j0 := nc+9, 2, 5
						b := make([]float32, (p0+kc)*ldb)
						for i := range b {
							b[i] = rng.Float32()
						}
						panels := ceilDiv(nc, nr)
						got := make([]float32, panels*kc*nr)
						for i := range got {
							got[i] = float32(math.NaN())
						}
						packB32(got, b, ldb, false, alpha, nr, p0, kc, j0, nc)
						for q := 0; q < panels; q++ {
							for p := 0; p < kc; p++ {
								for c := 0; c < nr; c++ {
									var want float32
									if col := q*nr + c; col < nc {
										want = b[(p0+p)*ldb+j0+col] * alpha
									}
									if g := got[q*kc*nr+p*nr+c]; g != want {
										t.Fatalf("asm=%v nr=%d kc=%d nc=%d alpha=%v: panel %d (%d,%d) = %v, want %v", withAsm, nr, kc, nc, alpha, q, p, c, g, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
