package nchwc

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/linalg"
)

// refDepthwise is the ONNX Conv definition with group = C, on NCHW data in
// float64: y = Act(Σ w·x + bias + z).
func refDepthwise(p ConvParams, x []float64, n, h, w int, wt, bias, z []float64) []float64 {
	oh := (h+p.PadT+p.PadB-(p.KH-1)*p.DH-1)/p.SH + 1
	ow := (w+p.PadL+p.PadR-(p.KW-1)*p.DW-1)/p.SW + 1
	c := p.OutC
	y := make([]float64, n*c*oh*ow)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := bias[ch]
					for ky := 0; ky < p.KH; ky++ {
						for kx := 0; kx < p.KW; kx++ {
							iy, ix := oy*p.SH-p.PadT+ky*p.DH, ox*p.SW-p.PadL+kx*p.DW
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								s += wt[(ch*p.KH+ky)*p.KW+kx] * x[((b*c+ch)*h+iy)*w+ix]
							}
						}
					}
					o := ((b*c+ch)*oh+oy)*ow + ox
					if z != nil {
						s += z[o]
					}
					y[o] = refAct(s, p.Act, float64(p.Alpha), float64(p.Beta))
				}
			}
		}
	}
	return y
}

func refSigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// refAct is linalg.Activation's definition in float64.
func refAct(v float64, act linalg.Activation, a, b float64) float64 {
	switch act {
	case linalg.ActRelu:
		return max(v, 0)
	case linalg.ActClip:
		return min(max(v, a), b)
	case linalg.ActLeakyRelu:
		if v < 0 {
			return a * v
		}
	case linalg.ActSigmoid:
		return refSigmoid(v)
	case linalg.ActSiLU:
		return v * refSigmoid(v)
	case linalg.ActHardSigmoid:
		return max(0, min(1, a*v+b))
	case linalg.ActHardSwish:
		return v * max(0, min(1, v/6+0.5))
	case linalg.ActTanh:
		return math.Tanh(v)
	case linalg.ActGelu:
		return v * (1 + math.Erf(v/math.Sqrt2)) / 2
	}
	return v
}

func pk64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// pkPackDW packs OIHW depthwise weights [C][1][KH][KW] as [CB][KH][KW][16]
// with zero padding channels (what NewConv stores in Conv.dw).
func pkPackDW(wt []float32, c, taps int) []float32 {
	out := make([]float32, Blocks(c)*taps*Block)
	for ch := 0; ch < c; ch++ {
		for t := 0; t < taps; t++ {
			out[((ch/Block)*taps+t)*Block+ch%Block] = wt[ch*taps+t]
		}
	}
	return out
}

type dwCase struct {
	k, s, d, pt, pl, pb, pr int
}

var dwCases = []dwCase{
	{3, 1, 1, 1, 1, 1, 1},
	{3, 2, 1, 1, 1, 1, 1},
	{3, 2, 1, 0, 0, 1, 1}, // TF-style SAME for even sizes
	{5, 1, 1, 2, 2, 2, 2},
	{5, 2, 1, 2, 2, 2, 2},
	{3, 1, 2, 2, 2, 2, 2}, // dilation
	{3, 3, 1, 1, 0, 2, 1}, // stride 3 (the 1-pixel path), asymmetric pads
	{2, 2, 1, 0, 0, 0, 0},
	{1, 1, 1, 0, 0, 0, 0},
	{3, 1, 1, 3, 3, 3, 3}, // windows wholly inside the padding
	{7, 1, 1, 3, 3, 3, 3},
}

// checkDW runs dwRun against refDepthwise and reports the first mismatch.
func checkDW(t *testing.T, r *rand.Rand, p ConvParams, n, h, w, threads int) {
	t.Helper()
	oh, ow, err := p.OutSize(h, w)
	if err != nil {
		return
	}
	c := p.OutC
	taps := p.KH * p.KW
	x := pkRand(r, n*c*h*w)
	wt := pkRand(r, c*taps)
	bias := pkRand(r, c)
	var z, zb []float32
	if p.Residual {
		z = pkRand(r, n*c*oh*ow)
		zb = pkBlock(z, n, c, oh*ow, 0.25)
	}
	bpad := make([]float32, Blocks(c)*Block)
	copy(bpad, bias)
	need := n * Blocks(c) * oh * ow * Block
	y := pkNaNs(need + pkGuard)
	dwRun(&p, pkPackDW(wt, c, taps), bpad, pkBlock(x, n, c, h*w, -2.5), n, h, w, zb, y, threads)
	pkCheckGuard(t, y, need)
	for i, v := range y[:need] {
		if v != v || math.IsInf(float64(v), 0) {
			t.Fatalf("%+v h=%d w=%d: y[%d] = %v (padding lanes included, every value must be finite)", p, h, w, i, v)
		}
	}
	var z64 []float64
	if z != nil {
		z64 = pk64(z)
	}
	want := refDepthwise(p, pk64(x), n, h, w, pk64(wt), pk64(bias), z64)
	got := pkUnblock(y, n, c, oh*ow)
	for i := range want {
		if !pkClose(got[i], want[i]) {
			t.Fatalf("%+v n=%d h=%d w=%d threads=%d: y[%d] = %v, want %v", p, n, h, w, threads, i, got[i], want[i])
		}
	}
}

// pkBothPaths runs fn with dwRun's whole-block path for small planes (the
// default) and with every plane taking the row-by-row path.
func pkBothPaths(t *testing.T, fn func(t *testing.T)) {
	old := dwSmallPlane
	defer func() { dwSmallPlane = old }()
	for _, small := range []int{old, 0} {
		dwSmallPlane = small
		t.Run(fmt.Sprintf("small%d", small), fn)
	}
}

func TestDepthwiseShapes(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	pkLevels(t, func(t *testing.T) {
		pkBothPaths(t, func(t *testing.T) {
			for ci, c := range []int{1, 5, 16, 24, 40, 96} {
				for k, tc := range dwCases {
					p := ConvParams{InC: c, OutC: c, Group: c, KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, DH: tc.d, DW: tc.d,
						PadT: tc.pt, PadL: tc.pl, PadB: tc.pb, PadR: tc.pr}
					// Ragged widths 1..30, spread over the cases and channel
					// counts so that every width meets several of each.
					for w := 1 + (ci+k)%3; w <= 30; w += 3 {
						h := 1 + (w*7+k)%9
						threads := 1 + w%2
						checkDW(t, r, p, 2, h, w, threads)
					}
				}
			}
		})
	})
}

func TestDepthwiseFusions(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	pkLevels(t, func(t *testing.T) {
		pkBothPaths(t, func(t *testing.T) {
			for act := linalg.ActNone; act <= linalg.ActGelu; act++ {
				for _, res := range []bool{false, true} {
					var alpha, beta float32
					switch act {
					case linalg.ActClip:
						alpha, beta = -0.5, 0.75
					case linalg.ActLeakyRelu:
						alpha = 0.1
					case linalg.ActHardSigmoid:
						alpha, beta = 0.2, 0.5
					}
					for _, tc := range []dwCase{{3, 1, 1, 1, 1, 1, 1}, {3, 2, 1, 1, 1, 1, 1}, {5, 1, 1, 2, 2, 2, 2}} {
						p := ConvParams{InC: 24, OutC: 24, Group: 24, KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, DH: 1, DW: 1,
							PadT: tc.pt, PadL: tc.pl, PadB: tc.pb, PadR: tc.pr, Act: act, Alpha: alpha, Beta: beta, Residual: res}
						t.Run(fmt.Sprintf("act%d_res%v_k%d_s%d", act, res, tc.k, tc.s), func(t *testing.T) {
							checkDW(t, r, p, 2, 9, 19, 2)
						})
					}
				}
			}
		})
	})
}

// TestDepthwiseConvRun covers rows long enough for every unrolled path of
// the kernels, through NewConv and Conv.Run.
func TestDepthwiseConvRun(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	pkLevels(t, func(t *testing.T) {
		for _, tc := range []dwCase{{3, 1, 1, 1, 1, 1, 1}, {3, 2, 1, 0, 0, 1, 1}, {5, 2, 1, 2, 2, 2, 2}} {
			c, n, h, w := 40, 1, 23, 57
			p := ConvParams{InC: c, OutC: c, Group: c, KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, DH: 1, DW: 1,
				PadT: tc.pt, PadL: tc.pl, PadB: tc.pb, PadR: tc.pr, Act: linalg.ActClip, Alpha: 0, Beta: 6}
			oh, ow, _ := p.OutSize(h, w)
			x := pkRand(r, n*c*h*w)
			wt := pkRand(r, c*p.KH*p.KW)
			bias := pkRand(r, c)
			cv, err := NewConv(p, wt, bias)
			if err != nil {
				t.Fatal(err)
			}
			y := pkNaNs(n * Blocks(c) * oh * ow * Block)
			if err := cv.Run(pkBlock(x, n, c, h*w, 1), n, h, w, nil, y, 2); err != nil {
				t.Fatal(err)
			}
			want := refDepthwise(p, pk64(x), n, h, w, pk64(wt), pk64(bias), nil)
			got := pkUnblock(y, n, c, oh*ow)
			for i := range want {
				if !pkClose(got[i], want[i]) {
					t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
				}
			}
		}
	})
}
