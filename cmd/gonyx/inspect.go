package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/engine/shapeinfer"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func cmdInspect(args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gonyx inspect [--optimized] [--shapes] MODEL\n\nPrints IR and opset versions, producer, inputs and outputs, an op histogram, the parameter count\nand a FLOPs estimate (batch 1, other symbolic dims 1).\n")
		fs.PrintDefaults()
	}
	shapes := fs.Bool("shapes", false, "print the load-time inferred type (dtype + symbolic shape) of every value")
	optimized := fs.Bool("optimized", false, "run the graph optimisation passes first; print their report and the resulting node list")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var m *engine.Model
	var err error
	if *optimized {
		m, err = loadOptimized(fs.Arg(0))
	} else {
		m, err = engine.Load(fs.Arg(0))
	}
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
	if *shapes {
		if err := printShapes(fs.Arg(0)); err != nil {
			return fail("%v", err)
		}
	}
	// FLOPs need shapes: trace one run on synthetic inputs.
	feeds, err := syntheticInputs(m, 1, 32, 100, 42)
	if err == nil {
		var flops float64
		_, err = m.Trace(context.Background(), feeds, func(n *graph.Node, in, out []tensor.Value) {
			flops += nodeFLOPs(asONNX(n), in, out)
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

// loadOptimized decodes a model, runs the optimisation passes, prints their
// report and the optimised node list, and prepares the result.
func loadOptimized(path string) (*engine.Model, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ir, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: filepath.Dir(path), OwnBuffer: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrInvalidModel, err)
	}
	rep, err := optimize.Optimize(ir, func(domain, op string, opset int) bool {
		_, ok := ops.Lookup(domain, op, opset)
		return ok
	})
	if err != nil {
		return nil, err
	}
	fmt.Println("optimisation passes:")
	for _, line := range strings.Split(strings.TrimRight(rep.String(), "\n"), "\n") {
		fmt.Println("  " + line)
	}
	fmt.Printf("nodes after optimisation: %d\n", optimize.CountNodes(ir.Graph))
	printNodes(ir.Graph, "  ", 0)
	return engine.FromIR(ir)
}

// printNodes lists a graph's nodes (op type, name, inputs → outputs), and
// the nodes of subgraphs indented under their owner.
func printNodes(g *graph.Graph, indent string, depth int) {
	if depth > 64 {
		return
	}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			op = n.Domain + "." + op
		}
		fmt.Printf("%s%-26s %-30q %s → %s\n", indent, op, n.Name, strings.Join(n.Inputs, ", "), strings.Join(n.Outputs, ", "))
		for _, a := range n.Attrs {
			gs := a.Graphs
			if a.G != nil {
				gs = append([]*graph.Graph{a.G}, gs...)
			}
			for _, sg := range gs {
				fmt.Printf("%s  subgraph %s (attribute %s):\n", indent, sg.Name, a.Name)
				printNodes(sg, indent+"    ", depth+1)
			}
		}
	}
}

// asONNX presents a gonyx-domain fused node as the ai.onnx op it extends
// (FusedConv as Conv, ...), so that the FLOPs estimate counts it.
func asONNX(n *graph.Node) *graph.Node {
	if n.Domain != optimize.GonyxDomain {
		return n
	}
	c := *n
	c.Domain = ""
	c.OpType = strings.TrimPrefix(n.OpType, "Fused")
	return &c
}

// printShapes decodes the model afresh (the engine may have rewritten its
// IR) and prints the inferred type of every node output in graph order.
func printShapes(path string) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ir, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: filepath.Dir(path)})
	if err != nil {
		return err
	}
	res, err := shapeinfer.Infer(ir)
	if err != nil {
		return err
	}
	fmt.Println("shapes:")
	total, full := 0, 0
	for _, n := range ir.Graph.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			total++
			ty := res.Types[o]
			s := "unknown"
			if ty != nil {
				s = inferredString(ty)
				if ty.Kind == graph.KindTensor && ty.Shape != nil && !strings.Contains(s, "?") {
					full++
				}
			}
			fmt.Printf("  %-40s %-20s %s\n", o, n.OpType, s)
		}
	}
	fmt.Printf("shapes known: %d/%d values\n", full, total)
	return nil
}

func inferredString(t *graph.Type) string {
	if t.Kind != graph.KindTensor {
		return "non-tensor"
	}
	if t.Shape == nil {
		return t.Elem.String() + "[rank ?]"
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = engine.Dim{Size: d.Value, Name: d.Param}.String()
	}
	return t.Elem.String() + "[" + strings.Join(dims, ",") + "]"
}
