package optimize_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/engine/tensor"
)

func optimizeAll(m *graph.Model) (optimize.Report, error) {
	return optimize.Optimize(m, hasKernel)
}

// blockModel is a small CNN block using every pass: Identity, Conv+BN+Relu,
// Conv + bias Add + residual Add + Relu, then a bias MatMul written as
// MatMul+Add with GELU written out.
func blockModel() *graph.Model {
	b := newBuilder(17).in("x", 1, 2, 4, 4).out("y")
	b.init("W1", f32([]int{2, 2, 3, 3}, seq(36, 0.1)...))
	b.init("gamma", f32([]int{2}, 1.5, 0.5))
	b.init("beta", f32([]int{2}, 0.1, -0.1))
	b.init("mean", f32([]int{2}, 0.2, -0.3))
	b.init("var", f32([]int{2}, 1.2, 0.8))
	b.init("W2", f32([]int{2, 2, 1, 1}, 0.5, -1, 1, 0.25))
	b.init("k", f32([]int{1, 2, 1, 1}, 0.3, -0.4))
	b.init("M", f32([]int{4, 3}, seq(12, 0.2)...))
	b.init("bias", f32([]int{3}, 0.1, 0.2, 0.3))
	b.node("Identity", ins("x"), ins("xi"))
	b.node("Conv", ins("xi", "W1"), ins("c1"), aInts("pads", 1, 1, 1, 1))
	b.node("BatchNormalization", ins("c1", "gamma", "beta", "mean", "var"), ins("bn"))
	b.node("Relu", ins("bn"), ins("r1"))
	b.node("Conv", ins("r1", "W2"), ins("c2"))
	b.node("Add", ins("c2", "k"), ins("c2b"))
	b.node("Add", ins("c2b", "xi"), ins("res"))
	b.node("Relu", ins("res"), ins("r2"))
	b.node("MatMul", ins("r2", "M"), ins("mm"))
	b.node("Add", ins("mm", "bias"), ins("h"))
	b.constant("sqrt2", scalar(float32(math.Sqrt2)))
	b.constant("one", scalar(1))
	b.constant("half", scalar(0.5))
	b.node("Div", ins("h", "sqrt2"), ins("u"))
	b.node("Erf", ins("u"), ins("e"))
	b.node("Add", ins("e", "one"), ins("a"))
	b.node("Mul", ins("h", "a"), ins("m"))
	b.node("Mul", ins("m", "half"), ins("y"))
	return b.m
}

// seq is n values step·(i − n/2).
func seq(n int, step float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = step * float32(i-n/2)
	}
	return v
}

func TestOptimizeAllPasses(t *testing.T) {
	m := blockModel()
	rep, err := optimizeAll(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"gonyx.FusedConv(x,W1_bnfold,beta_bnfold)->r1 activation=Relu pads=[1 1 1 1]",
		"gonyx.FusedConv(r1,W2,k_convbias,x)->r2 activation=Relu",
		"gonyx.FusedMatMul(r2,M,bias)->y activation=Gelu",
	}
	if got := describe(m.Graph); !sameLines(got, want) {
		t.Errorf("nodes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	wantStats := []optimize.PassStat{
		{Name: "dead-code", NodesBefore: 18, NodesAfter: 17, Rewrites: 1},
		{Name: "conv-bn", NodesBefore: 17, NodesAfter: 16, Rewrites: 1},
		{Name: "bias", NodesBefore: 16, NodesAfter: 14, Rewrites: 2},
		{Name: "activation", NodesBefore: 14, NodesAfter: 11, Rewrites: 2},
		{Name: "pattern", NodesBefore: 11, NodesAfter: 4, Rewrites: 1},
		{Name: "gelu-fold", NodesBefore: 4, NodesAfter: 3, Rewrites: 1},
		{Name: "attention", NodesBefore: 3, NodesAfter: 3, Rewrites: 0},
		{Name: "layout", NodesBefore: 3, NodesAfter: 3, Rewrites: 0},
	}
	if len(rep.Passes) != len(wantStats) {
		t.Fatalf("report:\n%s", rep)
	}
	for i, w := range wantStats {
		if rep.Passes[i] != w {
			t.Errorf("pass %d: %+v, want %+v", i, rep.Passes[i], w)
		}
	}
	if m.Opsets["gonyx"] != 1 || m.Opsets[""] != 17 {
		t.Errorf("opsets %v", m.Opsets)
	}
	sameResults(t, blockModel(), m)

	// A second run finds nothing to do.
	rep2, err := optimizeAll(m)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Rewrites() != 0 {
		t.Errorf("second run rewrote:\n%s", rep2)
	}
}

func TestOptimizeNoGonyxKernels(t *testing.T) {
	m := blockModel()
	if _, err := optimize.Optimize(m, onlyONNX); err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		if n.Domain != "" {
			t.Errorf("emitted %s.%s without its kernel", n.Domain, n.OpType)
		}
	}
	if _, ok := m.Opsets["gonyx"]; ok {
		t.Errorf("opsets %v: gonyx imported with no gonyx node", m.Opsets)
	}
	sameResults(t, blockModel(), m)
}

func TestOptimizeOtherGonyxVersion(t *testing.T) {
	m := blockModel()
	m.Opsets["gonyx"] = 2
	if _, err := optimizeAll(m); err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		if n.Domain != "" {
			t.Errorf("emitted %s.%s into a model importing gonyx version 2", n.Domain, n.OpType)
		}
	}
	if m.Opsets["gonyx"] != 2 {
		t.Errorf("opsets %v", m.Opsets)
	}
}

// TestOptimizeSubgraph checks that passes reach If branches, and that a
// branch's fusion may use constants of the enclosing graph.
func TestOptimizeSubgraph(t *testing.T) {
	build := func() *graph.Model {
		b := newBuilder(17).in("x", 1, 2, 3, 3).inTyped("c", ttype(tensor.Bool)).out("y")
		b.init("W", f32([]int{2, 2, 1, 1}, 1, -2, 0.5, 1))
		then := newBuilder(17).out("t")
		then.node("Conv", ins("x", "W"), ins("tc"))
		then.node("Relu", ins("tc"), ins("t"))
		els := newBuilder(17).out("e")
		els.node("Identity", ins("x"), ins("xi"))
		els.node("Neg", ins("xi"), ins("e"))
		b.node("If", ins("c"), ins("y"), aGraph("then_branch", then.g), aGraph("else_branch", els.g))
		return b.m
	}
	m := build()
	rep, err := optimizeAll(m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rewrites() != 2 {
		t.Errorf("report:\n%s", rep)
	}
	then := m.Graph.Nodes[0].Attrs["then_branch"].G
	if got, want := describe(then), []string{"gonyx.FusedConv(x,W)->t activation=Relu"}; !sameLines(got, want) {
		t.Errorf("then branch %v, want %v", got, want)
	}
	els := m.Graph.Nodes[0].Attrs["else_branch"].G
	if got, want := describe(els), []string{"Neg(x)->e"}; !sameLines(got, want) {
		t.Errorf("else branch %v, want %v", got, want)
	}
	for _, c := range []bool{true, false} {
		m1, m2 := build(), build()
		if _, err := optimizeAll(m2); err != nil {
			t.Fatal(err)
		}
		// Fix the branch taken: c becomes a constant.
		for _, mm := range []*graph.Model{m1, m2} {
			mm.Graph.Inputs = mm.Graph.Inputs[:1]
			mm.Graph.Initializers["c"] = tensor.Scalar(c)
		}
		sameResults(t, m1, m2)
	}
}

// TestOptimizeMalformed feeds nodes with wrong input counts and attribute
// types: the passes must leave them alone, not fail.
func TestOptimizeMalformed(t *testing.T) {
	b := newBuilder(17).in("x", 1, 2, 3, 3).out("y1", "y2", "y3", "y4", "y5", "y6")
	b.init("W", f32([]int{2, 2, 1, 1}, 1, 2, 3, 4))
	b.init("p", f32([]int{2}, 1, 1))
	b.node("Conv", ins("x"), ins("c1"))
	b.node("BatchNormalization", ins("c1", "p"), ins("y1"))
	b.node("Conv", ins("x", "W"), ins("c2"))
	b.node("BatchNormalization", ins("c2", "p", "p", "p", "p"), ins("y2"), &graph.Attribute{Name: "epsilon", Type: graph.AttrString, S: []byte("x")})
	b.node("Conv", ins("x", "W"), ins("c3"))
	b.node("Clip", ins("c3", "p", "p", "p", "p"), ins("y3"))
	b.node("Identity", nil, ins("y4"))
	b.node("Dropout", ins("x", "", "", "x"), ins("d"))
	b.node("Relu", ins("d"), ins("y5"))
	b.node("Conv", ins("x", "W"), ins("c4"))
	b.node("LeakyRelu", ins("c4"), ins("y6"), aInts("alpha", 1))
	b.node("ReduceMean", ins("x"), ins("rm"), aInts("axes"))
	b.node("Sub", ins("x"), ins("sub"))
	b.node("Erf", nil, ins("erf"))
	b.node("Mul", ins("erf"), ins("mul"))
	before := describe(b.g)
	rep, err := optimizeAll(b.m)
	if err != nil {
		t.Fatal(err)
	}
	got := describe(b.g)
	// Only the nodes nothing reads may go.
	for _, line := range got {
		found := false
		for _, w := range before {
			found = found || w == line
		}
		if !found {
			t.Errorf("malformed graph rewritten: %s", line)
		}
	}
	if rep.Passes[0].Rewrites != 4 {
		t.Errorf("report:\n%s", rep)
	}
}

func TestReportString(t *testing.T) {
	r := optimize.Report{Passes: []optimize.PassStat{{Name: "dead-code", NodesBefore: 10, NodesAfter: 8, Rewrites: 2}}}
	s := r.String()
	if !strings.Contains(s, "dead-code") || !strings.Contains(s, "10") || !strings.Contains(s, "8") {
		t.Errorf("report %q", s)
	}
}

func TestOptimizeNil(t *testing.T) {
	if _, err := optimize.Optimize(nil, hasKernel); err != nil {
		t.Error(err)
	}
	if _, err := optimize.Optimize(&graph.Model{}, nil); err != nil {
		t.Error(err)
	}
}

// TestOptimizeInvalidGraphs leaves graphs with a cycle or a value defined
// twice untouched, so the executor reports them as it would without the
// passes.
func TestOptimizeInvalidGraphs(t *testing.T) {
	for name, build := range map[string]func() *graph.Model{
		"cycle": func() *graph.Model {
			b := newBuilder(17).in("x", 2).out("y")
			b.node("Identity", ins("b"), ins("a"))
			b.node("Identity", ins("a"), ins("b"))
			b.node("Add", ins("x", "b"), ins("y"))
			b.node("Relu", ins("x"), ins("dead"))
			return b.m
		},
		"defined twice": func() *graph.Model {
			b := newBuilder(17).in("x", 2).out("y")
			b.node("Relu", ins("x"), ins("y"))
			b.node("Neg", ins("x"), ins("y"))
			return b.m
		},
		"output shadows an input": func() *graph.Model {
			b := newBuilder(17).in("x", 2).out("y")
			b.node("Relu", ins("x"), ins("x"))
			b.node("Neg", ins("x"), ins("y"))
			return b.m
		},
	} {
		m := build()
		before := describe(m.Graph)
		rep, err := optimizeAll(m)
		if err != nil || rep.Rewrites() != 0 || !sameLines(describe(m.Graph), before) {
			t.Errorf("%s: rewritten (err %v):\n%s", name, err, rep)
		}
		if _, err := engine.FromIR(m); err == nil {
			t.Errorf("%s: the engine accepts the graph", name)
		}
	}
}

// TestOptimizeShadowingFunction leaves a model alone when a model-local
// function in the default domain could redefine an operator.
func TestOptimizeShadowingFunction(t *testing.T) {
	m := blockModel()
	m.Functions = []*graph.Function{{Name: "Relu", Inputs: []string{"X"}, Outputs: []string{"Y"},
		Nodes: []*graph.Node{{OpType: "Neg", Inputs: []string{"X"}, Outputs: []string{"Y"}}}}}
	before := describe(m.Graph)
	rep, err := optimizeAll(m)
	if err != nil || rep.Rewrites() != 0 || !sameLines(describe(m.Graph), before) {
		t.Errorf("rewritten (err %v):\n%s", err, rep)
	}
}
