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
