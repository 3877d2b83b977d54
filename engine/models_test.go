package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/conformance"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
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

// Concurrent runs of one model share its buffer pool and shape memo; every
// result must still match the reference outputs (run under -race by make race).
func TestReferenceModelConcurrentRuns(t *testing.T) {
	dir := filepath.Join(sharedModels(t), "bert_small")
	m, err := engine.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sets := []string{"test_data_set_0", "test_data_set_1"}
	type data struct {
		in   map[string]tensor.Value
		want []tensor.Value
	}
	var cases []data
	for _, s := range sets {
		in, err := conformance.ReadInputs(m, filepath.Join(dir, s))
		if err != nil {
			t.Fatal(err)
		}
		var want []tensor.Value
		for k := range m.Outputs() {
			buf, err := os.ReadFile(filepath.Join(dir, s, fmt.Sprintf("output_%d.pb", k)))
			if err != nil {
				t.Fatal(err)
			}
			v, _, err := onnxpb.DecodeValue(buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, v)
		}
		cases = append(cases, data{in, want})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 4; r++ {
				c := cases[(g+r)%len(cases)] // batch 1 and batch 4 interleaved
				out, err := m.RunValues(context.Background(), c.in)
				if err != nil {
					errs <- err
					return
				}
				for k, o := range m.Outputs() {
					if err := conformance.Compare(out[o.Name], c.want[k], conformance.Tolerance{Rtol: 1e-3, Atol: 1e-4}); err != nil {
						errs <- fmt.Errorf("goroutine %d run %d output %s: %w", g, r, o.Name, err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
