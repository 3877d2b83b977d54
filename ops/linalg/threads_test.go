package linalg

import (
	"fmt"
	"math/rand"
	"sync/atomic"
	"testing"
	"time"
)

// TestBlockedDriverRagged runs the ragged shapes (which SgemmN now sends to
// the small path) through the blocked driver on 1 and 2 workers, so its
// edges, shared packing and splits stay covered.
func TestBlockedDriverRagged(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(21))
		cases := raggedCases(rng, 60)
		cases = append(cases,
			// M split with B shared (pb == nil), N split with A shared.
			gemmCase{m: 200, n: 40, k: 300, alpha: 0.5, beta: 1, padA: 1, padB: 1, padC: 2},
			gemmCase{transA: true, m: 30, n: 700, k: 300, alpha: -1, beta: 0, padA: 2},
		)
		for _, g := range cases {
			a, lda, b, ldb, c, ldc := g.operands(rng)
			want := append([]float64(nil), c...)
			refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
			a32, b32 := toF32(a), toF32(b)
			for _, threads := range []int{1, 2, 3} {
				got := toF32(c)
				sgemmBlocked(threads, g.transA, g.transB, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), got, ldc, nil)
				checkClose(t, fmt.Sprintf("blocked %v threads=%d", g, threads), got, want, 1e-5)
			}
		}
	})
}

// TestSmallGemmHand pins the small path on hand-computed values: a
// transposed B read with a row stride (like an attention head), alpha,
// beta and a column bias with Relu.
func TestSmallGemmHand(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		// A (2×3), lda 4 (last column padding, never read).
		a := []float32{1, 2, 3, 99, -1, 0, 1, 99}
		// op(B) (3×2) stored transposed as 2 rows of 3, ldb 5.
		// op(B) = [[1 4], [2 5], [3 6]].
		bt := []float32{1, 2, 3, 99, 99, 4, 5, 6, 99, 99}
		// A·op(B) = [[14 32], [2 2]]; C = 0.5·A·op(B) + 2·C + bias, Relu.
		c := []float32{1, -100, 7, 1, 1, 7}
		SgemmN(1, false, true, 2, 2, 3, 0.5, a, 4, bt, 5, 2, c, 3, Epilogue{Bias: []float32{1, -1}, Act: ActRelu})
		want := []float32{10, 0, 7, 4, 2, 7}
		for i := range want {
			if c[i] != want[i] {
				t.Fatalf("C = %v, want %v", c, want)
			}
		}
	})
}

// TestParallelNested: regions started from inside a region's chunks (a
// threaded kernel calling a threaded Sgemm) finish and cover their ranges.
func TestParallelNested(t *testing.T) {
	var total atomic.Int64
	ParallelN(4, 8, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ParallelN(3, 100, 1, func(lo, hi int) {
				total.Add(int64(hi - lo))
			})
		}
	})
	if got := total.Load(); got != 800 {
		t.Fatalf("nested regions covered %d items, want 800", got)
	}
}

// TestPoolStopsSpinning: once no region runs, every worker leaves its spin
// phase within a bounded time (it parks instead of burning a core).
func TestPoolStopsSpinning(t *testing.T) {
	for i := 0; i < 20; i++ {
		ParallelN(2, 2, 1, func(lo, hi int) {})
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		hand.mu.Lock()
		spinning, queued := hand.spinning, len(hand.queue)
		hand.mu.Unlock()
		if spinning == 0 && queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still spinning (%d tasks queued) 2s after the last region", spinning, queued)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestParallelOneThreadStaysOnCaller: a budget of one thread never uses
// the pool.
func TestParallelOneThreadStaysOnCaller(t *testing.T) {
	before := nWorkers.Load()
	calls := 0
	ParallelN(1, 1000, 1, func(lo, hi int) {
		calls++
		if lo != 0 || hi != 1000 {
			t.Errorf("chunk [%d,%d), want [0,1000)", lo, hi)
		}
	})
	if calls != 1 || nWorkers.Load() != before {
		t.Fatalf("calls %d, workers %d -> %d", calls, before, nWorkers.Load())
	}
}

// TestParallelStalledGoroutineHoldsLittle: when one of the goroutines of
// a loop stalls (another process took its core), it holds only a small
// chunk; the other goroutine runs everything else meanwhile.
func TestParallelStalledGoroutineHoldsLittle(t *testing.T) {
	const n = 64
	var done, stalled atomic.Int32
	held := -1
	ParallelN(2, n, 1, func(lo, hi int) {
		if stalled.CompareAndSwap(0, 1) {
			held = hi - lo
			// Stall until the rest of the loop is done (or give up).
			deadline := time.Now().Add(5 * time.Second)
			for int(done.Load()) < n-held && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
		}
		done.Add(int32(hi - lo))
	})
	if done.Load() != n {
		t.Fatalf("%d of %d items done", done.Load(), n)
	}
	if held > n/(2*2) {
		t.Fatalf("the stalled goroutine held %d of %d items, want at most a quarter", held, n)
	}
}

// BenchmarkBertShapes: bert_small's batch-1 products (32 tokens, packed
// weights) and an attention head, on 1 and 2 workers.
func BenchmarkBertShapes(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{{32, 256, 256}, {32, 256, 1024}, {32, 1024, 256}, {256, 256, 256}} {
		a := make([]float32, s.m*s.k)
		w := make([]float32, s.k*s.n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range w {
			w[i] = float32(i%5) - 2
		}
		pb := NewPackedB(false, s.k, s.n, w, s.n)
		c := make([]float32, s.m*s.n)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", s.m, s.k, s.n, th), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					SgemmPacked(th, false, s.m, 1, a, s.k, pb, 0, c, s.n)
				}
			})
		}
	}
	q := make([]float32, 32*256)
	sc := make([]float32, 32*32)
	b.Run("head32x32x64", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			SgemmN(1, false, true, 32, 32, 64, 0.125, q, 256, q[64:], 256, 0, sc, 32)
		}
	})
}

// BenchmarkSplitThreshold: products around the parallel threshold
// (minParallelWork per worker), on 1 and 2 workers.
func BenchmarkSplitThreshold(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{{32, 128, 64}, {32, 128, 128}, {32, 256, 128}, {64, 256, 128}} {
		a := make([]float32, s.m*s.k)
		w := make([]float32, s.k*s.n)
		pb := NewPackedB(false, s.k, s.n, w, s.n)
		c := make([]float32, s.m*s.n)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", s.m, s.k, s.n, th), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					sp := &sproblem{ks: pb.ks, m: s.m, n: s.n, k: s.k, c: c, ldc: s.n, pb: pb.data,
						a: a, lda: s.k, aAlpha: 1}
					sp.split(th)
				}
			})
		}
	}
}

// BenchmarkPackA12: packing a 36×256 A block into 12-row panels.
func BenchmarkPackA12(b *testing.B) {
	a := make([]float32, 36*256)
	dst := make([]float32, 36*256)
	for i := 0; i < b.N; i++ {
		packA32(dst, a, 256, false, 1, 12, 0, 36, 0, 256)
	}
}

// The spin loops give up after spinFor, or at once when their pauses take
// long (other work ran in them): a loaded process parks its idle workers.
func TestSpinnerGivesUp(t *testing.T) {
	var s spinner
	s.start()
	time.Sleep(2 * busyPauses) // a pause in which something else ran
	if !s.over() {
		t.Error("a pause of 2×busyPauses did not end the spin")
	}
	s.start()
	s.began = s.began.Add(-2 * spinFor) // spinning for longer than spinFor
	if !s.over() {
		t.Error("spinning past spinFor did not end")
	}
	// Short pauses within spinFor go on spinning (the check is timing-bound,
	// so one quiet try in many is enough).
	goesOn := false
	for range 100 {
		s.start()
		if !s.over() {
			goesOn = true
			break
		}
	}
	if !goesOn {
		t.Error("a spin with no pause at all ended at once, 100 times")
	}
}
