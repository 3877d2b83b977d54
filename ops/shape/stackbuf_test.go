package shape

import (
	"slices"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// refUnsqueeze inserts size-1 dimensions at the given output axes, from the
// ONNX definition.
func refUnsqueeze(in []int, axes []int64) []int {
	r := len(in) + len(axes)
	at := make([]bool, r)
	for _, a := range axes {
		if a < 0 {
			a += int64(r)
		}
		at[a] = true
	}
	var out []int
	k := 0
	for i := range r {
		if at[i] {
			out = append(out, 1)
		} else {
			out = append(out, in[k])
			k++
		}
	}
	return out
}

// Unsqueeze and Squeeze keep small shapes in stack arrays of eight; ranks
// beyond that take the heap path and must give the same answers.
func TestSqueezeUnsqueezeHighRank(t *testing.T) {
	for _, c := range []struct {
		in   []int
		axes []int64
	}{
		{sh(2, 3), []int64{0, -1}},
		{sh(2, 1, 3, 1, 2, 1), []int64{-1, 0, 4, 7}}, // rank 10
		{sh(1, 2, 1, 2, 1, 2, 1, 2), []int64{8}},     // rank 9
	} {
		x := f32(c.in, seq(product(c.in))...)
		want := refUnsqueeze(c.in, c.axes)
		for _, axes := range []*tensor.Tensor{vec(c.axes...), i32(sh(len(c.axes)), int32s(c.axes)...)} {
			before := axes.Clone()
			out := opstest.MustRun(t, opstest.Op{Type: "Unsqueeze", Opset: 13}, x, axes)
			if !slices.Equal(out[0].Shape(), want) {
				t.Errorf("Unsqueeze %v axes %v: shape %v, want %v", c.in, c.axes, out[0].Shape(), want)
			}
			if err := opstest.Close(axes, before, 0, 0); err != nil {
				t.Errorf("Unsqueeze %v: axes input modified: %v", c.in, err)
			}
			// Squeezing the inserted axes gives the input shape back.
			back := opstest.MustRun(t, opstest.Op{Type: "Squeeze", Opset: 13}, out[0], axes)
			if !slices.Equal(back[0].Shape(), c.in) {
				t.Errorf("Squeeze %v axes %v: shape %v, want %v", want, c.axes, back[0].Shape(), c.in)
			}
			if !slices.Equal(tensor.Data[float32](back[0]), tensor.Data[float32](x)) {
				t.Errorf("Squeeze %v: data changed", want)
			}
		}
		// Without axes every size-1 dimension goes.
		all := opstest.MustRun(t, opstest.Op{Type: "Squeeze", Opset: 13}, f32(want, seq(product(want))...))
		var ones []int
		for _, d := range want {
			if d != 1 {
				ones = append(ones, d)
			}
		}
		if !slices.Equal(all[0].Shape(), ones) && !(len(ones) == 0 && all[0].Rank() == 0) {
			t.Errorf("Squeeze %v: shape %v, want %v", want, all[0].Shape(), ones)
		}
	}
}

func TestUnsqueezeRepeatedAxis(t *testing.T) {
	_, err := opstest.Run(opstest.Op{Type: "Unsqueeze", Opset: 13}, f32(sh(2), 1, 2), vec(1, -2))
	if err == nil {
		t.Fatal("axes 1 and -2 of rank 3 repeat: no error")
	}
}

// Slice reads int64 starts, ends, axes and steps in place: it must not
// write through them (negative values are normalised on the side).
func TestSliceLeavesIndexInputs(t *testing.T) {
	x := f32(sh(4, 5), seq(20)...)
	in := []*tensor.Tensor{x, vec(-3, 1), vec(-1, 100), vec(-1, 0), vec(1, 2)}
	before := make([]*tensor.Tensor, len(in))
	for i, t := range in {
		before[i] = t.Clone()
	}
	out := opstest.MustRun(t, opstest.Op{Type: "Slice", Opset: 13}, in...)
	// Rows 1 and 3 (start 1, step 2), columns 2..3 (from -3 to -1).
	want := []float32{7, 8, 17, 18}
	if !slices.Equal(out[0].Shape(), sh(2, 2)) || !slices.Equal(tensor.Data[float32](out[0]), want) {
		t.Fatalf("Slice: got %v %v, want [2 2] %v", out[0].Shape(), tensor.Data[float32](out[0]), want)
	}
	for i := range in {
		if err := opstest.Close(in[i], before[i], 0, 0); err != nil {
			t.Errorf("input %d modified: %v", i, err)
		}
	}
}

func product(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func int32s(v []int64) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}
