package fused_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/fused"
	"github.com/gonyx/gonyx/ops/opstest"
)

// nchwcOp builds gonyx op typ with the given inputs (constant ones marked
// as load-time constants) and runs it with threads goroutines and
// NaN-filled recycled output memory.
func nchwcOp(typ string, attrs []*graph.Attribute, inputs []*tensor.Tensor, consts []bool, threads int) ([]tensor.Value, *ops.Node, error) {
	g := &graph.Node{Name: "test", OpType: typ, Domain: fused.Domain, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for _, a := range attrs {
		g.Attrs[a.Name] = a
	}
	n := &ops.Node{Node: g, Opset: 1, Consts: make([]*tensor.Tensor, len(inputs))}
	vals := make([]tensor.Value, len(inputs))
	for i, t := range inputs {
		name := ""
		if t != nil {
			name = fmt.Sprintf("in%d", i)
			vals[i] = t
			if i < len(consts) && consts[i] {
				n.Consts[i] = t
			}
		}
		g.Inputs = append(g.Inputs, name)
	}
	b, ok := ops.Lookup(fused.Domain, typ, 1)
	if !ok {
		return nil, n, fmt.Errorf("no kernel for %s", typ)
	}
	k, err := b(n)
	if err != nil {
		return nil, n, fmt.Errorf("build: %w", err)
	}
	rc := &ops.RunContext{Ctx: context.Background(), Threads: threads, Alloc: opstest.NaNAlloc{}}
	out, err := k.Run(rc, vals)
	return out, n, err
}

// toBlocked stores x [N, C, H, W] as [N, ceil(C/16), H, W, 16], padding
// channels set to pad (any finite value must do).
func toBlocked(x *tensor.Tensor, pad float32) *tensor.Tensor {
	s := x.Shape()
	n, c, hw := s[0], s[1], s[2]*s[3]
	cb := (c + 15) / 16
	xd := tensor.Data[float32](x)
	y := make([]float32, n*cb*hw*16)
	for i := range y {
		y[i] = pad
	}
	for in := 0; in < n; in++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				y[((in*cb+ch/16)*hw+p)*16+ch%16] = xd[(in*c+ch)*hw+p]
			}
		}
	}
	return tensor.New([]int{n, cb, s[2], s[3], 16}, y)
}

// fromBlocked drops the padding channels of a blocked tensor.
func fromBlocked(t *testing.T, y tensor.Value, c int) *tensor.Tensor {
	t.Helper()
	yt, ok := y.(*tensor.Tensor)
	if !ok || yt.Rank() != 5 || yt.Shape()[4] != 16 || yt.Shape()[1] != (c+15)/16 {
		t.Fatalf("output %v is not blocked for %d channels", y, c)
	}
	s := yt.Shape()
	n, cb, hw := s[0], s[1], s[2]*s[3]
	yd := tensor.Data[float32](yt)
	out := make([]float32, n*c*hw)
	for in := 0; in < n; in++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				out[(in*c+ch)*hw+p] = yd[((in*cb+ch/16)*hw+p)*16+ch%16]
			}
		}
	}
	return tensor.New([]int{n, c, s[2], s[3]}, out)
}

func randNormal(rng *rand.Rand, shape ...int) *tensor.Tensor {
	v := make([]float32, ops.Product(shape))
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensor.New(shape, v)
}

// act64 applies a FusedConv activation as the ONNX operators define it.
func act64(name string, p []float32, v float64) float64 {
	switch name {
	case "Relu":
		return math.Max(0, v)
	case "Clip":
		return math.Min(math.Max(v, float64(p[0])), float64(p[1]))
	case "Sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "LeakyRelu":
		if v < 0 {
			return float64(p[0]) * v
		}
		return v
	case "HardSwish":
		return v * math.Max(0, math.Min(1, v/6+0.5))
	case "Tanh":
		return math.Tanh(v)
	}
	return v
}

// convRef is Conv (+ Z, + activation) from the ONNX definition in float64:
// y[n][m][oy][ox] = B[m] + Σ x[n][g·cg+c][oy·s−padT+ky·d][ox·s−padL+kx·d]·W[m][c][ky][kx].
func convRef(x, w, b, z *tensor.Tensor, group, stride, dil int, padT, padL, oh, ow int, act string, params []float32) *tensor.Tensor {
	xs, ws := x.Shape(), w.Shape()
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	m, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	mg := m / group
	xv, wv := x.Float64s(), w.Float64s()
	y := make([]float32, n*m*oh*ow)
	for in := 0; in < n; in++ {
		for om := 0; om < m; om++ {
			g := om / mg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var s float64
					if b != nil {
						s = b.Float64s()[om]
					}
					for ic := 0; ic < cg; ic++ {
						ch := g*cg + ic
						for ky := 0; ky < kh; ky++ {
							iy := oy*stride - padT + ky*dil
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < kw; kx++ {
								ix := ox*stride - padL + kx*dil
								if ix < 0 || ix >= wd {
									continue
								}
								s += xv[((in*c+ch)*h+iy)*wd+ix] * wv[((om*cg+ic)*kh+ky)*kw+kx]
							}
						}
					}
					o := ((in*m+om)*oh+oy)*ow + ox
					if z != nil {
						zs := z.Shape()
						zi := 0
						for d, v := range []int{in, om, oy, ox} {
							if zs[d] != 1 {
								zi = zi*zs[d] + v
							} else {
								zi *= zs[d]
							}
						}
						s += z.Float64s()[zi]
					}
					y[o] = float32(act64(act, params, s))
				}
			}
		}
	}
	return tensor.New([]int{n, m, oh, ow}, y)
}

func TestNchwcConv(t *testing.T) {
	type convCase struct {
		name                 string
		n, c, h, w, m, k     int
		group, stride, dil   int
		attrs                []*graph.Attribute
		padT, padL, oh, ow   int // resolved, for the reference
		act                  string
		params               []float32
		bias, residual, zOne bool
		lazy                 bool // pads depend on the input size: W is not released
	}
	pads := func(t, l, b, r int64) *graph.Attribute { return opstest.Ints("pads", t, l, b, r) }
	cases := []convCase{
		{name: "dense 3x3", n: 2, c: 20, h: 7, w: 9, m: 24, k: 3, group: 1, stride: 1, dil: 1,
			attrs: []*graph.Attribute{pads(1, 1, 1, 1)}, padT: 1, padL: 1, oh: 7, ow: 9, bias: true},
		{name: "dense 1x1 stride 2 relu", n: 2, c: 24, h: 8, w: 7, m: 40, k: 1, group: 1, stride: 2, dil: 1,
			attrs: []*graph.Attribute{opstest.Ints("strides", 2, 2)}, oh: 4, ow: 4, act: "Relu", bias: true},
		{name: "dense few channels, clip", n: 1, c: 3, h: 6, w: 5, m: 16, k: 3, group: 1, stride: 2, dil: 1,
			attrs: []*graph.Attribute{pads(1, 0, 1, 2), opstest.Ints("strides", 2, 2), opstest.Ints("kernel_shape", 3, 3)}, padT: 1, padL: 0, oh: 3, ow: 3, act: "Clip", params: []float32{0, 6}},
		{name: "dense 5x5 dilated, residual, leaky", n: 2, c: 16, h: 9, w: 10, m: 17, k: 5, group: 1, stride: 1, dil: 2,
			attrs: []*graph.Attribute{pads(4, 4, 4, 4), opstest.Ints("dilations", 2, 2)}, padT: 4, padL: 4, oh: 9, ow: 10,
			act: "LeakyRelu", params: []float32{0.1}, bias: true, residual: true},
		{name: "depthwise 3x3 stride 2, sigmoid", n: 2, c: 40, h: 9, w: 8, m: 40, k: 3, group: 40, stride: 2, dil: 1,
			attrs: []*graph.Attribute{pads(1, 1, 1, 1), opstest.Ints("strides", 2, 2), opstest.Int("group", 40)}, padT: 1, padL: 1, oh: 5, ow: 4, act: "Sigmoid", bias: true},
		{name: "depthwise 7x7 residual broadcast", n: 2, c: 24, h: 8, w: 8, m: 24, k: 7, group: 24, stride: 1, dil: 1,
			attrs: []*graph.Attribute{pads(3, 3, 3, 3), opstest.Int("group", 24)}, padT: 3, padL: 3, oh: 8, ow: 8,
			act: "HardSwish", residual: true, zOne: true},
		// SAME_UPPER, stride 2: rows 8 → 4 with pads 0+1, columns 7 → 4 with 1+1.
		{name: "same upper stride 2", n: 2, c: 16, h: 8, w: 7, m: 24, k: 3, group: 1, stride: 2, dil: 1,
			attrs: []*graph.Attribute{opstest.String("auto_pad", "SAME_UPPER"), opstest.Ints("strides", 2, 2)}, padT: 0, padL: 1, oh: 4, ow: 4, bias: true, lazy: true},
		{name: "same lower stride 2 depthwise", n: 1, c: 24, h: 8, w: 7, m: 24, k: 3, group: 24, stride: 2, dil: 1,
			attrs: []*graph.Attribute{opstest.String("auto_pad", "SAME_LOWER"), opstest.Ints("strides", 2, 2), opstest.Int("group", 24)}, padT: 1, padL: 1, oh: 4, ow: 4, lazy: true},
		{name: "same lower stride 1", n: 1, c: 16, h: 5, w: 6, m: 16, k: 4, group: 1, stride: 1, dil: 1,
			attrs: []*graph.Attribute{opstest.String("auto_pad", "SAME_LOWER")}, padT: 2, padL: 2, oh: 5, ow: 6, act: "Tanh"},
		{name: "valid", n: 1, c: 16, h: 5, w: 6, m: 8, k: 3, group: 1, stride: 1, dil: 1,
			attrs: []*graph.Attribute{opstest.String("auto_pad", "VALID"), pads(1, 1, 1, 1)}, oh: 3, ow: 4},
	}
	rng := rand.New(rand.NewSource(1))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randNormal(rng, tc.n, tc.c, tc.h, tc.w)
			w := randNormal(rng, tc.m, tc.c/tc.group, tc.k, tc.k)
			var b, z *tensor.Tensor
			if tc.bias {
				b = randNormal(rng, tc.m)
			}
			if tc.residual {
				if tc.zOne {
					z = randNormal(rng, tc.n, tc.m, 1, 1)
				} else {
					z = randNormal(rng, tc.n, tc.m, tc.oh, tc.ow)
				}
			}
			want := convRef(x, w, b, z, tc.group, tc.stride, tc.dil, tc.padT, tc.padL, tc.oh, tc.ow, tc.act, tc.params)
			attrs := append([]*graph.Attribute(nil), tc.attrs...)
			if tc.act != "" {
				attrs = append(attrs, actAttrs(tc.act, tc.params...)...)
			}
			inputs := []*tensor.Tensor{toBlocked(x, 3.5), w, b}
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

// ReorderInput matches toBlocked with zero padding, and ReorderOutput
// drops whatever the padding holds.
func TestNchwcReorder(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, c := range []int{1, 16, 20, 40} {
		x := randNormal(rng, 2, c, 3, 5)
		out, _, err := nchwcOp("ReorderInput", []*graph.Attribute{opstest.Int("channels", int64(c))}, []*tensor.Tensor{x}, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := opstest.Close(out[0].(*tensor.Tensor), toBlocked(x, 0), 0, 0); err != nil {
			t.Errorf("ReorderInput C=%d: %v", c, err)
		}
		back, _, err := nchwcOp("ReorderOutput", []*graph.Attribute{opstest.Int("channels", int64(c))}, []*tensor.Tensor{toBlocked(x, 9)}, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := opstest.Close(back[0].(*tensor.Tensor), x, 0, 0); err != nil {
			t.Errorf("ReorderOutput C=%d: %v", c, err)
		}
	}
}

// poolRef is MaxPool/AveragePool from the ONNX definition on one plane
// set, with resolved pads and output size.
func poolRef(x *tensor.Tensor, isMax, countPad bool, k, s, d [2]int, padB, padE [2]int, out [2]int) *tensor.Tensor {
	xs := x.Shape()
	planes, in := xs[0]*xs[1], [2]int{xs[2], xs[3]}
	xv := x.Float64s()
	y := make([]float32, planes*out[0]*out[1])
	for p := 0; p < planes; p++ {
		for oy := 0; oy < out[0]; oy++ {
			for ox := 0; ox < out[1]; ox++ {
				best, sum, taps, padTaps := math.Inf(-1), 0.0, 0, 0
				for ky := 0; ky < k[0]; ky++ {
					iy := oy*s[0] - padB[0] + ky*d[0]
					for kx := 0; kx < k[1]; kx++ {
						ix := ox*s[1] - padB[1] + kx*d[1]
						if iy >= -padB[0] && iy < in[0]+padE[0] && ix >= -padB[1] && ix < in[1]+padE[1] {
							padTaps++
						}
						if iy < 0 || iy >= in[0] || ix < 0 || ix >= in[1] {
							continue
						}
						v := xv[(p*in[0]+iy)*in[1]+ix]
						best, sum, taps = math.Max(best, v), sum+v, taps+1
					}
				}
				var v float64
				switch {
				case taps == 0:
				case isMax:
					v = best
				case countPad:
					v = sum / float64(padTaps)
				default:
					v = sum / float64(taps)
				}
				y[(p*out[0]+oy)*out[1]+ox] = float32(v)
			}
		}
	}
	return tensor.New([]int{xs[0], xs[1], out[0], out[1]}, y)
}

func TestNchwcPool(t *testing.T) {
	type poolCase struct {
		name       string
		max, cip   bool
		h, w       int
		attrs      []*graph.Attribute
		k, s, d    [2]int
		padB, padE [2]int
		out        [2]int
	}
	one := [2]int{1, 1}
	cases := []poolCase{
		{name: "max 3x3 s2 pad1", max: true, h: 9, w: 8, k: [2]int{3, 3}, s: [2]int{2, 2}, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 3, 3), opstest.Ints("strides", 2, 2), opstest.Ints("pads", 1, 1, 1, 1)},
			padB:  one, padE: one, out: [2]int{5, 4}},
		// ceil_mode: rows (9−3)/2 → 4 windows, columns ceil((8−3)/2)+1 = 4.
		{name: "max ceil", max: true, h: 9, w: 8, k: [2]int{3, 3}, s: [2]int{2, 2}, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 3, 3), opstest.Ints("strides", 2, 2), opstest.Int("ceil_mode", 1)},
			out:   [2]int{4, 4}},
		{name: "max same lower dilated", max: true, h: 7, w: 6, k: [2]int{2, 3}, s: one, d: [2]int{2, 1},
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 2, 3), opstest.Ints("dilations", 2, 1), opstest.String("auto_pad", "SAME_LOWER")},
			padB:  [2]int{1, 1}, padE: [2]int{1, 1}, out: [2]int{7, 6}},
		{name: "avg count pad", cip: true, h: 6, w: 7, k: [2]int{3, 3}, s: one, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 3, 3), opstest.Ints("pads", 1, 1, 1, 1), opstest.Int("count_include_pad", 1)},
			padB:  one, padE: one, out: [2]int{6, 7}},
		{name: "avg exclude pad, ceil, asymmetric", h: 7, w: 7, k: [2]int{2, 2}, s: [2]int{2, 2}, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2), opstest.Ints("strides", 2, 2), opstest.Ints("pads", 0, 1, 1, 0), opstest.Int("ceil_mode", 1)},
			padB:  [2]int{0, 1}, padE: [2]int{1, 0}, out: [2]int{4, 4}},
		// SAME_UPPER stride 2 on 8: 4 outputs, pads 0+1.
		{name: "avg same upper", h: 8, w: 8, k: [2]int{3, 3}, s: [2]int{2, 2}, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 3, 3), opstest.Ints("strides", 2, 2), opstest.String("auto_pad", "SAME_UPPER")},
			padE:  one, out: [2]int{4, 4}},
		{name: "avg valid", h: 5, w: 6, k: [2]int{2, 2}, s: one, d: one,
			attrs: []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2), opstest.String("auto_pad", "VALID")},
			out:   [2]int{4, 5}},
	}
	rng := rand.New(rand.NewSource(3))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randNormal(rng, 2, 24, tc.h, tc.w)
			want := poolRef(x, tc.max, tc.cip, tc.k, tc.s, tc.d, tc.padB, tc.padE, tc.out)
			op := "NchwcAveragePool"
			if tc.max {
				op = "NchwcMaxPool"
			}
			out, _, err := nchwcOp(op, tc.attrs, []*tensor.Tensor{toBlocked(x, 1)}, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := opstest.Close(fromBlocked(t, out[0], 24), want, 1e-5, 1e-6); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestNchwcGlobalAveragePool(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	x := randNormal(rng, 2, 20, 5, 3)
	xv := x.Float64s()
	want := make([]float32, 2*20)
	for p := range want {
		var s float64
		for _, v := range xv[p*15 : (p+1)*15] {
			s += v
		}
		want[p] = float32(s / 15)
	}
	out, _, err := nchwcOp("NchwcGlobalAveragePool", nil, []*tensor.Tensor{toBlocked(x, 5)}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := opstest.Close(fromBlocked(t, out[0], 20), tensor.New([]int{2, 20, 1, 1}, want), 1e-5, 1e-6); err != nil {
		t.Error(err)
	}
}

// Bad attributes fail at load, bad inputs at run time, with an error.
func TestNchwcErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	x := toBlocked(randNormal(rng, 1, 20, 4, 4), 0)
	w := randNormal(rng, 8, 20, 3, 3)
	dw := randNormal(rng, 20, 1, 3, 3)
	consts := []bool{false, true, true, true}
	for _, tc := range []struct {
		name   string
		op     string
		attrs  []*graph.Attribute
		inputs []*tensor.Tensor
		consts []bool
		want   string
	}{
		{"runtime W", "NchwcConv", nil, []*tensor.Tensor{x, w}, []bool{false, false}, "constant"},
		{"grouped", "NchwcConv", []*graph.Attribute{opstest.Int("group", 2)}, []*tensor.Tensor{x, randNormal(rng, 8, 10, 3, 3)}, consts, "neither dense"},
		{"3-D weights", "NchwcConv", nil, []*tensor.Tensor{x, randNormal(rng, 8, 20, 3)}, consts, "constant float32"},
		{"kernel_shape", "NchwcConv", []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2)}, []*tensor.Tensor{x, w}, consts, "kernel_shape"},
		{"auto_pad", "NchwcConv", []*graph.Attribute{opstest.String("auto_pad", "SAME")}, []*tensor.Tensor{x, w}, consts, "auto_pad"},
		{"pads length", "NchwcConv", []*graph.Attribute{opstest.Ints("pads", 1, 1)}, []*tensor.Tensor{x, w}, consts, "pads"},
		{"activation", "NchwcConv", actAttrs("Swish"), []*tensor.Tensor{x, w}, consts, "activation"},
		{"unknown attribute", "NchwcConv", []*graph.Attribute{opstest.Int("foo", 1)}, []*tensor.Tensor{x, w}, consts, "foo"},
		{"bias length", "NchwcConv", nil, []*tensor.Tensor{x, w, randNormal(rng, 7)}, consts, "B must"},
		{"NCHW input", "NchwcConv", nil, []*tensor.Tensor{randNormal(rng, 1, 20, 4, 4), w}, consts, "blocked"},
		{"wrong blocks", "NchwcConv", nil, []*tensor.Tensor{x, randNormal(rng, 8, 40, 3, 3)}, consts, "channel blocks"},
		{"too small", "NchwcConv", nil, []*tensor.Tensor{toBlocked(randNormal(rng, 1, 20, 2, 2), 0), w}, consts, "smaller"},
		{"residual shape", "NchwcConv", []*graph.Attribute{opstest.Int("group", 20), opstest.Ints("pads", 1, 1, 1, 1)},
			[]*tensor.Tensor{x, dw, nil, toBlocked(randNormal(rng, 1, 20, 3, 4), 0)}, consts, "broadcast"},
		{"float64", "ReorderInput", nil, []*tensor.Tensor{tensor.New([]int{1, 1, 1, 1}, []float64{1})}, nil, "float32"},
		{"reorder channels", "ReorderInput", []*graph.Attribute{opstest.Int("channels", 3)}, []*tensor.Tensor{randNormal(rng, 1, 4, 2, 2)}, nil, "want 3"},
		{"reorder rank", "ReorderInput", nil, []*tensor.Tensor{randNormal(rng, 4, 2, 2)}, nil, "[N, C, H, W]"},
		{"no channels", "ReorderOutput", nil, []*tensor.Tensor{x}, nil, "channels must be positive"},
		{"channels mismatch", "ReorderOutput", []*graph.Attribute{opstest.Int("channels", 40)}, []*tensor.Tensor{x}, nil, "channel blocks"},
		{"no kernel_shape", "NchwcMaxPool", nil, []*tensor.Tensor{x}, nil, "kernel_shape is required"},
		{"3-D pool", "NchwcMaxPool", []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2, 2)}, []*tensor.Tensor{x}, nil, "kernel_shape"},
		{"pool too big", "NchwcAveragePool", []*graph.Attribute{opstest.Ints("kernel_shape", 5, 5)}, []*tensor.Tensor{x}, nil, "does not fit"},
		{"max count_include_pad", "NchwcMaxPool", []*graph.Attribute{opstest.Ints("kernel_shape", 2, 2), opstest.Int("count_include_pad", 1)}, []*tensor.Tensor{x}, nil, "count_include_pad"},
		{"gap rank", "NchwcGlobalAveragePool", nil, []*tensor.Tensor{randNormal(rng, 1, 20, 4, 4)}, nil, "blocked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := nchwcOp(tc.op, tc.attrs, tc.inputs, tc.consts, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// NchwcMul is Mul: channel scales of either operand order and batch, and
// the general broadcast it hands to ai.onnx Mul.
func TestNchwcMul(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	// mulRef multiplies with numpy broadcasting over rank-5 shapes.
	mulRef := func(a, b *tensor.Tensor) *tensor.Tensor {
		as, bs := a.Shape(), b.Shape()
		out := make([]int, 5)
		for i := range out {
			out[i] = max(as[i], bs[i])
		}
		av, bv := a.Float64s(), b.Float64s()
		at := func(v []float64, s []int, idx [5]int) float64 {
			o := 0
			for i := range s {
				if s[i] != 1 {
					o = o*s[i] + idx[i]
				} else {
					o *= s[i]
				}
			}
			return v[o]
		}
		y := make([]float32, ops.Product(out))
		k := 0
		var idx [5]int
		for idx[0] = 0; idx[0] < out[0]; idx[0]++ {
			for idx[1] = 0; idx[1] < out[1]; idx[1]++ {
				for idx[2] = 0; idx[2] < out[2]; idx[2]++ {
					for idx[3] = 0; idx[3] < out[3]; idx[3]++ {
						for idx[4] = 0; idx[4] < out[4]; idx[4]++ {
							y[k] = float32(at(av, as, idx) * at(bv, bs, idx))
							k++
						}
					}
				}
			}
		}
		return tensor.New(out, y)
	}
	for _, tc := range []struct {
		name   string
		sa, sb []int
	}{
		{"scale second", []int{2, 3, 5, 7, 16}, []int{2, 3, 1, 1, 16}},
		{"scale first", []int{2, 3, 1, 1, 16}, []int{2, 3, 5, 7, 16}},
		{"scale over the batch", []int{2, 3, 9, 17, 16}, []int{1, 3, 1, 1, 16}},
		{"large plane", []int{1, 2, 20, 20, 16}, []int{1, 2, 1, 1, 16}},
		{"equal shapes", []int{2, 3, 4, 4, 16}, []int{2, 3, 4, 4, 16}},
		{"row broadcast", []int{2, 3, 4, 4, 16}, []int{2, 3, 1, 4, 16}},
		{"both 1x1", []int{2, 3, 1, 1, 16}, []int{1, 3, 1, 1, 16}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := randNormal(rng, tc.sa...), randNormal(rng, tc.sb...)
			for _, threads := range []int{1, 2} {
				out, _, err := nchwcOp("NchwcMul", nil, []*tensor.Tensor{a, b}, nil, threads)
				if err != nil {
					t.Fatal(err)
				}
				if err := opstest.Close(out[0].(*tensor.Tensor), mulRef(a, b), 0, 0); err != nil {
					t.Errorf("threads %d: %v", threads, err)
				}
			}
		})
	}
	if _, _, err := nchwcOp("NchwcMul", nil, []*tensor.Tensor{randNormal(rng, 2, 3), randNormal(rng, 3, 2)}, nil, 1); err == nil {
		t.Error("Mul of [2 3] and [3 2]: no error")
	}
}

// BenchmarkNchwcMul compares the squeeze-excite scaling in the blocked
// layout with ai.onnx Mul on the NCHW equivalent.
func BenchmarkNchwcMul(b *testing.B) {
	rng := rand.New(rand.NewSource(6))
	for _, sz := range [][3]int{{32, 112, 112}, {144, 56, 56}, {672, 14, 14}, {1152, 7, 7}} {
		c, h, w := sz[0], sz[1], sz[2]
		x, s := randNormal(rng, 1, c, h, w), randNormal(rng, 1, c, 1, 1)
		xb, sb := toBlocked(x, 0), toBlocked(s, 0)
		run := func(b *testing.B, typ, domain string, a, c *tensor.Tensor) {
			g := &graph.Node{Name: "m", OpType: typ, Domain: domain, Inputs: []string{"a", "b"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{}}
			opset := 1
			if domain == "" {
				opset = 14
			}
			bld, _ := ops.Lookup(domain, typ, opset)
			k, err := bld(&ops.Node{Node: g, Opset: opset, Consts: make([]*tensor.Tensor, 2)})
			if err != nil {
				b.Fatal(err)
			}
			rc := &ops.RunContext{Ctx: context.Background(), Threads: 1, Alloc: &reuseAlloc{}}
			in := []tensor.Value{a, c}
			for i := 0; i < b.N; i++ {
				if _, err := k.Run(rc, in); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("%dx%dx%d/blocked", c, h, w), func(b *testing.B) { run(b, "NchwcMul", fused.Domain, xb, sb) })
		b.Run(fmt.Sprintf("%dx%dx%d/nchw", c, h, w), func(b *testing.B) { run(b, "Mul", "", x, s) })
	}
}

// reuseAlloc hands out one buffer again and again, as the engine's pool
// does in steady state.
type reuseAlloc struct{ buf []float32 }

func (r *reuseAlloc) Float32(n int) []float32 {
	if cap(r.buf) < n {
		r.buf = make([]float32, n)
	}
	return r.buf[:n]
}
