package tensorio

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// npyFile builds a version-1 .npy file by hand, as numpy.save writes it.
func npyFile(descr, shape string, payload []byte) []byte {
	return npyFileOrder(descr, "False", shape, payload)
}

func npyFileOrder(descr, fortran, shape string, payload []byte) []byte {
	header := "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	b = append(b, header...)
	return append(b, payload...)
}

func TestReadNpy(t *testing.T) {
	var payload []byte
	for _, f := range []float32{1.5, -2, 0, 3.25, 7, 8} {
		payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(f))
	}
	x, err := ReadNpy(npyFile("<f4", "(2, 3)", payload))
	if err != nil {
		t.Fatal(err)
	}
	if x.DType() != tensor.Float32 || x.Shape()[0] != 2 || x.Shape()[1] != 3 || tensor.Data[float32](x)[3] != 3.25 {
		t.Fatalf("got %v", x)
	}
	be := binary.BigEndian.AppendUint64(nil, uint64(1<<40+5))
	y, err := ReadNpy(npyFile(">i8", "(1,)", be))
	if err != nil || tensor.Data[int64](y)[0] != 1<<40+5 {
		t.Fatalf("big-endian int64: %v %v", y, err)
	}
	s, err := ReadNpy(npyFile("<f8", "()", binary.LittleEndian.AppendUint64(nil, math.Float64bits(2.5))))
	if err != nil || s.Rank() != 0 || tensor.Data[float64](s)[0] != 2.5 {
		t.Fatalf("scalar: %v %v", s, err)
	}
}

func TestReadNpyErrors(t *testing.T) {
	cases := map[string][]byte{
		"not npy":   []byte("hello world"),
		"truncated": npyFile("<f4", "(4,)", make([]byte, 8)),
		"fortran":   npyFileOrder("<f4", "True", "(2, 2)", make([]byte, 16)),
		"dtype":     npyFile("<c8", "(1,)", make([]byte, 8)),
		"huge":      npyFile("<f4", "(1000000000, 1000000000, 100)", nil),
	}
	for name, b := range cases {
		if _, err := ReadNpy(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadJSON(t *testing.T) {
	want := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Int64}
	x, err := ReadJSON([]byte(`[[1, 2, 3], [4, 5, 6]]`), want)
	if err != nil || x.DType() != tensor.Int64 || x.Shape()[1] != 3 || tensor.Data[int64](x)[5] != 6 {
		t.Fatalf("nested: %v %v", x, err)
	}
	y, err := ReadJSON([]byte(`{"dtype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]}`), nil)
	if err != nil || y.DType() != tensor.Float32 || y.Shape()[0] != 2 || tensor.Data[float32](y)[3] != 4 {
		t.Fatalf("object: %v %v", y, err)
	}
	if _, err := ReadJSON([]byte(`[[1, 2], [3]]`), nil); err == nil {
		t.Error("ragged array accepted")
	}
	if _, err := ReadJSON([]byte(`{"shape": [3], "data": [1, 2]}`), nil); err == nil {
		t.Error("shape/data mismatch accepted")
	}
	if _, err := ReadJSON([]byte(`["a"]`), nil); err == nil {
		t.Error("string as float accepted")
	}
}

func TestReadFileByExtension(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "x.pb")
	if err := os.WriteFile(pb, onnxpb.EncodeTensor("x", tensor.New([]int{2}, []int32{7, 9})), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := ReadFile(pb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x := v.(*tensor.Tensor); tensor.Data[int32](x)[1] != 9 {
		t.Fatalf("pb: %v", x)
	}
	js := filepath.Join(dir, "x.json")
	os.WriteFile(js, []byte(`[0.5]`), 0o644)
	if v, err := ReadFile(js, nil); err != nil || tensor.Data[float32](v.(*tensor.Tensor))[0] != 0.5 {
		t.Fatalf("json: %v %v", v, err)
	}
}
