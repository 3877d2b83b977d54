package tensor

import (
	"reflect"
	"runtime"
	"testing"
)

// The in-place boxed data must behave exactly like an ordinary interface
// holding the slice: type switches, reflection, and survival of the
// backing array through garbage collections.
func TestBoxedData(t *testing.T) {
	f := New([]int{2, 2}, []float32{1, 2, 3, 4})
	i := New([]int{3}, []int64{7, 8, 9})
	s, err := FromAny([]int{1}, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	if d, ok := f.Data().([]float32); !ok || len(d) != 4 || cap(d) != 4 || d[3] != 4 {
		t.Fatalf("float32 data %v %v", d, ok)
	}
	if d := Data[int64](i); len(d) != 3 || d[0] != 7 || d[2] != 9 {
		t.Fatalf("int64 data %v", d)
	}
	if Data[float32](i) != nil {
		t.Fatal("int64 tensor reads as float32")
	}
	if got := reflect.ValueOf(s.Data()); got.Kind() != reflect.Slice || got.Index(0).String() != "x" {
		t.Fatalf("reflect sees %v", got)
	}
	v := f.Reshape
	r, err := v(4)
	if err != nil {
		t.Fatal(err)
	}
	Data[float32](r)[0] = 10 // a view shares the data
	if Data[float32](f)[0] != 10 {
		t.Fatal("view does not share data")
	}
	var dst Tensor
	if _, err := Place(&dst, []int{1, 3}, []float32{5, 6, 7}); err != nil {
		t.Fatal(err)
	}
	if d := Data[float32](&dst); len(d) != 3 || d[2] != 7 || dst.DType() != Float32 {
		t.Fatalf("placed %v", dst.String())
	}
	if _, err := Place(&dst, []int{2}, []float32{1}); err == nil {
		t.Fatal("Place accepted a wrong element count")
	}
	c := f.HeaderInto(&Tensor{})
	if c.Len() != 4 || !reflect.DeepEqual(c.Shape(), []int{2, 2}) {
		t.Fatalf("header copy %v", c)
	}
}

// A tensor made from a typed slice is one allocation (its header).
func TestNewAllocatesOnlyTheHeader(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	shape := []int{2, 3}
	var keep *Tensor
	n := testing.AllocsPerRun(100, func() { keep = New(shape, data) })
	if n != 1 {
		t.Fatalf("New: %v allocations, want 1", n)
	}
	n = testing.AllocsPerRun(100, func() { keep, _ = keep.Reshape(3, 2) })
	if n != 1 {
		t.Fatalf("Reshape: %v allocations, want 1", n)
	}
}

// Bits views data by element size, sharing memory, without allocating.
func TestBits(t *testing.T) {
	f := New([]int{2}, []float32{1.5, -2})
	b, ok := f.Bits().([]uint32)
	if !ok || len(b) != 2 || b[0] != 0x3fc00000 || b[1] != 0xc0000000 {
		t.Fatalf("float32 bits %#v", f.Bits())
	}
	b[0] = 0x40000000 // 2.0, written through the view
	if Data[float32](f)[0] != 2 {
		t.Fatal("Bits does not share memory")
	}
	cases := []struct {
		x    *Tensor
		want any
	}{
		{New([]int{1}, []int8{-1}), []uint8{255}},
		{New([]int{1}, []bool{true}), []uint8{1}},
		{New([]int{1}, []int16{-1}), []uint16{0xffff}},
		{New([]int{1}, []F16{0x3c00}), []uint16{0x3c00}},
		{New([]int{1}, []int64{-1}), []uint64{^uint64(0)}},
		{New([]int{1}, []float64{1}), []uint64{0x3ff0000000000000}},
		{New([]int{1}, []string{"s"}), []string{"s"}},
	}
	for _, c := range cases {
		if got := c.x.Bits(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: Bits %#v, want %#v", c.x.DType(), got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = f.Bits() }); n != 0 {
		t.Fatalf("Bits: %v allocations", n)
	}
}

// Tensors with equal contents are deeply equal, whatever memory (and
// capacity) backs them, as with an ordinary boxed slice.
func TestBoxedDeepEqual(t *testing.T) {
	a := New([]int{2}, []float32{1, 2})
	b := New([]int{2}, make([]float32, 2, 8))
	copy(Data[float32](b), []float32{1, 2})
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%v and %v are not deeply equal", a, b)
	}
	Data[float32](b)[1] = 3
	if reflect.DeepEqual(a, b) {
		t.Fatal("different contents are deeply equal")
	}
}
