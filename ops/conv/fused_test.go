package conv

import (
	"context"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/opstest"
)

// refAct is the activation by its textbook formula.
func refAct(f Fusion, v float64) float64 {
	a, b := float64(f.Alpha), float64(f.Beta)
	switch f.Act {
	case linalg.ActRelu:
		return math.Max(v, 0)
	case linalg.ActClip:
		return math.Min(math.Max(v, a), b)
	case linalg.ActLeakyRelu:
		if v < 0 {
			return a * v
		}
	case linalg.ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	case linalg.ActSiLU:
		return v / (1 + math.Exp(-v))
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

func TestNewFused(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	acts := []Fusion{{Act: linalg.ActRelu}, {Act: linalg.ActClip, Alpha: 0, Beta: 0.5}, {Act: linalg.ActLeakyRelu, Alpha: 0.1},
		{Act: linalg.ActSigmoid}, {Act: linalg.ActSiLU}, {Act: linalg.ActHardSigmoid, Alpha: 0.2, Beta: 0.5},
		{Act: linalg.ActHardSwish}, {Act: linalg.ActTanh}, {Act: linalg.ActGelu}, {Act: linalg.ActNone}}
	type shape struct {
		c, m, group, h, w, k, s, pad int
		zShape                       func(m, oh, ow int) []int
	}
	full := func(m, oh, ow int) []int { return []int{2, m, oh, ow} }
	perCh := func(m, oh, ow int) []int { return []int{m, 1, 1} }
	shapes := []shape{
		{c: 6, m: 6, group: 6, h: 19, w: 21, k: 3, s: 1, pad: 1, zShape: full},   // depthwise
		{c: 4, m: 8, group: 4, h: 9, w: 40, k: 3, s: 2, pad: 1, zShape: perCh},   // depthwise ×2
		{c: 5, m: 7, group: 1, h: 12, w: 11, k: 3, s: 1, pad: 1, zShape: full},   // im2col GEMM
		{c: 16, m: 24, group: 1, h: 10, w: 10, k: 1, s: 1, pad: 0, zShape: full}, // pointwise GEMM
		{c: 6, m: 4, group: 2, h: 8, w: 8, k: 3, s: 2, pad: 0, zShape: perCh},    // grouped
	}
	for si, sh := range shapes {
		oh := (sh.h+2*sh.pad-sh.k)/sh.s + 1
		ow := (sh.w+2*sh.pad-sh.k)/sh.s + 1
		xs := []int{2, sh.c, sh.h, sh.w}
		ws := []int{sh.m, sh.c / sh.group, sh.k, sh.k}
		x, w, b := randVals(rng, ops.Product(xs)), randVals(rng, ops.Product(ws)), randVals(rng, sh.m)
		zs := sh.zShape(sh.m, oh, ow)
		z := randVals(rng, ops.Product(zs))
		conv := naiveConv(x, xs, w, ws, b, sh.group, []int{sh.s, sh.s}, []int{1, 1}, []int{sh.pad, sh.pad}, []int{oh, ow})
		ys := []int{2, sh.m, oh, ow}
		zi := ops.BroadcastIndex(ys, zs)[0]
		attrs := map[string]*graph.Attribute{}
		for _, a := range []*graph.Attribute{opstest.Int("group", int64(sh.group)), opstest.Ints("strides", int64(sh.s), int64(sh.s)),
			opstest.Ints("pads", int64(sh.pad), int64(sh.pad), int64(sh.pad), int64(sh.pad))} {
			attrs[a.Name] = a
		}
		for ai, f := range acts {
			f.Residual = ai%2 == 0
			want := make([]float64, len(conv))
			for i, v := range conv {
				if f.Residual {
					v += z[zi[i]]
				}
				want[i] = refAct(f, v)
			}
			node := &ops.Node{Node: &graph.Node{OpType: "FusedConv", Attrs: attrs, Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}}, Opset: 1}
			if f.Residual {
				node.Inputs = append(node.Inputs, "z")
			}
			for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
				conv := func(v []float64, s []int) *tensor.Tensor { c, _ := tensor.Convert(tensor.New(s, v), dt); return c }
				in := []tensor.Value{conv(x, xs), conv(w, ws), conv(b, []int{sh.m})}
				if f.Residual {
					in = append(in, conv(z, zs))
				}
				node.Consts = []*tensor.Tensor{nil, in[1].(*tensor.Tensor), nil}
				k, err := NewFused(node, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range cpu.Levels() {
					withLevel(t, l, func() {
						out, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 2}, in)
						if err != nil {
							t.Fatalf("shape %d act %+v: %v", si, f, err)
						}
						if err := opstest.Close(out[0].(*tensor.Tensor), conv(want, ys), 1e-4, 1e-4); err != nil {
							t.Fatalf("shape %d act %+v %v level %v: %v", si, f, dt, l, err)
						}
					})
				}
			}
		}
	}
}

func TestNewFusedErrors(t *testing.T) {
	node := &ops.Node{Node: &graph.Node{OpType: "FusedConv", Attrs: map[string]*graph.Attribute{}, Inputs: []string{"x", "w"}, Outputs: []string{"y"}}, Opset: 1}
	if _, err := NewFused(node, Fusion{Residual: true}); err == nil {
		t.Fatal("residual without input 3: want an error")
	}
	if _, err := NewFused(node, Fusion{Act: linalg.Activation(99)}); err == nil {
		t.Fatal("unknown activation: want an error")
	}
	node.Inputs = []string{"x", "w", "", "z"}
	k, err := NewFused(node, Fusion{Residual: true})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New([]int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	w := tensor.New([]int{1, 1, 1, 1}, []float32{2})
	if _, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 1}, []tensor.Value{x, w, nil, tensor.New([]int{3}, []float32{1, 2, 3})}); err == nil {
		t.Fatal("Z not broadcastable to Y: want an error")
	}
	out, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 1}, []tensor.Value{x, w, nil, tensor.New([]int{2}, []float32{10, 20})})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[float32](out[0].(*tensor.Tensor)); got[0] != 12 || got[1] != 24 || got[2] != 16 || got[3] != 28 {
		t.Fatalf("got %v, want [12 24 16 28]", got)
	}
}
