package fused_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// scaleChannels64 is x ⊙ s for x [N, C, H, W] and s [N or 1, C, 1, 1]
// (the squeeze-excite Mul NchwcConv's S stands for).
func scaleChannels64(x, s *tensor.Tensor) *tensor.Tensor {
	xs, ss := x.Shape(), s.Shape()
	n, c, hw := xs[0], xs[1], xs[2]*xs[3]
	xv, sv := x.Float64s(), s.Float64s()
	out := make([]float32, len(xv))
	for in := 0; in < n; in++ {
		si := in
		if ss[0] == 1 {
			si = 0
		}
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				i := (in*c+ch)*hw + p
				out[i] = float32(xv[i] * sv[si*c+ch])
			}
		}
	}
	return tensor.New(xs, out)
}

// TestNchwcConvScaled: NchwcConv(X, W, B, Z, S) equals the reference conv of
// X ⊙ S, with a scale per image or one for all.
func TestNchwcConvScaled(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, tc := range []struct {
		name              string
		n, c, h, w, m     int
		k, sn             int
		residual, sigmoid bool
	}{
		{"1x1 per image", 2, 40, 14, 14, 24, 1, 2, false, false},
		{"1x1 shared residual", 2, 96, 7, 7, 40, 1, 1, true, false},
		{"3x3 sigmoid", 2, 24, 6, 9, 40, 3, 2, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := randNormal(rng, tc.n, tc.c, tc.h, tc.w)
			w := randNormal(rng, tc.m, tc.c, tc.k, tc.k)
			b := randNormal(rng, tc.m)
			s := randNormal(rng, tc.sn, tc.c, 1, 1)
			var z *tensor.Tensor
			if tc.residual {
				z = randNormal(rng, tc.n, tc.m, tc.h, tc.w)
			}
			p := int64(tc.k / 2)
			attrs := []*graph.Attribute{opstest.Ints("pads", p, p, p, p)}
			act := ""
			if tc.sigmoid {
				act = "Sigmoid"
				attrs = append(attrs, actAttrs(act)...)
			}
			want := convRef(scaleChannels64(x, s), w, b, z, 1, 1, 1, tc.k/2, tc.k/2, tc.h, tc.w, act, nil)
			inputs := []*tensor.Tensor{toBlocked(x, 3.5), w, b, nil, toBlocked(s, 1e3)}
			if z != nil {
				inputs[3] = toBlocked(z, -2)
			}
			for _, threads := range []int{1, 2} {
				out, _, err := nchwcOp("NchwcConv", attrs, inputs, []bool{false, true, true}, threads)
				if err != nil {
					t.Fatal(err)
				}
				if err := opstest.Close(fromBlocked(t, out[0], tc.m), want, 1e-4, 1e-4); err != nil {
					t.Errorf("threads %d: %v", threads, err)
				}
			}
		})
	}
}

func TestNchwcConvScaledErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	x := toBlocked(randNormal(rng, 2, 24, 4, 4), 0)
	w := randNormal(rng, 16, 24, 1, 1)
	dw := randNormal(rng, 24, 1, 3, 3)
	for _, tc := range []struct {
		name   string
		attrs  []*graph.Attribute
		inputs []*tensor.Tensor
		want   string
	}{
		{"not a channel scale", nil, []*tensor.Tensor{x, w, nil, nil, toBlocked(randNormal(rng, 2, 24, 4, 4), 0)}, "channel scale"},
		{"batch mismatch", nil, []*tensor.Tensor{x, w, nil, nil, toBlocked(randNormal(rng, 3, 24, 1, 1), 0)}, "channel scale"},
		{"channel mismatch", nil, []*tensor.Tensor{x, w, nil, nil, toBlocked(randNormal(rng, 2, 40, 1, 1), 0)}, "channel blocks"},
		{"not blocked", nil, []*tensor.Tensor{x, w, nil, nil, randNormal(rng, 2, 24, 1, 1)}, "blocked"},
		{"depthwise", []*graph.Attribute{opstest.Int("group", 24), opstest.Ints("pads", 1, 1, 1, 1)},
			[]*tensor.Tensor{x, dw, nil, nil, toBlocked(randNormal(rng, 2, 24, 1, 1), 0)}, "dense"},
		{"nchw input", []*graph.Attribute{opstest.String("input_layout", "nchw")},
			[]*tensor.Tensor{randNormal(rng, 2, 24, 4, 4), w, nil, nil, toBlocked(randNormal(rng, 2, 24, 1, 1), 0)}, "dense"},
	} {
		_, _, err := nchwcOp("NchwcConv", tc.attrs, tc.inputs, []bool{false, true, true}, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
