package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/conformance"
	"github.com/gonyx/gonyx/engine/onnxpb"
)

// capture runs f with stdout redirected and returns what it printed.
func capture(t *testing.T, f func() int) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	code := f()
	w.Close()
	os.Stdout = old
	return <-done, code
}

func caseDir(t *testing.T, name string) string {
	root := os.Getenv("GONYX_ONNX_TESTDATA")
	if root == "" {
		root = "../../build/onnx-testdata/data"
	}
	dir := filepath.Join(root, "node", name)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test data missing: %v", err)
		}
		t.Skip("ONNX test data not unpacked (make testdata)")
	}
	return dir
}

// `gonyx run --input-dir --output-dir` writes outputs that an independent
// reader finds equal to the expected outputs of the test case.
func TestRunWritesOutputs(t *testing.T) {
	dir := caseDir(t, "test_gemm_default_single_elem_vector_bias")
	out := t.TempDir()
	stdout, code := capture(t, func() int {
		return cmdRun([]string{"--model", filepath.Join(dir, "model.onnx"),
			"--input-dir", filepath.Join(dir, "test_data_set_0"), "--output-dir", out})
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	got, err := os.ReadFile(filepath.Join(out, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	g, gname, err := onnxpb.DecodeValue(got, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, wname, _ := onnxpb.DecodeValue(want, nil)
	if gname != wname {
		t.Errorf("output name %q, want %q", gname, wname)
	}
	if err := conformance.Compare(g, w, conformance.Default); err != nil {
		t.Error(err)
	}
}

func TestConformanceJSON(t *testing.T) {
	dir := caseDir(t, "test_add")
	// The child side re-executes os.Executable(), which in a test is the
	// test binary; TestMain routes "conformance-case" to the real handler.
	stdout, code := capture(t, func() int { return cmdConformance([]string{"--json", dir}) })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	var res struct {
		Passed, Failed int
		Cases          []conformance.Result
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if res.Passed != 1 || res.Failed != 0 || len(res.Cases) != 1 || res.Cases[0].Name != "node/test_add" {
		t.Fatalf("result %+v", res)
	}
}

func TestMain(m *testing.M) {
	// The test binary doubles as gonyx for tests that need a child
	// process (conformance isolation, serve under SIGTERM).
	if len(os.Args) > 1 && os.Args[1] == "conformance-case" {
		os.Exit(cmdConformanceCase(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(cmdServe(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestBenchPercentiles(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if m := median(xs); m != 5.5 {
		t.Errorf("median %v", m)
	}
	if p := percentile(xs, 0.9); p != 9 {
		t.Errorf("p90 %v, want 9 (nearest rank, as ort_bench.js)", p)
	}
	if n := modelName("/a/resnet50/model.onnx"); n != "resnet50" {
		t.Errorf("modelName %q", n)
	}
	if n := modelName("x/tiny.onnx"); n != "tiny" {
		t.Errorf("modelName %q", n)
	}
	if !strings.HasPrefix(progressBar(5, 10, 10), "[#####.....") {
		t.Errorf("bar %q", progressBar(5, 10, 10))
	}
}
