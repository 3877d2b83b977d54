package nchwc

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refOutSize is ONNX's pool output size for explicit pads, with ceil_mode
// (the last window must start inside the input or the begin pad).
func refOutSize(in, k, s, d, pb, pe int, ceil bool) int {
	span := in + pb + pe - ((k-1)*d + 1)
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	o := (span+s-1)/s + 1
	if (o-1)*s >= in+pb {
		o--
	}
	return o
}

// refPool is ONNX MaxPool / AveragePool on NCHW data in float64. Windows
// without any input tap give 0.
func refPool(p PoolParams, x []float64, planes, h, w int) []float64 {
	y := make([]float64, planes*p.OH*p.OW)
	for pl := 0; pl < planes; pl++ {
		for oy := 0; oy < p.OH; oy++ {
			for ox := 0; ox < p.OW; ox++ {
				best, sum := math.Inf(-1), 0.0
				cnt, padCnt := 0, 0
				for ky := 0; ky < p.KH; ky++ {
					for kx := 0; kx < p.KW; kx++ {
						iy, ix := oy*p.SH-p.PadT+ky*p.DH, ox*p.SW-p.PadL+kx*p.DW
						if iy >= -p.PadT && iy < h+p.PadB && ix >= -p.PadL && ix < w+p.PadR {
							padCnt++
						}
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						v := x[(pl*h+iy)*w+ix]
						best = max(best, v)
						sum += v
						cnt++
					}
				}
				o := (pl*p.OH+oy)*p.OW + ox
				switch {
				case cnt == 0:
					y[o] = 0
				case p.Max:
					y[o] = best
				case p.CountIncludePad:
					y[o] = sum / float64(padCnt)
				default:
					y[o] = sum / float64(cnt)
				}
			}
		}
	}
	return y
}

type poolCase struct {
	k, s, d, pt, pl, pb, pr int
	ceil                    bool
}

var poolCases = []poolCase{
	{3, 2, 1, 0, 0, 0, 0, true},  // squeezenet
	{3, 2, 1, 1, 1, 1, 1, false}, // resnet
	{2, 2, 1, 0, 0, 0, 0, false}, // cnn_mnist
	{2, 2, 1, 0, 0, 0, 0, true},
	{3, 1, 1, 1, 1, 1, 1, false},
	{5, 3, 1, 2, 1, 0, 2, true},
	{3, 1, 2, 2, 2, 2, 2, false}, // dilation
	{3, 2, 2, 1, 0, 1, 2, true},
	{1, 1, 1, 0, 0, 0, 0, false},
	{7, 1, 1, 3, 3, 3, 3, false},
}

func checkPool(t *testing.T, r *rand.Rand, p PoolParams, n, c, h, w, threads int) {
	t.Helper()
	x := pkRand(r, n*c*h*w)
	cb := Blocks(c)
	need := n * cb * p.OH * p.OW * Block
	y := pkNaNs(need + pkGuard)
	Pool(p, pkBlock(x, n, c, h*w, 9), n, cb, h, w, y, threads)
	pkCheckGuard(t, y, need)
	for i, v := range y[:need] {
		if v != v {
			t.Fatalf("%+v h=%d w=%d: y[%d] not written", p, h, w, i)
		}
	}
	want := refPool(p, pk64(x), n*c, h, w)
	got := pkUnblock(y, n, c, p.OH*p.OW)
	for i := range want {
		if !pkClose(got[i], want[i]) {
			t.Fatalf("%+v c=%d h=%d w=%d threads=%d: y[%d] = %v, want %v", p, c, h, w, threads, i, got[i], want[i])
		}
	}
}

func TestPoolShapes(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	pkLevels(t, func(t *testing.T) {
		for ci, c := range []int{1, 5, 16, 24, 40, 96} {
			for k, tc := range poolCases {
				for _, kind := range []int{0, 1, 2} { // max, avg, avg with pads counted
					for w := 1 + (ci+k+kind)%3; w <= 30; w += 3 {
						h := 1 + (w*5+k)%8
						p := PoolParams{Max: kind == 0, CountIncludePad: kind == 2,
							KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, DH: tc.d, DW: tc.d,
							PadT: tc.pt, PadL: tc.pl, PadB: tc.pb, PadR: tc.pr}
						p.OH = refOutSize(h, tc.k, tc.s, tc.d, tc.pt, tc.pb, tc.ceil)
						p.OW = refOutSize(w, tc.k, tc.s, tc.d, tc.pl, tc.pr, tc.ceil)
						if p.OH < 1 || p.OW < 1 {
							continue
						}
						checkPool(t, r, p, 2, c, h, w, 1+w%2)
					}
				}
			}
		}
	})
}

// TestPoolHotShapes runs the models' shapes (long interior rows).
func TestPoolHotShapes(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	pkLevels(t, func(t *testing.T) {
		for _, s := range []struct {
			c, h int
			pc   poolCase
		}{{64, 111, poolCases[0]}, {64, 112, poolCases[1]}, {32, 28, poolCases[2]}} {
			for _, max := range []bool{true, false} {
				tc := s.pc
				p := PoolParams{Max: max, KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, DH: 1, DW: 1,
					PadT: tc.pt, PadL: tc.pl, PadB: tc.pb, PadR: tc.pr}
				p.OH = refOutSize(s.h, tc.k, tc.s, 1, tc.pt, tc.pb, tc.ceil)
				p.OW = p.OH
				t.Run(fmt.Sprintf("c%d_h%d_max%v", s.c, s.h, max), func(t *testing.T) {
					checkPool(t, r, p, 1, s.c, s.h, s.h, 2)
				})
			}
		}
	})
}

func TestGlobalAveragePool(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	pkLevels(t, func(t *testing.T) {
		for _, c := range []int{1, 5, 16, 24, 40, 96} {
			for _, hw := range []int{1, 2, 3, 7, 8, 9, 17, 49, 100, 196} {
				n := 2
				x := pkRand(r, n*c*hw)
				cb := Blocks(c)
				y := pkNaNs(n*cb*Block + pkGuard)
				GlobalAveragePool(pkBlock(x, n, c, hw, 4), n, cb, hw, y, 1+hw%2)
				pkCheckGuard(t, y, n*cb*Block)
				got := pkUnblock(y, n, c, 1)
				for pl := 0; pl < n*c; pl++ {
					var s float64
					for _, v := range x[pl*hw : (pl+1)*hw] {
						s += float64(v)
					}
					if !pkClose(got[pl], s/float64(hw)) {
						t.Fatalf("c=%d hw=%d: plane %d = %v, want %v", c, hw, pl, got[pl], s/float64(hw))
					}
				}
			}
		}
	})
}
