package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
)

// attnOpts varies the exported attention score path.
type attnOpts struct {
	scaleOp   string // "Div", "Mul" or "" (no scaling)
	noMask    bool
	axis      int64 // Softmax axis; 0 means -1
	kPerm     []int64
	extraUser bool // the scores are also a graph output
}

// attentionModel writes BERT's attention over q, k, v [2, 4, 2, 3]
// (batch, seq, heads, head size) with a [2, 1, 1, 4] additive mask.
func attentionModel(o attnOpts) *graph.Model {
	if o.axis == 0 {
		o.axis = -1
	}
	if o.kPerm == nil {
		o.kPerm = []int64{0, 2, 3, 1}
	}
	b := newBuilder(17).in("q", 2, 4, 2, 3).in("k", 2, 4, 2, 3).in("v", 2, 4, 2, 3).in("mask", 2, 1, 1, 4).out("y")
	b.node("Transpose", ins("q"), ins("qT"), aInts("perm", 0, 2, 1, 3))
	b.node("Transpose", ins("k"), ins("kT"), aInts("perm", o.kPerm...))
	b.node("MatMul", ins("qT", "kT"), ins("s"))
	x := "s"
	switch o.scaleOp {
	case "Div":
		b.constant("c", scalar(1.7320508))
		b.node("Div", ins("s", "c"), ins("ss"))
		x = "ss"
	case "Mul":
		b.constant("c", scalar(0.57735026))
		b.node("Mul", ins("c", "s"), ins("ss"))
		x = "ss"
	}
	if !o.noMask {
		b.node("Add", ins(x, "mask"), ins("sa"))
		x = "sa"
	}
	b.node("Softmax", ins(x), ins("p"), aInt("axis", o.axis))
	b.node("Transpose", ins("v"), ins("vT"), aInts("perm", 0, 2, 1, 3))
	b.node("MatMul", ins("p", "vT"), ins("o"))
	b.node("Transpose", ins("o"), ins("y"), aInts("perm", 0, 2, 1, 3))
	if o.extraUser {
		b.out("s")
	}
	return b.m
}

func TestAttentionFusion(t *testing.T) {
	unfused := []string{
		"Transpose(q)->qT perm=[0 2 1 3]",
		"Transpose(k)->kT perm=[0 2 3 1]",
		"MatMul(qT,kT)->s",
		"Constant()->c",
		"Div(s,c)->ss",
		"Add(ss,mask)->sa",
		"Softmax(sa)->p axis=-1",
		"Transpose(v)->vT perm=[0 2 1 3]",
		"MatMul(p,vT)->o",
		"Transpose(o)->y perm=[0 2 1 3]",
	}
	runPassCases(t, "attention", []passCase{
		{
			name:     "div and mask",
			build:    func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Div"}) },
			want:     []string{"gonyx.Attention(q,k,v,mask)->y scale=0.57735026"},
			rewrites: 1,
		},
		{
			name:     "mul, no mask",
			build:    func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Mul", noMask: true}) },
			want:     []string{"gonyx.Attention(q,k,v)->y scale=0.57735026"},
			rewrites: 1,
		},
		{
			name:     "no scale",
			build:    func() *graph.Model { return attentionModel(attnOpts{}) },
			want:     []string{"gonyx.Attention(q,k,v,mask)->y scale=1"},
			rewrites: 1,
		},
		{
			name:  "softmax over another axis",
			build: func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Div", axis: 2}) },
			want: append(append([]string(nil), unfused[:6]...), "Softmax(sa)->p axis=2",
				unfused[7], unfused[8], unfused[9]),
			noRun: true,
		},
		{
			name:  "K not transposed to [0 2 3 1]",
			build: func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Div", kPerm: []int64{0, 2, 1, 3}}) },
			want:  append([]string{unfused[0], "Transpose(k)->kT perm=[0 2 1 3]"}, unfused[2:]...),
			noRun: true,
		},
		{
			name:  "scores read elsewhere",
			build: func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Div", extraUser: true}) },
			want:  unfused,
		},
		{
			name:  "no kernel",
			build: func() *graph.Model { return attentionModel(attnOpts{scaleOp: "Div"}) },
			has:   onlyONNX,
			want:  unfused,
		},
	})
}

func TestGeluFold(t *testing.T) {
	build := func(approx string) func() *graph.Model {
		return func() *graph.Model {
			b := newBuilder(17).in("a", 2, 3).out("y")
			b.m.Opsets["gonyx"] = 1
			b.init("w", f32([]int{3, 2}, 1, -1, 0.5, 2, -2, 0.25))
			b.init("bias", f32([]int{2}, 0.1, -0.2))
			mm := b.node("FusedMatMul", ins("a", "w", "bias"), ins("h"))
			mm.Domain = "gonyx"
			g := b.node("Gelu", ins("h"), ins("y"))
			if approx != "" {
				g.Attrs["approximate"] = &graph.Attribute{Name: "approximate", Type: graph.AttrString, S: []byte(approx)}
			} else {
				g.Domain = "gonyx"
			}
			return b.m
		}
	}
	b20 := func() *graph.Model {
		m := build("none")()
		m.Opsets[""] = 20
		return m
	}
	runPassCases(t, "gelu-fold", []passCase{
		{
			name:     "gonyx.Gelu",
			build:    build(""),
			want:     []string{"gonyx.FusedMatMul(a,w,bias)->y activation=Gelu"},
			rewrites: 1,
		},
		{
			name:     "Gelu-20 exact",
			build:    b20,
			want:     []string{"gonyx.FusedMatMul(a,w,bias)->y activation=Gelu"},
			rewrites: 1,
		},
		{
			name: "Gelu-20 tanh approximation",
			build: func() *graph.Model {
				m := build("tanh")()
				m.Opsets[""] = 20
				return m
			},
			want: []string{"gonyx.FusedMatMul(a,w,bias)->h", "Gelu(h)->y approximate=tanh"},
		},
	})
}
