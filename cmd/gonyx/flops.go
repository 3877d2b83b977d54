package main

import (
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// nodeFLOPs estimates the floating-point operations of one node from the
// shapes it saw in a traced run (a multiply-add counts as two). Data
// movement counts as zero; elementwise ops as one per output element.
func nodeFLOPs(n *graph.Node, in, out []tensor.Value) float64 {
	shape := func(vs []tensor.Value, i int) []int {
		if i < len(vs) {
			if t, ok := vs[i].(*tensor.Tensor); ok {
				return t.Shape()
			}
		}
		return nil
	}
	elems := func(s []int) float64 {
		p := 1.0
		for _, d := range s {
			p *= float64(d)
		}
		return p
	}
	o := shape(out, 0)
	switch n.OpType {
	case "Conv", "ConvInteger", "QLinearConv":
		w := shape(in, 1)
		if n.OpType == "QLinearConv" {
			w = shape(in, 3)
		}
		if len(w) < 2 {
			return 0
		}
		return 2 * elems(o) * elems(w[1:])
	case "ConvTranspose":
		w := shape(in, 1)
		if len(w) < 2 {
			return 0
		}
		return 2 * elems(shape(in, 0)) * elems(w[1:])
	case "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul":
		a := shape(in, 0)
		if len(a) == 0 {
			return 0
		}
		k := float64(a[len(a)-1])
		if n.OpType == "Gemm" {
			if t, ok := n.Attrs["transA"]; ok && t.I != 0 {
				k = float64(a[0])
			}
		}
		return 2 * elems(o) * k
	case "LSTM", "GRU", "RNN":
		x, w, r := shape(in, 0), shape(in, 1), shape(in, 2)
		if len(x) < 3 || len(w) < 3 || len(r) < 3 {
			return 0
		}
		steps := float64(x[0] * x[1])
		return 2 * steps * float64(w[0]) * float64(w[1]) * float64(w[2]+r[2])
	case "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "Squeeze", "Unsqueeze",
		"Flatten", "Identity", "Shape", "Constant", "ConstantOfShape", "Expand", "Cast", "Dropout":
		return 0
	}
	return elems(o)
}
