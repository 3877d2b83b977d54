package onnxpb

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gonyx/gonyx/engine/tensor"
)

// pb builds protobuf wire bytes by hand for test fixtures.
type pb []byte

func (b pb) varint(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) int(num protowire.Number, v int64) pb { return b.varint(num, uint64(v)) }

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

func (b pb) msg(num protowire.Number, m pb) pb { return b.bytes(num, m) }

func (b pb) fixed32(num protowire.Number, v uint32) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

func (b pb) float(num protowire.Number, v float32) pb { return b.fixed32(num, math.Float32bits(v)) }

func (b pb) fixed64(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

// packedVarints encodes vs as one packed field.
func (b pb) packedVarints(num protowire.Number, vs ...int64) pb {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return b.bytes(num, p)
}

func (b pb) packedFloats(num protowire.Number, vs ...float32) pb {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendFixed32(p, math.Float32bits(v))
	}
	return b.bytes(num, p)
}

// dims appends unpacked dims (as the ONNX python tools write them).
func (b pb) dims(ds ...int64) pb {
	for _, d := range ds {
		b = b.int(1, d)
	}
	return b
}

// le32 is the little-endian encoding of float32 values, written out byte by
// byte so the fixture does not depend on the code under test.
func le32(vs ...float32) []byte {
	var out []byte
	for _, v := range vs {
		u := math.Float32bits(v)
		out = append(out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return out
}

func le64(vs ...uint64) []byte {
	var out []byte
	for _, u := range vs {
		for i := 0; i < 8; i++ {
			out = append(out, byte(u>>(8*i)))
		}
	}
	return out
}

func mustEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v, want %#v", what, got, want)
	}
}

func checkTensor(t *testing.T, got *tensor.Tensor, dt tensor.DType, shape []int, data any) {
	t.Helper()
	if got == nil {
		t.Fatalf("nil tensor")
	}
	if got.DType() != dt {
		t.Fatalf("dtype %v, want %v", got.DType(), dt)
	}
	mustEqual(t, "shape", got.Shape(), shape)
	mustEqual(t, "data", got.Data(), data)
}

const testData = "../../build/onnx-testdata/data"

// readTestFile reads a file of the ONNX backend test data, skipping the
// test when the data is not unpacked (or failing under CI).
func readTestFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testData, rel))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test data missing: %v", err)
		}
		t.Skipf("test data missing: %v", err)
	}
	return b
}
