package engine_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/conformance"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// steadyAllocs bounds the heap allocations of one steady-state run (one
// thread, after warm-up) of each reference model: the figure measured when
// the bound was set plus allocSlack. Lower a bound when a change removes
// allocations; a test failure means a change added some.
//
// The goal is one allocation per graph output. What is left (see the
// engine-speed issue): Model.RunValues' result map (engine.go), the output
// list and each output's data (collect) — all of the CNNs' count; the shape
// memo's per-run memoRun (memo.go; the frame could hold one); in
// bert_small, the pooled buffer that its detached output takes with it, so
// that the next run allocates one (see runIntoAllocs); the recurrent
// kernels' pooled scratch (ops/rnn). Products and blocked convolutions on one thread allocate
// nothing.
var steadyAllocs = map[string]float64{
	"mlp_tabular":     4,
	"cnn_mnist":       4,
	"lstm_seq":        7,
	"gru_seq":         8,
	"bert_small":      5,
	"squeezenet1_1":   4,
	"mobilenet_v2":    4,
	"efficientnet_b0": 4,
	"resnet50":        4,
}

// allocModels are the reference models the allocation tests run.
var allocModels = []string{
	"mlp_tabular", "cnn_mnist", "lstm_seq", "gru_seq", "bert_small",
	"squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet50",
}

// loadOnOneThread loads a reference model at one thread (where products
// and blocked convolutions allocate nothing) with its first test set's
// inputs and ONNX Runtime's outputs.
func loadOnOneThread(t *testing.T, dir, name string) (*engine.Model, map[string]tensor.Value, []tensor.Value) {
	t.Helper()
	m, err := engine.Load(filepath.Join(dir, name, "model.onnx"), engine.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, name, "test_data_set_0")
	in, err := conformance.ReadInputs(m, set)
	if err != nil {
		t.Fatal(err)
	}
	return m, in, referenceOutputs(t, m, set)
}

// allocSlack absorbs allocations that depend on garbage-collector timing
// (a sync.Pool emptied by a collection during the measured runs).
const allocSlack = 2

// The reference models run without allocating more than steadyAllocs, and
// steady-state runs (which reuse the run state, its slabs and the buffer
// pool) still give ONNX Runtime's outputs. Outputs of an early run must
// survive later runs unchanged: they never share memory with the run state.
func TestSteadyStateAllocs(t *testing.T) {
	dir := sharedModels(t)
	for _, name := range allocModels {
		t.Run(name, func(t *testing.T) {
			m, in, want := loadOnOneThread(t, dir, name)
			first, err := m.RunValues(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			run := func() {
				if _, err := m.RunValues(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			}
			run()
			if raceEnabled {
				// The race detector allocates on its own account (and
				// is slow): runs still reuse the state, counts are not
				// checked.
				run()
			} else {
				got := testing.AllocsPerRun(4, run)
				t.Logf("%v allocations per run (%d outputs)", got, len(m.Outputs()))
				if bound := steadyAllocs[name] + allocSlack; got > bound {
					t.Errorf("%v allocations per run, want ≤ %v", got, bound)
				}
			}
			last, err := m.RunValues(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for k, o := range m.Outputs() {
				if err := conformance.Compare(last[o.Name], want[k], conformance.Tolerance{Rtol: 1e-3, Atol: 1e-4}); err != nil {
					t.Errorf("steady-state run, output %s: %v", o.Name, err)
				}
				if err := conformance.Compare(first[o.Name], want[k], conformance.Tolerance{Rtol: 1e-3, Atol: 1e-4}); err != nil {
					t.Errorf("first run's output %s after later runs: %v", o.Name, err)
				}
			}
		})
	}
}

func referenceOutputs(t *testing.T, m *engine.Model, set string) []tensor.Value {
	t.Helper()
	var want []tensor.Value
	for k := range m.Outputs() {
		buf, err := os.ReadFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", k)))
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := onnxpb.DecodeValue(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	return want
}

// slabModel has small float32 outputs of every kind the run state must copy
// out: y = Neg(x) (data and header in the run's slabs), r = Reshape(y) (a
// view: a second slab header over slab data), and s = Sigmoid(x) with
// x = Identity(x') passing a caller's tensor through.
func slabModel() *graph.Model {
	nd := func(op string, in, out []string) *graph.Node {
		return &graph.Node{Name: op + "_" + out[0], OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*graph.Attribute{}}
	}
	f32 := func(dims ...int64) *graph.Type {
		t := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{}}
		for _, d := range dims {
			t.Shape = append(t.Shape, graph.Dim{Value: d})
		}
		return t
	}
	return &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:   "slabs",
			Inputs: []graph.ValueInfo{{Name: "x", Type: f32(2, 3)}},
			Outputs: []graph.ValueInfo{
				{Name: "y", Type: f32(2, 3)}, {Name: "r", Type: f32(3, 2)},
				{Name: "s", Type: f32(2, 3)}, {Name: "i", Type: f32(2, 3)},
			},
			Initializers: map[string]*tensor.Tensor{"shape": tensor.New([]int{2}, []int64{3, 2})},
			Nodes: []*graph.Node{
				nd("Neg", []string{"x"}, []string{"y"}),
				nd("Reshape", []string{"y", "shape"}, []string{"r"}),
				nd("Sigmoid", []string{"x"}, []string{"s"}),
				nd("Identity", []string{"x"}, []string{"i"}),
			},
		},
	}
}

// Outputs from the slabs are copied out: a caller may keep them while the
// model runs again, from any number of goroutines, and traced values stay
// intact after their run.
func TestRunOutputsOutliveRunState(t *testing.T) {
	m, err := engine.FromIR(slabModel())
	if err != nil {
		t.Fatal(err)
	}
	input := func(g int) *tensor.Tensor {
		d := make([]float32, 6)
		for i := range d {
			d[i] = float32(g*10 + i)
		}
		return tensor.New([]int{2, 3}, d)
	}
	check := func(g int, x *tensor.Tensor, out map[string]*tensor.Tensor) error {
		xd := tensor.Data[float32](x)
		for i, v := range xd {
			sig := float32(1 / (1 + math.Exp(-float64(v))))
			switch {
			case tensor.Data[float32](out["y"])[i] != -v:
				return fmt.Errorf("goroutine %d: y[%d] = %v, want %v", g, i, tensor.Data[float32](out["y"])[i], -v)
			case tensor.Data[float32](out["r"])[i] != -v:
				return fmt.Errorf("goroutine %d: r[%d] = %v, want %v", g, i, tensor.Data[float32](out["r"])[i], -v)
			case abs32(tensor.Data[float32](out["s"])[i]-sig) > 1e-6:
				return fmt.Errorf("goroutine %d: s[%d] = %v, want %v", g, i, tensor.Data[float32](out["s"])[i], sig)
			case tensor.Data[float32](out["i"])[i] != v:
				return fmt.Errorf("goroutine %d: i[%d] = %v, want %v", g, i, tensor.Data[float32](out["i"])[i], v)
			}
		}
		if s := out["r"].Shape(); len(s) != 2 || s[0] != 3 || s[1] != 2 {
			return fmt.Errorf("goroutine %d: r has shape %v, want [3 2]", g, s)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x := input(g)
			var kept []map[string]*tensor.Tensor
			for r := 0; r < 20; r++ {
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
				if err != nil {
					errs <- err
					return
				}
				kept = append(kept, out)
			}
			for _, out := range kept {
				if err := check(g, x, out); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A hook may keep what it is shown.
	var seen []tensor.Value
	x := input(7)
	for r := 0; r < 3; r++ {
		_, err := m.Trace(context.Background(), map[string]tensor.Value{"x": x}, func(n *graph.Node, _, outs []tensor.Value) {
			if n.OpType == "Neg" {
				seen = append(seen, outs[0])
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Run(context.Background(), map[string]*tensor.Tensor{"x": input(8)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("hook saw %d Neg outputs, want 3", len(seen))
	}
	for _, v := range seen {
		d := tensor.Data[float32](v.(*tensor.Tensor))
		if len(d) != 6 {
			t.Fatalf("traced Neg output is %v after later runs, want 6 float32 values", v)
		}
		for i, y := range d {
			if want := -float32(70 + i); y != want {
				t.Fatalf("traced Neg output [%d] = %v after later runs, want %v", i, y, want)
			}
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// With RunInto and a reused output map, steady-state runs stay within
// runIntoAllocs, keep writing into the caller's tensors, and those hold
// ONNX Runtime's outputs.
func TestRunIntoAllocs(t *testing.T) {
	dir := sharedModels(t)
	for _, name := range allocModels {
		t.Run(name, func(t *testing.T) {
			m, in, want := loadOnOneThread(t, dir, name)
			out := map[string]*tensor.Tensor{}
			run := func() {
				if err := m.RunInto(context.Background(), in, out); err != nil {
					t.Fatal(err)
				}
			}
			run() // the first run makes the output tensors
			kept := map[string]*tensor.Tensor{}
			for k, v := range out {
				kept[k] = v
			}
			run()
			if !raceEnabled {
				got := testing.AllocsPerRun(4, run)
				t.Logf("%v allocations per run (%d outputs)", got, len(m.Outputs()))
				if bound := runIntoAllocs[name] + allocSlack; got > bound {
					t.Errorf("%v allocations per run, want ≤ %v", got, bound)
				}
			}
			for k, o := range m.Outputs() {
				if out[o.Name] != kept[o.Name] {
					t.Errorf("output %s: RunInto replaced a tensor of the right shape", o.Name)
				}
				if err := conformance.Compare(out[o.Name], want[k], conformance.Tolerance{Rtol: 1e-3, Atol: 1e-4}); err != nil {
					t.Errorf("output %s: %v", o.Name, err)
				}
			}
		})
	}
}

// runIntoAllocs bounds a steady-state RunInto run with a reused output
// map (plus allocSlack, for pools a collection empties): the figures
// measured when set. The goal is at most one allocation per graph
// output; every model allocates nothing (runMain returns the outputs'
// pooled buffers once it has copied them).
var runIntoAllocs = map[string]float64{
	"mlp_tabular": 0, "cnn_mnist": 0, "lstm_seq": 0, "gru_seq": 0, "bert_small": 0,
	"squeezenet1_1": 0, "mobilenet_v2": 0, "efficientnet_b0": 0, "resnet50": 0,
}
