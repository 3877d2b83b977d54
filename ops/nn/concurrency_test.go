package nn_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// buildOnce builds a kernel the way the engine does: once per node.
func buildOnce(t *testing.T, o opstest.Op, nIn, nOut int) ops.Kernel {
	t.Helper()
	g := &graph.Node{Name: "n", OpType: o.Type, Attrs: map[string]*graph.Attribute{}}
	for _, a := range o.Attrs {
		g.Attrs[a.Name] = a
	}
	for i := 0; i < nIn; i++ {
		g.Inputs = append(g.Inputs, fmt.Sprintf("i%d", i))
	}
	for i := 0; i < nOut; i++ {
		g.Outputs = append(g.Outputs, fmt.Sprintf("o%d", i))
	}
	b, ok := ops.Lookup("", o.Type, o.Opset)
	if !ok {
		t.Fatalf("no kernel for %s-%d", o.Type, o.Opset)
	}
	k, err := b(&ops.Node{Node: g, Opset: o.Opset, Consts: make([]*tensor.Tensor, nIn)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestConcurrentRuns runs shared kernels from several goroutines and checks
// that results agree and inputs are left untouched (run with -race).
func TestConcurrentRuns(t *testing.T) {
	x := randT(2, 3, 8, 8)
	cases := []struct {
		o    opstest.Op
		in   []*tensor.Tensor
		nOut int
	}{
		{op("MaxPool", 12, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)), []*tensor.Tensor{x}, 2},
		{op("AveragePool", 19, ints("kernel_shape", 2, 2), ints("strides", 2, 2)), []*tensor.Tensor{x}, 1},
		{op("GlobalAveragePool", 1), []*tensor.Tensor{x}, 1},
		{op("Softmax", 13), []*tensor.Tensor{x}, 1},
		{op("Softmax", 13, intA("axis", 1)), []*tensor.Tensor{x}, 1},
		{op("LayerNormalization", 17), []*tensor.Tensor{x, randT(8), randT(8)}, 3},
		{op("BatchNormalization", 15), []*tensor.Tensor{x, randT(3), randT(3), randT(3), f32([]int{3}, 1, 2, 3)}, 1},
		{op("InstanceNormalization", 6), []*tensor.Tensor{x, randT(3), randT(3)}, 1},
		{op("Resize", 13, strA("mode", "linear")), []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 1.5, 0.5)}, 1},
		{op("Resize", 13), []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 2, 2)}, 1},
		{op("GridSample", 20), []*tensor.Tensor{x, randT(2, 4, 4, 2)}, 1},
	}
	for _, c := range cases {
		c := c
		t.Run(c.o.Type, func(t *testing.T) {
			k := buildOnce(t, c.o, len(c.in), c.nOut)
			before := make([]*tensor.Tensor, len(c.in))
			vals := make([]tensor.Value, len(c.in))
			for i, in := range c.in {
				if in != nil {
					before[i] = in.Clone()
					vals[i] = in
				}
			}
			run := func() (*tensor.Tensor, error) {
				outs, err := k.Run(&ops.RunContext{Ctx: context.Background()}, vals)
				if err != nil {
					return nil, err
				}
				return outs[0].(*tensor.Tensor), nil
			}
			ref, err := run()
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := 0; r < 3; r++ {
						got, err := run()
						if err == nil {
							err = opstest.Close(got, ref, 0, 0)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i, b := range before {
				if b != nil {
					if err := opstest.Close(c.in[i], b, 0, 0); err != nil {
						t.Fatalf("input %d modified: %v", i, err)
					}
				}
			}
		})
	}
}
