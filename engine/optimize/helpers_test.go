package optimize_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/engine/tensor"
)

// builder makes hand-written test graphs.
type builder struct {
	m *graph.Model
	g *graph.Graph
}

func newBuilder(opset int) *builder {
	g := &graph.Graph{Name: "test", Initializers: map[string]*tensor.Tensor{}}
	return &builder{m: &graph.Model{IRVersion: 8, Opsets: map[string]int{"": opset}, Graph: g}, g: g}
}

func ttype(dt tensor.DType, dims ...any) *graph.Type {
	t := &graph.Type{Kind: graph.KindTensor, Elem: dt, Shape: []graph.Dim{}}
	for _, d := range dims {
		switch x := d.(type) {
		case int:
			t.Shape = append(t.Shape, graph.Dim{Value: int64(x)})
		case string:
			t.Shape = append(t.Shape, graph.Dim{Value: -1, Param: x})
		}
	}
	return t
}

// in declares a float32 graph input of the given (fixed) shape.
func (b *builder) in(name string, dims ...int) *builder {
	b.g.Inputs = append(b.g.Inputs, graph.ValueInfo{Name: name, Type: ttype(tensor.Float32, anyDims(dims)...)})
	return b
}

// inUnranked declares a float32 graph input of unknown rank.
func (b *builder) inUnranked(name string) *builder {
	b.g.Inputs = append(b.g.Inputs, graph.ValueInfo{Name: name, Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}})
	return b
}

func (b *builder) inTyped(name string, t *graph.Type) *builder {
	b.g.Inputs = append(b.g.Inputs, graph.ValueInfo{Name: name, Type: t})
	return b
}

func (b *builder) out(names ...string) *builder {
	for _, n := range names {
		b.g.Outputs = append(b.g.Outputs, graph.ValueInfo{Name: n})
	}
	return b
}

func (b *builder) init(name string, t *tensor.Tensor) *builder {
	b.g.Initializers[name] = t
	b.g.InitializerOrder = append(b.g.InitializerOrder, name)
	return b
}

// node adds a node named after its first output.
func (b *builder) node(op string, ins, outs []string, attrs ...*graph.Attribute) *graph.Node {
	n := &graph.Node{Name: op + ":" + outs[0], OpType: op, Inputs: ins, Outputs: outs, Attrs: map[string]*graph.Attribute{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	b.g.Nodes = append(b.g.Nodes, n)
	return n
}

// constant adds a Constant node holding t.
func (b *builder) constant(name string, t *tensor.Tensor) {
	b.node("Constant", nil, []string{name}, &graph.Attribute{Name: "value", Type: graph.AttrTensor, T: t})
}

func anyDims(d []int) []any {
	out := make([]any, len(d))
	for i, v := range d {
		out[i] = v
	}
	return out
}

func ins(v ...string) []string { return v }

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

func scalar(v float32) *tensor.Tensor { return tensor.Scalar(v) }

func aInt(name string, v int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInt, I: v}
}

func aFloat(name string, v float32) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrFloat, F: v}
}

func aInts(name string, v ...int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInts, Ints: v}
}

func aGraph(name string, g *graph.Graph) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrGraph, G: g}
}

// all says every kernel exists.
func all(string, string, int) bool { return true }

// onlyONNX says only ai.onnx kernels exist.
func onlyONNX(d string, _ string, _ int) bool { return d == "" }

// describe prints a graph's nodes one per line: [domain.]Op(inputs)->outputs
// followed by attributes in name order; Constant values are left out.
func describe(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		s := fmt.Sprintf("%s(%s)->%s", op, strings.Join(n.Inputs, ","), strings.Join(n.Outputs, ","))
		if n.OpType != "Constant" {
			var attrs []string
			for k, a := range n.Attrs {
				attrs = append(attrs, k+"="+attrString(a))
			}
			sort.Strings(attrs)
			if len(attrs) > 0 {
				s += " " + strings.Join(attrs, " ")
			}
		}
		out = append(out, s)
	}
	return out
}

func attrString(a *graph.Attribute) string {
	switch a.Type {
	case graph.AttrInt:
		return fmt.Sprint(a.I)
	case graph.AttrFloat:
		return fmt.Sprint(a.F)
	case graph.AttrString:
		return string(a.S)
	case graph.AttrInts:
		return fmt.Sprint(a.Ints)
	case graph.AttrFloats:
		return fmt.Sprint(a.Floats)
	case graph.AttrGraph:
		return "graph"
	}
	return "?"
}

func sameLines(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// passCase is one table row: a fixture, the pass to run and the node list
// expected afterwards.
type passCase struct {
	name  string
	build func() *graph.Model
	has   func(string, string, int) bool // nil: all kernels exist
	want  []string
	// rewrites is the expected rewrite count.
	rewrites int
	// check runs extra assertions on the rewritten model.
	check func(t *testing.T, m *graph.Model)
	// noRun skips the engine comparison.
	noRun bool
}

// runPassCases runs each case's pass alone, compares the node list, then
// checks with the engine that the rewritten model computes what the
// original does.
func runPassCases(t *testing.T, pass string, cases []passCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			has := tc.has
			if has == nil {
				has = all
			}
			m := tc.build()
			n := optimize.RunPass(m, has, pass)
			if got := describe(m.Graph); !sameLines(got, tc.want) {
				t.Errorf("nodes after %s:\n  %s\nwant:\n  %s", pass, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if n != tc.rewrites {
				t.Errorf("%d rewrites, want %d", n, tc.rewrites)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
			if !tc.noRun {
				sameResults(t, tc.build(), m)
			}
		})
	}
}

// sameResults runs the original and the rewritten model on the same random
// inputs and compares every output.
func sameResults(t *testing.T, orig, opt *graph.Model) {
	t.Helper()
	e1, err := engine.FromIR(orig, engine.WithoutOptimizations())
	if err != nil {
		t.Fatalf("original model: %v", err)
	}
	e2, err := engine.FromIR(opt)
	if err != nil {
		t.Fatalf("rewritten model: %v", err)
	}
	rng := rand.New(rand.NewSource(1))
	feeds := map[string]tensor.Value{}
	for _, in := range e1.Inputs() {
		feeds[in.Name] = randomInput(t, in, rng)
	}
	o1, err := e1.RunValues(context.Background(), feeds)
	if err != nil {
		t.Fatalf("original run: %v", err)
	}
	o2, err := e2.RunValues(context.Background(), feeds)
	if err != nil {
		t.Fatalf("rewritten run: %v", err)
	}
	for _, o := range e1.Outputs() {
		a, ok1 := o1[o.Name].(*tensor.Tensor)
		b, ok2 := o2[o.Name].(*tensor.Tensor)
		if !ok1 || !ok2 {
			t.Fatalf("output %s: %T vs %T", o.Name, o1[o.Name], o2[o.Name])
		}
		if err := closeTo(b, a, 1e-5, 1e-5); err != nil {
			t.Errorf("output %s differs after rewriting: %v", o.Name, err)
		}
	}
}

func randomInput(t *testing.T, in engine.ValueInfo, rng *rand.Rand) *tensor.Tensor {
	shape := make([]int, len(in.Shape))
	for i, d := range in.Shape {
		shape[i] = int(d.Size)
		if d.Size < 0 {
			shape[i] = 2
		}
	}
	if in.Shape == nil {
		shape = []int{2, 3, 4}
	}
	n, _ := tensor.NumElements(shape)
	switch in.DType {
	case tensor.Float32:
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 2)
		}
		return tensor.New(shape, v)
	case tensor.Bool:
		v := make([]bool, n)
		for i := range v {
			v[i] = rng.Intn(2) == 1
		}
		return tensor.New(shape, v)
	}
	t.Fatalf("no random input for %v", in.DType)
	return nil
}

func closeTo(got, want *tensor.Tensor, rtol, atol float64) error {
	if got.DType() != want.DType() || fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		return fmt.Errorf("got %v%v, want %v%v", got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
			continue
		}
		if math.Abs(g[i]-w[i]) > atol+rtol*math.Abs(w[i]) {
			return fmt.Errorf("element %d: %g, want %g", i, g[i], w[i])
		}
	}
	return nil
}

// floatsNear compares a tensor's values with hand-computed ones.
func floatsNear(t *testing.T, what string, got *tensor.Tensor, want ...float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: missing", what)
	}
	g := got.Float64s()
	if len(g) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(g), len(want))
	}
	for i := range want {
		if math.Abs(g[i]-want[i]) > 1e-6+1e-6*math.Abs(want[i]) {
			t.Errorf("%s[%d] = %g, want %g", what, i, g[i], want[i])
		}
	}
}
