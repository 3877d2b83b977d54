package conformance

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// The child side: when the test binary is re-executed with this variable set
// it runs one case and prints the JSON result, so that a crash or a hang in a
// kernel fails that case only.
const childEnv = "GONYX_CONFORMANCE_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		fmt.Println(string(ChildMain(context.Background(), dir, Default)))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// suites are the ONNX 1.12 backend-test folders this project is held to.
var suites = []string{"node", "simple", "pytorch-converted", "pytorch-operator"}

// expectedPassFile lists, one per line, the cases known to pass. Any of them
// failing is a regression; a case passing that is not listed is reported so
// the list can be raised.
const expectedPassFile = "../../testdata/conformance_pass.txt"

func testdataRoot(t *testing.T) string {
	root := os.Getenv("GONYX_ONNX_TESTDATA")
	if root == "" {
		root = "../../build/onnx-testdata/data"
	}
	if _, err := os.Stat(filepath.Join(root, "node")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ONNX test data not found at %s (run `make testdata`)", root)
		}
		t.Skipf("ONNX test data not found at %s; `make testdata` unpacks it", root)
	}
	return root
}

func TestConformance(t *testing.T) {
	root := testdataRoot(t)
	var paths []string
	for _, s := range suites {
		paths = append(paths, filepath.Join(root, s))
	}
	cases, err := Discover(paths)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := func(ctx context.Context, dir string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		return cmd
	}
	start := time.Now()
	results := RunIsolated(context.Background(), cases, runtime.NumCPU(), 20*time.Second, child, nil)
	want := readExpected(t)
	passed := map[string]bool{}
	reasons := map[string]string{}
	for _, r := range results {
		if r.Status == "pass" {
			passed[r.Name] = true
		} else {
			reasons[r.Name] = r.Reason
		}
	}
	for _, name := range want {
		if !passed[name] {
			if _, exists := reasons[name]; !exists {
				t.Errorf("regression: %s is listed as passing but was not found", name)
				continue
			}
			t.Errorf("regression: %s: %s", name, reasons[name])
		}
	}
	listed := map[string]bool{}
	for _, n := range want {
		listed[n] = true
	}
	var newPass []string
	for n := range passed {
		if !listed[n] {
			newPass = append(newPass, n)
		}
	}
	sort.Strings(newPass)
	if len(newPass) > 0 {
		t.Logf("%d cases pass but are not in %s (add them): %s", len(newPass), expectedPassFile, strings.Join(newPass, " "))
	}
	t.Logf("conformance: %d of %d cases pass (%d expected) in %v", len(passed), len(cases), len(want), time.Since(start).Round(time.Second))
}

func readExpected(t *testing.T) []string {
	f, err := os.Open(expectedPassFile)
	if err != nil {
		t.Fatalf("expected-pass list: %v", err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names = append(names, line)
	}
	return names
}
