package optimize_test

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// lnOpts varies the written-out LayerNorm.
type lnOpts struct {
	opset    int
	axes     []int64
	square   string // "Pow" or "Mul"
	noBeta   bool
	inRank   int // rank of x: 3 (shape 2×4×6) or 0 for undeclared
	gammaLen int // elements of γ and β (shape [gammaLen])
}

// layerNormModel writes LayerNorm over x as ReduceMean/Sub/Pow/ReduceMean/
// Add/Sqrt/Div/Mul/Add, with ε = 1e-5 and constants as Constant nodes.
func layerNormModel(o lnOpts) *graph.Model {
	if o.opset == 0 {
		o.opset = 17
	}
	if o.square == "" {
		o.square = "Pow"
	}
	if o.gammaLen == 0 {
		o.gammaLen = 6
	}
	b := newBuilder(o.opset).out("y")
	if o.inRank == 3 {
		b.in("x", 2, 4, 6)
	} else {
		b.inUnranked("x")
	}
	gv := make([]float32, o.gammaLen)
	bv := make([]float32, o.gammaLen)
	for i := range gv {
		gv[i] = 1 + 0.25*float32(i)
		bv[i] = 0.5 - 0.1*float32(i)
	}
	b.init("gamma", f32([]int{o.gammaLen}, gv...))
	b.init("beta", f32([]int{o.gammaLen}, bv...))
	reduce := func(in, out string) {
		if o.opset >= 18 {
			b.init(out+"_axes", tensor.New([]int{len(o.axes)}, o.axes))
			b.node("ReduceMean", ins(in, out+"_axes"), ins(out))
			return
		}
		b.node("ReduceMean", ins(in), ins(out), aInts("axes", o.axes...))
	}
	reduce("x", "mean")
	b.node("Sub", ins("x", "mean"), ins("d"))
	if o.square == "Pow" {
		b.constant("two", scalar(2))
		b.node("Pow", ins("d", "two"), ins("sq"))
	} else {
		b.node("Mul", ins("d", "d"), ins("sq"))
	}
	reduce("sq", "var")
	b.constant("eps", scalar(1e-5))
	b.node("Add", ins("var", "eps"), ins("ve"))
	b.node("Sqrt", ins("ve"), ins("sd"))
	b.node("Div", ins("d", "sd"), ins("n"))
	if o.noBeta {
		b.node("Mul", ins("n", "gamma"), ins("y"))
	} else {
		b.node("Mul", ins("gamma", "n"), ins("g"))
		b.node("Add", ins("g", "beta"), ins("y"))
	}
	return b.m
}

// geluModel writes x·0.5·(1+Erf(x/√2)) in one of the orders exporters use.
func geluModel(form string, sqrt2 float32) *graph.Model {
	b := newBuilder(17).in("x", 2, 8).out("y")
	b.constant("one", scalar(1))
	b.constant("half", scalar(0.5))
	switch form {
	case "div": // BERT: Mul(Mul(x, 1+erf), 0.5)
		b.constant("s", scalar(sqrt2))
		b.node("Div", ins("x", "s"), ins("u"))
	default:
		b.constant("s", scalar(1/sqrt2))
		b.node("Mul", ins("s", "x"), ins("u"))
	}
	b.node("Erf", ins("u"), ins("e"))
	b.node("Add", ins("one", "e"), ins("a"))
	switch form {
	case "div":
		b.node("Mul", ins("x", "a"), ins("m"))
		b.node("Mul", ins("m", "half"), ins("y"))
	case "halfFirst": // Mul(Mul(x, 0.5), 1+erf)
		b.node("Mul", ins("half", "x"), ins("h"))
		b.node("Mul", ins("a", "h"), ins("y"))
	case "halfInner": // Mul(x, Mul(1+erf, 0.5))
		b.node("Mul", ins("a", "half"), ins("m"))
		b.node("Mul", ins("m", "x"), ins("y"))
	}
	return b.m
}

func TestPattern(t *testing.T) {
	runPassCases(t, "pattern", []passCase{
		{
			name:     "layer norm over the last axis",
			build:    func() *graph.Model { return layerNormModel(lnOpts{axes: []int64{-1}, inRank: 3}) },
			want:     []string{"gonyx.LayerNormalization(x,gamma,beta)->y axis=-1 epsilon=1e-05"},
			rewrites: 1,
		},
		{
			name:     "layer norm without β, rank unknown",
			build:    func() *graph.Model { return layerNormModel(lnOpts{axes: []int64{-1}, noBeta: true, gammaLen: 4}) },
			want:     []string{"gonyx.LayerNormalization(x,gamma)->y axis=-1 epsilon=1e-05"},
			rewrites: 1,
		},
		{
			name: "layer norm over two axes, d·d, opset 18 axes input",
			build: func() *graph.Model {
				return layerNormModel(lnOpts{opset: 18, axes: []int64{-1, -2}, square: "Mul", inRank: 3})
			},
			want:     []string{"gonyx.LayerNormalization(x,gamma,beta)->y axis=-2 epsilon=1e-05"},
			rewrites: 1,
		},
		{
			name:     "positive axis with a known rank",
			build:    func() *graph.Model { return layerNormModel(lnOpts{axes: []int64{2}, inRank: 3}) },
			want:     []string{"gonyx.LayerNormalization(x,gamma,beta)->y axis=-1 epsilon=1e-05"},
			rewrites: 1,
		},
		{
			name:  "positive axis with an unknown rank stays",
			build: func() *graph.Model { return layerNormModel(lnOpts{axes: []int64{2}}) },
			want: []string{
				"ReduceMean(x)->mean axes=[2]", "Sub(x,mean)->d", "Constant()->two", "Pow(d,two)->sq",
				"ReduceMean(sq)->var axes=[2]", "Constant()->eps", "Add(var,eps)->ve", "Sqrt(ve)->sd",
				"Div(d,sd)->n", "Mul(gamma,n)->g", "Add(g,beta)->y",
			},
			noRun: true, // x has no shape to draw inputs from
		},
		{
			name:  "not the last axis stays",
			build: func() *graph.Model { return layerNormModel(lnOpts{axes: []int64{-2}, inRank: 3, gammaLen: 1}) },
			want: []string{
				"ReduceMean(x)->mean axes=[-2]", "Sub(x,mean)->d", "Constant()->two", "Pow(d,two)->sq",
				"ReduceMean(sq)->var axes=[-2]", "Constant()->eps", "Add(var,eps)->ve", "Sqrt(ve)->sd",
				"Div(d,sd)->n", "Mul(gamma,n)->g", "Add(g,beta)->y",
			},
		},
		{
			name: "an intermediate read elsewhere stays",
			build: func() *graph.Model {
				m := layerNormModel(lnOpts{axes: []int64{-1}, inRank: 3})
				m.Graph.Outputs = append(m.Graph.Outputs, graph.ValueInfo{Name: "sd"})
				return m
			},
			want: []string{
				"ReduceMean(x)->mean axes=[-1]", "Sub(x,mean)->d", "Constant()->two", "Pow(d,two)->sq",
				"ReduceMean(sq)->var axes=[-1]", "Constant()->eps", "Add(var,eps)->ve", "Sqrt(ve)->sd",
				"Div(d,sd)->n", "Mul(gamma,n)->g", "Add(g,beta)->y",
			},
		},
		{
			name:     "GELU as BERT writes it",
			build:    func() *graph.Model { return geluModel("div", float32(math.Sqrt2)) },
			want:     []string{"gonyx.Gelu(x)->y"},
			rewrites: 1,
		},
		{
			name:     "GELU with x·0.5 first and 1/√2 as a product",
			build:    func() *graph.Model { return geluModel("halfFirst", float32(math.Sqrt2)) },
			want:     []string{"gonyx.Gelu(x)->y"},
			rewrites: 1,
		},
		{
			name:     "GELU with (1+erf)·0.5 first",
			build:    func() *graph.Model { return geluModel("halfInner", float32(math.Sqrt2)) },
			want:     []string{"gonyx.Gelu(x)->y"},
			rewrites: 1,
		},
		{
			name:  "a wrong constant stays",
			build: func() *graph.Model { return geluModel("div", float32(math.Sqrt(3))) },
			want: []string{
				"Constant()->one", "Constant()->half", "Constant()->s", "Div(x,s)->u", "Erf(u)->e",
				"Add(one,e)->a", "Mul(x,a)->m", "Mul(m,half)->y",
			},
		},
		{
			name:  "no gonyx kernels: stays",
			build: func() *graph.Model { return geluModel("div", float32(math.Sqrt2)) },
			has:   onlyONNX,
			want: []string{
				"Constant()->one", "Constant()->half", "Constant()->s", "Div(x,s)->u", "Erf(u)->e",
				"Add(one,e)->a", "Mul(x,a)->m", "Mul(m,half)->y",
			},
		},
	})
}
