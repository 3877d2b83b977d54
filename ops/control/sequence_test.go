package control

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func op(name string, opset int, attrs ...*graph.Attribute) nodeSpec {
	return nodeSpec{op: name, opset: opset, outputs: 1, attrs: attrs}
}

func TestSequenceConstructEmptyLength(t *testing.T) {
	a, b := f32([]int{2}, 1, 2), f32([]int{1}, 3)
	out := op("SequenceConstruct", 11).mustRun(t, a, b)
	wantSeq(t, out[0], []*tensor.Tensor{a, b}, "construct")
	if s := out[0].(*tensor.Sequence); s.ElemType != tensor.Float32 {
		t.Errorf("elem type %v", s.ElemType)
	}
	if _, err := op("SequenceConstruct", 11).run(a, sc64(1)); err == nil {
		t.Error("mixed dtypes: want an error")
	}
	wantTensor(t, op("SequenceLength", 11).mustRun(t, out[0])[0], sc64(2), "length")

	e := op("SequenceEmpty", 11).mustRun(t)[0].(*tensor.Sequence)
	if e.ElemType != tensor.Float32 || len(e.Tensors) != 0 {
		t.Errorf("default SequenceEmpty: %+v", e)
	}
	e = op("SequenceEmpty", 11, opstest.Int("dtype", int64(tensor.Int64))).mustRun(t)[0].(*tensor.Sequence)
	if e.ElemType != tensor.Int64 || len(e.Tensors) != 0 {
		t.Errorf("int64 SequenceEmpty: %+v", e)
	}
	wantTensor(t, op("SequenceLength", 11).mustRun(t, e)[0], sc64(0), "empty length")
	if _, err := op("SequenceEmpty", 11, opstest.Int("dtype", 14)).build(); err == nil {
		t.Error("complex dtype: want a build error")
	}
	if _, err := op("SequenceLength", 11).run(a); err == nil {
		t.Error("SequenceLength of a tensor: want an error")
	}
}

func TestSequenceAtInsertErase(t *testing.T) {
	a, b, c := f32([]int{1}, 1), f32([]int{2}, 2, 3), f32([]int{3}, 4, 5, 6)
	s := seqOf(a, b, c)
	at := op("SequenceAt", 11)
	wantTensor(t, at.mustRun(t, s, sc64(0))[0], a, "at 0")
	wantTensor(t, at.mustRun(t, s, sc64(-1))[0], c, "at -1")
	wantTensor(t, at.mustRun(t, s, tensor.Scalar(int32(1)))[0], b, "at int32 1")
	for _, p := range []int64{3, -4} {
		if _, err := at.run(s, sc64(p)); err == nil {
			t.Errorf("SequenceAt %d: want an error", p)
		}
	}

	x := f32([]int{}, 9)
	ins := op("SequenceInsert", 11)
	wantSeq(t, ins.mustRun(t, s, x)[0], []*tensor.Tensor{a, b, c, x}, "insert back")
	wantSeq(t, ins.mustRun(t, s, x, sc64(0))[0], []*tensor.Tensor{x, a, b, c}, "insert front")
	wantSeq(t, ins.mustRun(t, s, x, sc64(-1))[0], []*tensor.Tensor{a, b, x, c}, "insert -1")
	wantSeq(t, ins.mustRun(t, s, x, sc64(3))[0], []*tensor.Tensor{a, b, c, x}, "insert at n")
	wantSeq(t, ins.mustRun(t, s, x, sc64(-3))[0], []*tensor.Tensor{x, a, b, c}, "insert at -n")
	if _, err := ins.run(s, x, sc64(4)); err == nil {
		t.Error("insert at n+1: want an error")
	}
	if _, err := ins.run(s, sc64(1)); err == nil {
		t.Error("insert an int64 into a float sequence: want an error")
	}
	if len(s.Tensors) != 3 || s.Tensors[0] != a {
		t.Fatal("SequenceInsert modified its input sequence")
	}
	// inserting into an untyped empty sequence sets its type
	got := ins.mustRun(t, &tensor.Sequence{}, sc64(1))[0].(*tensor.Sequence)
	if got.ElemType != tensor.Int64 {
		t.Errorf("elem type after insert: %v", got.ElemType)
	}

	er := op("SequenceErase", 11)
	wantSeq(t, er.mustRun(t, s)[0], []*tensor.Tensor{a, b}, "erase default")
	wantSeq(t, er.mustRun(t, s, sc64(0))[0], []*tensor.Tensor{b, c}, "erase 0")
	wantSeq(t, er.mustRun(t, s, sc64(-2))[0], []*tensor.Tensor{a, c}, "erase -2")
	if _, err := er.run(s, sc64(3)); err == nil {
		t.Error("erase 3: want an error")
	}
	if _, err := er.run(seqOf()); err == nil {
		t.Error("erase from empty: want an error")
	}
	if len(s.Tensors) != 3 || s.Tensors[2] != c {
		t.Fatal("SequenceErase modified its input sequence")
	}
}

func TestSplitToSequence(t *testing.T) {
	x := f32([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	sp := func(attrs ...*graph.Attribute) nodeSpec { return op("SplitToSequence", 11, attrs...) }
	wantSeq(t, sp().mustRun(t, x)[0], []*tensor.Tensor{
		f32([]int{1, 2}, 1, 2), f32([]int{1, 2}, 3, 4), f32([]int{1, 2}, 5, 6)}, "no split")
	wantSeq(t, sp(opstest.Int("keepdims", 0)).mustRun(t, x)[0], []*tensor.Tensor{
		f32([]int{2}, 1, 2), f32([]int{2}, 3, 4), f32([]int{2}, 5, 6)}, "no split keepdims 0")
	wantSeq(t, sp(opstest.Int("axis", 1), opstest.Int("keepdims", 0)).mustRun(t, x)[0], []*tensor.Tensor{
		f32([]int{3}, 1, 3, 5), f32([]int{3}, 2, 4, 6)}, "axis 1 keepdims 0")
	wantSeq(t, sp().mustRun(t, x, sc64(2))[0], []*tensor.Tensor{
		f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{1, 2}, 5, 6)}, "scalar split 2")
	// keepdims is ignored when split is given
	wantSeq(t, sp(opstest.Int("keepdims", 0)).mustRun(t, x, sc64(1))[0], []*tensor.Tensor{
		f32([]int{1, 2}, 1, 2), f32([]int{1, 2}, 3, 4), f32([]int{1, 2}, 5, 6)}, "scalar split 1, keepdims 0")
	wantSeq(t, sp().mustRun(t, x, i64([]int{2}, 1, 2))[0], []*tensor.Tensor{
		f32([]int{1, 2}, 1, 2), f32([]int{2, 2}, 3, 4, 5, 6)}, "split [1 2]")
	wantSeq(t, sp(opstest.Int("axis", -1)).mustRun(t, x, tensor.New([]int{2}, []int32{1, 1}))[0], []*tensor.Tensor{
		f32([]int{3, 1}, 1, 3, 5), f32([]int{3, 1}, 2, 4, 6)}, "axis -1 split [1 1]")
	wantSeq(t, sp().mustRun(t, x, i64([]int{3}, 0, 3, 0))[0], []*tensor.Tensor{
		tensor.Zeros(tensor.Float32, 0, 2), x, tensor.Zeros(tensor.Float32, 0, 2)}, "zero-length parts")
	for name, split := range map[string]*tensor.Tensor{
		"bad sum": i64([]int{2}, 1, 1), "negative": i64([]int{2}, 4, -1), "zero scalar": sc64(0),
		"2-D": i64([]int{1, 1}, 3), "float": f32([]int{}, 1),
	} {
		if _, err := sp().run(x, split); err == nil {
			t.Errorf("%s split: want an error", name)
		}
	}
	if _, err := sp(opstest.Int("axis", 2)).run(x); err == nil {
		t.Error("axis 2: want an error")
	}
	if _, err := sp().run(f32([]int{}, 1)); err == nil {
		t.Error("scalar input: want an error")
	}
}

func TestConcatFromSequence(t *testing.T) {
	cf := func(attrs ...*graph.Attribute) nodeSpec { return op("ConcatFromSequence", 11, attrs...) }
	a, b := f32([]int{2}, 1, 2), f32([]int{2}, 3, 4)
	wantTensor(t, cf(opstest.Int("axis", 0)).mustRun(t, seqOf(a, f32([]int{1}, 5)))[0], f32([]int{3}, 1, 2, 5), "concat")
	wantTensor(t, cf(opstest.Int("axis", 0), opstest.Int("new_axis", 1)).mustRun(t, seqOf(a, b))[0],
		f32([]int{2, 2}, 1, 2, 3, 4), "stack 0")
	wantTensor(t, cf(opstest.Int("axis", -1), opstest.Int("new_axis", 1)).mustRun(t, seqOf(a, b))[0],
		f32([]int{2, 2}, 1, 3, 2, 4), "stack -1")
	wantTensor(t, cf(opstest.Int("axis", 1), opstest.Int("new_axis", 1)).mustRun(t, seqOf(a, b))[0],
		f32([]int{2, 2}, 1, 3, 2, 4), "stack 1 (= rank)")
	m := f32([]int{2, 1}, 1, 2)
	n := f32([]int{2, 2}, 3, 4, 5, 6)
	wantTensor(t, cf(opstest.Int("axis", 1)).mustRun(t, seqOf(m, n))[0], f32([]int{2, 3}, 1, 3, 4, 2, 5, 6), "concat axis 1")
	wantTensor(t, cf(opstest.Int("axis", 0), opstest.Int("new_axis", 1)).mustRun(t, seqOf(sc64(1), sc64(2)))[0],
		i64([]int{2}, 1, 2), "stack scalars")
	if _, err := cf(opstest.Int("axis", 0)).run(seqOf(m, n)); err == nil {
		t.Error("mismatched non-axis dims: want an error")
	}
	if _, err := cf(opstest.Int("axis", 0), opstest.Int("new_axis", 1)).run(seqOf(a, f32([]int{1}, 5))); err == nil {
		t.Error("stacking different shapes: want an error")
	}
	if _, err := cf(opstest.Int("axis", 0)).run(seqOf()); err == nil {
		t.Error("empty sequence: want an error")
	}
	if _, err := cf(opstest.Int("axis", 1)).run(seqOf(a, b)); err == nil {
		t.Error("axis 1 of rank 1 without new_axis: want an error")
	}
	if _, err := cf().build(); err == nil {
		t.Error("missing axis: want a build error")
	}
	if _, err := cf(opstest.Int("axis", 0)).run(seqOf(a, sc64(1))); err == nil {
		t.Error("mixed dtypes: want an error")
	}
}

func TestSequenceMap(t *testing.T) {
	addBody := &fakeBody{ins: 2, outs: 1, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		return []tensor.Value{add(in[0].(*tensor.Tensor), in[1].(*tensor.Tensor))}, nil
	}}
	sm := nodeSpec{op: "SequenceMap", opset: 17, outputs: 1, bodies: []bodySpec{{attr: "body", fb: addBody}}}
	s1 := seqOf(f32([]int{2}, 1, 2), f32([]int{2}, 3, 4))
	s2 := seqOf(f32([]int{2}, 10, 20), f32([]int{2}, 30, 40))
	wantSeq(t, sm.mustRun(t, s1, s2)[0], []*tensor.Tensor{f32([]int{2}, 11, 22), f32([]int{2}, 33, 44)}, "two sequences")
	wantSeq(t, sm.mustRun(t, s1, f32([]int{2}, 1, 1))[0], []*tensor.Tensor{f32([]int{2}, 2, 3), f32([]int{2}, 4, 5)}, "sequence + tensor")
	if _, err := sm.run(s1, seqOf(f32([]int{2}, 1, 1))); err == nil {
		t.Error("sequences of different lengths: want an error")
	}
	if _, err := sm.run(f32([]int{2}, 1, 1), s1); err == nil {
		t.Error("first input a tensor: want an error")
	}

	// extract_shapes: body output is int64; two outputs; empty input sequence
	shapes := &fakeBody{ins: 1, outs: 2, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		x := in[0].(*tensor.Tensor)
		s := make([]int64, x.Rank())
		for i, d := range x.Shape() {
			s[i] = int64(d)
		}
		return []tensor.Value{i64([]int{len(s)}, s...), x}, nil
	}}
	i64t := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Int64}
	sm2 := nodeSpec{op: "SequenceMap", opset: 17, outputs: 2,
		bodies: []bodySpec{{attr: "body", fb: shapes, outTypes: []*graph.Type{i64t}}}}
	a, b := tensor.Zeros(tensor.Float32, 2, 3, 1), tensor.Zeros(tensor.Float32, 4, 1, 5)
	out := sm2.mustRun(t, seqOf(a, b))
	wantSeq(t, out[0], []*tensor.Tensor{i64([]int{3}, 2, 3, 1), i64([]int{3}, 4, 1, 5)}, "shapes")
	wantSeq(t, out[1], []*tensor.Tensor{a, b}, "identity")
	out = sm2.mustRun(t, &tensor.Sequence{ElemType: tensor.Float32})
	if s := out[0].(*tensor.Sequence); len(s.Tensors) != 0 || s.ElemType != tensor.Int64 {
		t.Errorf("empty input: got %+v, want an empty int64 sequence", s)
	}
	if _, err := (nodeSpec{op: "SequenceMap", opset: 17, outputs: 1, inputs: []string{"a", "b"},
		bodies: []bodySpec{{attr: "body", fb: &fakeBody{ins: 1, outs: 1}}}}).build(); err == nil {
		t.Error("body input count mismatch: want a build error")
	}
}

func TestOptional(t *testing.T) {
	x := f32([]int{2}, 1, 2)
	s := seqOf(x)
	opt := op("Optional", 15)
	for _, v := range []tensor.Value{x, s} {
		o, ok := opt.mustRun(t, v)[0].(*tensor.Optional)
		if !ok || o.Value != v {
			t.Fatalf("Optional(%T): got %#v", v, o)
		}
	}
	typ := &graph.Attribute{Name: "type", Type: graph.AttrTypeProto,
		TP: &graph.Type{Kind: graph.KindSequence, Inner: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}}}
	empty := op("Optional", 15, typ)
	empty.inputs = []string{}
	o, ok := empty.mustRun(t)[0].(*tensor.Optional)
	if !ok || o.Value != nil {
		t.Fatalf("empty Optional: got %#v", o)
	}
	noType := op("Optional", 15)
	noType.inputs = []string{""}
	if _, err := noType.build(); err == nil {
		t.Error("Optional with neither input nor type: want a build error")
	}
	if _, err := opt.run(&tensor.Optional{Value: x}); err == nil {
		t.Error("Optional of an optional: want an error")
	}

	for _, opset := range []int{15, 18} {
		has := op("OptionalHasElement", opset)
		get := op("OptionalGetElement", opset)
		wantTensor(t, has.mustRun(t, &tensor.Optional{Value: x})[0], bl(true), "has full")
		wantTensor(t, has.mustRun(t, &tensor.Optional{})[0], bl(false), "has empty")
		wantTensor(t, has.mustRun(t, x)[0], bl(true), "has tensor")
		wantTensor(t, has.mustRun(t, s)[0], bl(true), "has sequence")
		wantTensor(t, get.mustRun(t, &tensor.Optional{Value: x})[0], x, "get tensor")
		wantSeq(t, get.mustRun(t, &tensor.Optional{Value: s})[0], []*tensor.Tensor{x}, "get sequence")
		wantTensor(t, get.mustRun(t, x)[0], x, "get plain tensor")
		if _, err := get.run(&tensor.Optional{}); err == nil {
			t.Error("get from empty: want an error")
		}
	}
	absent := op("OptionalHasElement", 18)
	absent.inputs = []string{""}
	out, err := absent.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	wantTensor(t, out[0], bl(false), "has absent (18)")
	absent.opset = 15
	if _, err := absent.build(); err == nil {
		t.Error("absent input at opset 15: want a build error")
	}
}
