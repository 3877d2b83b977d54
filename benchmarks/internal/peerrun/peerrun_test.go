package peerrun

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func f32bytes(xs ...float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestDecodeTensorProtoRaw(t *testing.T) {
	// dims 2, 3 (unpacked varints), data_type FLOAT, name "x", raw_data 1..6
	buf := []byte{0x08, 2, 0x08, 3, 0x10, 1, 0x42, 1, 'x', 0x4a, 24}
	buf = append(buf, f32bytes(1, 2, 3, 4, 5, 6)...)
	v, err := DecodeTensorProto(buf)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "x" || v.DType != "float32" || !reflect.DeepEqual(v.Shape, []int{2, 3}) {
		t.Errorf("header: %+v", v)
	}
	if !reflect.DeepEqual(v.F32, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("data %v", v.F32)
	}
}

func TestDecodeTensorProtoTyped(t *testing.T) {
	// packed dims [3], INT64, packed int64_data 7, 300 (varint ac 02), -1
	minus1 := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	data := append([]byte{7, 0xac, 0x02}, minus1...)
	buf := []byte{0x0a, 1, 3, 0x10, 7, 0x3a, byte(len(data))}
	buf = append(buf, data...)
	v, err := DecodeTensorProto(buf)
	if err != nil {
		t.Fatal(err)
	}
	if v.DType != "int64" || !reflect.DeepEqual(v.Shape, []int{3}) || !reflect.DeepEqual(v.I64, []int64{7, 300, -1}) {
		t.Errorf("got %+v", v)
	}
	// packed float_data (field 4) for a [2] FLOAT tensor
	fd := f32bytes(0.5, -2)
	buf = append([]byte{0x08, 2, 0x10, 1, 0x22, byte(len(fd))}, fd...)
	if v, err = DecodeTensorProto(buf); err != nil || !reflect.DeepEqual(v.F32, []float32{0.5, -2}) {
		t.Errorf("float_data: %+v, %v", v, err)
	}
}

func TestDecodeTensorProtoErrors(t *testing.T) {
	for name, buf := range map[string][]byte{
		"count mismatch": append([]byte{0x08, 3, 0x10, 1, 0x4a, 8}, f32bytes(1, 2)...),
		"truncated":      {0x08, 2, 0x4a, 40, 1, 2},
		"string type":    {0x08, 1, 0x10, 8},
	} {
		if _, err := DecodeTensorProto(buf); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The real test set of shared/models/mlp_tabular, when present.
func TestLoadSharedTestSet(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "models", "mlp_tabular", "test_data_set_0")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared/models not present")
	}
	ins, outs, err := LoadTestSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].Name != "features" || !reflect.DeepEqual(ins[0].Shape, []int{1, 64}) || len(ins[0].F32) != 64 {
		t.Errorf("input: %s %v (%d values)", ins[0].Name, ins[0].Shape, len(ins[0].F32))
	}
	if len(outs) != 1 || outs[0].Name != "logits" || !reflect.DeepEqual(outs[0].Shape, []int{1, 10}) {
		t.Errorf("output: %s %v", outs[0].Name, outs[0].Shape)
	}
}

func TestParseSpec(t *testing.T) {
	sp, err := ParseSpec("input_ids:int64:8x32")
	if err != nil || sp.Name != "input_ids" || sp.DType != "int64" || !reflect.DeepEqual(sp.Shape, []int{8, 32}) {
		t.Errorf("got %+v, %v", sp, err)
	}
	if sp, err := ParseSpec("s:float32:"); err != nil || len(sp.Shape) != 0 {
		t.Errorf("scalar: %+v, %v", sp, err)
	}
	for _, bad := range []string{"x", "x:float16:1", "x:float32:2xa", ":float32:1", "x:int64:-1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
}

func TestSynthetic(t *testing.T) {
	specs := []Spec{{"x", "float32", []int{100, 100}}, {"ids", "int64", []int{4, 8}}, {"attention_mask", "int64", []int{4, 8}}}
	vs := Synthetic(specs, 100, 42)
	if len(vs[0].F32) != 10000 || len(vs[1].I64) != 32 || len(vs[2].I64) != 32 {
		t.Fatalf("sizes %d %d %d", len(vs[0].F32), len(vs[1].I64), len(vs[2].I64))
	}
	mean, sq := 0.0, 0.0
	for _, x := range vs[0].F32 {
		mean += float64(x)
		sq += float64(x) * float64(x)
	}
	mean /= 10000
	if variance := sq/10000 - mean*mean; math.Abs(mean) > 0.05 || math.Abs(variance-1) > 0.05 {
		t.Errorf("floats: mean %v variance %v, want about 0 and 1", mean, variance)
	}
	distinct := map[int64]bool{}
	for _, id := range vs[1].I64 {
		if id < 0 || id >= 100 {
			t.Errorf("id %d outside [0, 100)", id)
		}
		distinct[id] = true
	}
	if len(distinct) < 10 {
		t.Errorf("only %d distinct ids in 32", len(distinct))
	}
	for _, m := range vs[2].I64 {
		if m != 1 {
			t.Fatalf("mask value %d, want 1", m)
		}
	}
	if again := Synthetic(specs, 100, 42); !reflect.DeepEqual(again, vs) {
		t.Error("same seed, different inputs")
	}
	if other := Synthetic(specs, 100, 7); reflect.DeepEqual(other[0].F32, vs[0].F32) {
		t.Error("different seeds, same inputs")
	}
}

func TestCompare(t *testing.T) {
	want := []Value{{Name: "y", DType: "float32", F32: []float32{0, 1000, -2}}}
	mk := func(xs ...float32) []Value { return []Value{{DType: "float32", F32: xs}} }
	// limits: 1e-4, 1.0001, 0.0021
	if msg := Compare(mk(0.0001, 1001, -2.002), want, 1e-4, 1e-3); msg != "" {
		t.Errorf("within tolerance: %s", msg)
	}
	if msg := Compare(mk(0.0003, 1000, -2), want, 1e-4, 1e-3); !strings.Contains(msg, "[0]") {
		t.Errorf("element 0 off by 3e-4: %q", msg)
	}
	if msg := Compare(mk(0, 1001.5, -2), want, 1e-4, 1e-3); !strings.Contains(msg, "[1]") {
		t.Errorf("element 1 off by 1.5: %q", msg)
	}
	if msg := Compare(mk(0, 1000, float32(math.NaN())), want, 1e-4, 1e-3); !strings.Contains(msg, "[2]") {
		t.Errorf("NaN: %q", msg)
	}
	if msg := Compare(mk(0, 1000), want, 1e-4, 1e-3); msg == "" {
		t.Error("short output accepted")
	}
	if msg := Compare(nil, want, 1e-4, 1e-3); msg == "" {
		t.Error("missing output accepted")
	}
}

func TestMedianPercentile(t *testing.T) {
	if m := Median([]float64{1, 2, 3, 4}); m != 2.5 {
		t.Errorf("median %v, want 2.5", m)
	}
	if m := Median([]float64{1, 2, 9}); m != 2 {
		t.Errorf("median %v, want 2", m)
	}
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if p := Percentile(ten, 0.9); p != 9 {
		t.Errorf("p90 %v, want 9 (nearest rank)", p)
	}
	if p := Percentile([]float64{5}, 0.9); p != 5 {
		t.Errorf("p90 of one %v", p)
	}
}

func TestModelName(t *testing.T) {
	if got := modelName("/a/b/resnet50/model.onnx"); got != "resnet50" {
		t.Errorf("got %q", got)
	}
	if got := modelName("x/tiny.onnx"); got != "tiny" {
		t.Errorf("got %q", got)
	}
}
