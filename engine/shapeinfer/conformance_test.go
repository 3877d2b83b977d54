package shapeinfer_test

import (
	"github.com/gonyx/gonyx/engine/shapeinfer"

	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// testdataDir is the unpacked ONNX backend test data (GONYX_ONNX_TESTDATA,
// default build/onnx-testdata/data).
func testdataDir() string {
	if d := os.Getenv("GONYX_ONNX_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(), "build", "onnx-testdata", "data")
}

// dimsConflict reports whether an inferred and a declared shape provably
// disagree (rank, or a fixed dim against a different fixed dim, or a
// symbol against a different symbol).
func dimsConflict(inf, decl *graph.Type) string {
	if inf == nil || decl == nil || inf.Kind != graph.KindTensor || decl.Kind != graph.KindTensor {
		return ""
	}
	if inf.Elem != 0 && decl.Elem != 0 && inf.Elem != decl.Elem {
		return "dtype " + inf.Elem.String() + " vs declared " + decl.Elem.String()
	}
	if inf.Shape == nil || decl.Shape == nil {
		return ""
	}
	if len(inf.Shape) != len(decl.Shape) {
		return "rank " + typeStr(inf) + " vs declared " + typeStr(decl)
	}
	for i, d := range inf.Shape {
		e := decl.Shape[i]
		if d.Value >= 0 && e.Value >= 0 && d.Value != e.Value {
			return typeStr(inf) + " vs declared " + typeStr(decl)
		}
	}
	return ""
}

// TestConformanceModels runs Infer over every ONNX backend node model: all
// are valid, so Infer must not fail (nor panic), and every inferred graph
// output must agree with the declared output type.
func TestConformanceModels(t *testing.T) {
	dir := testdataDir()
	cases, _ := filepath.Glob(filepath.Join(dir, "*", "*", "model.onnx"))
	if len(cases) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no conformance models under %s", dir)
		}
		t.Skipf("no conformance models under %s", dir)
	}
	var conflicts []string
	known, total := 0, 0
	for _, path := range cases {
		name := filepath.Base(filepath.Dir(path))
		buf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: filepath.Dir(path)})
		if err != nil {
			continue // decoder limitations are not ours
		}
		res, err := shapeinfer.InferRaw(m, false)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := shapeinfer.Infer(m); err != nil {
			t.Errorf("%s: Infer: %v", name, err)
		}
		// Weaker input information must never create an error: every
		// input dim symbolic (distinct names), then every rank unknown.
		for _, vi := range m.Graph.Inputs {
			if vi.Type != nil && vi.Type.Kind == graph.KindTensor && vi.Type.Shape != nil {
				sh := make([]graph.Dim, len(vi.Type.Shape))
				for k := range sh {
					sh[k] = graph.Dim{Value: -1, Param: vi.Name + "_d" + itoa(int64(k))}
				}
				vi.Type.Shape = sh
			}
		}
		if _, err := shapeinfer.InferRaw(m, false); err != nil {
			t.Errorf("%s with symbolic inputs: %v", name, err)
		}
		for _, vi := range m.Graph.Inputs {
			if vi.Type != nil && vi.Type.Kind == graph.KindTensor {
				vi.Type.Shape = nil
			}
		}
		if _, err := shapeinfer.InferRaw(m, false); err != nil {
			t.Errorf("%s with unranked inputs: %v", name, err)
		}
		for _, o := range m.Graph.Outputs {
			total++
			got := res.Types[o.Name]
			if got != nil && fullyKnown(got) {
				known++
			}
			if msg := dimsConflict(got, o.Type); msg != "" {
				conflicts = append(conflicts, name+": output "+o.Name+": "+msg)
			}
		}
	}
	sort.Strings(conflicts)
	for _, c := range conflicts {
		t.Error(c)
	}
	t.Logf("%d models, %d/%d graph outputs with fully known shapes", len(cases), known, total)
}

func fullyKnown(t *graph.Type) bool {
	if t.Kind != graph.KindTensor || t.Shape == nil || t.Elem == 0 {
		return false
	}
	for _, d := range t.Shape {
		if d.Value < 0 && d.Param == "" {
			return false
		}
	}
	return true
}

// TestConformanceWithData feeds each node model's test inputs as constants
// (so every shape and small integer value is known) and checks the inferred
// shape of each output against the shape of the expected output tensor.
func TestConformanceWithData(t *testing.T) {
	dir := testdataDir()
	cases, _ := filepath.Glob(filepath.Join(dir, "*", "*", "model.onnx"))
	if len(cases) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no conformance models under %s", dir)
		}
		t.Skipf("no conformance models under %s", dir)
	}
	checked, known, traced := 0, 0, 0
	for _, path := range cases {
		name := filepath.Base(filepath.Dir(path))
		buf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: filepath.Dir(path)})
		if err != nil {
			continue
		}
		data := filepath.Join(filepath.Dir(path), "test_data_set_0")
		ins := readTensors(data, "input", len(m.Graph.Inputs))
		outs := readTensors(data, "output", len(m.Graph.Outputs))
		if ins == nil || outs == nil {
			continue
		}
		if m.Graph.Initializers == nil {
			m.Graph.Initializers = map[string]*tensor.Tensor{}
		}
		var keep []graph.ValueInfo
		for i, in := range m.Graph.Inputs {
			if ins[i] == nil {
				keep = append(keep, in)
				continue
			}
			m.Graph.Initializers[in.Name] = ins[i]
		}
		feeds := map[string]tensor.Value{}
		for i, in := range m.Graph.Inputs {
			if ins[i] != nil {
				feeds[in.Name] = ins[i]
			}
		}
		m.Graph.Inputs = keep
		res, err := shapeinfer.InferRaw(m, false)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		traced += traceCompare(t, name, buf, feeds, res)
		for i, o := range m.Graph.Outputs {
			want := outs[i]
			if want == nil {
				continue
			}
			checked++
			got := res.Types[o.Name]
			if got == nil || got.Kind != graph.KindTensor {
				if os.Getenv("SHAPEINFER_DEBUG") != "" {
					t.Logf("%s: output %s: not inferred", name, o.Name)
				}
				continue
			}
			// ONNX 1.12 stores bfloat16 test data as uint16.
			bf := got.Elem == tensor.BFloat16 && want.DType() == tensor.Uint16
			if got.Elem != 0 && got.Elem != want.DType() && !bf {
				t.Errorf("%s: output %s: inferred %s, real output is %s%v", name, o.Name, typeStr(got), want.DType(), want.Shape())
				continue
			}
			if got.Shape == nil {
				if os.Getenv("SHAPEINFER_DEBUG") != "" {
					t.Logf("%s: output %s: partially inferred %s", name, o.Name, typeStr(got))
				}
				continue
			}
			if len(got.Shape) != len(want.Shape()) {
				t.Errorf("%s: output %s: inferred %s, real output is %s%v", name, o.Name, typeStr(got), want.DType(), want.Shape())
				continue
			}
			all := true
			for k, d := range got.Shape {
				if d.Value < 0 {
					all = false
				} else if d.Value != int64(want.Shape()[k]) {
					t.Errorf("%s: output %s: inferred %s, real output is %s%v", name, o.Name, typeStr(got), want.DType(), want.Shape())
					break
				}
			}
			if all {
				known++
			} else if os.Getenv("SHAPEINFER_DEBUG") != "" {
				t.Logf("%s: output %s: partially inferred %s", name, o.Name, typeStr(got))
			}
		}
	}
	t.Logf("%d outputs checked, %d fully inferred; %d intermediate values cross-checked against traced runs", checked, known, traced)
}

// readTensors reads prefix_N.pb for N < n; a file holding a non-tensor value
// leaves a nil entry. nil when a file is missing.
func readTensors(dir, prefix string, n int) []*tensor.Tensor {
	out := make([]*tensor.Tensor, n)
	for i := range out {
		buf, err := os.ReadFile(filepath.Join(dir, prefix+"_"+itoa(int64(i))+".pb"))
		if err != nil {
			return nil
		}
		if t, _, err := onnxpb.DecodeTensor(buf); err == nil {
			out[i] = t
		}
	}
	return out
}

// traceCompare runs the model on feeds (when the engine can) and checks
// every traced tensor against its inferred type; it returns how many values
// it compared.
func traceCompare(t *testing.T, name string, buf []byte, feeds map[string]tensor.Value, res *shapeinfer.Result) int {
	em, err := engine.LoadBytes(buf)
	if err != nil {
		return 0
	}
	compared := 0
	_, _ = em.Trace(context.Background(), feeds, func(n *graph.Node, _, outs []tensor.Value) {
		for i, o := range outs {
			if i >= len(n.Outputs) || n.Outputs[i] == "" {
				continue
			}
			x, ok := o.(*tensor.Tensor)
			ty := res.Types[n.Outputs[i]]
			if !ok || x == nil || ty == nil || ty.Kind != graph.KindTensor {
				continue
			}
			compared++
			bf := ty.Elem == tensor.BFloat16 && x.DType() == tensor.Uint16
			bad := ty.Elem != 0 && ty.Elem != x.DType() && !bf
			if ty.Shape != nil {
				if len(ty.Shape) != x.Rank() {
					bad = true
				} else {
					for k, d := range ty.Shape {
						if d.Value >= 0 && d.Value != int64(x.Shape()[k]) {
							bad = true
						}
					}
				}
			}
			if bad {
				t.Errorf("%s: value %s (%s): inferred %s, run produced %s%v", name, n.Outputs[i], n.OpType, typeStr(ty), x.DType(), x.Shape())
			}
		}
	})
	return compared
}

var (
	typeStr  = shapeinfer.TypeStr
	repoRoot = shapeinfer.RepoRoot
	itoa     = shapeinfer.Itoa
)
