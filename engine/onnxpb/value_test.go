package onnxpb

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

var (
	f32Type = &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}
	i32Type = &graph.Type{Kind: graph.KindTensor, Elem: tensor.Int32}
)

func seqOf(inner *graph.Type) *graph.Type { return &graph.Type{Kind: graph.KindSequence, Inner: inner} }
func optOf(inner *graph.Type) *graph.Type { return &graph.Type{Kind: graph.KindOptional, Inner: inner} }

// The backend test data's .pb files decode to the documented values and
// re-encode to exactly the same bytes.
func TestDecodeValueTestData(t *testing.T) {
	cases := []struct {
		file  string
		typ   *graph.Type
		name  string
		check func(t *testing.T, v tensor.Value)
	}{
		{"node/test_add/test_data_set_0/output_0.pb", nil, "sum", func(t *testing.T, v tensor.Value) {
			x := v.(*tensor.Tensor)
			mustEqual(t, "shape", x.Shape(), []int{3, 4, 5})
		}},
		{"node/test_optional_get_element/test_data_set_0/input_0.pb", optOf(f32Type), "optional_input", func(t *testing.T, v tensor.Value) {
			checkTensor(t, v.(*tensor.Optional).Value.(*tensor.Tensor), tensor.Float32, []int{4}, []float32{1, 2, 3, 4})
		}},
		{"node/test_optional_has_element_empty/test_data_set_0/input_0.pb", optOf(i32Type), "optional_input", func(t *testing.T, v tensor.Value) {
			if o := v.(*tensor.Optional); o.Value != nil {
				t.Fatalf("empty optional decoded as %v", o.Value)
			}
		}},
		{"node/test_optional_has_element_empty/test_data_set_0/output_0.pb", nil, "output", func(t *testing.T, v tensor.Value) {
			checkTensor(t, v.(*tensor.Tensor), tensor.Bool, []int{}, []bool{false})
		}},
		{"node/test_optional_get_element_sequence/test_data_set_0/input_0.pb", optOf(seqOf(i32Type)), "optional_input", func(t *testing.T, v tensor.Value) {
			s := v.(*tensor.Optional).Value.(*tensor.Sequence)
			mustEqual(t, "elem", s.ElemType, tensor.Int32)
			if len(s.Tensors) != 1 {
				t.Fatalf("%d tensors", len(s.Tensors))
			}
			checkTensor(t, s.Tensors[0], tensor.Int32, []int{4}, []int32{1, 2, 3, 4})
		}},
		{"node/test_identity_sequence/test_data_set_0/input_0.pb", seqOf(f32Type), "x", func(t *testing.T, v tensor.Value) {
			s := v.(*tensor.Sequence)
			mustEqual(t, "elem", s.ElemType, tensor.Float32)
			if len(s.Tensors) != 2 {
				t.Fatalf("%d tensors", len(s.Tensors))
			}
			checkTensor(t, s.Tensors[0], tensor.Float32, []int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
		}},
		{"node/test_loop16_seq_none/test_data_set_0/input_2.pb", optOf(seqOf(&graph.Type{Kind: graph.KindTensor})), "opt_seq", func(t *testing.T, v tensor.Value) {
			s := v.(*tensor.Optional).Value.(*tensor.Sequence)
			mustEqual(t, "elem", s.ElemType, tensor.Float32) // from the first tensor
			checkTensor(t, s.Tensors[0], tensor.Float32, []int{}, []float32{0})
		}},
		{"node/test_loop16_seq_none/test_data_set_0/output_0.pb", seqOf(f32Type), "seq_res", func(t *testing.T, v tensor.Value) {
			s := v.(*tensor.Sequence)
			if len(s.Tensors) != 6 {
				t.Fatalf("%d tensors", len(s.Tensors))
			}
			checkTensor(t, s.Tensors[2], tensor.Float32, []int{2}, []float32{1, 2})
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			buf := readTestFile(t, c.file)
			v, name, err := DecodeValue(buf, c.typ)
			if err != nil {
				t.Fatal(err)
			}
			if name != c.name {
				t.Fatalf("name %q, want %q", name, c.name)
			}
			c.check(t, v)
			if enc := EncodeValue(name, v); !bytes.Equal(enc, buf) {
				t.Fatalf("re-encoded bytes differ:\n got % x\nwant % x", enc, buf)
			}
		})
	}
}

func TestValueRoundTrip(t *testing.T) {
	a := tensor.New([]int{2}, []float32{1, 2})
	b := tensor.New([]int{1}, []float32{3})
	seq := &tensor.Sequence{ElemType: tensor.Float32, Tensors: []*tensor.Tensor{a, b}}
	emptySeq := &tensor.Sequence{ElemType: tensor.Int64}
	cases := []struct {
		v   tensor.Value
		typ *graph.Type
	}{
		{a, nil},
		{seq, seqOf(f32Type)},
		{emptySeq, seqOf(&graph.Type{Kind: graph.KindTensor, Elem: tensor.Int64})},
		{&tensor.Optional{Value: a}, optOf(f32Type)},
		{&tensor.Optional{Value: seq}, optOf(seqOf(f32Type))},
		{&tensor.Optional{}, optOf(f32Type)},
	}
	for i, c := range cases {
		buf := EncodeValue("v", c.v)
		got, name, err := DecodeValue(buf, c.typ)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if name != "v" {
			t.Fatalf("case %d: name %q", i, name)
		}
		mustEqual(t, "value", got, c.v)
	}
	// A nil value is written as an empty optional.
	got, _, err := DecodeValue(EncodeValue("n", nil), optOf(f32Type))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "nil", got, &tensor.Optional{})
	// Hand-encoded sequence with a sparse element.
	sp := pb{}.msg(1, pb{}.dims(1).int(2, 1).packedFloats(4, 7)).msg(2, pb{}.dims(1).int(2, 7).packedVarints(7, 1)).packedVarints(3, 2)
	got, _, err = DecodeValue(pb{}.str(1, "s").int(2, 2).msg(4, sp), seqOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "sparse seq", got, &tensor.Sequence{ElemType: tensor.Float32, Tensors: []*tensor.Tensor{tensor.New([]int{2}, []float32{0, 7})}})
}

func TestDecodeValueErrors(t *testing.T) {
	ft := pb{}.dims(1).int(2, 1).packedFloats(4, 1)
	it := pb{}.dims(1).int(2, 7).packedVarints(7, 1)
	cases := []struct {
		buf  pb
		typ  *graph.Type
		want string
	}{
		{pb{}.str(1, "s").int(2, 1).msg(3, ft).msg(3, it), seqOf(nil), "element 1 is int64, want float32"},
		{pb{}.str(1, "s").int(2, 1).msg(3, it), seqOf(f32Type), "element 0 is int64, want float32"},
		{pb{}.str(1, "s").int(2, 3).msg(5, pb{}), seqOf(nil), "sequences of sequences"},
		{pb{}.str(1, "s").int(2, 4), seqOf(nil), "elem_type 4"},
		{pb{}.str(1, "s").msg(3, pb{}.dims(2).int(2, 1)), seqOf(nil), "element 0"},
		{pb{}.str(1, "o").int(2, 5).msg(7, pb{}), optOf(nil), "optionals of maps or optionals"},
		{pb{}.str(1, "o").int(2, 9), optOf(nil), "elem_type 9"},
		{pb{}.str(1, "o").int(2, 1).msg(3, pb{}.int(2, 1)), optOf(nil), "no data"},
		{pb{}, &graph.Type{Kind: graph.KindMap}, "map"},
		{pb{}.int(1, 1), seqOf(nil), "wire type"},
	}
	for _, c := range cases {
		_, _, err := DecodeValue(c.buf, c.typ)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
