package nchwc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/linalg"
)

// convCase is one convolution of the tests, on NCHW data.
type convCase struct {
	n, inC, outC, group int
	h, w                int
	kh, kw, sh, sw      int
	dh, dw              int
	pads                [4]int // top, left, bottom, right
	act                 linalg.Activation
	alpha, beta         float32
	res, noBias         bool
}

func (tc convCase) params() ConvParams {
	g := max(tc.group, 1)
	return ConvParams{InC: tc.inC, OutC: tc.outC, Group: g, KH: tc.kh, KW: tc.kw, SH: tc.sh, SW: tc.sw,
		DH: tc.dh, DW: tc.dw, PadT: tc.pads[0], PadL: tc.pads[1], PadB: tc.pads[2], PadR: tc.pads[3],
		Act: tc.act, Alpha: tc.alpha, Beta: tc.beta, Residual: tc.res}
}

func (tc convCase) String() string {
	return fmt.Sprintf("n%d_c%d-%d_g%d_%dx%d_k%dx%d_s%dx%d_d%dx%d_p%v_act%d_res%v", tc.n, tc.inC, tc.outC, tc.group, tc.h, tc.w,
		tc.kh, tc.kw, tc.sh, tc.sw, tc.dh, tc.dw, tc.pads, tc.act, tc.res)
}

// convRef is the ONNX Conv definition in float64 on NCHW data, followed by
// + z and the activation.
func convRef(tc convCase, x, w, b, z []float64) (y []float64, oh, ow int) {
	g := max(tc.group, 1)
	icg, ocg := tc.inC/g, tc.outC/g
	oh = (tc.h+tc.pads[0]+tc.pads[2]-((tc.kh-1)*tc.dh+1))/tc.sh + 1
	ow = (tc.w+tc.pads[1]+tc.pads[3]-((tc.kw-1)*tc.dw+1))/tc.sw + 1
	y = make([]float64, tc.n*tc.outC*oh*ow)
	for n := 0; n < tc.n; n++ {
		for oc := 0; oc < tc.outC; oc++ {
			grp := oc / ocg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := 0.0
					if b != nil {
						s = b[oc]
					}
					for ic := 0; ic < icg; ic++ {
						c := grp*icg + ic
						for ky := 0; ky < tc.kh; ky++ {
							iy := oy*tc.sh + ky*tc.dh - tc.pads[0]
							if iy < 0 || iy >= tc.h {
								continue
							}
							for kx := 0; kx < tc.kw; kx++ {
								ix := ox*tc.sw + kx*tc.dw - tc.pads[1]
								if ix < 0 || ix >= tc.w {
									continue
								}
								s += x[((n*tc.inC+c)*tc.h+iy)*tc.w+ix] * w[((oc*icg+ic)*tc.kh+ky)*tc.kw+kx]
							}
						}
					}
					i := ((n*tc.outC+oc)*oh+oy)*ow + ox
					if z != nil {
						s += z[i]
					}
					y[i] = convRefAct(s, tc.act, float64(tc.alpha), float64(tc.beta))
				}
			}
		}
	}
	return y, oh, ow
}

func convRefAct(v float64, act linalg.Activation, a, b float64) float64 {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	switch act {
	case linalg.ActRelu:
		return math.Max(v, 0)
	case linalg.ActClip:
		return math.Min(math.Max(v, a), b)
	case linalg.ActLeakyRelu:
		if v < 0 {
			return a * v
		}
	case linalg.ActSigmoid:
		return sig(v)
	case linalg.ActSiLU:
		return v * sig(v)
	case linalg.ActHardSigmoid:
		return math.Max(0, math.Min(1, a*v+b))
	case linalg.ActHardSwish:
		return v * math.Max(0, math.Min(1, v/6+0.5))
	case linalg.ActTanh:
		return math.Tanh(v)
	case linalg.ActGelu:
		return v * (1 + math.Erf(v/math.Sqrt2)) / 2
	}
	return v
}

// convBlockIn lays NCHW data out as [n][Blocks(c)][hw][16], padding channels
// set to fill.
func convBlockIn(x []float64, n, c, hw int, fill float32) []float32 {
	cb := Blocks(c)
	y := make([]float32, n*cb*hw*Block)
	for i := range y {
		y[i] = fill
	}
	for in := 0; in < n; in++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				y[((in*cb+ch/Block)*hw+p)*Block+ch%Block] = float32(x[(in*c+ch)*hw+p])
			}
		}
	}
	return y
}

func convRand(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

func convF32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// convCheck runs tc at the active CPU level with threads and compares with
// convRef on the real channels; every element of y must be written.
func convCheck(t *testing.T, tc convCase, threads int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(tc.inC*131+tc.outC), uint64(tc.h*7+tc.w+tc.kh)))
	g := max(tc.group, 1)
	x := convRand(rng, tc.n*tc.inC*tc.h*tc.w)
	w := convRand(rng, tc.outC*(tc.inC/g)*tc.kh*tc.kw)
	var b []float64
	if !tc.noBias {
		b = convRand(rng, tc.outC)
	}
	oh := (tc.h+tc.pads[0]+tc.pads[2]-((tc.kh-1)*tc.dh+1))/tc.sh + 1
	ow := (tc.w+tc.pads[1]+tc.pads[3]-((tc.kw-1)*tc.dw+1))/tc.sw + 1
	var z []float64
	if tc.res {
		z = convRand(rng, tc.n*tc.outC*oh*ow)
	}
	want, _, _ := convRef(tc, x, w, b, z)

	var bias []float32
	if b != nil {
		bias = convF32(b)
	}
	c, err := NewConv(tc.params(), convF32(w), bias)
	if err != nil {
		t.Fatalf("%v: NewConv: %v", tc, err)
	}
	// Padding channels of x and z hold garbage that must not reach a
	// real channel.
	xb := convBlockIn(x, tc.n, tc.inC, tc.h*tc.w, 1e3)
	var zb []float32
	if z != nil {
		zb = convBlockIn(z, tc.n, tc.outC, oh*ow, -7)
	}
	yb := make([]float32, tc.n*Blocks(tc.outC)*oh*ow*Block)
	for i := range yb {
		yb[i] = float32(math.NaN())
	}
	if err := c.Run(xb, tc.n, tc.h, tc.w, zb, yb, threads); err != nil {
		t.Fatalf("%v: Run: %v", tc, err)
	}
	for i, v := range yb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%v: y[%d] = %v: not written or not finite", tc, i, v)
		}
	}
	cb := Blocks(tc.outC)
	bad := 0
	for n := 0; n < tc.n; n++ {
		for oc := 0; oc < tc.outC; oc++ {
			for p := 0; p < oh*ow; p++ {
				wv := want[(n*tc.outC+oc)*oh*ow+p]
				gv := float64(yb[((n*cb+oc/Block)*oh*ow+p)*Block+oc%Block])
				if math.Abs(gv-wv) > 1e-4+1e-4*math.Abs(wv) {
					if bad++; bad <= 5 {
						t.Errorf("%v threads %d: y[n%d c%d px%d] = %v, want %v", tc, threads, n, oc, p, gv, wv)
					}
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v threads %d: %d wrong values", tc, threads, bad)
	}
}

// convForLevels runs f at every CPU level this machine has.
func convForLevels(t *testing.T, f func(t *testing.T)) {
	old := cpu.Active
	defer func() { cpu.Active = old }()
	for _, l := range cpu.Levels() {
		cpu.Active = l
		t.Run(l.String(), f)
	}
}

func convBase(inC, outC, h, w, k int) convCase {
	return convCase{n: 1, inC: inC, outC: outC, h: h, w: w, kh: k, kw: k, sh: 1, sw: 1, dh: 1, dw: 1,
		pads: [4]int{k / 2, k / 2, k / 2, k / 2}}
}

func TestConvChannels(t *testing.T) {
	chans := []int{1, 3, 16, 24, 40, 64, 96}
	convForLevels(t, func(t *testing.T) {
		for _, ic := range chans {
			for _, oc := range chans {
				convCheck(t, convBase(ic, oc, 4, 13, 3), 1)
			}
		}
	})
}

func TestConvKernelsStridesPads(t *testing.T) {
	var cases []convCase
	for _, k := range []int{1, 3, 5, 7} {
		for _, s := range []int{1, 2} {
			for _, d := range []int{1, 2} {
				for pi, pads := range [][4]int{{0, 0, 0, 0}, {k / 2, k / 2, k / 2, k / 2}, {1, 0, 2, 3}, {3, 2, 0, 1}} {
					for _, w := range []int{1, 5, 14, 30} {
						tc := convBase(24, 40, 9, w, k)
						tc.sh, tc.sw, tc.dh, tc.dw, tc.pads = s, s, d, d, pads
						if (w+pi)%2 == 1 {
							tc.inC, tc.outC = 16, 24
						}
						if tc.w+pads[1]+pads[3] < (k-1)*d+1 || tc.h+pads[0]+pads[2] < (k-1)*d+1 {
							continue
						}
						cases = append(cases, tc)
					}
				}
			}
		}
	}
	// Mixed strides and a stride the assembly has no variant for.
	odd := convBase(16, 32, 11, 23, 3)
	odd.sh, odd.sw = 1, 3
	cases = append(cases, odd)
	odd.sh, odd.sw, odd.kw, odd.dw = 3, 2, 1, 1
	cases = append(cases, odd)
	convForLevels(t, func(t *testing.T) {
		for _, tc := range cases {
			convCheck(t, tc, 1)
		}
	})
}

func TestConvWidths(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		for w := 1; w <= 30; w++ {
			tc := convBase(16, 48, 3, w, 3)
			if w%3 == 0 {
				tc.kh, tc.kw, tc.pads = 1, 1, [4]int{}
			}
			if w%4 == 1 {
				tc.sw, tc.sh = 2, 2
			}
			convCheck(t, tc, 1)
		}
	})
}

// convEpilogueActs is every fused activation with parameters, for the
// epilogue tests of the dense and NCHW-input kernels.
var convEpilogueActs = []struct {
	a           linalg.Activation
	alpha, beta float32
}{{linalg.ActNone, 0, 0}, {linalg.ActRelu, 0, 0}, {linalg.ActClip, 0, 6}, {linalg.ActClip, -0.5, 0.25},
	{linalg.ActLeakyRelu, 0.1, 0}, {linalg.ActSigmoid, 0, 0}, {linalg.ActSiLU, 0, 0}, {linalg.ActHardSigmoid, 0.2, 0.5},
	{linalg.ActHardSwish, 0, 0}, {linalg.ActTanh, 0, 0}, {linalg.ActGelu, 0, 0}}

func TestConvEpilogues(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		for i, a := range convEpilogueActs {
			for _, res := range []bool{false, true} {
				tc := convBase(40, 24+16*(i%3), 5, 9+i, 3)
				tc.n, tc.act, tc.alpha, tc.beta, tc.res = 2, a.a, a.alpha, a.beta, res
				tc.noBias = i%4 == 3
				if i%2 == 1 {
					tc.kh, tc.kw, tc.pads = 1, 1, [4]int{}
				}
				convCheck(t, tc, 1+i%2)
			}
		}
	})
}

// TestConvThreads covers the row split between goroutines and the flat
// 1×1 path with planes larger than one pseudo-row, batch 2.
func TestConvThreads(t *testing.T) {
	// The last case's row is long enough in work to take several
	// assembly calls (callFlops).
	cases := []convCase{convBase(64, 96, 14, 14, 1), convBase(32, 64, 12, 17, 3), convBase(96, 40, 7, 7, 1), convBase(1408, 32, 8, 12, 1)}
	cases[0].n, cases[1].n = 2, 2
	cases[1].res, cases[1].act = true, linalg.ActRelu
	cases[2].sh, cases[2].sw, cases[2].pads = 2, 2, [4]int{}
	convForLevels(t, func(t *testing.T) {
		for _, tc := range cases {
			for _, th := range []int{1, 2} {
				convCheck(t, tc, th)
			}
		}
	})
}

func TestConvDepthwise(t *testing.T) {
	cases := []convCase{convBase(24, 24, 9, 11, 3), convBase(40, 40, 6, 7, 5)}
	cases[0].group, cases[1].group = 24, 40
	cases[1].sh, cases[1].sw, cases[1].res, cases[1].act = 2, 2, true, linalg.ActClip
	cases[1].beta = 6
	convForLevels(t, func(t *testing.T) {
		for _, tc := range cases {
			convCheck(t, tc, 2)
		}
	})
}

func TestNewConvErrors(t *testing.T) {
	good := ConvParams{InC: 3, OutC: 5, Group: 1, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1}
	w := make([]float32, 5*3*9)
	bad := func(f func(p *ConvParams)) ConvParams { p := good; f(&p); return p }
	cases := []struct {
		name string
		p    ConvParams
		w, b []float32
	}{
		{"zero channels", bad(func(p *ConvParams) { p.InC = 0 }), w, nil},
		{"bad group", bad(func(p *ConvParams) { p.Group = 3 }), w, nil},
		{"zero stride", bad(func(p *ConvParams) { p.SW = 0 }), w, nil},
		{"zero dilation", bad(func(p *ConvParams) { p.DH = 0 }), w, nil},
		{"negative pad", bad(func(p *ConvParams) { p.PadL = -1 }), w, nil},
		{"unknown activation", bad(func(p *ConvParams) { p.Act = linalg.ActGelu + 1 }), w, nil},
		{"short weights", good, w[:44], nil},
		{"long weights", good, append(w, 1), nil},
		{"short bias", good, w, make([]float32, 4)},
		{"depthwise weights", ConvParams{InC: 4, OutC: 4, Group: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1}, make([]float32, 4*4*9), nil},
	}
	for _, tc := range cases {
		if _, err := NewConv(tc.p, tc.w, tc.b); err == nil {
			t.Errorf("%s: NewConv accepted it", tc.name)
		}
	}
}

func TestConvRunErrors(t *testing.T) {
	p := ConvParams{InC: 3, OutC: 5, Group: 1, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Residual: true}
	c, err := NewConv(p, make([]float32, 5*3*9), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*1*6*6*Block)
	y := make([]float32, 2*1*4*4*Block)
	cases := []struct {
		name    string
		x       []float32
		n, h, w int
		z, y    []float32
	}{
		{"zero batch", x, 0, 6, 6, y, y},
		{"too small", x, 2, 2, 6, y, y},
		{"short x", x[:len(x)-1], 2, 6, 6, y, y},
		{"short y", x, 2, 6, 6, y, y[:len(y)-1]},
		{"missing residual", x, 2, 6, 6, nil, y},
	}
	for _, tc := range cases {
		if err := c.Run(tc.x, tc.n, tc.h, tc.w, tc.z, tc.y, 1); err == nil {
			t.Errorf("%s: Run accepted it", tc.name)
		}
	}
	if err := c.Run(x, 2, 6, 6, y, y, 1); err != nil {
		t.Errorf("valid call: %v", err)
	}
}

// TestConvEveryVariant makes rows of exactly r output pixels, so each
// generated kernel (every pixel count, one and two blocks, strides 1 and
// 2, with and without the fused epilogue) runs as a single segment.
func TestConvEveryVariant(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		for _, oc := range []int{16, 32} {
			for s := 1; s <= 2; s++ {
				for r := 1; r <= 24; r++ {
					tc := convBase(16, oc, 3, s*(r-1)+1, 3)
					tc.sh, tc.sw = s, s
					if r%2 == 0 {
						tc.res, tc.act = true, linalg.ActRelu
					}
					convCheck(t, tc, 1)
				}
			}
		}
	})
}

// TestConvConcurrentRuns: a Conv is immutable after NewConv, so runs from
// several goroutines at once (each with its own buffers) must agree.
func TestConvConcurrentRuns(t *testing.T) {
	tc := convBase(24, 40, 9, 13, 3)
	tc.act = linalg.ActSiLU
	rng := rand.New(rand.NewPCG(1, 2))
	c, err := NewConv(tc.params(), convF32(convRand(rng, 40*24*9)), convF32(convRand(rng, 40)))
	if err != nil {
		t.Fatal(err)
	}
	x := convBlockIn(convRand(rng, 24*9*13), 1, 24, 9*13, 0)
	want := make([]float32, 3*9*13*Block)
	if err := c.Run(x, 1, 9, 13, nil, want, 1); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			y := make([]float32, len(want))
			for i := 0; i < 20; i++ {
				if err := c.Run(x, 1, 9, 13, nil, y, 2); err != nil {
					errs <- err
					return
				}
				for j := range y {
					if y[j] != want[j] {
						errs <- fmt.Errorf("run %d: y[%d] = %v, want %v", i, j, y[j], want[j])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
