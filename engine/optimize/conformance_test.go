package optimize_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/conformance"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/ops"
)

func hasKernel(domain, op string, opset int) bool {
	_, ok := ops.Lookup(domain, op, opset)
	return ok
}

// loadCase decodes a case's model, optimised or not.
func loadCase(dir string, opt bool) (*engine.Model, optimize.Report, error) {
	path := filepath.Join(dir, "model.onnx")
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, optimize.Report{}, err
	}
	ir, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: dir, OwnBuffer: true})
	if err != nil {
		return nil, optimize.Report{}, err
	}
	var rep optimize.Report
	if opt {
		if rep, err = optimize.Optimize(ir, hasKernel); err != nil {
			return nil, rep, err
		}
	}
	m, err := engine.FromIR(ir)
	return m, rep, err
}

// runCase checks every data set of a case; it returns nil on a pass.
func runCase(dir string, opt bool, tol conformance.Tolerance) (optimize.Report, error) {
	m, rep, err := loadCase(dir, opt)
	if err != nil {
		return rep, fmt.Errorf("load: %w", err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	sort.Strings(sets)
	if len(sets) == 0 {
		return rep, errors.New("no test data")
	}
	for _, set := range sets {
		in, err := conformance.ReadInputs(m, set)
		if err != nil {
			return rep, err
		}
		outs, err := m.RunValues(context.Background(), in)
		if err != nil {
			return rep, fmt.Errorf("run: %w", err)
		}
		for k, o := range m.Outputs() {
			buf, err := os.ReadFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", k)))
			if err != nil {
				continue
			}
			want, _, err := onnxpb.DecodeValue(buf, o.Type)
			if err != nil {
				return rep, err
			}
			if err := conformance.Compare(outs[o.Name], want, tol); err != nil {
				// (Outputs ONNX 1.12 stores as uint16-coded bfloat16 fail
				// here either way: they count as failing, not regressing.)
				return rep, fmt.Errorf("%s output %d: %w", filepath.Base(set), k, err)
			}
		}
	}
	return rep, nil
}

// TestConformanceOptimized runs ONNX backend-test cases with and without
// the passes and fails on any case that passes without them but not with
// them. It is slow and needs the test data: it runs only when
// GONYX_OPT_CONFORMANCE lists case folders, e.g.
//
//	GONYX_OPT_CONFORMANCE="$PWD/build/onnx-testdata/data/node /work/shared/models" go test ./engine/optimize -run Conformance -v
//
// GONYX_OPT_ATOL overrides the absolute tolerance (1e-5; the reference
// models are held to 1e-4).
func TestConformanceOptimized(t *testing.T) {
	roots := strings.Fields(os.Getenv("GONYX_OPT_CONFORMANCE"))
	if len(roots) == 0 {
		t.Skip("set GONYX_OPT_CONFORMANCE to case folders to run")
	}
	tol := conformance.Default
	if a := os.Getenv("GONYX_OPT_ATOL"); a != "" {
		fmt.Sscan(a, &tol.Atol)
	}
	cases, err := conformance.Discover(roots)
	if err != nil {
		t.Fatal(err)
	}
	pass, rewritten, regress := 0, 0, 0
	for _, dir := range cases {
		name := conformance.CaseName(dir)
		rep, errOpt := runCase(dir, true, tol)
		if rep.Rewrites() > 0 {
			rewritten++
			t.Logf("%s: %d rewrites", name, rep.Rewrites())
		}
		if errOpt == nil {
			pass++
			continue
		}
		if _, errBase := runCase(dir, false, tol); errBase == nil {
			regress++
			t.Errorf("%s: passes unoptimised, fails optimised: %v", name, errOpt)
		} else {
			t.Logf("%s: fails either way: %v", name, errBase)
		}
	}
	t.Logf("%d cases, %d pass optimised, %d rewritten, %d regressions", len(cases), pass, rewritten, regress)
}
