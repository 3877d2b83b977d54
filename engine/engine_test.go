package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func tensorType(dt tensor.DType, dims ...any) *graph.Type {
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

func node(op string, in []string, out []string) *graph.Node {
	return &graph.Node{Name: op + "_" + out[0], OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*graph.Attribute{}}
}

// addRelu is y = Relu(x + b) with b a [3] initializer.
func addRelu() *graph.Model {
	return &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:   "addrelu",
			Inputs: []graph.ValueInfo{{Name: "x", Type: tensorType(tensor.Float32, "N", 3)}},
			Outputs: []graph.ValueInfo{
				{Name: "y", Type: tensorType(tensor.Float32, "N", 3)},
			},
			Initializers: map[string]*tensor.Tensor{"b": tensor.New([]int{3}, []float32{1, -1, 0.5})},
			Nodes: []*graph.Node{
				node("Add", []string{"x", "b"}, []string{"s"}),
				node("Relu", []string{"s"}, []string{"y"}),
			},
		},
	}
}

func TestRunAddRelu(t *testing.T) {
	m, err := FromIR(addRelu())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs()) != 1 || m.Inputs()[0].Name != "x" || m.Inputs()[0].Shape[0].Name != "N" {
		t.Fatalf("inputs %+v", m.Inputs())
	}
	x := tensor.New([]int{2, 3}, []float32{1, 2, -3, -4, 0, 0})
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	got := tensor.Data[float32](out["y"])
	want := []float32{2, 1, 0, 0, 0, 0.5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("y = %v, want %v", got, want)
		}
	}
}

func TestInputErrors(t *testing.T) {
	m, err := FromIR(addRelu())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		in   map[string]*Tensor
		want string
	}{
		"missing":     {map[string]*Tensor{}, `missing input "x"`},
		"unknown":     {map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{1, 2, 3}), "z": tensor.Scalar[float32](1)}, `unknown input "z"`},
		"dtype":       {map[string]*Tensor{"x": tensor.New([]int{1, 3}, []int64{1, 2, 3})}, "dtype int64, want float32"},
		"rank":        {map[string]*Tensor{"x": tensor.New([]int{3}, []float32{1, 2, 3})}, "want rank 2"},
		"fixed dim":   {map[string]*Tensor{"x": tensor.New([]int{1, 2}, []float32{1, 2})}, "want [N,3]"},
		"empty batch": {map[string]*Tensor{"x": tensor.New([]int{0, 3}, []float32{})}, ""},
	}
	for name, c := range cases {
		_, err := m.Run(context.Background(), c.in)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: error %v, want ErrInvalidInput containing %q", name, err, c.want)
		}
	}
}

func TestUnsupportedOpNamesNode(t *testing.T) {
	ir := addRelu()
	ir.Graph.Nodes[1].OpType = "FrobnicateV9"
	_, err := FromIR(ir)
	if !errors.Is(err, ErrUnsupportedOp) {
		t.Fatalf("error %v, want ErrUnsupportedOp", err)
	}
	for _, part := range []string{"FrobnicateV9", "ai.onnx", "opset 17", `node "Relu_y"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
}

func TestCycleIsRejected(t *testing.T) {
	ir := addRelu()
	// s = Add(x, y); y = Relu(s): a cycle.
	ir.Graph.Nodes[0].Inputs = []string{"x", "y"}
	_, err := FromIR(ir)
	if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("error %v, want a cycle error", err)
	}
}

func TestUndefinedValueIsRejected(t *testing.T) {
	ir := addRelu()
	ir.Graph.Nodes[1].Inputs = []string{"nowhere"}
	_, err := FromIR(ir)
	if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Fatalf("error %v, want an undefined-value error", err)
	}
}

func TestUnsortedGraphRuns(t *testing.T) {
	ir := addRelu()
	n := ir.Graph.Nodes
	ir.Graph.Nodes = []*graph.Node{n[1], n[0]}
	m, err := FromIR(ir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{0, 0, 0})})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[float32](out["y"]); got[0] != 1 || got[1] != 0 || got[2] != 0.5 {
		t.Fatalf("y = %v", got)
	}
}

func TestCancelledContextStopsRun(t *testing.T) {
	m, err := FromIR(addRelu())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Run(ctx, map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{0, 0, 0})})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	m, err := FromIR(addRelu())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			v := float32(g)
			for i := 0; i < 50; i++ {
				out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{v, v, v})})
				if err != nil {
					errs <- err
					return
				}
				y := tensor.Data[float32](out["y"])
				if y[0] != v+1 || y[2] != v+0.5 {
					errs <- errors.New("wrong result under concurrency")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestConstantFolding(t *testing.T) {
	// y = x + (b + b): the inner Add is folded at load, leaving one step.
	ir := addRelu()
	ir.Graph.Nodes = []*graph.Node{
		node("Add", []string{"b", "b"}, []string{"bb"}),
		node("Add", []string{"x", "bb"}, []string{"y"}),
	}
	m, err := FromIR(ir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.main.steps) != 1 {
		t.Fatalf("%d steps after folding, want 1", len(m.main.steps))
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{0, 0, 0})})
	if err != nil {
		t.Fatal(err)
	}
	if y := tensor.Data[float32](out["y"]); y[0] != 2 || y[1] != -2 || y[2] != 1 {
		t.Fatalf("y = %v", y)
	}
	m2, err := FromIR(ir, WithoutConstantFolding())
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.main.steps) != 2 {
		t.Fatalf("%d steps without folding, want 2", len(m2.main.steps))
	}
}

func TestFunctionInlining(t *testing.T) {
	// A model-local function f(a) = Relu(a + a), called as y = f(x).
	ir := addRelu()
	ir.Opsets["local"] = 1
	ir.Functions = []*graph.Function{{
		Name: "f", Domain: "local", Inputs: []string{"a"}, Outputs: []string{"r"},
		Opsets: map[string]int{"": 17},
		Nodes: []*graph.Node{
			node("Add", []string{"a", "a"}, []string{"t"}),
			node("Relu", []string{"t"}, []string{"r"}),
		},
	}}
	call := node("f", []string{"x"}, []string{"y"})
	call.Domain = "local"
	ir.Graph.Nodes = []*graph.Node{call}
	m, err := FromIR(ir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{1, -1, 2})})
	if err != nil {
		t.Fatal(err)
	}
	if y := tensor.Data[float32](out["y"]); y[0] != 2 || y[1] != 0 || y[2] != 4 {
		t.Fatalf("y = %v", y)
	}
}

func TestShapeInconsistencyFailsAtLoad(t *testing.T) {
	ir := addRelu()
	ir.Graph.Initializers["b"] = tensor.New([]int{4}, []float32{1, 2, 3, 4}) // [N,3] + [4]
	_, err := FromIR(ir)
	if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), "Add_s") {
		t.Fatalf("error %v, want a load-time shape error naming node Add_s", err)
	}
}

func TestInferredTypes(t *testing.T) {
	m, err := FromIR(addRelu())
	if err != nil {
		t.Fatal(err)
	}
	s := m.ValueType("s")
	if s == nil || s.Elem != tensor.Float32 || len(s.Shape) != 2 || s.Shape[0].Param != "N" || s.Shape[1].Value != 3 {
		t.Fatalf("type of s: %+v", s)
	}
}

// A kernel builder that panics must not cross the engine's API: FromIR
// reports it as an error.
func TestBuilderPanicIsAnError(t *testing.T) {
	ops.Register("test.panic", "Boom", 1, func(*ops.Node) (ops.Kernel, error) { panic("boom") })
	ir := addRelu()
	ir.Opsets["test.panic"] = 1
	ir.Graph.Nodes[1].Domain, ir.Graph.Nodes[1].OpType = "test.panic", "Boom"
	_, err := FromIR(ir, WithoutOptimizations())
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("error %v, want an internal error", err)
	}
}
