package onnxpb

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// seedFiles adds backend test files to a fuzz corpus (when unpacked).
func seedFiles(f *testing.F, rels ...string) {
	for _, rel := range rels {
		if b, err := os.ReadFile(filepath.Join(testData, rel)); err == nil {
			f.Add(b)
		}
	}
}

func FuzzDecodeModel(f *testing.F) {
	seedFiles(f, "node/test_add/model.onnx", "node/test_if/model.onnx", "node/test_loop11/model.onnx",
		"node/test_identity_sequence/model.onnx", "node/test_constant/model.onnx",
		"node/test_optional_get_element_sequence/model.onnx")
	hand, _ := handMadeModel()
	f.Add([]byte(hand))
	f.Add([]byte(pb{}.int(1, 8).msg(8, pb{}.int(2, 17)).msg(7, nestedGraph(4))))
	f.Add([]byte(pb{}.msg(7, pb{}.msg(11, valueInfo("x", nestedType(5))))))
	big := make([]float32, 32)
	f.Add([]byte(pb{}.msg(7, pb{}.msg(5, pb{}.dims(32).int(2, 1).str(8, "w").bytes(9, le32(big...))))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m1, err1 := DecodeModel(data, Options{})
		// The owned-buffer (zero-copy) path must give the same result.
		own := append([]byte{}, data...)
		m2, err2 := DecodeModel(own, Options{OwnBuffer: true})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("OwnBuffer changes the outcome: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if m1.Graph == nil || m2.Graph == nil {
			t.Fatal("nil graph without error")
		}
		checkGraphTensors(t, m1.Graph, m2.Graph)
		// What was decoded encodes (EncodeModel) to a model that decodes
		// to the same IR (skipped for big densified tensors: slow).
		size := 0
		for _, w := range m1.Graph.Initializers {
			size += w.Len()
		}
		if size > 1<<16 {
			return
		}
		enc := EncodeModel(m1)
		m3, err := DecodeModel(enc, Options{})
		if err != nil {
			t.Fatalf("re-decoding the encoded model: %v", err)
		}
		if !bytes.Equal(EncodeModel(m3), enc) {
			t.Fatal("EncodeModel(DecodeModel(EncodeModel(m))) differs")
		}
	})
}

// checkGraphTensors checks that both decodings hold the same, consistent
// initializers (compared through their encoding, which handles NaNs).
func checkGraphTensors(t *testing.T, g1, g2 *graph.Graph) {
	if len(g1.Initializers) != len(g2.Initializers) {
		t.Fatalf("initializer count %d vs %d", len(g1.Initializers), len(g2.Initializers))
	}
	for name, a := range g1.Initializers {
		b := g2.Initializers[name]
		if b == nil {
			t.Fatalf("initializer %q missing with OwnBuffer", name)
		}
		checkConsistent(t, a)
		if !bytes.Equal(EncodeTensor(name, a), EncodeTensor(name, b)) {
			t.Fatalf("initializer %q differs with OwnBuffer", name)
		}
	}
}

func checkConsistent(t *testing.T, x *tensor.Tensor) {
	n, err := tensor.NumElements(x.Shape())
	if err != nil || n != x.Len() {
		t.Fatalf("tensor %v: shape and data disagree (%v)", x, err)
	}
}

func FuzzDecodeTensor(f *testing.F) {
	seedFiles(f, "node/test_add/test_data_set_0/input_0.pb",
		"node/test_cast_FLOAT_to_STRING/test_data_set_0/output_0.pb",
		"node/test_optional_get_element/test_data_set_0/input_0.pb",
		"node/test_identity_sequence/test_data_set_0/input_0.pb")
	for _, x := range roundTripTensors() {
		f.Add(EncodeTensor("t", x))
	}
	f.Add([]byte(pb{}.dims(2).int(2, 10).packedVarints(5, 0x3C00, 1)))
	f.Add([]byte(pb{}.dims(1).int(2, 1).msg(13, pb{}.str(1, "location").str(2, "x")).int(14, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, name, err := DecodeTensor(data)
		if err == nil {
			checkConsistent(t, x)
			// Encoding is a fixed point after one decode.
			enc := EncodeTensor(name, x)
			y, name2, err := DecodeTensor(enc)
			if err != nil {
				t.Fatalf("re-decoding %v: %v", x, err)
			}
			if name2 != name || !bytes.Equal(EncodeTensor(name2, y), enc) {
				t.Fatalf("round trip changed %v into %v", x, y)
			}
		}
		// Other value kinds must not panic either.
		for _, typ := range []*graph.Type{seqOf(nil), optOf(nil), optOf(seqOf(nil)), {Kind: graph.KindSparseTensor}} {
			if v, _, err := DecodeValue(data, typ); err == nil && v == nil {
				t.Fatal("nil value without error")
			}
		}
	})
}
