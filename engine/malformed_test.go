package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

func TestEncodedModelRoundTrip(t *testing.T) {
	buf := onnxpb.EncodeModel(addRelu())
	m, err := LoadBytes(buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{1, 1, -1})})
	if err != nil {
		t.Fatal(err)
	}
	if y := tensor.Data[float32](out["y"]); y[0] != 2 || y[1] != 0 || y[2] != 0 {
		t.Fatalf("y = %v", y)
	}
}

// Malformed bytes must give an error, never a panic or a huge allocation.
func TestMalformedModelsGiveErrors(t *testing.T) {
	good := onnxpb.EncodeModel(addRelu())
	cyclic := addRelu()
	cyclic.Graph.Nodes[0].Inputs = []string{"x", "y"}
	unknown := addRelu()
	unknown.Graph.Nodes[0].OpType = "NoSuchOp"
	cases := map[string][]byte{
		"empty":      {},
		"random":     randomBytes(4096, 1),
		"cyclic":     onnxpb.EncodeModel(cyclic),
		"unknown op": onnxpb.EncodeModel(unknown),
	}
	for _, cut := range []int{1, 7, len(good) / 3, len(good) / 2, len(good) - 1} {
		cases[fmt.Sprintf("truncated at %d", cut)] = good[:cut]
	}
	for name, buf := range cases {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			if _, err := LoadBytes(buf); err == nil {
				t.Errorf("%s: loaded, want an error", name)
			}
		}()
	}
}

func TestUnbroadcastableInitializerFailsCleanly(t *testing.T) {
	ir := addRelu()
	ir.Graph.Initializers["b"] = tensor.New([]int{2}, []float32{1, 2})
	buf := onnxpb.EncodeModel(ir)
	m, err := LoadBytes(buf)
	if err != nil {
		return // rejected at load: fine
	}
	// Accepted at load (the model is valid protobuf): running with a
	// mismatched broadcast must fail cleanly.
	_, err = m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{1, 2, 3})})
	if err == nil {
		t.Fatal("run with an unbroadcastable initializer succeeded")
	}
}

func TestAbsurdDeclaredSizeIsAnError(t *testing.T) {
	ir := addRelu()
	ir.Graph.Nodes = []*graph.Node{
		{Name: "big", OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{}},
	}
	ir.Graph.Initializers["shape"] = tensor.New([]int{3}, []int64{1 << 20, 1 << 20, 1 << 20})
	m, err := FromIR(ir)
	if err != nil {
		return
	}
	_, err = m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{1, 3}, []float32{1, 2, 3})})
	if err == nil {
		t.Fatal("a 2^60-element tensor was accepted")
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
