package control

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Loop: inputs (M, cond, v_initial...), body (iteration_num, cond,
// v...) -> (cond, v..., scan_outputs...), node outputs (v_final...,
// scan_outputs...). M absent means no trip limit, cond absent means true.
// The body's cond output decides whether another iteration runs (as
// onnxruntime and the ONNX reference evaluator do). Loop-carried values may
// be tensors, sequences or optionals; scan outputs are tensors stacked along
// a new first axis.
func buildLoop(n *ops.Node) (ops.Kernel, error) {
	body, g, err := compileBody(n, "body")
	if err != nil {
		return nil, err
	}
	nCarried := len(n.Inputs) - 2
	if nCarried < 0 {
		nCarried = 0
	}
	nScan := len(n.Outputs) - nCarried
	if nScan < 0 {
		return nil, n.Errorf("Loop: %d loop-carried inputs but only %d outputs; need at least one output per loop-carried value", nCarried, len(n.Outputs))
	}
	if k := len(body.InputNames()); k != 2+nCarried {
		return nil, n.Errorf("Loop: body has %d inputs, want %d (iteration number, cond and %d loop-carried values)", k, 2+nCarried, nCarried)
	}
	if k := len(body.OutputNames()); k != 1+nCarried+nScan {
		return nil, n.Errorf("Loop: body has %d outputs, want %d (cond, %d loop-carried values, %d scan outputs)", k, 1+nCarried+nScan, nCarried, nScan)
	}
	scanTypes := make([]*graph.Type, nScan)
	for k := range scanTypes {
		scanTypes[k] = outputType(g, 1+nCarried+k)
	}
	wanted := make([]bool, nCarried+nScan)
	for i := range wanted {
		wanted[i] = n.HasOutput(i)
	}
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		maxTrip := int64(math.MaxInt64)
		if len(in) > 0 && in[0] != nil {
			m, err := scalarInt(in[0], "Loop input M (max trip count)")
			if err != nil {
				return nil, err
			}
			maxTrip = m
		}
		cond := true
		if len(in) > 1 && in[1] != nil {
			c, err := scalarBool(in[1], "Loop input cond")
			if err != nil {
				return nil, err
			}
			cond = c
		}
		if len(in) != 2+nCarried && !(nCarried == 0 && len(in) < 2) {
			return nil, fmt.Errorf("Loop: got %d inputs, want %d", len(in), 2+nCarried)
		}
		carried := make([]tensor.Value, nCarried)
		for j := range carried {
			v := in[2+j]
			if v == nil {
				return nil, fmt.Errorf("Loop: loop-carried input %d (node input %d) is missing", j, 2+j)
			}
			carried[j] = v
		}
		scans := make([][]*tensor.Tensor, nScan)
		for i := int64(0); i < maxTrip && cond; i++ {
			if err := ctxErr(rc); err != nil {
				return nil, fmt.Errorf("Loop: iteration %d: %w", i, err)
			}
			feeds := make([]tensor.Value, 2+nCarried)
			feeds[0] = tensor.Scalar(i)
			feeds[1] = tensor.Scalar(cond)
			copy(feeds[2:], carried)
			what := fmt.Sprintf("Loop body (iteration %d)", i)
			outs, err := runBody(rc, body, feeds, 1+nCarried+nScan, what)
			if err != nil {
				return nil, err
			}
			c, err := scalarBool(outs[0], what+": output 0 (cond)")
			if err != nil {
				return nil, err
			}
			cond = c
			for j := range carried {
				if outs[1+j] == nil {
					return nil, fmt.Errorf("%s: loop-carried output %d is missing", what, j)
				}
				carried[j] = outs[1+j]
			}
			for k := range scans {
				if !wanted[nCarried+k] {
					continue
				}
				t, err := asTensor(outs[1+nCarried+k], fmt.Sprintf("%s: scan output %d", what, k))
				if err != nil {
					return nil, err
				}
				scans[k] = append(scans[k], t)
			}
		}
		res := make([]tensor.Value, nCarried+nScan)
		for j, v := range carried {
			if wanted[j] {
				res[j] = v
			}
		}
		for k, ts := range scans {
			if !wanted[nCarried+k] {
				continue
			}
			what := fmt.Sprintf("Loop scan output %d", k)
			var out *tensor.Tensor
			var err error
			if len(ts) == 0 {
				out, err = emptyStacked(scanTypes[k], 0, what)
			} else {
				out, err = stackAlong(ts, 0, false, what)
			}
			if err != nil {
				return nil, err
			}
			res[nCarried+k] = out
		}
		return res, nil
	}), nil
}
