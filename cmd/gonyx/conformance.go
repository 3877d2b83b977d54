package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/gonyx/gonyx/engine/conformance"
)

func cmdConformance(args []string) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of a line per case")
	rtol := fs.Float64("rtol", conformance.Default.Rtol, "relative tolerance for float outputs")
	atol := fs.Float64("atol", conformance.Default.Atol, "absolute tolerance for float outputs")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit per case")
	parallel := fs.Int("parallel", runtime.NumCPU(), "cases run at once")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gonyx conformance [flags] PATH...\n\nRuns every ONNX backend-test case (a folder with model.onnx and test_data_set_*) found under the paths,\neach in its own process, and closes with \"N passed, M failed\".\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	cases, err := conformance.Discover(fs.Args())
	if err != nil {
		return fail("conformance: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("conformance: %v", err)
	}
	child := func(ctx context.Context, dir string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, "conformance-case",
			fmt.Sprintf("--rtol=%g", *rtol), fmt.Sprintf("--atol=%g", *atol), dir)
	}
	progress := func(r conformance.Result) {
		if *asJSON {
			return
		}
		if r.Status == "pass" {
			fmt.Printf("PASS %s\n", r.Name)
		} else {
			fmt.Printf("FAIL %s: %s\n", r.Name, r.Reason)
		}
	}
	results := conformance.RunIsolated(context.Background(), cases, *parallel, *timeout, child, progress)
	passed, failed := 0, 0
	for _, r := range results {
		if r.Status == "pass" {
			passed++
		} else {
			failed++
		}
	}
	if *asJSON {
		out := struct {
			Passed int                  `json:"passed"`
			Failed int                  `json:"failed"`
			Cases  []conformance.Result `json:"cases"`
		}{passed, failed, results}
		if out.Cases == nil {
			out.Cases = []conformance.Result{}
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
	} else {
		fmt.Printf("%d passed, %d failed\n", passed, failed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func cmdConformanceCase(args []string) int {
	fs := flag.NewFlagSet("conformance-case", flag.ContinueOnError)
	rtol := fs.Float64("rtol", conformance.Default.Rtol, "")
	atol := fs.Float64("atol", conformance.Default.Atol, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return 2
	}
	out := conformance.ChildMain(context.Background(), fs.Arg(0), conformance.Tolerance{Rtol: *rtol, Atol: *atol})
	fmt.Println(string(out))
	return 0
}
