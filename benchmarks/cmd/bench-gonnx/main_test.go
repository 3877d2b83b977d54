package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/benchmarks/internal/peerrun"
)

// The adapter loads shared/models/mlp_tabular (Gemm, Relu) and reproduces
// its test_data_set_0 outputs; skipped without the shared folder.
func TestMLPTabular(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "models", "mlp_tabular")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared/models not present")
	}
	run, _, err := load(filepath.Join(dir, "model.onnx"), peerrun.Options{ForceOpset: 13})
	if err != nil {
		t.Fatal(err)
	}
	ins, want, err := peerrun.LoadTestSet(filepath.Join(dir, "test_data_set_0"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := run(ins)
	if err != nil {
		t.Fatal(err)
	}
	if msg := peerrun.Compare(got, want, 1e-4, 1e-3); msg != "" {
		t.Error(msg)
	}
}
