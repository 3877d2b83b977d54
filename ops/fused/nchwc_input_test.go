package fused_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// NchwcConv with input_layout "nchw" reads a plain NCHW X and writes a
// blocked Y: first layers on RGB images, compared with the ONNX definition.
func TestNchwcConvNCHWInput(t *testing.T) {
	type convCase struct {
		name               string
		n, c, h, w, m, k   int
		stride, dil        int
		attrs              []*graph.Attribute
		padT, padL, oh, ow int // resolved, for the reference
		act                string
		params             []float32
		bias, residual     bool
		lazy               bool // pads depend on the input size: W is not released
	}
	layout := opstest.String("input_layout", "nchw")
	cases := []convCase{
		{name: "7x7 stride 2 relu", n: 2, c: 3, h: 15, w: 13, m: 64, k: 7, stride: 2, dil: 1,
			attrs: []*graph.Attribute{opstest.Ints("pads", 3, 3, 3, 3), opstest.Ints("strides", 2, 2)}, padT: 3, padL: 3, oh: 8, ow: 7,
			act: "Relu", bias: true},
		{name: "3x3 one channel, residual, clip", n: 2, c: 1, h: 9, w: 10, m: 40, k: 3, stride: 1, dil: 1,
			attrs: []*graph.Attribute{opstest.Ints("pads", 1, 0, 1, 2)}, padT: 1, padL: 0, oh: 9, ow: 10,
			act: "Clip", params: []float32{-0.5, 0.5}, residual: true},
		{name: "same upper stride 2 hardswish", n: 1, c: 3, h: 11, w: 8, m: 32, k: 3, stride: 2, dil: 1,
			attrs: []*graph.Attribute{opstest.String("auto_pad", "SAME_UPPER"), opstest.Ints("strides", 2, 2)}, padT: 1, padL: 0, oh: 6, ow: 4,
			act: "HardSwish", bias: true, lazy: true},
		{name: "dilated 4 channels", n: 1, c: 4, h: 9, w: 9, m: 8, k: 3, stride: 1, dil: 2,
			attrs: []*graph.Attribute{opstest.Ints("dilations", 2, 2)}, oh: 5, ow: 5, bias: true},
	}
	rng := rand.New(rand.NewSource(7))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randNormal(rng, tc.n, tc.c, tc.h, tc.w)
			w := randNormal(rng, tc.m, tc.c, tc.k, tc.k)
			var b, z *tensor.Tensor
			if tc.bias {
				b = randNormal(rng, tc.m)
			}
			if tc.residual {
				z = randNormal(rng, tc.n, tc.m, tc.oh, tc.ow)
			}
			want := convRef(x, w, b, z, 1, tc.stride, tc.dil, tc.padT, tc.padL, tc.oh, tc.ow, tc.act, tc.params)
			attrs := append([]*graph.Attribute{layout}, tc.attrs...)
			if tc.act != "" {
				attrs = append(attrs, actAttrs(tc.act, tc.params...)...)
			}
			inputs := []*tensor.Tensor{x, w, b}
			if z != nil {
				inputs = append(inputs, toBlocked(z, -2))
			}
			for _, threads := range []int{1, 2} {
				out, n, err := nchwcOp("NchwcConv", attrs, inputs, []bool{false, true, true}, threads)
				if err != nil {
					t.Fatal(err)
				}
				got := fromBlocked(t, out[0], tc.m)
				if err := opstest.Close(got, want, 1e-4, 1e-4); err != nil {
					t.Errorf("threads %d: %v", threads, err)
				}
				released := len(n.Consumed) > 1 && n.Consumed[1]
				if released == tc.lazy {
					t.Errorf("W consumed = %v, want %v", released, !tc.lazy)
				}
			}
		})
	}
}

func TestNchwcConvNCHWInputErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	x := randNormal(rng, 1, 3, 6, 6)
	w := randNormal(rng, 8, 3, 3, 3)
	layout := opstest.String("input_layout", "nchw")
	consts := []bool{false, true}
	for _, tc := range []struct {
		name   string
		attrs  []*graph.Attribute
		inputs []*tensor.Tensor
		want   string
	}{
		{"unknown layout", []*graph.Attribute{opstest.String("input_layout", "nhwc")}, []*tensor.Tensor{x, w}, "input_layout"},
		{"depthwise", []*graph.Attribute{layout, opstest.Int("group", 3)}, []*tensor.Tensor{x, randNormal(rng, 3, 1, 3, 3)}, "group 1"},
		{"blocked X", []*graph.Attribute{layout}, []*tensor.Tensor{toBlocked(x, 0), w}, "NCHW"},
		{"channels", []*graph.Attribute{layout}, []*tensor.Tensor{randNormal(rng, 1, 4, 6, 6), w}, "NCHW [N, 3, H, W]"},
		{"float64 X", []*graph.Attribute{layout}, []*tensor.Tensor{tensor.New([]int{1, 3, 1, 1}, []float64{1, 2, 3}), w}, "float32"},
		{"too small", []*graph.Attribute{layout}, []*tensor.Tensor{randNormal(rng, 1, 3, 2, 6), w}, "smaller"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := nchwcOp("NchwcConv", tc.attrs, tc.inputs, consts, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
