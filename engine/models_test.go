package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/engine/conformance"
)

// sharedModels is ../shared/models beside the repository (override with
// GONYX_SHARED_MODELS).
func sharedModels(t *testing.T) string {
	dir := os.Getenv("GONYX_SHARED_MODELS")
	if dir == "" {
		dir = "../../shared/models"
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference models not found at %s: CI must have ../shared/models", dir)
		}
		t.Skipf("reference models not found at %s", dir)
	}
	return dir
}

// The reference models are held to |got − want| ≤ 1e-4 + 1e-3·|want| against
// ONNX Runtime's outputs, on both test data sets (batch 1 and batch 4).
func TestReferenceModels(t *testing.T) {
	dir := sharedModels(t)
	for _, name := range []string{
		"mlp_tabular", "cnn_mnist", "lstm_seq", "gru_seq", "bert_small",
		"squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet50",
	} {
		t.Run(name, func(t *testing.T) {
			err := conformance.RunCase(context.Background(), filepath.Join(dir, name), conformance.Tolerance{Rtol: 1e-3, Atol: 1e-4})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
