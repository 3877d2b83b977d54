package conv

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// naiveDepthwise is the textbook definition in float64: out[n][m][oh][ow] =
// b[m] + Σ w[m][kh][kw]·x[n][m/mult][oh·sh+kh·dh-pt][ow·sw+kw·dw-pl].
func naiveDepthwise(x []float32, N, C, H, W int, w []float32, mult, KH, KW int, b []float32, sh, sw, dh, dw, pt, pl, OH, OW int) []float64 {
	M := C * mult
	out := make([]float64, N*M*OH*OW)
	for n := 0; n < N; n++ {
		for m := 0; m < M; m++ {
			c := m / mult
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					acc := 0.0
					if b != nil {
						acc = float64(b[m])
					}
					for kh := 0; kh < KH; kh++ {
						for kw := 0; kw < KW; kw++ {
							ih, iw := oh*sh+kh*dh-pt, ow*sw+kw*dw-pl
							if ih < 0 || ih >= H || iw < 0 || iw >= W {
								continue
							}
							acc += float64(w[(m*KH+kh)*KW+kw]) * float64(x[((n*C+c)*H+ih)*W+iw])
						}
					}
					out[((n*M+m)*OH+oh)*OW+ow] = acc
				}
			}
		}
	}
	return out
}

func withLevel(t *testing.T, l cpu.Level, f func()) {
	t.Helper()
	old := cpu.Active
	cpu.Active = l
	defer func() { cpu.Active = old }()
	f()
}

func TestDepthwiseF32Levels(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	type tc struct{ n, c, mult, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr int }
	cases := []tc{
		{1, 3, 1, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, // mobilenet 3×3 s1
		{1, 2, 1, 113, 113, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1}, // s2, asymmetric pads
		{1, 2, 1, 14, 14, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},   // efficientnet 5×5
		{1, 2, 1, 15, 15, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2},
		{1, 2, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
		{2, 2, 2, 9, 70, 3, 3, 2, 1, 2, 1, 1, 0, 2, 3},
		{1, 1, 1, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, // tiny: interior of one column
		{1, 1, 1, 4, 4, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0}, // kernel larger than input
		{1, 2, 1, 3, 200, 1, 7, 1, 2, 1, 3, 0, 4, 0, 4},
	}
	for i := 0; i < 40; i++ {
		cs := tc{n: 1 + rng.Intn(2), c: 1 + rng.Intn(3), mult: 1 + rng.Intn(2), h: 1 + rng.Intn(12), w: 1 + rng.Intn(80),
			kh: 1 + rng.Intn(5), kw: 1 + rng.Intn(5), sh: 1 + rng.Intn(3), sw: 1 + rng.Intn(3), dh: 1 + rng.Intn(2), dw: 1 + rng.Intn(2),
			pt: rng.Intn(3), pl: rng.Intn(3), pb: rng.Intn(3), pr: rng.Intn(3)}
		cases = append(cases, cs)
	}
	for ci, cs := range cases {
		OH := (cs.h+cs.pt+cs.pb-(cs.kh-1)*cs.dh-1)/cs.sh + 1
		OW := (cs.w+cs.pl+cs.pr-(cs.kw-1)*cs.dw-1)/cs.sw + 1
		if cs.h+cs.pt+cs.pb < (cs.kh-1)*cs.dh+1 || cs.w+cs.pl+cs.pr < (cs.kw-1)*cs.dw+1 {
			continue
		}
		M := cs.c * cs.mult
		x := make([]float32, cs.n*cs.c*cs.h*cs.w)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		w := make([]float32, M*cs.kh*cs.kw)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		var b []float32
		if ci%3 != 0 {
			b = make([]float32, M)
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
		}
		g := &geom{n: cs.n, c: cs.c, m: M, groups: cs.c, cg: 1, mg: cs.mult,
			in: []int{cs.h, cs.w}, kern: []int{cs.kh, cs.kw}, out: []int{OH, OW},
			stride: []int{cs.sh, cs.sw}, dil: []int{cs.dh, cs.dw}, padB: []int{cs.pt, cs.pl}, padE: []int{cs.pb, cs.pr},
			inSize: cs.h * cs.w, kSize: cs.kh * cs.kw, outSize: OH * OW}
		want := naiveDepthwise(x, cs.n, cs.c, cs.h, cs.w, w, cs.mult, cs.kh, cs.kw, b, cs.sh, cs.sw, cs.dh, cs.dw, cs.pt, cs.pl, OH, OW)
		for _, l := range cpu.Levels() {
			for _, threads := range []int{1, 2} {
				withLevel(t, l, func() {
					// Guard values around y catch writes out of range.
					buf := make([]float32, len(want)+32)
					for i := range buf {
						buf[i] = 12345
					}
					y := buf[16 : 16+len(want)]
					depthwiseF32(g, x, w, b, y, threads, nil)
					for i := 0; i < 16; i++ {
						if buf[i] != 12345 || buf[len(buf)-1-i] != 12345 {
							t.Fatalf("case %d %+v level %v: wrote outside y", ci, cs, l)
						}
					}
					for i, v := range y {
						if d := math.Abs(float64(v) - want[i]); d > 1e-4+1e-4*math.Abs(want[i]) {
							t.Fatalf("case %d %+v level %v threads %d: y[%d] = %v, want %v", ci, cs, l, threads, i, v, want[i])
						}
					}
				})
			}
		}
	}
}

func TestDwRowMaskedTail(t *testing.T) {
	// Every row length 1..40 at stride 1 and 2, 3×3 taps with the row
	// ending exactly at the end of x (no slack for over-reads).
	for _, l := range cpu.Levels() {
		for s := 1; s <= 2; s++ {
			for n := 1; n <= 40; n++ {
				rs := (n-1)*s + 3
				x := make([]float32, 2*rs+rs)
				for i := range x {
					x[i] = float32(i%7) - 3
				}
				w := []float32{1, 2, 3, -1, 0.5, 4, 2, -2, 1}
				y := make([]float32, n)
				withLevel(t, l, func() {
					done := dwRowAsm(cpu.Active, y, x, w, 3, 3, rs, 1, s, 0.25)
					dwRowGo(y[done:], x[done*s:], w, 3, 3, rs, 1, s, 0.25)
				})
				for i := range y {
					want := 0.25
					for r := 0; r < 3; r++ {
						for c := 0; c < 3; c++ {
							want += float64(w[r*3+c]) * float64(x[i*s+r*rs+c])
						}
					}
					if math.Abs(float64(y[i])-want) > 1e-4 {
						t.Fatal(fmt.Sprintf("level %v s=%d n=%d: y[%d] = %v, want %v", l, s, n, i, y[i], want))
					}
				}
			}
		}
	}
}

func TestDepthwiseHugePadsStaySmall(t *testing.T) {
	// strides 1000 with pads 100000 on a 1×1 input: 201×201 outputs; a
	// zero-padded scratch plane would need 200001² floats.
	g := &geom{n: 1, c: 2, m: 2, groups: 2, cg: 1, mg: 1, in: []int{1, 1}, kern: []int{1, 1}, out: []int{201, 201},
		stride: []int{1000, 1000}, dil: []int{1, 1}, padB: []int{100000, 100000}, padE: []int{100000, 100000},
		inSize: 1, kSize: 1, outSize: 201 * 201}
	y := make([]float32, 2*201*201)
	depthwiseF32(g, []float32{3, 5}, []float32{2, -1}, []float32{0.5, 0.25}, y, 2, nil)
	for m, want := range []float32{6.5, -4.75} {
		for i, v := range y[m*201*201 : (m+1)*201*201] {
			w := []float32{0.5, 0.25}[m]
			if i == 100*201+100 {
				w = want
			}
			if v != w {
				t.Fatalf("channel %d y[%d] = %v, want %v", m, i, v, w)
			}
		}
	}
}
