package nchwc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gonyx/gonyx/ops/linalg"
)

// nchwCheck runs tc through NewConvNCHW at the active CPU level (x plain
// NCHW, y and z blocked) and compares with convRef on the real channels;
// every element of y must be written.
func nchwCheck(t *testing.T, tc convCase, threads int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(tc.inC*131+tc.outC), uint64(tc.h*7+tc.w+tc.kh)))
	x := convRand(rng, tc.n*tc.inC*tc.h*tc.w)
	w := convRand(rng, tc.outC*tc.inC*tc.kh*tc.kw)
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
	c, err := NewConvNCHW(tc.params(), convF32(w), bias)
	if err != nil {
		t.Fatalf("%v: NewConvNCHW: %v", tc, err)
	}
	if !c.NCHWInput() {
		t.Fatalf("%v: NCHWInput() = false", tc)
	}
	var zb []float32
	if z != nil {
		// Padding channels of z hold garbage that must not reach a real
		// channel.
		zb = convBlockIn(z, tc.n, tc.outC, oh*ow, -7)
	}
	// Padding through strips, then through a zero-bordered copy.
	old := nchwCopyMax
	defer func() { nchwCopyMax = old }()
	for _, nchwCopyMax = range []int{0, 1 << 30} {
		nchwCompare(t, tc, c, convF32(x), zb, want, oh, ow, threads)
	}
}

// nchwCompare runs c on x (and zb) and compares y with want.
func nchwCompare(t *testing.T, tc convCase, c *Conv, x, zb []float32, want []float64, oh, ow, threads int) {
	t.Helper()
	yb := make([]float32, tc.n*Blocks(tc.outC)*oh*ow*Block)
	for i := range yb {
		yb[i] = float32(math.NaN())
	}
	if err := c.Run(x, tc.n, tc.h, tc.w, zb, yb, threads); err != nil {
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
						t.Errorf("%v threads %d copy max %d: y[n%d c%d px%d] = %v, want %v", tc, threads, nchwCopyMax, n, oc, p, gv, wv)
					}
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v threads %d: %d wrong values", tc, threads, bad)
	}
}

// nchwForGroups runs f with each number of output blocks per kernel call
// the packing supports (the AVX-512 kernels exist for 1 to 4).
func nchwForGroups(t *testing.T, f func(t *testing.T)) {
	old := nchwGroup
	defer func() { nchwGroup = old }()
	for _, g := range []int{1, 2, 3, 4} {
		nchwGroup = g
		t.Run("group"+string(rune('0'+g)), f)
	}
}

func TestConvNCHWChannels(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		nchwForGroups(t, func(t *testing.T) {
			for _, ic := range []int{1, 3, 4, 7} {
				for _, oc := range []int{8, 16, 32, 40, 64} {
					tc := convBase(ic, oc, 5, 13, 3)
					tc.n = 2
					nchwCheck(t, tc, 1)
				}
			}
		})
	})
}

func TestConvNCHWKernelsStridesPads(t *testing.T) {
	var cases []convCase
	for _, k := range []int{1, 3, 5, 7} {
		for _, s := range []int{1, 2} {
			for pi, pads := range [][4]int{{0, 0, 0, 0}, {k / 2, k / 2, k / 2, k / 2}, {1, 0, 2, 3}, {3, 2, 0, 1}} {
				for _, w := range []int{1, 7, 14, 31} {
					tc := convBase(3, 40, 9, w, k)
					tc.sh, tc.sw, tc.pads = s, s, pads
					if (w+pi)%2 == 1 {
						tc.inC, tc.outC = 1, 64
					}
					if tc.w+pads[1]+pads[3] < k || tc.h+pads[0]+pads[2] < k {
						continue
					}
					cases = append(cases, tc)
				}
			}
		}
	}
	// Dilation, mixed strides and strides the assembly has no variant for.
	odd := convBase(3, 32, 11, 23, 3)
	odd.sh, odd.sw = 1, 3
	cases = append(cases, odd)
	odd.sh, odd.sw, odd.kw = 3, 2, 1
	odd.pads = [4]int{1, 0, 1, 0}
	cases = append(cases, odd)
	dil := convBase(4, 24, 12, 19, 3)
	dil.dh, dil.dw, dil.pads = 2, 3, [4]int{2, 3, 1, 2}
	cases = append(cases, dil)
	convForLevels(t, func(t *testing.T) {
		for _, tc := range cases {
			nchwCheck(t, tc, 1)
		}
	})
}

// TestConvNCHWFirstLayers runs the first convolutions of the reference
// models on reduced images.
func TestConvNCHWFirstLayers(t *testing.T) {
	r50 := convBase(3, 64, 30, 37, 7) // resnet50: 7×7 stride 2 pad 3
	r50.sh, r50.sw, r50.act = 2, 2, linalg.ActRelu
	mb2 := convBase(3, 32, 17, 24, 3) // mobilenet_v2: 3×3 stride 2 pad 1, Relu6
	mb2.sh, mb2.sw, mb2.act, mb2.beta = 2, 2, linalg.ActClip, 6
	eff := mb2 // efficientnet_b0: SiLU
	eff.act, eff.beta = linalg.ActSiLU, 0
	sq := convBase(3, 64, 21, 21, 3) // squeezenet1_1: 3×3 stride 2, no pad
	sq.sh, sq.sw, sq.pads, sq.act = 2, 2, [4]int{}, linalg.ActRelu
	mnist := convBase(1, 32, 28, 28, 3)
	mnist.act = linalg.ActRelu
	convForLevels(t, func(t *testing.T) {
		for _, tc := range []convCase{r50, mb2, eff, sq, mnist} {
			nchwCheck(t, tc, 2)
		}
	})
}

func TestConvNCHWWidths(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		for w := 1; w <= 30; w++ {
			tc := convBase(3, 48, 3, w, 3)
			if w%3 == 0 {
				tc.kh, tc.kw, tc.pads = 1, 1, [4]int{}
			}
			if w%4 == 1 {
				tc.sw, tc.sh = 2, 2
			}
			nchwCheck(t, tc, 1)
		}
	})
}

func TestConvNCHWEpilogues(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		for i, a := range convEpilogueActs {
			for _, res := range []bool{false, true} {
				tc := convBase(3, 24+16*(i%3), 5, 9+i, 3)
				tc.n, tc.act, tc.alpha, tc.beta, tc.res = 2, a.a, a.alpha, a.beta, res
				tc.noBias = i%4 == 3
				if i%2 == 1 {
					tc.kh, tc.kw, tc.pads = 7, 7, [4]int{3, 3, 3, 3}
					tc.sh, tc.sw = 2, 2
				}
				nchwCheck(t, tc, 1+i%2)
			}
		}
	})
}

func TestConvNCHWThreads(t *testing.T) {
	// The last case has filters large enough to split the block groups
	// between work items (groupBytes) and rows that take several
	// assembly calls (callFlops).
	cases := []convCase{convBase(3, 64, 14, 14, 7), convBase(7, 40, 12, 17, 3), convBase(1, 8, 7, 7, 1), convBase(7, 512, 6, 40, 11)}
	cases[0].n, cases[1].n = 2, 2
	cases[1].res, cases[1].act = true, linalg.ActRelu
	cases[2].sh, cases[2].sw, cases[2].pads = 2, 2, [4]int{}
	convForLevels(t, func(t *testing.T) {
		for _, tc := range cases {
			for _, th := range []int{1, 2} {
				nchwCheck(t, tc, th)
			}
		}
	})
}

// TestConvNCHWEveryVariant makes rows of exactly r output pixels, so each
// generated kernel runs as a single segment.
func TestConvNCHWEveryVariant(t *testing.T) {
	convForLevels(t, func(t *testing.T) {
		nchwForGroups(t, func(t *testing.T) {
			for _, oc := range []int{16, 32, 48, 64} {
				if Blocks(oc) > nchwGroup && oc != 64 {
					continue
				}
				for s := 1; s <= 2; s++ {
					for r := 1; r <= 12; r++ {
						tc := convBase(3, oc, 3, s*(r-1)+1, 3)
						tc.sh, tc.sw = s, s
						if r%2 == 0 {
							tc.res, tc.act = true, linalg.ActRelu
						}
						nchwCheck(t, tc, 1)
					}
				}
			}
		})
	})
}

func TestConvNCHWErrors(t *testing.T) {
	p := ConvParams{InC: 3, OutC: 5, Group: 1, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Residual: true}
	if _, err := NewConvNCHW(ConvParams{InC: 4, OutC: 4, Group: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1}, make([]float32, 4*9), nil); err == nil {
		t.Error("NewConvNCHW accepted a depthwise convolution")
	}
	if _, err := NewConvNCHW(p, make([]float32, 5*3*9-1), nil); err == nil {
		t.Error("NewConvNCHW accepted short weights")
	}
	bad := p
	bad.KH = 0
	if _, err := NewConvNCHW(bad, make([]float32, 5*3*9), nil); err == nil {
		t.Error("NewConvNCHW accepted a zero kernel")
	}
	c, err := NewConvNCHW(p, make([]float32, 5*3*9), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*3*6*6)
	y := make([]float32, 2*1*4*4*Block)
	for _, tc := range []struct {
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
	} {
		if err := c.Run(tc.x, tc.n, tc.h, tc.w, tc.z, tc.y, 1); err == nil {
			t.Errorf("%s: Run accepted it", tc.name)
		}
	}
	if err := c.Run(x, 2, 6, 6, y, y, 1); err != nil {
		t.Errorf("valid call: %v", err)
	}
}
