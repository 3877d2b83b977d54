package control

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// sumBody is test_scan_sum's body: sum_out = sum_in + next, scan_out = sum_out.
func sumBody() *fakeBody {
	return &fakeBody{ins: 2, outs: 2, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		s := add(in[0].(*tensor.Tensor), in[1].(*tensor.Tensor))
		return []tensor.Value{s, s}, nil
	}}
}

func scanSpec(opset int, attrs ...*graph.Attribute) nodeSpec {
	f2 := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 2}}}
	return nodeSpec{op: "Scan", opset: opset, outputs: 2,
		attrs:  append([]*graph.Attribute{opstest.Int("num_scan_inputs", 1)}, attrs...),
		bodies: []bodySpec{{attr: "body", fb: sumBody(), outTypes: []*graph.Type{f2, f2}}}}
}

func TestScan9Sum(t *testing.T) {
	init := f32([]int{2}, 0, 0)
	x := f32([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	xT := f32([]int{2, 3}, 1, 3, 5, 2, 4, 6) // x transposed: scan axis 1
	cases := []struct {
		name  string
		attrs []*graph.Attribute
		x     *tensor.Tensor
		z     *tensor.Tensor
	}{
		{"default", nil, x, f32([]int{3, 2}, 1, 2, 4, 6, 9, 12)},
		{"reverse input", []*graph.Attribute{opstest.Ints("scan_input_directions", 1)}, x,
			f32([]int{3, 2}, 5, 6, 8, 10, 9, 12)},
		{"too many output directions", []*graph.Attribute{opstest.Ints("scan_output_directions", 0, 1)}, x,
			nil}, // one scan output, two directions: rejected
		{"input axis 1", []*graph.Attribute{opstest.Ints("scan_input_axes", 1)}, xT,
			f32([]int{3, 2}, 1, 2, 4, 6, 9, 12)},
		{"input axis -1", []*graph.Attribute{opstest.Ints("scan_input_axes", -1)}, xT,
			f32([]int{3, 2}, 1, 2, 4, 6, 9, 12)},
		{"output axis 1", []*graph.Attribute{opstest.Ints("scan_output_axes", 1)}, x,
			f32([]int{2, 3}, 1, 4, 9, 2, 6, 12)},
		{"output axis -1", []*graph.Attribute{opstest.Ints("scan_output_axes", -1)}, x,
			f32([]int{2, 3}, 1, 4, 9, 2, 6, 12)},
		{"prepend", []*graph.Attribute{opstest.Ints("scan_output_directions", 1)}, x,
			f32([]int{3, 2}, 9, 12, 4, 6, 1, 2)},
		{"prepend axis 1", []*graph.Attribute{opstest.Ints("scan_output_directions", 1), opstest.Ints("scan_output_axes", 1)}, x,
			f32([]int{2, 3}, 9, 4, 1, 12, 6, 2)},
	}
	for _, opset := range []int{9, 11, 16, 19, 21} {
		for _, c := range cases {
			s := scanSpec(opset, c.attrs...)
			out, err := s.run(init, c.x)
			if c.name == "too many output directions" {
				if err == nil {
					t.Errorf("%s: scan_output_directions with 2 entries for 1 scan output: want an error", c.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("opset %d %s: %v", opset, c.name, err)
			}
			wantTensor(t, out[0], f32([]int{2}, 9, 12), c.name+" y")
			wantTensor(t, out[1], c.z, c.name+" z")
		}
	}
}

func TestScan9EdgeCases(t *testing.T) {
	init := f32([]int{2}, 1, 1)
	// zero-length scan: state unchanged, scan output [0, 2] from the declared type
	out, err := scanSpec(9).run(init, f32([]int{0, 2}))
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[0], init, "empty y")
	wantTensor(t, out[1], f32([]int{0, 2}), "empty z")

	// two scan inputs (zip), one forward one reverse: the bidirectional idiom
	zip := &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		a, b := in[1].(*tensor.Tensor), in[2].(*tensor.Tensor)
		return []tensor.Value{in[0], a, b}, nil
	}}
	s := nodeSpec{op: "Scan", opset: 11, outputs: 3,
		attrs:  []*graph.Attribute{opstest.Int("num_scan_inputs", 2), opstest.Ints("scan_input_directions", 0, 1)},
		bodies: []bodySpec{{attr: "body", fb: zip}}}
	x := i64([]int{3}, 1, 2, 3)
	out, err = s.run(sc64(0), x, x)
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[1], i64([]int{3}, 1, 2, 3), "forward")
	wantTensor(t, out[2], i64([]int{3}, 3, 2, 1), "backward")

	// errors
	if _, err := scanSpec(9).run(init, f32([]int{}, 1)); err == nil {
		t.Error("scalar scan input: want an error")
	}
	if _, err := s.run(sc64(0), x, i64([]int{2}, 1, 2)); err == nil {
		t.Error("scan inputs of different lengths: want an error")
	}
	if _, err := scanSpec(9, opstest.Ints("scan_input_axes", 2)).run(init, f32([]int{3, 2}, 1, 2, 3, 4, 5, 6)); err == nil {
		t.Error("scan input axis out of range: want an error")
	}
	if _, err := scanSpec(9, opstest.Ints("scan_input_directions", 2)).build(); err == nil {
		t.Error("direction 2: want a build error")
	}
	if _, err := scanSpec(9, opstest.Int("num_scan_inputs", 3)).build(); err == nil {
		t.Error("num_scan_inputs larger than the inputs: want a build error")
	}
	if _, err := (nodeSpec{op: "Scan", opset: 9, outputs: 2, inputs: []string{"a", "b"},
		bodies: []bodySpec{{attr: "body", fb: sumBody()}}}).build(); err == nil {
		t.Error("missing num_scan_inputs: want a build error")
	}
}

func TestScan8(t *testing.T) {
	// test_scan_sum: batch 1.
	out, err := scanSpec(8).run(nil, f32([]int{1, 2}, 0, 0), f32([]int{1, 3, 2}, 1, 2, 3, 4, 5, 6))
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[0], f32([]int{1, 2}, 9, 12), "y")
	wantTensor(t, out[1], f32([]int{1, 3, 2}, 1, 2, 4, 6, 9, 12), "z")

	// batch 2 with sequence_lens [3, 1]: the short entry is zero padded.
	init := f32([]int{2, 2}, 0, 0, 100, 100)
	x := f32([]int{2, 3, 2}, 1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60)
	out, err = scanSpec(8).run(i64([]int{2}, 3, 1), init, x)
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[0], f32([]int{2, 2}, 9, 12, 110, 120), "lens y")
	wantTensor(t, out[1], f32([]int{2, 3, 2}, 1, 2, 4, 6, 9, 12, 110, 120, 0, 0, 0, 0), "lens z")

	// reverse direction reads each entry backwards from its own length.
	out, err = scanSpec(8, opstest.Ints("directions", 1)).run(i64([]int{2}, 3, 2), init, x)
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[0], f32([]int{2, 2}, 9, 12, 140, 160), "reverse y")
	wantTensor(t, out[1], f32([]int{2, 3, 2}, 5, 6, 8, 10, 9, 12, 130, 140, 140, 160, 0, 0), "reverse z")

	// errors
	if _, err := scanSpec(8).run(i64([]int{2}, 4, 1), init, x); err == nil {
		t.Error("sequence length beyond the max: want an error")
	}
	if _, err := scanSpec(8).run(i64([]int{1}, 3), init, x); err == nil {
		t.Error("sequence_lens of the wrong size: want an error")
	}
	if _, err := scanSpec(8).run(nil, tensor.Zeros(tensor.Float32, 3, 2), x); err == nil {
		t.Error("state batch mismatch: want an error")
	}
	if _, err := scanSpec(8).run(nil, init, f32([]int{2}, 1, 2)); err == nil {
		t.Error("rank-1 scan input: want an error")
	}
}
