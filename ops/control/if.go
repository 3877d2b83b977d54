package control

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// If runs then_branch or else_branch depending on a boolean scalar. The
// branches take no inputs (they read outer-scope values through the run
// context) and their outputs, tensors, sequences or optionals, become the
// node's outputs unchanged.
func buildIf(n *ops.Node) (ops.Kernel, error) {
	thenB, _, err := compileBody(n, "then_branch")
	if err != nil {
		return nil, err
	}
	elseB, _, err := compileBody(n, "else_branch")
	if err != nil {
		return nil, err
	}
	nOut := len(n.Outputs)
	for _, b := range []struct {
		name string
		sg   ops.Subgraph
	}{{"then_branch", thenB}, {"else_branch", elseB}} {
		if k := len(b.sg.OutputNames()); k != nOut {
			return nil, n.Errorf("If: %s has %d outputs but the node has %d; they must match", b.name, k, nOut)
		}
		if k := len(b.sg.InputNames()); k != 0 {
			return nil, n.Errorf("If: %s declares %d inputs; If branches take none", b.name, k)
		}
	}
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		if len(in) < 1 {
			return nil, fmt.Errorf("If: missing input cond")
		}
		c, err := scalarBool(in[0], "If input cond")
		if err != nil {
			return nil, err
		}
		body, name := elseB, "else_branch"
		if c {
			body, name = thenB, "then_branch"
		}
		outs, err := runBody(rc, body, nil, nOut, "If "+name)
		if err != nil {
			return nil, err
		}
		return outs, nil
	}), nil
}
