package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const small = `{"opset": 17, "models": [
 {"name": "mlp", "file": "mlp/model.onnx", "inputs": [{"name": "features", "elem_type": "FLOAT", "shape": ["N", 64]}]},
 {"name": "bert", "file": "bert/model.onnx", "inputs": [
   {"name": "input_ids", "elem_type": "INT64", "shape": ["N", "S"]},
   {"name": "attention_mask", "elem_type": "INT64", "shape": ["N", "S"]}]},
 {"name": "odd", "file": "odd/model.onnx", "inputs": [{"name": "x", "elem_type": "BOOL", "shape": [2, 0]}]}
]}`

func TestParseAndSelect(t *testing.T) {
	m, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset != 17 || len(m.Models) != 3 {
		t.Fatalf("opset %d, %d models", m.Opset, len(m.Models))
	}
	all, err := m.Select("")
	if err != nil || len(all) != 3 {
		t.Fatalf("Select(\"\"): %d models, %v", len(all), err)
	}
	sub, err := m.Select(" bert ,mlp")
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) != 2 || sub[0].Name != "bert" || sub[1].Name != "mlp" {
		t.Errorf("Select order: %+v", sub)
	}
	if _, err := m.Select("mlp,nope"); err == nil {
		t.Error("unknown model accepted")
	}
	if _, err := Parse([]byte(`{"models": []}`)); err == nil {
		t.Error("empty manifest accepted")
	}
}

func TestConcreteAndPeerSpec(t *testing.T) {
	m, _ := Parse([]byte(small))
	cases := []struct {
		in    Input
		shape []int
		spec  string
	}{
		{m.Models[0].Inputs[0], []int{8, 64}, "features:float32:8x64"},
		{m.Models[1].Inputs[1], []int{8, 32}, "attention_mask:int64:8x32"},
	}
	for _, c := range cases {
		got, err := Concrete(c.in, 8, 32)
		if err != nil || !reflect.DeepEqual(got, c.shape) {
			t.Errorf("Concrete(%s) = %v, %v; want %v", c.in.Name, got, err, c.shape)
		}
		spec, err := PeerSpec(c.in, 8, 32)
		if err != nil || spec != c.spec {
			t.Errorf("PeerSpec(%s) = %q, %v; want %q", c.in.Name, spec, err, c.spec)
		}
	}
	// a 0 dimension is symbolic for ort_bench.js too: the first one is the batch
	got, err := Concrete(m.Models[2].Inputs[0], 3, 32)
	if err != nil || !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("Concrete(x) = %v, %v; want [2 3]", got, err)
	}
	if _, err := PeerSpec(m.Models[2].Inputs[0], 1, 1); err == nil {
		t.Error("BOOL input accepted by PeerSpec")
	}
}

// The real manifest, when the shared folder is beside the repository.
func TestSharedManifest(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "shared", "models", "manifest.json")
	if _, err := os.Stat(path); err != nil {
		t.Skip("shared/models not present")
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := m.Select("bert_small")
	if err != nil {
		t.Fatal(err)
	}
	var specs []string
	for _, in := range sel[0].Inputs {
		s, err := PeerSpec(in, 1, 32)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	want := []string{"input_ids:int64:1x32", "attention_mask:int64:1x32"}
	if !reflect.DeepEqual(specs, want) {
		t.Errorf("bert_small specs %v, want %v", specs, want)
	}
}
