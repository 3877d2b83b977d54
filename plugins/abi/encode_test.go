package abi

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// AppendEncode after existing bytes gives those bytes then Encode's.
func TestAppendEncodeMatchesEncode(t *testing.T) {
	m := Message{
		{Name: "body", Bytes: []byte("abc")},
		{Name: "f", Tensor: tensor.New([]int{2, 2}, []float32{1, 2, 3, 4})},
		{Name: "s", Tensor: tensor.New([]int{2}, []string{"xy", ""})},
		{Name: "b", Tensor: tensor.New([]int{3}, []bool{true, false, true})},
	}
	want, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := EncodedLen(m); err != nil || n != len(want) {
		t.Fatalf("EncodedLen %d, %v; encoding is %d bytes", n, err, len(want))
	}
	got, err := AppendEncode([]byte("prefix"), m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], want) {
		t.Fatalf("\n got %x\nwant prefix+%x", got, want)
	}
}

// A header from AppendTensorHeader followed by the values written in place
// is the entry Encode writes, byte for byte (the bytes written by hand).
func TestTensorHeaderThenData(t *testing.T) {
	buf := AppendHeader(make([]byte, 0, 64), 0)
	buf, err := AppendTensorHeader(buf, "xy", tensor.Float32, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := TensorDataLen(tensor.Float32, []int{1, 2}); err != nil || n != 8 {
		t.Fatalf("TensorDataLen %d, %v", n, err)
	}
	if len(buf) != 8+TensorHeaderLen("xy", 2) {
		t.Fatalf("header is %d bytes, TensorHeaderLen says %d", len(buf)-8, TensorHeaderLen("xy", 2))
	}
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(0.5))
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(-7))
	if err := SetCount(buf, 1); err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, "GNX1"...)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 2)
	want = append(want, 'x', 'y', 1)
	want = binary.LittleEndian.AppendUint32(want, 1) // FLOAT
	want = binary.LittleEndian.AppendUint32(want, 2) // rank
	want = binary.LittleEndian.AppendUint64(want, 1)
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint64(want, 8)
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(0.5))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-7))
	if !bytes.Equal(buf, want) {
		t.Fatalf("\n got %x\nwant %x", buf, want)
	}
	m, err := Decode(buf)
	if err != nil || len(m) != 1 || tensor.Data[float32](m[0].Tensor)[1] != -7 {
		t.Fatalf("decoded %v, %v", m, err)
	}
}

// A tensor whose values already sit where AppendEntry would copy them (a
// view of the destination's spare capacity) is left as is, and the
// encoding is still right; a tensor elsewhere is copied.
func TestAppendEntryInPlace(t *testing.T) {
	store := make([]byte, 0, 256)
	hdr, err := AppendTensorHeader(store, "v", tensor.Float32, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	n := len(hdr)
	if n%4 != 0 { // TensorHeaderLen("v", 1) = 30: shift the view to keep it aligned
		store = store[2:2]
		hdr, _ = AppendTensorHeader(store, "v", tensor.Float32, []int{3})
		n = len(hdr)
	}
	raw := hdr[n : n+12]
	vals := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(raw))), 3)
	copy(vals, []float32{1.5, 2.5, -1})
	got, err := AppendEntry(store[:0], Entry{Name: "v", Tensor: tensor.New([]int{3}, vals)})
	if err != nil {
		t.Fatal(err)
	}
	if unsafe.SliceData(got[n:]) != unsafe.SliceData(raw) {
		t.Fatal("in-place values were moved")
	}
	want, _ := AppendEntry(nil, Entry{Name: "v", Tensor: tensor.New([]int{3}, []float32{1.5, 2.5, -1})})
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
}

func TestAppendErrors(t *testing.T) {
	deep := make([]int, MaxRank+1)
	for i := range deep {
		deep[i] = 1
	}
	for _, c := range []struct {
		name string
		f    func() error
		want string
	}{
		{"rank", func() error { _, err := AppendTensorHeader(nil, "t", tensor.Float32, deep); return err }, "rank"},
		{"negative", func() error { _, err := AppendTensorHeader(nil, "t", tensor.Float32, []int{2, -1}); return err }, "negative"},
		{"string", func() error { _, err := TensorDataLen(tensor.String, []int{2}); return err }, "fixed-size"},
		{"bool", func() error { _, err := TensorDataLen(tensor.Bool, []int{2}); return err }, "fixed-size"},
		{"huge", func() error { _, err := TensorDataLen(tensor.Float32, []int{1 << 20, 1 << 10}); return err }, "wasm32"},
		{"entry rank", func() error {
			_, err := AppendEntry(nil, Entry{Name: "t", Tensor: tensor.Zeros(tensor.Float32, deep...)})
			return err
		}, "rank"},
		{"count of junk", func() error { return SetCount([]byte("GNX2\x00\x00\x00\x00"), 1) }, "magic"},
		{"short", func() error { return SetCount([]byte("GNX1"), 1) }, "magic"},
		{"negative count", func() error { return SetCount(AppendHeader(nil, 0), -1) }, "range"},
	} {
		if err := c.f(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestRawBytes(t *testing.T) {
	v := []int32{1, -1}
	b := RawBytes(tensor.New([]int{2}, v))
	if len(b) != 8 || unsafe.Pointer(unsafe.SliceData(b)) != unsafe.Pointer(&v[0]) {
		t.Fatalf("RawBytes of int32 %x", b)
	}
	if RawBytes(tensor.New([]int{1}, []bool{true})) != nil || RawBytes(tensor.New([]int{1}, []string{"a"})) != nil || RawBytes(nil) != nil {
		t.Fatal("RawBytes of bool, string or nil is not nil")
	}
}
