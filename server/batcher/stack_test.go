package batcher

import (
	"context"
	"reflect"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

// stackCase stacks a [1,2] request on a [2,2] request and splits the result
// back, for one element type.
func stackCase[T tensor.Elem](t *testing.T, a, b, want []T) {
	t.Helper()
	ra := &request{inputs: x(tensor.New([]int{1, 2}, a)), names: []string{"x"}, rows: 1}
	rb := &request{inputs: x(tensor.New([]int{2, 2}, b)), names: []string{"x"}, rows: 2}
	bt := &batch{reqs: []*request{ra, rb}, rows: 3, stacked: true}
	in, err := stackInputs(bt)
	if err != nil {
		t.Fatal(err)
	}
	got := in["x"]
	if !equalInts(got.Shape(), []int{3, 2}) || !reflect.DeepEqual(tensor.Data[T](got), want) {
		t.Fatalf("%v: stacked %v %v, want [3 2] %v", got.DType(), got.Shape(), got.Data(), want)
	}
	outs, err := splitOutputs(in, bt)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := outs[0]["x"], outs[1]["x"]
	if !equalInts(pa.Shape(), []int{1, 2}) || !reflect.DeepEqual(tensor.Data[T](pa), a) {
		t.Fatalf("%v: first piece %v %v, want [1 2] %v", got.DType(), pa.Shape(), pa.Data(), a)
	}
	if !equalInts(pb.Shape(), []int{2, 2}) || !reflect.DeepEqual(tensor.Data[T](pb), b) {
		t.Fatalf("%v: second piece %v %v, want [2 2] %v", got.DType(), pb.Shape(), pb.Data(), b)
	}
	if c := cap(tensor.Data[T](pa)); c != 2 {
		t.Fatalf("%v: first piece has capacity %d, want 2 (no room to spill into the next rows)", got.DType(), c)
	}
}

func TestStackAndSplitEveryDtype(t *testing.T) {
	stackCase(t, []float32{1, 2}, []float32{3, 4, 5, 6}, []float32{1, 2, 3, 4, 5, 6})
	stackCase(t, []float64{1, 2}, []float64{3, 4, 5, 6}, []float64{1, 2, 3, 4, 5, 6})
	stackCase(t, []tensor.F16{0x3c00, 0x4000}, []tensor.F16{0x4200, 0x4400, 0x4500, 0x4600},
		[]tensor.F16{0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600})
	stackCase(t, []tensor.BF16{0x3f80, 0x4000}, []tensor.BF16{0x4040, 0x4080, 0x40a0, 0x40c0},
		[]tensor.BF16{0x3f80, 0x4000, 0x4040, 0x4080, 0x40a0, 0x40c0})
	stackCase(t, []int8{-1, 2}, []int8{-3, 4, -5, 6}, []int8{-1, 2, -3, 4, -5, 6})
	stackCase(t, []int16{-1, 2}, []int16{-3, 4, -5, 6}, []int16{-1, 2, -3, 4, -5, 6})
	stackCase(t, []int32{-1, 2}, []int32{-3, 4, -5, 6}, []int32{-1, 2, -3, 4, -5, 6})
	stackCase(t, []int64{-1, 2}, []int64{-3, 4, -5, 6}, []int64{-1, 2, -3, 4, -5, 6})
	stackCase(t, []uint8{1, 2}, []uint8{3, 4, 5, 6}, []uint8{1, 2, 3, 4, 5, 6})
	stackCase(t, []uint16{1, 2}, []uint16{3, 4, 5, 6}, []uint16{1, 2, 3, 4, 5, 6})
	stackCase(t, []uint32{1, 2}, []uint32{3, 4, 5, 6}, []uint32{1, 2, 3, 4, 5, 6})
	stackCase(t, []uint64{1, 2}, []uint64{3, 4, 5, 6}, []uint64{1, 2, 3, 4, 5, 6})
	stackCase(t, []bool{true, false}, []bool{false, false, true, true},
		[]bool{true, false, false, false, true, true})
	stackCase(t, []string{"a", ""}, []string{"bc", "d", "héllo", "f"},
		[]string{"a", "", "bc", "d", "héllo", "f"})
}

func TestStringRequestsBatchEndToEnd(t *testing.T) {
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 2, MaxDelay: forever, Observer: rec})
	defer b.Close()
	first := submitAsync(context.Background(), b, x(tensor.New([]int{1, 2}, []string{"ab", "c"})))
	second := submitAsync(context.Background(), b, x(tensor.New([]int{1, 2}, []string{"a", "bc"})))
	for _, c := range []struct {
		ch   <-chan submitResult
		want []string
	}{{first, []string{"ab", "c"}}, {second, []string{"a", "bc"}}} {
		r := <-c.ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := tensor.Data[string](r.out["x"]); !reflect.DeepEqual(got, c.want) {
			t.Fatalf("got %q, want %q", got, c.want)
		}
	}
	if ev := rec.events(); len(ev) != 1 || ev[0].rows != 2 {
		t.Fatalf("observer saw %+v, want one batch of 2", ev)
	}
}

func TestMultiInputStacking(t *testing.T) {
	ra := &request{inputs: map[string]*tensor.Tensor{
		"ids":  tensor.New([]int{1, 3}, []int64{1, 2, 3}),
		"mask": tensor.New([]int{1, 3}, []bool{true, true, false}),
	}, names: []string{"ids", "mask"}, rows: 1}
	rb := &request{inputs: map[string]*tensor.Tensor{
		"ids":  tensor.New([]int{1, 3}, []int64{4, 5, 6}),
		"mask": tensor.New([]int{1, 3}, []bool{true, false, false}),
	}, names: []string{"ids", "mask"}, rows: 1}
	in, err := stackInputs(&batch{reqs: []*request{ra, rb}, rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[int64](in["ids"]); !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("ids %v", got)
	}
	if got := tensor.Data[bool](in["mask"]); !reflect.DeepEqual(got, []bool{true, true, false, true, false, false}) {
		t.Fatalf("mask %v", got)
	}
}

func TestSignatureFraming(t *testing.T) {
	mk := func(in map[string]*tensor.Tensor) string {
		b := &Batcher{opts: normalize(Options{MaxBatch: 8})}
		r, err := b.newRequest(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return r.key
	}
	f := func(shape ...int) *tensor.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return tensor.New(shape, make([]float32, n))
	}
	base := mk(map[string]*tensor.Tensor{"x": f(1, 3)})
	if mk(map[string]*tensor.Tensor{"x": f(5, 3)}) != base {
		t.Fatal("the batch dimension changed the signature")
	}
	for name, other := range map[string]map[string]*tensor.Tensor{
		"dims":  {"x": f(1, 4)},
		"rank":  {"x": f(1, 3, 1)},
		"dtype": {"x": tensor.New([]int{1, 3}, []int32{0, 0, 0})},
		"name":  {"y": f(1, 3)},
		"more":  {"x": f(1, 3), "y": f(1, 3)},
	} {
		if mk(other) == base {
			t.Errorf("%s: same signature as the base request", name)
		}
	}
	// Names that concatenate alike must still differ.
	if mk(map[string]*tensor.Tensor{"ab": f(1, 1), "c": f(1, 1)}) ==
		mk(map[string]*tensor.Tensor{"a": f(1, 1), "bc": f(1, 1)}) {
		t.Fatal(`"ab"+"c" and "a"+"bc" share a signature`)
	}
}
