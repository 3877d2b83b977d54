package shapeinfer_test

import (
	"github.com/gonyx/gonyx/engine/shapeinfer"

	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// sharedModels is the reference model folder (GONYX_SHARED_MODELS, default
// ../shared/models beside the repository).
func sharedModels(t *testing.T) string {
	dir := os.Getenv("GONYX_SHARED_MODELS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference models not found at %s: CI must have ../shared/models", dir)
		}
		t.Skipf("reference models not found at %s", dir)
	}
	return dir
}

var referenceModels = []string{
	"mlp_tabular", "cnn_mnist", "lstm_seq", "gru_seq", "bert_small",
	"squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet50",
}

// symbolValues binds the symbolic dims for the traced run.
var symbolValues = map[string]int64{"N": 1, "S": 32}

func sameType(a, b *graph.Type) bool {
	if a == nil || b == nil || a.Kind != b.Kind || a.Elem != b.Elem || len(a.Shape) != len(b.Shape) || (a.Shape == nil) != (b.Shape == nil) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}

// TestReferenceModels checks every graph output's inferred type against its
// declared type, reports the share of values with fully known shapes, and
// compares every inferred shape with the one a real run (N=1, S=32) produces.
func TestReferenceModels(t *testing.T) {
	dir := sharedModels(t)
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name, "model.onnx")
			buf, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := onnxpb.DecodeModel(buf, onnxpb.Options{Dir: filepath.Dir(path)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := shapeinfer.InferRaw(m, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range m.Graph.Outputs {
				if got := res.Types[o.Name]; !sameType(got, o.Type) {
					t.Errorf("output %s: inferred %s, declared %s", o.Name, typeStr(got), typeStr(o.Type))
				}
			}
			total, full := 0, 0
			for _, n := range m.Graph.Nodes {
				for _, o := range n.Outputs {
					if o == "" {
						continue
					}
					total++
					if ty := res.Types[o]; ty != nil && fullyKnown(ty) {
						full++
					}
				}
			}
			t.Logf("%s: %d/%d values (%.1f%%) with fully known shapes, %d unknown", name, full, total, 100*float64(full)/float64(max(total, 1)), len(res.Unknown))
			// Only x[:S] slices of fixed-size tables (bert's position ids:
			// min(S,128)) may stay unresolved.
			if len(res.Unknown) > 0 || float64(full) < 0.99*float64(total) {
				t.Errorf("%d values without a fully known shape (unknown: %v)", total-full, res.Unknown)
			}
			if testing.Short() && (name == "resnet50" || name == "efficientnet_b0") {
				return // the two slowest runs
			}
			crossCheck(t, path, res)
		})
	}
}

// crossCheck runs the model at N=1, S=32 and compares each traced value's
// shape and dtype with the inferred type.
func crossCheck(t *testing.T, path string, res *shapeinfer.Result) {
	em, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]tensor.Value{}
	for _, in := range em.Inputs() {
		shape := make([]int, len(in.Shape))
		for i, d := range in.Shape {
			switch {
			case d.Size >= 0:
				shape[i] = int(d.Size)
			case symbolValues[d.Name] > 0:
				shape[i] = int(symbolValues[d.Name])
			default:
				t.Fatalf("input %s: no value for dim %v", in.Name, d)
			}
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float64, n)
		for i := range vals {
			switch {
			case in.DType.IsFloat():
				vals[i] = float64(i%7)/7 - 0.5
			default:
				vals[i] = float64(1 + i%50) // ids in range, masks non-zero
			}
		}
		x, err := tensor.FromFloat64s(in.DType, shape, vals)
		if err != nil {
			t.Fatal(err)
		}
		feeds[in.Name] = x
	}
	compared := 0
	_, err = em.Trace(context.Background(), feeds, func(n *graph.Node, _, outs []tensor.Value) {
		for i, o := range outs {
			if i >= len(n.Outputs) || n.Outputs[i] == "" {
				continue
			}
			x, ok := o.(*tensor.Tensor)
			ty := res.Types[n.Outputs[i]]
			if !ok || x == nil || ty == nil {
				continue
			}
			compared++
			if ty.Elem != x.DType() || (ty.Shape != nil && len(ty.Shape) != x.Rank()) {
				t.Errorf("value %s (%s): inferred %s, run produced %s%v", n.Outputs[i], n.OpType, typeStr(ty), x.DType(), x.Shape())
				continue
			}
			for k, d := range ty.Shape {
				want := int64(x.Shape()[k])
				got := d.Value
				if got < 0 && d.Param != "" {
					got = symbolValues[d.Param]
					if got == 0 {
						continue
					}
				}
				if got >= 0 && got != want {
					t.Errorf("value %s (%s): inferred %s, run produced %v", n.Outputs[i], n.OpType, typeStr(ty), x.Shape())
					break
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if compared == 0 {
		t.Error("trace compared no values")
	}
	t.Logf("cross-checked %d traced values", compared)
}
