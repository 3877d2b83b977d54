package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func constBody(outs ...tensor.Value) *fakeBody {
	return &fakeBody{ins: 0, outs: len(outs), fn: func(*ops.RunContext, []tensor.Value) ([]tensor.Value, error) {
		return outs, nil
	}}
}

func ifSpec(opset int, then, els *fakeBody, nOut int) nodeSpec {
	return nodeSpec{op: "If", opset: opset, outputs: nOut,
		bodies: []bodySpec{{attr: "then_branch", fb: then}, {attr: "else_branch", fb: els}}}
}

func TestIf(t *testing.T) {
	a, b := f32([]int{2}, 1, 2), f32([]int{3}, 3, 4, 5)
	for _, opset := range []int{1, 11, 13, 16, 19, 21} {
		s := ifSpec(opset, constBody(a), constBody(b), 1)
		wantTensor(t, s.mustRun(t, bl(true))[0], a, "If true")
		wantTensor(t, s.mustRun(t, bl(false))[0], b, "If false")
		// a one-element [1] cond is accepted too
		wantTensor(t, s.mustRun(t, tensor.New([]int{1}, []bool{true}))[0], a, "If [true]")
	}
}

func TestIfSequenceAndOptional(t *testing.T) {
	// test_if_seq / test_if_opt: branches may yield sequences and optionals.
	x := f32([]int{5}, 1, 2, 3, 4, 5)
	seq := seqOf(x)
	empty := &tensor.Optional{}
	full := &tensor.Optional{Value: seq}
	s := ifSpec(16, constBody(empty, seq), constBody(full, seq), 2)
	out := s.mustRun(t, bl(true))
	if o, ok := out[0].(*tensor.Optional); !ok || o.Value != nil {
		t.Fatalf("then: got %#v, want an empty optional", out[0])
	}
	wantSeq(t, out[1], []*tensor.Tensor{x}, "then seq")
	out = s.mustRun(t, bl(false))
	o, ok := out[0].(*tensor.Optional)
	if !ok || o.Value == nil {
		t.Fatalf("else: got %#v, want a full optional", out[0])
	}
	wantSeq(t, o.Value, []*tensor.Tensor{x}, "else optional content")
}

func TestIfErrors(t *testing.T) {
	a := f32([]int{1}, 1)
	s := ifSpec(13, constBody(a), constBody(a), 1)
	for _, c := range []tensor.Value{sc64(1), tensor.New([]int{2}, []bool{true, false}), seqOf(a), nil} {
		if _, err := s.run(c); err == nil {
			t.Errorf("cond %v: want an error", c)
		}
	}
	if _, err := ifSpec(13, constBody(a, a), constBody(a), 2).build(); err == nil {
		t.Error("branch output count mismatch: want a build error")
	}
	if _, err := ifSpec(13, constBody(a), constBody(a), 2).build(); err == nil {
		t.Error("node output count mismatch: want a build error")
	}
	if _, err := (nodeSpec{op: "If", opset: 13, outputs: 1, inputs: []string{"c"}}).build(); err == nil {
		t.Error("missing branches: want a build error")
	}
	failing := &fakeBody{outs: 1, fn: func(*ops.RunContext, []tensor.Value) ([]tensor.Value, error) {
		return nil, errors.New("boom")
	}}
	_, err := ifSpec(13, failing, constBody(a), 1).run(bl(true))
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "then_branch") {
		t.Errorf("body error: got %v", err)
	}
}

// loop11Body is test_loop11's body: y_out = y_in + x[i], scan_out = y_out,
// with x = [1, 2, 3, 4, 5]; cond passes through.
func loop11Body() *fakeBody {
	x := []float32{1, 2, 3, 4, 5}
	return &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		i := tensor.Data[int64](in[0].(*tensor.Tensor))[0]
		y := in[2].(*tensor.Tensor)
		out := add(y, f32([]int{1}, x[i]))
		return []tensor.Value{in[1], out, out}, nil
	}}
}

func loopSpec(opset int, body *fakeBody, nOut int, outTypes ...*graph.Type) nodeSpec {
	return nodeSpec{op: "Loop", opset: opset, outputs: nOut,
		bodies: []bodySpec{{attr: "body", fb: body, outTypes: outTypes}}}
}

func TestLoop11(t *testing.T) {
	for _, opset := range []int{1, 11, 13, 16, 19, 21} {
		out := loopSpec(opset, loop11Body(), 2).mustRun(t, sc64(5), bl(true), f32([]int{1}, -2))
		wantTensor(t, out[0], f32([]int{1}, 13), "res_y")
		wantTensor(t, out[1], f32([]int{5, 1}, -1, 1, 4, 8, 13), "res_scan")
	}
}

func TestLoopTripCountForms(t *testing.T) {
	scanType := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 1}}}
	s := loopSpec(13, loop11Body(), 2, nil, nil, scanType)
	y := f32([]int{1}, -2)
	// M = 0, negative M and a false cond run zero iterations: the carried
	// value comes back unchanged and the scan output is empty [0, 1].
	for _, in := range [][]tensor.Value{{sc64(0), bl(true), y}, {sc64(-3), bl(true), y}, {sc64(5), bl(false), y}} {
		out := s.mustRun(t, in...)
		wantTensor(t, out[0], y, "zero-trip y")
		wantTensor(t, out[1], f32([]int{0, 1}), "zero-trip scan")
	}
	// M given as a [1] int64 tensor, cond absent: a for loop of 3.
	out := s.mustRun(t, i64([]int{1}, 3), nil, y)
	wantTensor(t, out[0], f32([]int{1}, 4), "M only")
	wantTensor(t, out[1], f32([]int{3, 1}, -1, 1, 4), "M only scan")

	// M absent: a while loop; the body's cond stops it after iteration 2.
	while := &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		i := tensor.Data[int64](in[0].(*tensor.Tensor))[0]
		if !tensor.Data[bool](in[1].(*tensor.Tensor))[0] {
			return nil, errors.New("body ran with cond false")
		}
		acc := in[2].(*tensor.Tensor)
		next := i64([]int{}, tensor.Data[int64](acc)[0]+i*10)
		return []tensor.Value{bl(i < 2), next, i64([]int{2}, i, -i)}, nil
	}}
	for _, cond := range []tensor.Value{bl(true), nil} {
		out = loopSpec(13, while, 2).mustRun(t, nil, cond, sc64(7))
		wantTensor(t, out[0], sc64(37), "while acc") // 7 + 0 + 10 + 20
		wantTensor(t, out[1], i64([]int{3, 2}, 0, 0, 1, -1, 2, -2), "while scan")
	}
	// M caps a loop whose body keeps cond true.
	out = loopSpec(13, while, 2).mustRun(t, sc64(2), bl(true), sc64(7))
	wantTensor(t, out[0], sc64(17), "capped acc")
}

func TestLoopSequenceCarried(t *testing.T) {
	// test_loop13_seq: seq_out = SequenceInsert(seq_in, x[:i+1]), x = 1..5.
	x := []float32{1, 2, 3, 4, 5}
	body := &fakeBody{ins: 3, outs: 2, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		i := tensor.Data[int64](in[0].(*tensor.Tensor))[0]
		s := in[2].(*tensor.Sequence)
		ts := append(append([]*tensor.Tensor{}, s.Tensors...), f32([]int{int(i) + 1}, x[:i+1]...))
		return []tensor.Value{in[1], &tensor.Sequence{ElemType: tensor.Float32, Tensors: ts}}, nil
	}}
	out := loopSpec(13, body, 1).mustRun(t, sc64(5), bl(true), &tensor.Sequence{ElemType: tensor.Float32})
	wantSeq(t, out[0], []*tensor.Tensor{
		f32([]int{1}, 1), f32([]int{2}, 1, 2), f32([]int{3}, 1, 2, 3), f32([]int{4}, 1, 2, 3, 4), f32([]int{5}, 1, 2, 3, 4, 5),
	}, "seq_res")

	// test_loop16_seq_none: the carried value starts as an optional and
	// becomes a sequence; the kernel passes whatever the body yields.
	body16 := &fakeBody{ins: 3, outs: 2, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		i := tensor.Data[int64](in[0].(*tensor.Tensor))[0]
		var s *tensor.Sequence
		switch v := in[2].(type) {
		case *tensor.Optional:
			if v.Value == nil {
				s = seqOf(f32([]int{}, 0))
			} else {
				s = v.Value.(*tensor.Sequence)
			}
		case *tensor.Sequence:
			s = v
		}
		ts := append(append([]*tensor.Tensor{}, s.Tensors...), f32([]int{int(i) + 1}, x[:i+1]...))
		return []tensor.Value{in[1], &tensor.Sequence{ElemType: tensor.Float32, Tensors: ts}}, nil
	}}
	out = loopSpec(16, body16, 1).mustRun(t, sc64(2), bl(true), &tensor.Optional{})
	wantSeq(t, out[0], []*tensor.Tensor{f32([]int{}, 0), f32([]int{1}, 1), f32([]int{2}, 1, 2)}, "seq_none")
	// Zero iterations return the optional unchanged.
	out = loopSpec(16, body16, 1).mustRun(t, sc64(0), bl(true), &tensor.Optional{})
	if o, ok := out[0].(*tensor.Optional); !ok || o.Value != nil {
		t.Fatalf("zero-trip optional: got %#v", out[0])
	}
}

func TestLoopCancel(t *testing.T) {
	// No M, no cond, a body that keeps cond true: runs until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	body := &fakeBody{ins: 2, outs: 1, fn: func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		n++
		if n == 50 {
			cancel()
		}
		return []tensor.Value{bl(true)}, nil
	}}
	s := loopSpec(13, body, 0)
	s.inputs = []string{"", ""}
	_, err := s.runCtx(ctx, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n != 50 {
		t.Fatalf("body ran %d times after cancellation at 50", n)
	}
}

func TestLoopErrors(t *testing.T) {
	y := f32([]int{1}, -2)
	// body input/output counts must match the node
	if _, err := (nodeSpec{op: "Loop", opset: 13, outputs: 2, inputs: []string{"M", "c", "y"},
		bodies: []bodySpec{{attr: "body", fb: &fakeBody{ins: 2, outs: 3}}}}).build(); err == nil {
		t.Error("body with too few inputs: want a build error")
	}
	if _, err := (nodeSpec{op: "Loop", opset: 13, outputs: 2, inputs: []string{"M", "c", "y"},
		bodies: []bodySpec{{attr: "body", fb: &fakeBody{ins: 3, outs: 2}}}}).build(); err == nil {
		t.Error("body with too few outputs: want a build error")
	}
	if _, err := loopSpec(13, loop11Body(), 2).run(sc64(5), sc64(1), y); err == nil {
		t.Error("int cond: want an error")
	}
	if _, err := loopSpec(13, loop11Body(), 2).run(f32([]int{}, 5), bl(true), y); err == nil {
		t.Error("float M: want an error")
	}
	badCond := &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		return []tensor.Value{sc64(1), in[2], in[2]}, nil
	}}
	if _, err := loopSpec(13, badCond, 2).run(sc64(2), bl(true), y); err == nil {
		t.Error("body cond not bool: want an error")
	}
	// scan outputs must keep their shape across iterations
	growing := &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		i := tensor.Data[int64](in[0].(*tensor.Tensor))[0]
		return []tensor.Value{in[1], in[2], tensor.Zeros(tensor.Float32, int(i)+1)}, nil
	}}
	if _, err := loopSpec(13, growing, 2).run(sc64(3), bl(true), y); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("changing scan output shape: got %v", err)
	}
	seqScan := &fakeBody{ins: 3, outs: 3, fn: func(_ *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		return []tensor.Value{in[1], in[2], seqOf(y)}, nil
	}}
	if _, err := loopSpec(13, seqScan, 2).run(sc64(3), bl(true), y); err == nil {
		t.Error("sequence scan output: want an error")
	}
}

func TestLoopConcurrentRuns(t *testing.T) {
	k, err := loopSpec(13, loop11Body(), 2).withInputs(3).build()
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			start := float32(g)
			out, err := k.Run(&ops.RunContext{Ctx: context.Background()}, []tensor.Value{sc64(5), bl(true), f32([]int{1}, start)})
			if err == nil {
				if got := tensor.Data[float32](out[0].(*tensor.Tensor))[0]; got != start+15 {
					err = fmt.Errorf("goroutine %d: y = %v, want %v", g, got, start+15)
				}
			}
			errs <- err
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
