package matmul

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// runConst builds op with the inputs listed in consts marked as load-time
// constants (opstest.Run never does), then runs it.
func runConst(t *testing.T, op opstest.Op, consts []int, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	g := &graph.Node{Name: "test", OpType: op.Type, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for _, a := range op.Attrs {
		g.Attrs[a.Name] = a
	}
	n := &ops.Node{Node: g, Opset: op.Opset, Consts: make([]*tensor.Tensor, len(inputs))}
	for i, in := range inputs {
		name := ""
		if in != nil {
			name = fmt.Sprintf("in%d", i)
		}
		g.Inputs = append(g.Inputs, name)
	}
	for _, c := range consts {
		n.Consts[c] = inputs[c]
	}
	b, ok := ops.Lookup("", op.Type, op.Opset)
	if !ok {
		t.Fatalf("no kernel for %s-%d", op.Type, op.Opset)
	}
	k, err := b(n)
	if err != nil {
		t.Fatalf("build %s: %v", op.Type, err)
	}
	vals := make([]tensor.Value, len(inputs))
	for i, in := range inputs {
		if in != nil {
			vals[i] = in
		}
	}
	outs, err := k.Run(&ops.RunContext{Ctx: context.Background()}, vals)
	if err != nil {
		t.Fatalf("run %s: %v", op.Type, err)
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		res[i], _ = o.(*tensor.Tensor)
	}
	return res
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

func expectClose(t *testing.T, what string, got, want *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if err := opstest.Close(got, want, rtol, atol); err != nil {
		t.Errorf("%s: %v (got %v)", what, err, got)
	}
}

func expectErr(t *testing.T, what string, op opstest.Op, inputs ...*tensor.Tensor) {
	t.Helper()
	if _, err := opstest.Run(op, inputs...); err == nil {
		t.Errorf("%s: expected an error", what)
	} else {
		t.Logf("%s: %v", what, err)
	}
}

func toF16(t *tensor.Tensor) *tensor.Tensor {
	c, err := tensor.Convert(t, tensor.Float16)
	if err != nil {
		panic(err)
	}
	return c
}
