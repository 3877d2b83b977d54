package nchwc

import (
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// pkLevels runs fn at every CPU level this machine has, restoring
// cpu.Active afterwards.
func pkLevels(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	old := cpu.Active
	defer func() { cpu.Active = old }()
	for _, l := range cpu.Levels() {
		cpu.Active = l
		t.Run(l.String(), fn)
	}
}

// pkBlock converts NCHW x to the blocked layout, filling padding lanes
// with fill (kernels must keep them out of real channels).
func pkBlock(x []float32, n, c, hw int, fill float32) []float32 {
	cb := Blocks(c)
	y := make([]float32, n*cb*hw*Block)
	for i := range y {
		y[i] = fill
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				y[((b*cb+ch/Block)*hw+p)*Block+ch%Block] = x[(b*c+ch)*hw+p]
			}
		}
	}
	return y
}

// pkUnblock is pkBlock's inverse (padding lanes dropped).
func pkUnblock(y []float32, n, c, hw int) []float32 {
	cb := Blocks(c)
	x := make([]float32, n*c*hw)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				x[(b*c+ch)*hw+p] = y[((b*cb+ch/Block)*hw+p)*Block+ch%Block]
			}
		}
	}
	return x
}

func pkRand(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// pkNaNs returns n NaNs: output buffers start as NaN so that an unwritten
// element fails the comparison.
func pkNaNs(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32NaN
	}
	return x
}

var float32NaN = func() float32 { var z float32; return z / z }()

// pkGuard extra elements after an output must stay untouched (NaN).
const pkGuard = 40

func pkCheckGuard(t *testing.T, y []float32, need int) {
	t.Helper()
	for i, v := range y[need:] {
		if v == v {
			t.Fatalf("wrote %v past the output's end (+%d)", v, i)
		}
	}
}

func pkClose(got float32, want float64) bool {
	d := float64(got) - want
	if d < 0 {
		d = -d
	}
	return d <= 1e-4+1e-4*max(want, -want)
}

func TestReorderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pkLevels(t, func(t *testing.T) {
		for _, c := range []int{1, 5, 16, 24, 40, 96} {
			for _, hw := range []int{1, 7, 16, 17, 31, 250, 256, 300, 700} {
				for _, threads := range []int{1, 2} {
					n := 2
					x := pkRand(r, n*c*hw)
					need := n * Blocks(c) * hw * Block
					y := pkNaNs(need + pkGuard)
					ReorderIn(x, n, c, hw, y, threads)
					pkCheckGuard(t, y, need)
					want := pkBlock(x, n, c, hw, 0)
					for i := range want {
						if y[i] != want[i] {
							t.Fatalf("ReorderIn c=%d hw=%d threads=%d: y[%d] = %v, want %v", c, hw, threads, i, y[i], want[i])
						}
					}
					// Padding lanes of the blocked input hold garbage:
					// ReorderOut must drop them.
					blocked := pkBlock(x, n, c, hw, 3.5)
					back := pkNaNs(n*c*hw + pkGuard)
					ReorderOut(blocked, n, c, hw, back, threads)
					pkCheckGuard(t, back, n*c*hw)
					for i := range x {
						if back[i] != x[i] {
							t.Fatalf("ReorderOut c=%d hw=%d threads=%d: x[%d] = %v, want %v", c, hw, threads, i, back[i], x[i])
						}
					}
				}
			}
		}
	})
}
