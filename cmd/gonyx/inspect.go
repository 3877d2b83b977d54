package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

func cmdInspect(args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gonyx inspect MODEL\n\nPrints IR and opset versions, producer, inputs and outputs, an op histogram, the parameter count\nand a FLOPs estimate (batch 1, other symbolic dims 1).\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	m, err := engine.Load(fs.Arg(0))
	if err != nil {
		return fail("%v", err)
	}
	ir := m.IR()
	fmt.Printf("model:     %s\n", fs.Arg(0))
	fmt.Printf("ir:        %d\n", ir.IRVersion)
	var opsets []string
	for d, v := range ir.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		opsets = append(opsets, fmt.Sprintf("%s %d", d, v))
	}
	sort.Strings(opsets)
	fmt.Printf("opsets:    %s\n", strings.Join(opsets, ", "))
	fmt.Printf("producer:  %s %s\n", ir.ProducerName, ir.ProducerVersion)
	fmt.Println("inputs:")
	for _, in := range m.Inputs() {
		fmt.Printf("  %-24s %s\n", in.Name, typeString(in))
	}
	fmt.Println("outputs:")
	for _, o := range m.Outputs() {
		fmt.Printf("  %-24s %s\n", o.Name, typeString(o))
	}
	hist := map[string]int{}
	countOps(ir.Graph, hist)
	keys := make([]string, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if hist[keys[i]] != hist[keys[j]] {
			return hist[keys[i]] > hist[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Println("ops:")
	for _, k := range keys {
		fmt.Printf("  %-24s %d\n", k, hist[k])
	}
	params := 0
	for _, t := range ir.Graph.Initializers {
		params += t.Len()
	}
	fmt.Printf("parameters: %d\n", params)
	// FLOPs need shapes: trace one run on synthetic inputs.
	feeds, err := syntheticInputs(m, 1, 32, 100, 42)
	if err == nil {
		var flops float64
		_, err = m.Trace(context.Background(), feeds, func(n *graph.Node, in, out []tensor.Value) {
			flops += nodeFLOPs(n, in, out)
		})
		if err == nil {
			fmt.Printf("flops:     %.3f MFLOPs per run (batch 1, other symbolic dims 32)\n", flops/1e6)
		}
	}
	if err != nil {
		fmt.Printf("flops:     unknown (%v)\n", err)
	}
	return 0
}

func countOps(g *graph.Graph, hist map[string]int) {
	for _, n := range g.Nodes {
		k := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			k = n.Domain + "." + k
		}
		hist[k]++
		for _, a := range n.Attrs {
			if a.G != nil {
				countOps(a.G, hist)
			}
			for _, sg := range a.Graphs {
				countOps(sg, hist)
			}
		}
	}
}

func typeString(v engine.ValueInfo) string {
	s := v.DType.String()
	if v.Shape == nil {
		s += "[?]"
	} else {
		dims := make([]string, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = d.String()
		}
		s += "[" + strings.Join(dims, ",") + "]"
	}
	if v.Type != nil {
		switch v.Type.Kind {
		case graph.KindSequence:
			s = "seq(" + s + ")"
		case graph.KindOptional:
			s = "optional(" + s + ")"
		}
	}
	return s
}
