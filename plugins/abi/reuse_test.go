package abi

import (
	"slices"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

// DecodeReusing writes into a tensor of reuse only when name, dtype and
// shape all match, and the result holds that very tensor.
func TestDecodeReusing(t *testing.T) {
	img := tensor.New([]int{1, 3, 2, 2}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	ids := tensor.New([]int{2}, []int64{7, -9})
	words := tensor.New([]int{2}, []string{"a", "bc"})
	buf, err := Encode(Message{{Name: "image", Tensor: img}, {Name: "ids", Tensor: ids}, {Name: "words", Tensor: words}, {Name: "note", Bytes: []byte("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	keepImg := tensor.Zeros(tensor.Float32, 1, 3, 2, 2)
	wrongShape := tensor.Zeros(tensor.Int64, 1, 2)
	oldWords := tensor.New([]int{2}, []string{"x", "y"})
	reuse := Message{{Name: "image", Tensor: keepImg}, {Name: "ids", Tensor: wrongShape}, {Name: "words", Tensor: oldWords}}
	got, err := DecodeReusing(buf, reuse)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := got.Get("image"); e.Tensor != keepImg {
		t.Error("image: a matching tensor was not reused")
	}
	if !slices.Equal(tensor.Data[float32](keepImg), tensor.Data[float32](img)) {
		t.Errorf("image: reused tensor holds %v", tensor.Data[float32](keepImg))
	}
	e, _ := got.Get("ids")
	if e.Tensor == wrongShape || !slices.Equal(tensor.Data[int64](e.Tensor), []int64{7, -9}) {
		t.Errorf("ids: shape [1,2] must not take a [2] tensor; got %v", e.Tensor)
	}
	if !slices.Equal(tensor.Data[int64](wrongShape), []int64{0, 0}) {
		t.Error("ids: the mismatched tensor was written")
	}
	if e, _ := got.Get("words"); e.Tensor == oldWords || !slices.Equal(tensor.Data[string](e.Tensor), []string{"a", "bc"}) {
		t.Error("words: string tensors are never reused")
	}
	if !slices.Equal(tensor.Data[string](oldWords), []string{"x", "y"}) {
		t.Error("words: the string tensor in reuse was changed")
	}

	// A dtype mismatch of the same size (int32 vs float32) is not reused.
	asInt := tensor.Zeros(tensor.Int32, 1, 3, 2, 2)
	got, err = DecodeReusing(buf, Message{{Name: "image", Tensor: asInt}})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := got.Get("image"); e.Tensor == asInt || e.Tensor.DType() != tensor.Float32 {
		t.Error("image: an int32 tensor took float32 data")
	}
}

func TestOverlap(t *testing.T) {
	buf := make([]byte, 16)
	for _, c := range []struct {
		a, b []byte
		want bool
	}{
		{buf[0:8], buf[8:16], false}, // adjacent
		{buf[0:9], buf[8:16], true},  // one shared byte
		{buf[4:6], buf[0:16], true},  // inside
		{buf[0:0], buf[0:16], false}, // empty
		{buf[0:8], make([]byte, 8), false},
	} {
		if got := Overlap(c.a, c.b); got != c.want || Overlap(c.b, c.a) != c.want {
			t.Errorf("Overlap of %p+%d and %p+%d = %v, want %v", c.a, len(c.a), c.b, len(c.b), got, c.want)
		}
	}
}

// TensorFor picks the tensor DecodeReusing would write into (same name,
// dtype and shape) or a new zeroed one, and its bytes view its memory.
func TestTensorFor(t *testing.T) {
	keep := tensor.New([]int{1, 2}, []float32{7, 8})
	reuse := Message{{Name: "x", Tensor: keep}, {Name: "note", Bytes: []byte("hi")}}
	got, data := TensorFor(reuse, "x", tensor.Float32, []int{1, 2})
	if got != keep || len(data) != 8 {
		t.Fatalf("matching entry: %v with %d bytes, want the reuse tensor and 8", got, len(data))
	}
	copy(data, []byte{0, 0, 0x80, 0x3f}) // 1.0, little-endian
	if v := tensor.Data[float32](keep)[0]; v != 1 {
		t.Errorf("the bytes do not view the tensor: element 0 is %v", v)
	}
	for _, c := range []struct {
		name  string
		dt    tensor.DType
		shape []int
	}{{"x", tensor.Float32, []int{2}}, {"x", tensor.Int32, []int{1, 2}}, {"y", tensor.Float32, []int{1, 2}}, {"note", tensor.Float32, []int{1, 2}}} {
		got, data := TensorFor(reuse, c.name, c.dt, c.shape)
		if got == keep || got.DType() != c.dt || !slices.Equal(got.Shape(), c.shape) || len(data) != 4*got.Len() {
			t.Errorf("%s %v %v: got %v with %d bytes", c.name, c.dt, c.shape, got, len(data))
		}
		for _, b := range data {
			if b != 0 {
				t.Errorf("%s %v %v: a new tensor is not zeroed", c.name, c.dt, c.shape)
				break
			}
		}
	}
}
