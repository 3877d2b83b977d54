// Command gonyx loads, inspects, runs, checks and serves ONNX models.
package main

import (
	"fmt"
	"os"
	"sort"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

type command struct {
	summary string
	run     func(args []string) int
	hidden  bool
}

var commands = map[string]command{
	"version":     {summary: "print version, Go version, platform and CPU features", run: cmdVersion},
	"run":         {summary: "run a model on input files and print or save the outputs", run: cmdRun},
	"inspect":     {summary: "describe a model: opsets, inputs, outputs, ops, parameters, FLOPs", run: cmdInspect},
	"conformance": {summary: "run ONNX backend-test cases and report pass/fail", run: cmdConformance},
	"serve":       {summary: "serve models over KServe v2 REST + gRPC (the embedded demo models by default)", run: cmdServe},
	"plugin":      {summary: "test a WebAssembly plugin on files (plugin test) or scaffold a new one (plugin new)", run: cmdPlugin},
	"perf":        {summary: "load-test a running server: N clients, throughput, latency percentiles, batch size", run: cmdPerf},
	"bench":       {summary: "time a model on synthetic inputs (ort_bench.js-compatible JSON)", run: cmdBench},
	// The child side of `conformance`: one case, JSON result on stdout.
	"conformance-case": {run: cmdConformanceCase, hidden: true},
}

func usage() {
	fmt.Fprintf(os.Stderr, "gonyx %s: a pure-Go ONNX inference engine and model server\n\nUsage: gonyx <command> [flags]\n\nCommands:\n", version)
	names := make([]string, 0, len(commands))
	for n, c := range commands {
		if !c.hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'gonyx <command> --help' for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		return
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "gonyx: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(c.run(os.Args[2:]))
}

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "gonyx: "+format+"\n", args...)
	return 1
}
