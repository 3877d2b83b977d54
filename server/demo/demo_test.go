package demo

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/tensor"
	_ "github.com/gonyx/gonyx/ops/all"
)

// The MLP's output is checked against the same Gemm-Relu-Gemm computed here
// in float64 loops straight from the model's weights.
func TestMLPMatchesHandComputation(t *testing.T) {
	ir := MLP()
	m, err := engine.FromIR(MLP())
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(i%13)/6 - 1
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"features": tensor.New([]int{2, 64}, x)})
	if err != nil {
		t.Fatal(err)
	}
	got := tensor.Data[float32](out["logits"])
	init := ir.Graph.Initializers
	w1, b1 := tensor.Data[float32](init["fc1.weight"]), tensor.Data[float32](init["fc1.bias"])
	w2, b2 := tensor.Data[float32](init["fc2.weight"]), tensor.Data[float32](init["fc2.bias"])
	for r := 0; r < 2; r++ {
		h := make([]float64, 32)
		for j := range h {
			s := float64(b1[j])
			for k := 0; k < 64; k++ {
				s += float64(x[r*64+k]) * float64(w1[j*64+k])
			}
			h[j] = math.Max(s, 0)
		}
		for j := 0; j < 10; j++ {
			s := float64(b2[j])
			for k := 0; k < 32; k++ {
				s += h[k] * float64(w2[j*32+k])
			}
			if d := math.Abs(s - float64(got[r*10+j])); d > 1e-4 {
				t.Fatalf("row %d logit %d: got %v, want %v", r, j, got[r*10+j], s)
			}
		}
	}
}

// Each row of a batched CNN run equals the run of that row alone, and the
// logits differ between inputs (the seeded weights are not degenerate).
func TestCNNBatchRowsIndependent(t *testing.T) {
	m, err := engine.FromIR(CNN())
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 3*28*28)
	for i := range x {
		x[i] = float32((i*7)%29) / 29
	}
	run := func(in *tensor.Tensor) []float32 {
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": in})
		if err != nil {
			t.Fatal(err)
		}
		if s := out["logits"].Shape(); s[1] != 10 {
			t.Fatalf("logits shape %v", s)
		}
		return tensor.Data[float32](out["logits"])
	}
	all := run(tensor.New([]int{3, 1, 28, 28}, x))
	for r := 0; r < 3; r++ {
		one := run(tensor.New([]int{1, 1, 28, 28}, x[r*784:(r+1)*784]))
		for j := range one {
			if math.Abs(float64(one[j]-all[r*10+j])) > 1e-5 {
				t.Fatalf("row %d logit %d: alone %v, in batch %v", r, j, one[j], all[r*10+j])
			}
		}
	}
	if all[0] == all[10] && all[1] == all[11] {
		t.Fatalf("rows 0 and 1 give the same logits: %v", all[:20])
	}
}

// The repository's model files decode and load, and encoding is
// deterministic (the same bytes on every call).
func TestRepositoryLoadsAndIsDeterministic(t *testing.T) {
	a, b := Repository(), Repository()
	for _, name := range []string{"mlp/1/model.onnx", "cnn/1/model.onnx"} {
		da, err := fs.ReadFile(a, name)
		if err != nil {
			t.Fatal(err)
		}
		db, _ := fs.ReadFile(b, name)
		if string(da) != string(db) {
			t.Fatalf("%s differs between two builds", name)
		}
		if _, err := engine.LoadBytes(da); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// The image model takes a batch of ImageNet-sized images and gives 1000
// logits per image that depend on the image.
func TestImageModel(t *testing.T) {
	m, err := engine.FromIR(ImageModel())
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*3*224*224)
	for i := range x[:3*224*224] {
		x[i] = float32(i%251) / 251
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.New([]int{2, 3, 224, 224}, x)})
	if err != nil {
		t.Fatal(err)
	}
	l := out["logits"]
	if s := l.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 1000 {
		t.Fatalf("shape %v", s)
	}
	d := tensor.Data[float32](l)
	same := true
	for j := range 1000 {
		if d[j] != d[1000+j] {
			same = false
		}
	}
	if same {
		t.Fatal("a gradient image and a black image give the same logits")
	}
}

// BenchmarkCNN reports the demo CNN's time per image alone and in a batch
// of 32 (the gain dynamic batching can bring): go test -bench CNN ./server/demo
func BenchmarkCNN(b *testing.B) {
	m, err := engine.FromIR(CNN())
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			in := map[string]*tensor.Tensor{"image": tensor.New([]int{n, 1, 28, 28}, make([]float32, n*784))}
			for b.Loop() {
				if _, err := m.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/image")
		})
	}
}
