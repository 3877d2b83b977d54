package sdk

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

var allKinds = abi.Message{
	{Name: "body", Bytes: []byte("hello")},
	{Name: "empty", Bytes: []byte{}},
	{Name: "f32", Tensor: tensor.New([]int{2, 2}, []float32{1, -2.5, 3e-8, 1e30})},
	{Name: "f64", Tensor: tensor.New([]int{1}, []float64{-0.1})},
	{Name: "i64", Tensor: tensor.New([]int{3}, []int64{-1, 1 << 50, 7})},
	{Name: "i32", Tensor: tensor.New([]int{2}, []int32{-5, 1 << 30})},
	{Name: "i16", Tensor: tensor.New([]int{2}, []int16{-5, 300})},
	{Name: "i8", Tensor: tensor.New([]int{2}, []int8{-5, 100})},
	{Name: "u64", Tensor: tensor.New([]int{1}, []uint64{1 << 63})},
	{Name: "u32", Tensor: tensor.New([]int{1}, []uint32{1 << 31})},
	{Name: "u16", Tensor: tensor.New([]int{1}, []uint16{65535})},
	{Name: "u8", Tensor: tensor.New([]int{1, 3}, []uint8{0, 128, 255})},
	{Name: "f16", Tensor: tensor.New([]int{2}, []tensor.F16{tensor.NewF16(1.5), tensor.NewF16(-2)})},
	{Name: "bf16", Tensor: tensor.New([]int{1}, []tensor.BF16{tensor.NewBF16(3)})},
	{Name: "str", Tensor: tensor.New([]int{2}, []string{"a", "bcd"})},
	{Name: "bool", Tensor: tensor.New([]int{3}, []bool{true, false, true})},
	{Name: "scalar", Tensor: tensor.Scalar(float32(4))},
	{Name: "none", Tensor: tensor.New([]int{0, 5}, []float32{})},
}

// The fast encoder writes exactly what package abi writes.
func TestEncodeMatchesABI(t *testing.T) {
	m := allKinds
	want, err := abi.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encode differs from abi.Encode:\n%x\n%x", got, want)
	}
	if _, err := encode(abi.Message{{Name: "deep", Tensor: tensor.Zeros(tensor.Float32, make([]int, abi.MaxRank+1)...)}}); err == nil {
		t.Fatal("rank over MaxRank accepted")
	}
}

// The fast decoder reads what package abi reads, and rejects what it
// rejects: every truncation and every single-byte corruption of a message
// holding every kind of entry gives the same verdict and the same entries.
func TestDecodeMatchesABI(t *testing.T) {
	buf, err := abi.Encode(allKinds)
	if err != nil {
		t.Fatal(err)
	}
	same := func(b []byte) {
		t.Helper()
		want, werr := abi.Decode(b)
		got, gerr := decode(b)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("abi.Decode error %v, decode error %v, on %x", werr, gerr, b)
		}
		if werr == nil && !sameMessage(got, want) {
			t.Fatalf("decode gives %v, abi.Decode %v", got, want)
		}
	}
	same(buf)
	if got, _ := decode(buf); !reflect.DeepEqual(got, allKinds) {
		t.Fatal("round trip changed the message")
	}
	for n := range len(buf) {
		same(buf[:n])
	}
	same(append(buf[:len(buf):len(buf)], 0))
	c := make([]byte, len(buf))
	for i := range buf {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, buf[i] ^ 1} {
			copy(c, buf)
			c[i] = v
			same(c)
		}
	}
}

func FuzzDecodeMatchesABI(f *testing.F) {
	buf, _ := abi.Encode(allKinds)
	f.Add(buf)
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := abi.Decode(b)
		got, gerr := decode(b)
		if (werr == nil) != (gerr == nil) || (werr == nil && !sameMessage(got, want)) {
			t.Fatalf("abi.Decode (%v, %v) and decode (%v, %v) differ", want, werr, got, gerr)
		}
	})
}

// sameMessage compares through the encoding, so that NaNs compare equal.
func sameMessage(a, b abi.Message) bool {
	ea, err1 := abi.Encode(a)
	eb, err2 := abi.Encode(b)
	return err1 == nil && err2 == nil && bytes.Equal(ea, eb)
}
