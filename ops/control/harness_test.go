package control

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// fakeBody is a Subgraph implemented by a Go function, standing in for the
// executor's compiled graphs.
type fakeBody struct {
	ins, outs int
	fn        func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error)
}

func names(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return s
}

func (f *fakeBody) Run(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	if len(in) != f.ins {
		return nil, fmt.Errorf("fake body: %d inputs, want %d", len(in), f.ins)
	}
	return f.fn(rc, in)
}
func (f *fakeBody) InputNames() []string      { return names("i", f.ins) }
func (f *fakeBody) OutputNames() []string     { return names("o", f.outs) }
func (f *fakeBody) InputTypes() []*graph.Type { return make([]*graph.Type, f.ins) }

// bodyAttr makes a graph attribute whose compiled form is fb; outTypes
// optionally declares the body's output types.
type bodySpec struct {
	attr     string
	fb       *fakeBody
	outTypes []*graph.Type
}

type nodeSpec struct {
	op       string
	opset    int
	attrs    []*graph.Attribute
	bodies   []bodySpec
	inputs   []string // "" = absent
	outputs  int
	outNames []string
}

func (s nodeSpec) build() (ops.Kernel, error) {
	g := &graph.Node{Name: "test", OpType: s.op, Attrs: map[string]*graph.Attribute{}, Inputs: s.inputs}
	for _, a := range s.attrs {
		g.Attrs[a.Name] = a
	}
	compiled := map[*graph.Graph]ops.Subgraph{}
	for _, b := range s.bodies {
		bg := &graph.Graph{Name: b.attr}
		for i := 0; i < b.fb.outs; i++ {
			vi := graph.ValueInfo{Name: fmt.Sprintf("o%d", i)}
			if i < len(b.outTypes) {
				vi.Type = b.outTypes[i]
			}
			bg.Outputs = append(bg.Outputs, vi)
		}
		compiled[bg] = b.fb
		g.Attrs[b.attr] = &graph.Attribute{Name: b.attr, Type: graph.AttrGraph, G: bg}
	}
	if s.outNames != nil {
		g.Outputs = s.outNames
	} else {
		g.Outputs = names("out", s.outputs)
	}
	n := &ops.Node{Node: g, Opset: s.opset, Consts: make([]*tensor.Tensor, len(s.inputs)),
		CompileGraph: func(gr *graph.Graph) (ops.Subgraph, error) {
			sg, ok := compiled[gr]
			if !ok {
				return nil, fmt.Errorf("unknown graph %q", gr.Name)
			}
			return sg, nil
		}}
	b, ok := ops.Lookup("", s.op, s.opset)
	if !ok {
		return nil, fmt.Errorf("no kernel for %s opset %d", s.op, s.opset)
	}
	return b(n)
}

// withInputs names n present inputs.
func (s nodeSpec) withInputs(n int) nodeSpec {
	s.inputs = names("in", n)
	return s
}

func (s nodeSpec) run(in ...tensor.Value) ([]tensor.Value, error) {
	return s.runCtx(context.Background(), in...)
}

func (s nodeSpec) runCtx(ctx context.Context, in ...tensor.Value) ([]tensor.Value, error) {
	if s.inputs == nil {
		s.inputs = make([]string, len(in))
		for i, v := range in {
			if v != nil {
				s.inputs[i] = fmt.Sprintf("in%d", i)
			}
		}
	}
	k, err := s.build()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return k.Run(&ops.RunContext{Ctx: ctx}, in)
}

func (s nodeSpec) mustRun(t *testing.T, in ...tensor.Value) []tensor.Value {
	t.Helper()
	out, err := s.run(in...)
	if err != nil {
		t.Fatalf("%s: %v", s.op, err)
	}
	return out
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.New(shape, v) }
func sc64(v int64) *tensor.Tensor                  { return tensor.Scalar(v) }
func bl(v bool) *tensor.Tensor                     { return tensor.Scalar(v) }

func seqOf(ts ...*tensor.Tensor) *tensor.Sequence {
	et := tensor.Float32
	if len(ts) > 0 {
		et = ts[0].DType()
	}
	return &tensor.Sequence{ElemType: et, Tensors: ts}
}

func wantTensor(t *testing.T, got tensor.Value, want *tensor.Tensor, what string) {
	t.Helper()
	g, ok := got.(*tensor.Tensor)
	if !ok {
		t.Fatalf("%s: got %T, want a tensor", what, got)
	}
	if err := opstest.Close(g, want, 0, 0); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantSeq(t *testing.T, got tensor.Value, want []*tensor.Tensor, what string) {
	t.Helper()
	s, ok := got.(*tensor.Sequence)
	if !ok {
		t.Fatalf("%s: got %T, want a sequence", what, got)
	}
	if len(s.Tensors) != len(want) {
		t.Fatalf("%s: %d tensors, want %d", what, len(s.Tensors), len(want))
	}
	for i := range want {
		if err := opstest.Close(s.Tensors[i], want[i], 0, 0); err != nil {
			t.Fatalf("%s element %d: %v", what, i, err)
		}
	}
}

// add is a tiny float32 elementwise add for fake bodies (same shapes only).
func add(a, b *tensor.Tensor) *tensor.Tensor {
	x, y := tensor.Data[float32](a), tensor.Data[float32](b)
	out := make([]float32, len(x))
	for i := range x {
		out[i] = x[i] + y[i]
	}
	return tensor.New(a.Shape(), out)
}
