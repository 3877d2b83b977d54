package gorgonia

import (
	"testing"

	gt "gorgonia.org/tensor"

	"github.com/gonyx/gonyx/engine/tensor"
)

func TestRoundTripSharesMemory(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	x := tensor.New([]int{2, 3}, data)
	d, err := ToDense(x)
	if err != nil {
		t.Fatal(err)
	}
	if d.Dtype() != gt.Float32 || !d.Shape().Eq(gt.Shape{2, 3}) {
		t.Fatalf("dense %v %v", d.Dtype(), d.Shape())
	}
	// Writing through gorgonia must show in the gonyx tensor: no copy.
	if err := d.SetAt(float32(42), 1, 2); err != nil {
		t.Fatal(err)
	}
	if data[5] != 42 {
		t.Fatalf("backing not shared: %v", data)
	}
	back, err := FromDense(d)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[float32](back); &got[0] != &data[0] || back.Shape()[1] != 3 {
		t.Fatalf("FromDense copied or reshaped: %v", back)
	}
}

func TestDTypes(t *testing.T) {
	for _, x := range []*tensor.Tensor{
		tensor.New([]int{2}, []int64{1, -2}),
		tensor.New([]int{2}, []uint8{1, 2}),
		tensor.New([]int{1}, []bool{true}),
		tensor.New([]int{2}, []float64{0.5, 1.5}),
	} {
		d, err := ToDense(x)
		if err != nil {
			t.Fatalf("%v: %v", x.DType(), err)
		}
		back, err := FromDense(d)
		if err != nil || back.DType() != x.DType() || back.Len() != x.Len() {
			t.Fatalf("%v: back %v, %v", x.DType(), back, err)
		}
	}
}

func TestRejectsHalfAndViews(t *testing.T) {
	if _, err := ToDense(tensor.New([]int{1}, []tensor.F16{tensor.NewF16(1)})); err == nil {
		t.Fatal("float16 converted, want an error")
	}
	d := gt.New(gt.WithShape(2, 2), gt.WithBacking([]float32{1, 2, 3, 4}))
	v, err := d.Slice(nil, gt.S(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromDense(v.(*gt.Dense)); err == nil {
		t.Fatal("strided view converted, want an error")
	}
	if _, err := FromDense(gt.New(gt.WithShape(2), gt.WithBacking([]int{1, 2}))); err == nil {
		t.Fatal("[]int converted, want an error")
	}
}

func TestScalar(t *testing.T) {
	d, err := ToDense(tensor.Scalar[float32](3))
	if err != nil || !d.IsScalar() {
		t.Fatalf("%v %v", d, err)
	}
	back, err := FromDense(d)
	if err != nil || back.Rank() != 0 || tensor.Data[float32](back)[0] != 3 {
		t.Fatalf("%v %v", back, err)
	}
}
