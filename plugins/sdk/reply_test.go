package sdk

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// fakeHost stands in for the host's gonyx_free: with frees set the last
// reply is released before the next call (as the gonyx host does), without
// it the host is taken to still hold it.
func fakeHost(t *testing.T, p Plugin, frees bool) {
	t.Helper()
	use(t, p)
	if err := initialise(nil); err != nil {
		t.Fatal(err)
	}
	savedReply, savedReusable := reply, replyReusable
	reply = replyArena{}
	replyReusable = func([]byte) bool { return frees }
	t.Cleanup(func() { reply, replyReusable = savedReply, savedReusable })
}

// refEntry is one entry of the expected wire bytes, written out from
// docs/PLUGINS.md's message format: a float32 tensor or bytes.
type refEntry struct {
	name  string
	shape []int
	f32   []float32
	bytes []byte
}

func refMessage(entries ...refEntry) []byte {
	b := []byte("GNX1")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.name)))
		b = append(b, e.name...)
		if e.shape == nil {
			b = append(b, 0)
			b = binary.LittleEndian.AppendUint64(b, uint64(len(e.bytes)))
			b = append(b, e.bytes...)
			continue
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 1) // FLOAT
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.shape)))
		for _, d := range e.shape {
			b = binary.LittleEndian.AppendUint64(b, uint64(d))
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(4*len(e.f32)))
		for _, v := range e.f32 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

func ramp(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)*scale - 1
	}
	return v
}

// sized makes a plugin whose single output "y" ([1, n], n from the body's
// first byte) is filled in place with ramp(n, scale from the second byte).
func sized(in Input) (Output, error) {
	b, _ := in.Bytes("body")
	n, scale := int(b[0]), float32(b[1])
	out, vals := Output{}.Float32("y", 1, n)
	copy(vals, ramp(n, scale))
	return out, nil
}

func call(t *testing.T, body ...byte) []byte {
	t.Helper()
	out, err := process(mustEncode(t, abi.Message{{Name: "body", Bytes: body}}))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func first(b []byte) *byte { return unsafe.SliceData(b) }

// Calls of different sizes through a host that frees each reply: every
// reply has the right bytes, and one buffer serves every call that fits
// the largest size seen before it.
func TestReplyReusedAcrossCalls(t *testing.T) {
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: sized}, true)
	var addrs []*byte
	for i, n := range []int{200, 3, 200, 0, 150, 250, 250} {
		out := call(t, byte(n), byte(i+1))
		want := refMessage(refEntry{name: "y", shape: []int{1, n}, f32: ramp(n, float32(i+1))})
		if !bytes.Equal(out, want) {
			t.Fatalf("call %d (n=%d): reply\n%x\nwant\n%x", i, n, out, want)
		}
		addrs = append(addrs, first(out))
	}
	for i := 1; i < 5; i++ {
		if addrs[i] != addrs[0] {
			t.Errorf("call %d used a new buffer though it fits the first", i)
		}
	}
	if addrs[6] != addrs[5] {
		t.Error("call 6 did not reuse call 5's grown buffer")
	}
}

// A host that keeps its replies: no reply is ever overwritten.
func TestReplyHeldByHostIsNotReused(t *testing.T) {
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: sized}, false)
	var outs, wants [][]byte
	for i, n := range []int{100, 100, 7} {
		outs = append(outs, call(t, byte(n), byte(i+2)))
		wants = append(wants, refMessage(refEntry{name: "y", shape: []int{1, n}, f32: ramp(n, float32(i+2))}))
	}
	for i := range outs {
		if !bytes.Equal(outs[i], wants[i]) {
			t.Fatalf("reply %d changed after later calls", i)
		}
	}
}

// Reused memory is zeroed: values a plugin leaves unset are 0, not the
// previous request's.
func TestReplyValuesStartZeroed(t *testing.T) {
	fill := true
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: func(in Input) (Output, error) {
		out, vals := Output{}.Float32("y", 4)
		if fill {
			copy(vals, []float32{9, 9, 9, 9})
		}
		return out, nil
	}}, true)
	call(t, 0)
	fill = false
	if got, want := call(t, 0), refMessage(refEntry{name: "y", shape: []int{4}, f32: make([]float32, 4)}); !bytes.Equal(got, want) {
		t.Fatalf("unfilled values leak the last call's: %x", got)
	}
}

// Every arrangement of reserved tensors and other entries gives the
// message the Output describes, whether or not it could be built in place.
func TestReplyArrangements(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 5000) // outgrows the buffer
	cases := []struct {
		name    string
		process func(in Input) (Output, error)
		want    []byte
	}{
		{"two in order, then bytes", func(Input) (Output, error) {
			o, a := Output{}.Float32("a", 2)
			o, b := o.Float32("bee", 1, 3)
			copy(a, []float32{1, 2})
			copy(b, []float32{3, 4, 5})
			return o.Bytes("json", []byte(`{}`)), nil
		}, refMessage(refEntry{name: "a", shape: []int{2}, f32: []float32{1, 2}},
			refEntry{name: "bee", shape: []int{1, 3}, f32: []float32{3, 4, 5}},
			refEntry{name: "json", bytes: []byte(`{}`)})},
		{"bytes first", func(Input) (Output, error) {
			o, a := Output{}.Bytes("note", []byte("n")).Float32("a", 2)
			copy(a, []float32{6, 7})
			return o, nil
		}, refMessage(refEntry{name: "note", bytes: []byte("n")}, refEntry{name: "a", shape: []int{2}, f32: []float32{6, 7}})},
		{"only the second of two", func(Input) (Output, error) {
			_, a := Output{}.Float32("a", 3)
			o, b := Output{}.Float32("b", 2)
			copy(a, []float32{1, 1, 1})
			copy(b, []float32{8, 9})
			return o, nil
		}, refMessage(refEntry{name: "b", shape: []int{2}, f32: []float32{8, 9}})},
		{"values rewrapped under another name", func(Input) (Output, error) {
			_, a := Output{}.Float32("scratch", 3)
			copy(a, []float32{4, 5, 6})
			return Output{}.Bytes("long name first", []byte("xyz")).Tensor("t", tensor.New([]int{3}, a)), nil
		}, refMessage(refEntry{name: "long name first", bytes: []byte("xyz")}, refEntry{name: "t", shape: []int{3}, f32: []float32{4, 5, 6}})},
		{"a large entry after", func(Input) (Output, error) {
			o, a := Output{}.Float32("a", 1)
			a[0] = 3
			return o.Bytes("big", big), nil
		}, refMessage(refEntry{name: "a", shape: []int{1}, f32: []float32{3}}, refEntry{name: "big", bytes: big})},
		{"misaligned second tensor", func(Input) (Output, error) {
			o, a := Output{}.Float32("a", 1)
			o, b := o.Float32("bb", 2)
			a[0], b[0], b[1] = 1, 2, 3
			return o, nil
		}, refMessage(refEntry{name: "a", shape: []int{1}, f32: []float32{1}}, refEntry{name: "bb", shape: []int{2}, f32: []float32{2, 3}})},
		{"no reservation", func(Input) (Output, error) {
			return Output{}.Bytes("json", []byte(`[1]`)), nil
		}, refMessage(refEntry{name: "json", bytes: []byte(`[1]`)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: c.process}, true)
			for i := range 3 { // the first call sizes the buffer, the others reuse it
				if got := call(t, 0); !bytes.Equal(got, c.want) {
					t.Fatalf("call %d:\n got %x\nwant %x", i, got, c.want)
				}
			}
		})
	}
}

func TestReplyErrors(t *testing.T) {
	deep := make([]int, abi.MaxRank+1)
	for i := range deep {
		deep[i] = 1
	}
	shape := []int{2, -1}
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: func(Input) (Output, error) {
		o, vals := Output{}.Float32("y", shape...)
		if vals != nil {
			t.Errorf("shape %v gave %d values", shape, len(vals))
		}
		return o, nil
	}}, true)
	for _, c := range []struct {
		shape []int
		want  string
	}{{[]int{2, -1}, "negative"}, {deep, "rank"}, {[]int{1 << 20, 1 << 10}, "wasm32"}} {
		shape = c.shape
		if _, err := process(mustEncode(t, nil)); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"y"`) {
			t.Errorf("shape %v: error %v, want one naming y and containing %q", c.shape, err, c.want)
		}
	}
}

// A call that fails after reserving leaves the next call's reply right.
func TestReplyAfterFailedCall(t *testing.T) {
	fail := true
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: func(Input) (Output, error) {
		o, v := Output{}.Float32("y", 2)
		copy(v, []float32{1, 2})
		if fail {
			panic("boom")
		}
		return o, nil
	}}, true)
	if _, err := process(mustEncode(t, nil)); err == nil {
		t.Fatal("no error from a panic")
	}
	fail = false
	if got := call(t, 0); !bytes.Equal(got, refMessage(refEntry{name: "y", shape: []int{2}, f32: []float32{1, 2}})) {
		t.Fatalf("after a failed call: %x", got)
	}
}

// A plugin's own tests call Process directly, outside any host call: what
// each call returned stays intact.
func TestFloat32OutsideACall(t *testing.T) {
	fakeHost(t, Plugin{Name: "p", Kind: Pre, Process: sized}, true)
	var outs []Output
	for i := range 4 {
		o, err := sized(NewInput(abi.Message{{Name: "body", Bytes: []byte{50, byte(i + 1)}}}))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, o)
	}
	for i, o := range outs {
		m, err := o.Message()
		if err != nil || len(m) != 1 {
			t.Fatalf("output %d: %v %v", i, m, err)
		}
		want := ramp(50, float32(i+1))
		for j, v := range tensor.Data[float32](m[0].Tensor) {
			if v != want[j] {
				t.Fatalf("output %d value %d is %v, want %v", i, j, v, want[j])
			}
		}
	}
}
