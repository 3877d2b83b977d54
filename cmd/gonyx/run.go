package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/gonyx/gonyx/server/demo"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/engine/tensorio"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdRun(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	modelPath := fs.String("model", "", "ONNX model file (default: the bundled demo model)")
	var inputs multiFlag
	fs.Var(&inputs, "input", "name=FILE: an input as TensorProto .pb, .npy or .json (repeatable)")
	inputDir := fs.String("input-dir", "", "folder with input_<k>.pb for the k-th graph input (the ONNX test layout)")
	outputDir := fs.String("output-dir", "", "write output_<k>.pb (TensorProto, name set) for each graph output")
	threads := fs.Int("threads", 0, "intra-op threads (0: all cores)")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gonyx run [--model M] [--input name=FILE]... [--input-dir D] [--output-dir O]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var m *engine.Model
	var err error
	useDemo := *modelPath == ""
	if useDemo {
		m, err = engine.FromIR(demo.MLP(), engine.WithThreads(*threads))
	} else {
		m, err = engine.Load(*modelPath, engine.WithThreads(*threads))
	}
	if err != nil {
		return fail("%v", err)
	}
	feeds := map[string]tensor.Value{}
	byName := map[string]engine.ValueInfo{}
	for _, in := range m.Inputs() {
		byName[in.Name] = in
	}
	if *inputDir != "" {
		for k, in := range m.Inputs() {
			p := filepath.Join(*inputDir, fmt.Sprintf("input_%d.pb", k))
			if _, err := os.Stat(p); err != nil {
				continue
			}
			v, err := tensorio.ReadFile(p, in.Type)
			if err != nil {
				return fail("%s: %v", p, err)
			}
			feeds[in.Name] = v
		}
	}
	for _, spec := range inputs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok {
			return fail("--input wants name=FILE, got %q", spec)
		}
		in, known := byName[name]
		if !known {
			return fail("model has no input %q", name)
		}
		v, err := tensorio.ReadFile(file, in.Type)
		if err != nil {
			return fail("%s: %v", file, err)
		}
		feeds[name] = v
	}
	if useDemo && len(feeds) == 0 {
		feeds = demoInputs(m)
		fmt.Fprintln(os.Stderr, "gonyx: no --model given: running the bundled demo model on seeded random inputs")
	}
	start := time.Now()
	outs, err := m.RunValues(context.Background(), feeds)
	if err != nil {
		return fail("%v", err)
	}
	elapsed := time.Since(start)
	if *outputDir != "" {
		if err := os.MkdirAll(*outputDir, 0o755); err != nil {
			return fail("%v", err)
		}
	}
	for k, o := range m.Outputs() {
		v := outs[o.Name]
		fmt.Printf("%s: %s\n", o.Name, describeValue(v))
		if *outputDir != "" {
			p := filepath.Join(*outputDir, fmt.Sprintf("output_%d.pb", k))
			if err := os.WriteFile(p, onnxpb.EncodeValue(o.Name, v), 0o644); err != nil {
				return fail("%v", err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "ran in %v\n", elapsed.Round(time.Microsecond))
	return 0
}

func describeValue(v tensor.Value) string {
	switch x := v.(type) {
	case *tensor.Tensor:
		return x.String()
	case *tensor.Sequence:
		parts := make([]string, 0, len(x.Tensors))
		for _, t := range x.Tensors {
			parts = append(parts, t.String())
		}
		return fmt.Sprintf("sequence(%d) {%s}", len(x.Tensors), strings.Join(parts, "; "))
	case *tensor.Optional:
		if x.Value == nil {
			return "optional(empty)"
		}
		return "optional(" + describeValue(x.Value) + ")"
	}
	return fmt.Sprintf("%T", v)
}
