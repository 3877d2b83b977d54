package shapeinfer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/engine/onnxpb"
)

// BenchmarkInferBert measures load-time cost on the largest graph.
func BenchmarkInferBert(b *testing.B) {
	dir := os.Getenv("GONYX_SHARED_MODELS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "models")
	}
	buf, err := os.ReadFile(filepath.Join(dir, "bert_small", "model.onnx"))
	if err != nil {
		b.Skip(err)
	}
	m, err := onnxpb.DecodeModel(buf, onnxpb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Infer(m); err != nil {
			b.Fatal(err)
		}
	}
}
