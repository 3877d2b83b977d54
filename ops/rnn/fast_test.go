package rnn

import (
	"context"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// runConst builds op with the inputs marked constant at load time (the
// weights are then packed once) and runs it on threads threads.
func runConst(t *testing.T, op string, opset, nOut, threads int, consts []bool, in []*tensor.Tensor, attrs ...*graph.Attribute) []*tensor.Tensor {
	t.Helper()
	g := &graph.Node{OpType: op, Attrs: map[string]*graph.Attribute{}}
	for _, a := range attrs {
		g.Attrs[a.Name] = a
	}
	cs := make([]*tensor.Tensor, len(in))
	vals := make([]tensor.Value, len(in))
	for i, x := range in {
		name := ""
		if x != nil {
			name = "in"
			vals[i] = x
			if i < len(consts) && consts[i] {
				cs[i] = x
			}
		}
		g.Inputs = append(g.Inputs, name)
	}
	for i := 0; i < nOut; i++ {
		g.Outputs = append(g.Outputs, "out")
	}
	b, ok := ops.Lookup("", op, opset)
	if !ok {
		t.Fatalf("no %s at opset %d", op, opset)
	}
	k, err := b(&ops.Node{Node: g, Opset: opset, Consts: cs})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: threads}, vals)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		if o != nil {
			res[i] = o.(*tensor.Tensor)
		}
	}
	return res
}

// TestConstWeightsGRU runs the GRU cases of TestGRULinearBeforeReset with
// W, R and B constant (packed at load), forward and bidirectional on two
// threads (the directions then run concurrently).
func TestConstWeightsGRU(t *testing.T) {
	w := [3]float64{0.5, -0.7, 1.1}
	r := [3]float64{0.3, 0.6, -0.9}
	wb := [3]float64{0.1, -0.2, 0.3}
	rb := [3]float64{0.05, 0.4, -0.6}
	xs := []float64{1, -2, 0.5, 1.5}
	rev := []float64{1.5, 0.5, -2, 1}
	X := f32([]int{4, 1, 1}, 1, -2, 0.5, 1.5)
	for _, lbr := range []int64{0, 1} {
		fw := gruRef(xs, w, r, wb, rb, 0.2, lbr == 1)
		bw := gruRef(rev, w, r, wb, rb, 0.2, lbr == 1)
		for _, threads := range []int{1, 2} {
			W := f32([]int{2, 3, 1}, 0.5, -0.7, 1.1, 0.5, -0.7, 1.1)
			R := f32([]int{2, 3, 1}, 0.3, 0.6, -0.9, 0.3, 0.6, -0.9)
			B := f32([]int{2, 6}, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6)
			got := runConst(t, "GRU", 7, 2, threads, []bool{false, true, true, true},
				[]*tensor.Tensor{X, W, R, B, nil, f32([]int{2, 1, 1}, 0.2, 0.2)},
				opstest.Int("hidden_size", 1), opstest.Int("linear_before_reset", lbr), opstest.String("direction", "bidirectional"))
			// Y [seq, 2, 1, 1]: the reverse direction's output at step t
			// is its state after consuming x[t..3].
			want := []float64{fw[0], bw[3], fw[1], bw[2], fw[2], bw[1], fw[3], bw[0]}
			check(t, "Y", got[0], want32([]int{4, 2, 1, 1}, want...))
			check(t, "Y_h", got[1], want32([]int{2, 1, 1}, fw[3], bw[3]))
		}
	}
}

// TestConstWeightsLSTM runs TestLSTMPeepholesStates' case with constant
// weights, biases and peepholes.
func TestConstWeightsLSTM(t *testing.T) {
	p := lstmW{wi: 0.5, wo: -0.4, wf: 0.3, wc: 0.9, ri: 0.2, ro: 0.1, rf: -0.5, rc: 0.7,
		pi: 0.3, po: -0.2, pf: 0.4}
	wb := []float32{0.1, 0.2, -0.1, 0.05}
	rb := []float32{0.05, -0.1, 0.3, 0.15}
	p.bi, p.bo, p.bf, p.bc = float64(wb[0]+rb[0]), float64(wb[1]+rb[1]), float64(wb[2]+rb[2]), float64(wb[3]+rb[3])
	ys, h, c := lstmRef([]float64{1, -0.5, 2}, p, 0.25, -0.6, false)
	W := f32([]int{1, 4, 1}, 0.5, -0.4, 0.3, 0.9)
	R := f32([]int{1, 4, 1}, 0.2, 0.1, -0.5, 0.7)
	B := f32([]int{1, 8}, append(append([]float32{}, wb...), rb...)...)
	P := f32([]int{1, 3}, 0.3, -0.2, 0.4)
	X := f32([]int{3, 1, 1}, 1, -0.5, 2)
	got := runConst(t, "LSTM", 7, 3, 1, []bool{false, true, true, true, false, false, false, true},
		[]*tensor.Tensor{X, W, R, B, nil, f32([]int{1, 1, 1}, 0.25), f32([]int{1, 1, 1}, -0.6), P},
		opstest.Int("hidden_size", 1))
	check(t, "Y", got[0], want32([]int{3, 1, 1, 1}, ys...))
	check(t, "Y_h", got[1], want32([]int{1, 1, 1}, h))
	check(t, "Y_c", got[2], want32([]int{1, 1, 1}, c))
}

// TestConstWeightsRuntimeBias: constant W and R with B fed at run time
// (not prepacked), and a run whose W has another shape than the constant
// (the prepared operands must not be used).
func TestConstWeightsRuntimeBias(t *testing.T) {
	w := [3]float64{0.5, -0.7, 1.1}
	r := [3]float64{0.3, 0.6, -0.9}
	wb := [3]float64{0.1, -0.2, 0.3}
	rb := [3]float64{0.05, 0.4, -0.6}
	ys := gruRef([]float64{1, -2}, w, r, wb, rb, 0, true)
	got := runConst(t, "GRU", 14, 2, 1, []bool{false, true, true, false},
		[]*tensor.Tensor{f32([]int{2, 1, 1}, 1, -2), f32([]int{1, 3, 1}, 0.5, -0.7, 1.1), f32([]int{1, 3, 1}, 0.3, 0.6, -0.9),
			f32([]int{1, 6}, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6)},
		opstest.Int("linear_before_reset", 1))
	check(t, "Y", got[0], want32([]int{2, 1, 1, 1}, ys...))
}

// TestBatchChunks runs TestLSTMReverseSeqLens' case (batch 2, lengths 3
// and 2, reverse) on one thread (one chunk: the items read different
// steps) and on two (one chunk per item, run concurrently), in both
// layouts.
func TestBatchChunks(t *testing.T) {
	p := lstmW{wi: 0.5, wo: -0.4, wf: 0.3, wc: 0.9, ri: 0.2, ro: 0.1, rf: -0.5, rc: 0.7}
	ys0, h0, c0 := lstmRef([]float64{2, -0.5, 1}, p, 0, 0, false)
	ys1, h1, c1 := lstmRef([]float64{-1, 0.3}, p, 0, 0, false)
	lens := tensor.New([]int{2}, []int32{3, 2})
	for _, threads := range []int{1, 2} {
		W := f32([]int{1, 4, 1}, 0.5, -0.4, 0.3, 0.9)
		R := f32([]int{1, 4, 1}, 0.2, 0.1, -0.5, 0.7)
		attrs := []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "reverse")}
		// layout 0: X [seq 3, batch 2, 1].
		got := runConst(t, "LSTM", 14, 3, threads, []bool{false, true, true},
			[]*tensor.Tensor{f32([]int{3, 2, 1}, 1, 0.3, -0.5, -1, 2, 9), W, R, nil, lens}, attrs...)
		check(t, "Y", got[0], want32([]int{3, 1, 2, 1}, ys0[2], ys1[1], ys0[1], ys1[0], ys0[0], 0))
		check(t, "Y_h", got[1], want32([]int{1, 2, 1}, h0, h1))
		check(t, "Y_c", got[2], want32([]int{1, 2, 1}, c0, c1))
		// layout 1: X [batch 2, seq 3, 1], Y [batch, seq, 1, 1].
		got = runConst(t, "LSTM", 14, 3, threads, []bool{false, true, true},
			[]*tensor.Tensor{f32([]int{2, 3, 1}, 1, -0.5, 2, 0.3, -1, 9), W, R, nil, lens},
			append(attrs, opstest.Int("layout", 1))...)
		check(t, "Y layout 1", got[0], want32([]int{2, 3, 1, 1}, ys0[2], ys0[1], ys0[0], ys1[1], ys1[0], 0))
		check(t, "Y_h layout 1", got[1], want32([]int{2, 1, 1}, h0, h1))
		check(t, "Y_c layout 1", got[2], want32([]int{2, 1, 1}, c0, c1))
	}
}

// TestConstWeightsConcurrent shares one kernel with pre-packed weights
// between goroutines, each run on two threads (both directions at once).
func TestConstWeightsConcurrent(t *testing.T) {
	w := [3]float64{0.5, -0.7, 1.1}
	r := [3]float64{0.3, 0.6, -0.9}
	wb := [3]float64{0.1, -0.2, 0.3}
	rb := [3]float64{0.05, 0.4, -0.6}
	fw := gruRef([]float64{1, -2, 0.5}, w, r, wb, rb, 0, true)
	bw := gruRef([]float64{0.5, -2, 1}, w, r, wb, rb, 0, true)
	W := f32([]int{2, 3, 1}, 0.5, -0.7, 1.1, 0.5, -0.7, 1.1)
	R := f32([]int{2, 3, 1}, 0.3, 0.6, -0.9, 0.3, 0.6, -0.9)
	B := f32([]int{2, 6}, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6)
	g := &graph.Node{OpType: "GRU", Inputs: []string{"x", "w", "r", "b"}, Outputs: []string{"", "yh"},
		Attrs: map[string]*graph.Attribute{}}
	for _, a := range []*graph.Attribute{opstest.Int("linear_before_reset", 1), opstest.String("direction", "bidirectional")} {
		g.Attrs[a.Name] = a
	}
	b, _ := ops.Lookup("", "GRU", 14)
	k, err := b(&ops.Node{Node: g, Opset: 14, Consts: []*tensor.Tensor{nil, W, R, B}})
	if err != nil {
		t.Fatal(err)
	}
	want := want32([]int{2, 1, 1}, fw[2], bw[2])
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				X := f32([]int{3, 1, 1}, 1, -2, 0.5)
				out, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 2}, []tensor.Value{X, W, R, B})
				if err != nil {
					t.Error(err)
					return
				}
				if err := opstest.Close(out[1].(*tensor.Tensor), want, 1e-5, 1e-6); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
