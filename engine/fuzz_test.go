package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// FuzzLoad feeds arbitrary bytes through the whole load path (decoder,
// shape inference, kernel builders, constant folding) and, when a model
// loads, runs it on zero inputs. Errors are fine; a panic — even one the
// engine recovers and reports as an internal error — is a finding.
func FuzzLoad(f *testing.F) {
	f.Add(onnxpb.EncodeModel(addRelu()))
	for _, c := range []string{"test_add", "test_conv_with_strides_padding", "test_reshape_negative_dim", "test_gather_0", "test_loop11", "test_if"} {
		if b, err := os.ReadFile(filepath.Join("../build/onnx-testdata/data/node", c, "model.onnx")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := LoadBytes(append([]byte(nil), b...))
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		feeds := map[string]*Tensor{}
		for _, in := range m.Inputs() {
			if in.Type == nil || in.Shape == nil || !in.DType.Supported() {
				return
			}
			shape := make([]int, len(in.Shape))
			n := 1
			for i, d := range in.Shape {
				shape[i] = 1
				if d.Size >= 0 {
					shape[i] = int(d.Size)
				}
				n *= shape[i]
				if n > 1<<16 {
					return
				}
			}
			feeds[in.Name] = tensor.Zeros(in.DType, shape...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1e9)
		defer cancel()
		if _, err := m.Run(ctx, feeds); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
