package abi

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

func TestPack(t *testing.T) {
	v := Pack(0x1234, 99, true)
	if v != 1<<63|0x1234<<32|99 {
		t.Fatalf("%x", v)
	}
	if p, l, e := Unpack(v); p != 0x1234 || l != 99 || !e {
		t.Fatal(p, l, e)
	}
	if _, _, e := Unpack(Pack(8, 1, false)); e {
		t.Fatal("error flag set")
	}
}

// The wire layout of a one-tensor message, written out by hand.
func TestEncodeLayout(t *testing.T) {
	got, err := Encode(Message{{Name: "x", Tensor: tensor.New([]int{2}, []float32{1, -2})}})
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, "GNX1"...)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = append(want, 'x', 1)
	want = binary.LittleEndian.AppendUint32(want, 1) // FLOAT
	want = binary.LittleEndian.AppendUint32(want, 1) // rank
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint64(want, 8)
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-2))
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	m := Message{
		{Name: "body", Bytes: []byte("\x89PNG...")},
		{Name: "f32", Tensor: tensor.New([]int{1, 3}, []float32{0.5, 1, -3})},
		{Name: "ids", Tensor: tensor.New([]int{2}, []int64{-1, 1 << 40})},
		{Name: "words", Tensor: tensor.New([]int{3}, []string{"a", "", "héllo"})},
		{Name: "mask", Tensor: tensor.New([]int{2}, []bool{true, false})},
		{Name: "half", Tensor: tensor.New([]int{1}, []tensor.F16{0x3c00})},
		{Name: "empty", Tensor: tensor.New([]int{0, 4}, []float32{})},
	}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(m) {
		t.Fatalf("%d entries", len(back))
	}
	for i := range m {
		if back[i].Name != m[i].Name || !bytes.Equal(back[i].Bytes, m[i].Bytes) {
			t.Errorf("entry %d: %+v", i, back[i])
		}
		if m[i].Tensor != nil {
			if !reflect.DeepEqual(back[i].Tensor.Shape(), m[i].Tensor.Shape()) || !reflect.DeepEqual(back[i].Tensor.Data(), m[i].Tensor.Data()) {
				t.Errorf("tensor %s: %v", m[i].Name, back[i].Tensor)
			}
		}
	}
	if e, ok := back.Get("ids"); !ok || tensor.Data[int64](e.Tensor)[1] != 1<<40 {
		t.Error("Get")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(Message{{Name: "x", Tensor: tensor.New([]int{2}, []float32{1, 2})}})
	huge := append([]byte("GNX1"), 0xff, 0xff, 0xff, 0xff)
	bigDim := bytes.Clone(good)
	binary.LittleEndian.PutUint64(bigDim[8+4+1+1+8:], 1<<40)
	badBool, _ := Encode(Message{{Name: "b", Tensor: tensor.New([]int{1}, []bool{true})}})
	badBool[len(badBool)-1] = 7
	for name, b := range map[string][]byte{
		"empty": nil, "magic": []byte("GNX2\x00\x00\x00\x00"), "count lies": huge,
		"truncated": good[:len(good)-1], "trailing": append(bytes.Clone(good), 0),
		"huge dim": bigDim, "bool byte": badBool,
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(Message{{Name: "x", Tensor: tensor.New([]int{2}, []string{"a", "b"})}, {Name: "y", Bytes: []byte("z")}})
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded but cannot re-encode: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
	})
}

var allKinds = Message{
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

// Every kind of entry survives a round trip, and every truncation and
// single-byte corruption either fails to decode or decodes to a message
// that re-encodes to exactly the corrupted bytes (nothing is silently
// dropped or invented).
func TestAllKindsAndCorruptions(t *testing.T) {
	buf, err := Encode(allKinds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf)
	if err != nil || !reflect.DeepEqual(got, allKinds) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	check := func(b []byte) {
		t.Helper()
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%x decoded to %v, which encodes to %x (%v)", b, m, again, err)
		}
	}
	for n := range len(buf) {
		if _, err := Decode(buf[:n]); err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		}
	}
	c := make([]byte, len(buf))
	for i := range buf {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, buf[i] ^ 1} {
			copy(c, buf)
			c[i] = v
			check(c)
		}
	}
	if _, err := Encode(Message{{Name: "deep", Tensor: tensor.Zeros(tensor.Float32, make([]int, MaxRank+1)...)}}); err == nil {
		t.Fatal("rank over MaxRank accepted")
	}
}
