package nchwc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gonyx/gonyx/ops/linalg"
)

// scaleCheck runs tc through RunScaled with the given strategy and compares
// with the reference convolution of x ⊙ s, s drawn per image (or one for
// all images when shared).
func scaleCheck(t *testing.T, tc convCase, threads, mode int, shared bool) {
	t.Helper()
	old := scaleMode
	scaleMode = mode
	defer func() { scaleMode = old }()
	rng := rand.New(rand.NewPCG(uint64(tc.inC*17+tc.outC), uint64(tc.h*5+tc.w+tc.kh+mode)))
	x := convRand(rng, tc.n*tc.inC*tc.h*tc.w)
	w := convRand(rng, tc.outC*tc.inC*tc.kh*tc.kw)
	b := convRand(rng, tc.outC)
	oh := (tc.h+tc.pads[0]+tc.pads[2]-((tc.kh-1)*tc.dh+1))/tc.sh + 1
	ow := (tc.w+tc.pads[1]+tc.pads[3]-((tc.kw-1)*tc.dw+1))/tc.sw + 1
	var z []float64
	if tc.res {
		z = convRand(rng, tc.n*tc.outC*oh*ow)
	}
	scaleImages := tc.n
	if shared {
		scaleImages = 1
	}
	s := convRand(rng, scaleImages*tc.inC) // per image and channel, negative ones too
	hw := tc.h * tc.w
	xs := make([]float64, len(x))
	for n := 0; n < tc.n; n++ {
		for c := 0; c < tc.inC; c++ {
			f := s[(n%scaleImages)*tc.inC+c]
			for p := 0; p < hw; p++ {
				i := (n*tc.inC+c)*hw + p
				xs[i] = x[i] * f
			}
		}
	}
	want, _, _ := convRef(tc, xs, w, b, z)

	c, err := NewConv(tc.params(), convF32(w), convF32(b))
	if err != nil {
		t.Fatalf("%v: NewConv: %v", tc, err)
	}
	xb := convBlockIn(x, tc.n, tc.inC, hw, 1e3)
	// Padding lanes of the scale are NaN: they must not reach a real
	// channel.
	sb := convBlockIn(s, scaleImages, tc.inC, 1, float32(math.NaN()))
	var zb []float32
	if z != nil {
		zb = convBlockIn(z, tc.n, tc.outC, oh*ow, -7)
	}
	yb := make([]float32, tc.n*Blocks(tc.outC)*oh*ow*Block)
	for i := range yb {
		yb[i] = float32(math.NaN())
	}
	if err := c.RunScaled(xb, tc.n, tc.h, tc.w, sb, scaleImages, zb, yb, threads); err != nil {
		t.Fatalf("%v: RunScaled: %v", tc, err)
	}
	for i, v := range yb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%v mode %d: y[%d] = %v: not written or not finite", tc, mode, i, v)
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
						t.Errorf("%v mode %d shared %v threads %d: y[n%d c%d px%d] = %v, want %v", tc, mode, shared, threads, n, oc, p, gv, wv)
					}
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d wrong values", tc, bad)
	}
}

func TestConvScaled(t *testing.T) {
	var cases []convCase
	for i, ic := range []int{24, 40, 96} {
		for _, k := range []int{1, 3} {
			oc := []int{16, 40, 72}[i] // one, three (an odd last pair) and five blocks
			tc := convBase(ic, oc, 7, 9+i, k)
			tc.n = 2
			switch i {
			case 1:
				tc.res, tc.act = true, linalg.ActSiLU
			case 2:
				tc.act, tc.beta = linalg.ActClip, 6
			}
			if k == 3 && i == 2 {
				tc.sh, tc.sw = 2, 2
			}
			cases = append(cases, tc)
		}
	}
	// A plane larger than one flat pseudo-row, and a large input channel
	// count, as efficientnet's projections have.
	big := convBase(96, 24, 14, 14, 1)
	big.n, big.res = 2, true
	cases = append(cases, big, convBase(672, 112, 3, 5, 1))
	convForLevels(t, func(t *testing.T) {
		for ci, tc := range cases {
			for _, mode := range []int{scaleByFilter, scaleByInput, scaleAuto} {
				for _, threads := range []int{1, 2} {
					scaleCheck(t, tc, threads, mode, (ci+threads)%3 == 0)
				}
			}
		}
	})
}

// TestConvScaledChoice: the filter is scaled when that takes fewer products
// than scaling the input, counting a shared scale once.
func TestConvScaledChoice(t *testing.T) {
	c, err := NewConv(convBase(96, 24, 1, 1, 1).params(), make([]float32, 24*96), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Filter: 1 pair × 6 input blocks × 16 × 32 = 3072 floats per scale;
	// input: 96 × h·w per image.
	cases := []struct {
		n, h, w, scaleImages int
		filter               bool
	}{
		{1, 56, 56, 1, true}, {2, 14, 14, 2, true}, {1, 5, 6, 1, false}, {1, 6, 6, 1, true},
		{4, 1, 9, 1, true}, {4, 1, 9, 4, false},
	}
	for _, tc := range cases {
		if got := c.scaleFilterCheaper(tc.n, tc.h, tc.w, tc.scaleImages); got != tc.filter {
			t.Errorf("%+v: filter %v, want %v", tc, got, tc.filter)
		}
	}
}

func TestConvScaledErrors(t *testing.T) {
	dense, err := NewConv(convBase(24, 16, 4, 4, 1).params(), make([]float32, 16*24), nil)
	if err != nil {
		t.Fatal(err)
	}
	dw := convBase(24, 24, 4, 4, 3)
	dw.group = 24
	depth, err := NewConv(dw.params(), make([]float32, 24*9), nil)
	if err != nil {
		t.Fatal(err)
	}
	nchw, err := NewConvNCHW(convBase(3, 16, 4, 4, 1).params(), make([]float32, 16*3), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*2*16*Block)
	y := make([]float32, 2*1*16*Block)
	s := make([]float32, 2*2*Block)
	cases := []struct {
		name  string
		c     *Conv
		s     []float32
		sImgs int
		x     []float32
	}{
		{"depthwise", depth, s, 2, make([]float32, 2*2*16*Block)},
		{"nchw", nchw, s, 2, x},
		{"scale images 3", dense, append(s, s...), 3, x},
		{"scale images 0", dense, s, 0, x},
		{"short scale", dense, s[:len(s)-1], 2, x},
		{"short x", dense, s, 2, x[:len(x)-1]},
	}
	for _, tc := range cases {
		yy := y
		if tc.c == depth {
			yy = make([]float32, 2*2*16*Block)
		}
		if err := tc.c.RunScaled(tc.x, 2, 4, 4, tc.s, tc.sImgs, nil, yy, 1); err == nil {
			t.Errorf("%s: RunScaled accepted it", tc.name)
		}
	}
	if err := dense.RunScaled(x, 2, 4, 4, s, 2, nil, y, 1); err != nil {
		t.Errorf("valid call: %v", err)
	}
	if err := dense.RunScaled(x, 2, 4, 4, s[:2*Block], 1, nil, y, 1); err != nil {
		t.Errorf("valid shared-scale call: %v", err)
	}
}
