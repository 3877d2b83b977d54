package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/opstest"
)

// naiveMaxPool2D is MaxPool by definition: the max over the window taps
// inside the input (pads never win).
func naiveMaxPool2D(x []float32, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow int) []float32 {
	y := make([]float32, c*oh*ow)
	for ch := 0; ch < c; ch++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m := float32(math.Inf(-1))
				for a := 0; a < kh; a++ {
					for b := 0; b < kw; b++ {
						ih, iw := i*sh+a*dh-pt, j*sw+b*dw-pl
						if ih >= 0 && ih < h && iw >= 0 && iw < w {
							m = max(m, x[(ch*h+ih)*w+iw])
						}
					}
				}
				y[(ch*oh+i)*ow+j] = m
			}
		}
	}
	return y
}

func TestMaxPool2DRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	type tc struct{ h, w, kh, kw, sh, sw, dh, pt, pl, pb, pr int }
	cases := []tc{
		{112, 112, 3, 3, 2, 2, 1, 0, 0, 0, 0}, // resnet stem (with pads below)
		{112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1},
		{55, 55, 3, 3, 2, 2, 1, 0, 0, 1, 1}, // squeezenet ceil mode = extra end pad
		{9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1},
		{8, 8, 2, 2, 2, 2, 1, 0, 0, 0, 0},
		{7, 9, 5, 4, 3, 3, 2, 2, 1, 2, 3},
		{40, 75, 3, 3, 2, 2, 1, 0, 0, 0, 0}, // vector blocks plus tails
		{37, 130, 3, 3, 2, 2, 1, 1, 1, 1, 1},
		{20, 67, 3, 3, 1, 1, 1, 1, 1, 1, 1},
	}
	for i := 0; i < 30; i++ {
		k := tc{h: 1 + rng.Intn(15), w: 1 + rng.Intn(15), kh: 1 + rng.Intn(4), kw: 1 + rng.Intn(4), sh: 1 + rng.Intn(3), sw: 1 + rng.Intn(3), dh: 1 + rng.Intn(2)}
		k.pt, k.pl, k.pb, k.pr = rng.Intn(k.kh), rng.Intn(k.kw), rng.Intn(k.kh), rng.Intn(k.kw)
		cases = append(cases, k)
	}
	for ci, k := range cases {
		oh := (k.h+k.pt+k.pb-(k.kh-1)*k.dh-1)/k.sh + 1
		ow := (k.w+k.pl+k.pr-k.kw)/k.sw + 1
		if oh < 1 || ow < 1 || k.h+k.pt+k.pb < (k.kh-1)*k.dh+1 || k.w+k.pl+k.pr < k.kw {
			continue
		}
		const c = 3
		x := make([]float32, c*k.h*k.w)
		for i := range x {
			x[i] = float32(rng.Intn(1000)) - 500
		}
		want := naiveMaxPool2D(x, c, k.h, k.w, k.kh, k.kw, k.sh, k.sw, k.dh, 1, k.pt, k.pl, oh, ow)
		o := op("MaxPool", 12, ints("kernel_shape", int64(k.kh), int64(k.kw)), ints("strides", int64(k.sh), int64(k.sw)),
			ints("dilations", int64(k.dh), 1), ints("pads", int64(k.pt), int64(k.pl), int64(k.pb), int64(k.pr)))
		for _, l := range cpu.Levels() {
			old := cpu.Active
			cpu.Active = l
			got, err := opstest.Run(o, tensor.New([]int{1, c, k.h, k.w}, x))
			cpu.Active = old
			if err != nil {
				t.Fatalf("case %d %+v: %v", ci, k, err)
			}
			if err := opstest.Close(got[0], tensor.New([]int{1, c, oh, ow}, want), 0, 0); err != nil {
				t.Fatal(fmt.Sprintf("case %d %+v level %v: %v", ci, k, l, err))
			}
		}
	}
}
