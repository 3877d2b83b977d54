package rnn

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

// fill makes a float32 tensor with every element v.
func fill(v float32, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	d := make([]float32, n)
	for i := range d {
		d[i] = v
	}
	return tensor.New(shape, d)
}

// rep repeats each value n times (rows of identical hidden units).
func rep(n int, vals ...float32) []float32 {
	var out []float32
	for _, v := range vals {
		for i := 0; i < n; i++ {
			out = append(out, v)
		}
	}
	return out
}

// want32 makes a float32 tensor of expected values computed in float64.
func want32(shape []int, v ...float64) *tensor.Tensor {
	out, err := tensor.FromFloat64s(tensor.Float32, shape, v)
	if err != nil {
		panic(err)
	}
	return out
}

func check(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if err := opstest.Close(got, want, 1e-5, 1e-6); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// The ONNX specification's examples (onnx/backend/test/case/node/{rnn,gru,
// lstm}.py), with their published expected outputs.
func TestSpecExamples(t *testing.T) {
	x32 := f32([]int{1, 3, 2}, 1, 2, 3, 4, 5, 6)
	xb := f32([]int{3, 1, 2}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name string
		op   opstest.Op
		in   []*tensor.Tensor
		want []*tensor.Tensor
	}{
		{"simple_rnn_defaults",
			opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 4)}, Outputs: 2},
			[]*tensor.Tensor{x32, fill(0.1, 1, 4, 2), fill(0.1, 1, 4, 4)},
			[]*tensor.Tensor{nil, f32([]int{1, 3, 4}, rep(4, 0.29131263, 0.60436779, 0.80049902)...)}},
		{"gru_defaults",
			opstest.Op{Type: "GRU", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 5)}, Outputs: 2},
			[]*tensor.Tensor{x32, fill(0.1, 1, 15, 2), fill(0.1, 1, 15, 5)},
			[]*tensor.Tensor{nil, f32([]int{1, 3, 5}, rep(5, 0.12397026, 0.20053662, 0.19991654)...)}},
		{"gru_with_initial_bias",
			opstest.Op{Type: "GRU", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 3)}, Outputs: 2},
			[]*tensor.Tensor{f32([]int{1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), fill(0.1, 1, 9, 3), fill(0.1, 1, 9, 3),
				f32([]int{1, 18}, append(rep(9, 0.1), rep(9, 0)...)...)},
			[]*tensor.Tensor{nil, f32([]int{1, 3, 3}, rep(3, 0.20053662, 0.15482338, 0.074842758)...)}},
		{"lstm_defaults",
			opstest.Op{Type: "LSTM", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 3)}, Outputs: 2},
			[]*tensor.Tensor{x32, fill(0.1, 1, 12, 2), fill(0.1, 1, 12, 3)},
			[]*tensor.Tensor{nil, f32([]int{1, 3, 3}, rep(3, 0.095241204, 0.25606447, 0.40323776)...)}},
		{"lstm_with_peepholes",
			opstest.Op{Type: "LSTM", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 3)}, Outputs: 2},
			[]*tensor.Tensor{f32([]int{1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8), fill(0.1, 1, 12, 4), fill(0.1, 1, 12, 3),
				fill(0, 1, 24), tensor.New([]int{2}, []int32{1, 1}), fill(0, 1, 2, 3), fill(0, 1, 2, 3), fill(0.1, 1, 9)},
			[]*tensor.Tensor{nil, f32([]int{1, 2, 3}, rep(3, 0.37506911, 0.6801309)...)}},
		{"simple_rnn_batchwise",
			opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 4), opstest.Int("layout", 1)}, Outputs: 2},
			[]*tensor.Tensor{xb, fill(0.5, 1, 4, 2), fill(0.5, 1, 4, 4)},
			[]*tensor.Tensor{
				f32([]int{3, 1, 1, 4}, rep(4, 0.90514821, 0.99817789, 0.99996662)...),
				f32([]int{3, 1, 4}, rep(4, 0.90514821, 0.99817789, 0.99996662)...)}},
		{"gru_batchwise",
			opstest.Op{Type: "GRU", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 6), opstest.Int("layout", 1)}, Outputs: 2},
			[]*tensor.Tensor{xb, fill(0.2, 1, 18, 2), fill(0.2, 1, 18, 6)},
			[]*tensor.Tensor{
				f32([]int{3, 1, 1, 6}, rep(6, 0.19030014, 0.1751368, 0.097330853)...),
				f32([]int{3, 1, 6}, rep(6, 0.19030014, 0.1751368, 0.097330853)...)}},
		{"lstm_batchwise",
			opstest.Op{Type: "LSTM", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 7), opstest.Int("layout", 1)}, Outputs: 2},
			[]*tensor.Tensor{xb, fill(0.3, 1, 28, 2), fill(0.3, 1, 28, 7)},
			[]*tensor.Tensor{
				f32([]int{3, 1, 1, 7}, rep(7, 0.33369261, 0.62239319, 0.71857899)...),
				f32([]int{3, 1, 7}, rep(7, 0.33369261, 0.62239319, 0.71857899)...)}},
	}
	for _, c := range cases {
		got := opstest.MustRun(t, c.op, c.in...)
		for i, w := range c.want {
			if w != nil {
				check(t, c.name, got[i], w)
			}
		}
	}
}

// rnnStep is the scalar (hidden 1, input 1) RNN cell with tanh.
func rnnRef(xs []float64, w, r, bias, h float64, reverse bool, n int) (ys []float64, last float64) {
	ys = make([]float64, len(xs))
	for s := 0; s < n; s++ {
		t := s
		if reverse {
			t = n - 1 - s
		}
		h = math.Tanh(w*xs[t] + r*h + bias)
		ys[t] = h
	}
	if n == 0 {
		return ys, 0
	}
	return ys, h
}

// TestRNNSequenceLensDirections runs a 3-step, 2-item RNN where item 1 has
// length 2, forward, reverse and bidirectional, in both layouts.
func TestRNNSequenceLensDirections(t *testing.T) {
	// x[t][b]
	x := [][]float64{{1, -1}, {0.5, 2}, {-0.5, 3}}
	col := func(b int) []float64 { return []float64{x[0][b], x[1][b], x[2][b]} }
	lens := []int{3, 2}
	X := f32([]int{3, 2, 1}, 1, -1, 0.5, 2, -0.5, 3)
	seqLens := tensor.New([]int{2}, []int32{3, 2})

	type dirW struct{ w, r, wb, rb, h0a, h0b float64 }
	fw := dirW{0.5, -0.3, 0.1, 0.2, 0.2, -0.4}
	bw := dirW{0.8, 0.6, 0, -0.1, 0.1, 0.3}

	// expected Y[t][d][b] and Y_h[d][b]
	ref := func(dws []dirW, reverses []bool) (y [3][2][2]float64, yh [2][2]float64) {
		for d, dw := range dws {
			for b := 0; b < 2; b++ {
				h0 := dw.h0a
				if b == 1 {
					h0 = dw.h0b
				}
				ys, last := rnnRef(col(b), dw.w, dw.r, dw.wb+dw.rb, h0, reverses[d], lens[b])
				for tt := 0; tt < 3; tt++ {
					y[tt][d][b] = ys[tt]
				}
				yh[d][b] = last
			}
		}
		return
	}

	t.Run("forward", func(t *testing.T) {
		y, yh := ref([]dirW{fw}, []bool{false})
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1)}},
			X, f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, -0.3), f32([]int{1, 2}, 0.1, 0.2),
			seqLens, f32([]int{1, 2, 1}, 0.2, -0.4))
		check(t, "Y", got[0], want32([]int{3, 1, 2, 1}, y[0][0][0], y[0][0][1], y[1][0][0], y[1][0][1], y[2][0][0], 0))
		check(t, "Y_h", got[1], want32([]int{1, 2, 1}, yh[0][0], yh[0][1]))
		if y[2][0][1] != 0 {
			t.Fatal("reference should leave padded step zero")
		}
	})
	t.Run("reverse", func(t *testing.T) {
		y, yh := ref([]dirW{fw}, []bool{true})
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 7, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "reverse")}},
			X, f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, -0.3), f32([]int{1, 2}, 0.1, 0.2),
			seqLens, f32([]int{1, 2, 1}, 0.2, -0.4))
		check(t, "Y", got[0], want32([]int{3, 1, 2, 1}, y[0][0][0], y[0][0][1], y[1][0][0], y[1][0][1], y[2][0][0], 0))
		check(t, "Y_h", got[1], want32([]int{1, 2, 1}, yh[0][0], yh[0][1]))
	})
	W := f32([]int{2, 1, 1}, 0.5, 0.8)
	R := f32([]int{2, 1, 1}, -0.3, 0.6)
	B := f32([]int{2, 2}, 0.1, 0.2, 0, -0.1)
	t.Run("bidirectional", func(t *testing.T) {
		y, yh := ref([]dirW{fw, bw}, []bool{false, true})
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "bidirectional")}},
			X, W, R, B, seqLens, f32([]int{2, 2, 1}, 0.2, -0.4, 0.1, 0.3))
		var wy []float64
		for tt := 0; tt < 3; tt++ {
			for d := 0; d < 2; d++ {
				for b := 0; b < 2; b++ {
					wy = append(wy, y[tt][d][b])
				}
			}
		}
		check(t, "Y", got[0], want32([]int{3, 2, 2, 1}, wy...))
		check(t, "Y_h", got[1], want32([]int{2, 2, 1}, yh[0][0], yh[0][1], yh[1][0], yh[1][1]))
	})
	t.Run("bidirectional_layout1", func(t *testing.T) {
		y, yh := ref([]dirW{fw, bw}, []bool{false, true})
		// X as [batch, seq, input]; initial_h as [batch, dirs, hidden].
		Xb := f32([]int{2, 3, 1}, 1, 0.5, -0.5, -1, 2, 3)
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "bidirectional"), opstest.Int("layout", 1)}},
			Xb, W, R, B, seqLens, f32([]int{2, 2, 1}, 0.2, 0.1, -0.4, 0.3))
		var wy []float64 // [batch, seq, dirs, hidden]
		for b := 0; b < 2; b++ {
			for tt := 0; tt < 3; tt++ {
				for d := 0; d < 2; d++ {
					wy = append(wy, y[tt][d][b])
				}
			}
		}
		check(t, "Y", got[0], want32([]int{2, 3, 2, 1}, wy...))
		check(t, "Y_h", got[1], want32([]int{2, 2, 1}, yh[0][0], yh[1][0], yh[0][1], yh[1][1]))
	})
	t.Run("zero_length", func(t *testing.T) {
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1)}},
			X, f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, -0.3), nil,
			tensor.New([]int{2}, []int32{1, 0}), f32([]int{1, 2, 1}, 0.2, -0.4))
		h := math.Tanh(0.5*1 - 0.3*0.2)
		check(t, "Y", got[0], want32([]int{3, 1, 2, 1}, h, 0, 0, 0, 0, 0))
		check(t, "Y_h", got[1], want32([]int{1, 2, 1}, h, 0))
	})
}

// TestRNNHidden2 checks the recurrent product's orientation (H·Rᵀ) with two
// hidden units over two steps.
func TestRNNHidden2(t *testing.T) {
	// input 1, hidden 2: W = [[1],[2]], R = [[0.1, 0.2], [0.3, 0.4]]
	x := []float64{0.5, -1}
	h := []float64{0, 0}
	var ys []float64
	for _, xv := range x {
		h0 := math.Tanh(1*xv + 0.1*h[0] + 0.2*h[1])
		h1 := math.Tanh(2*xv + 0.3*h[0] + 0.4*h[1])
		h = []float64{h0, h1}
		ys = append(ys, h0, h1)
	}
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2},
		f32([]int{2, 1, 1}, 0.5, -1), f32([]int{1, 2, 1}, 1, 2), f32([]int{1, 2, 2}, 0.1, 0.2, 0.3, 0.4))
	check(t, "Y", got[0], want32([]int{2, 1, 1, 2}, ys...))
	check(t, "Y_h", got[1], want32([]int{1, 1, 2}, h...))
}

// TestActivations runs one RNN step with W=1, R=0, no bias, so Y_h = f(x).
func TestActivations(t *testing.T) {
	xs := []float64{-2, -0.5, 0, 0.3, 1.5}
	cases := []struct {
		name        string
		alpha, beta []float32
		f           func(x float64) float64
	}{
		{"Relu", nil, nil, func(x float64) float64 { return math.Max(x, 0) }},
		{"Tanh", nil, nil, math.Tanh},
		{"Sigmoid", nil, nil, sig},
		{"Affine", []float32{2}, []float32{0.5}, func(x float64) float64 { return 2*x + 0.5 }},
		{"Affine", nil, nil, func(x float64) float64 { return x }},
		{"LeakyRelu", nil, nil, func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return 0.01 * x
		}},
		{"LeakyRelu", []float32{0.2}, nil, func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return 0.2 * x
		}},
		{"ThresholdedRelu", []float32{0.25}, nil, func(x float64) float64 {
			if x >= 0.25 {
				return x
			}
			return 0
		}},
		{"ThresholdedRelu", nil, nil, func(x float64) float64 {
			if x >= 1 {
				return x
			}
			return 0
		}},
		{"ScaledTanh", []float32{2}, []float32{0.5}, func(x float64) float64 { return 2 * math.Tanh(0.5*x) }},
		{"HardSigmoid", nil, nil, func(x float64) float64 { return math.Min(math.Max(0.2*x+0.5, 0), 1) }},
		{"HardSigmoid", []float32{0.5}, []float32{0.6}, func(x float64) float64 { return math.Min(math.Max(0.5*x+0.6, 0), 1) }},
		{"Elu", nil, nil, func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return math.Exp(x) - 1
		}},
		{"Elu", []float32{0.5}, nil, func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return 0.5 * (math.Exp(x) - 1)
		}},
		{"Softsign", nil, nil, func(x float64) float64 { return x / (1 + math.Abs(x)) }},
		{"Softplus", nil, nil, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }},
		{"softplus", nil, nil, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }}, // names are case-insensitive
	}
	n := len(xs)
	X := make([]float32, n)
	for i, v := range xs {
		X[i] = float32(v)
	}
	for _, c := range cases {
		attrs := []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.Strings("activations", c.name)}
		if c.alpha != nil {
			attrs = append(attrs, opstest.Floats("activation_alpha", c.alpha...))
		}
		if c.beta != nil {
			attrs = append(attrs, opstest.Floats("activation_beta", c.beta...))
		}
		got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Attrs: attrs, Outputs: 2},
			f32([]int{1, n, 1}, X...), f32([]int{1, 1, 1}, 1), f32([]int{1, 1, 1}, 0))
		want := make([]float64, n)
		for i, x := range xs {
			want[i] = c.f(float64(float32(x)))
		}
		check(t, c.name, got[1], want32([]int{1, n, 1}, want...))
	}
}

// TestActivationParamsOrder: alpha/beta values go, in order, to the
// functions that take them (LeakyRelu takes alpha only, HardSigmoid both).
func TestActivationParamsOrder(t *testing.T) {
	xs := []float32{-2, 1}
	attrs := []*graph.Attribute{
		opstest.Int("hidden_size", 1), opstest.String("direction", "bidirectional"),
		opstest.Strings("activations", "LeakyRelu", "HardSigmoid"),
		opstest.Floats("activation_alpha", 0.1, 0.3), opstest.Floats("activation_beta", 0.4),
	}
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Attrs: attrs, Outputs: 2},
		f32([]int{1, 2, 1}, xs...), f32([]int{2, 1, 1}, 1, 1), f32([]int{2, 1, 1}, 0, 0))
	hs := func(x float64) float64 { return math.Min(math.Max(0.3*x+0.4, 0), 1) }
	check(t, "Y_h", got[1], want32([]int{2, 2, 1}, -0.2, 1, hs(-2), hs(1)))
}

func TestClip(t *testing.T) {
	attrs := []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.Strings("activations", "Affine"), opstest.Float("clip", 0.5)}
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Attrs: attrs, Outputs: 2},
		f32([]int{1, 4, 1}, -2, -0.25, 0.4, 3), f32([]int{1, 1, 1}, 1), f32([]int{1, 1, 1}, 0))
	check(t, "Y_h", got[1], want32([]int{1, 4, 1}, -0.5, -0.25, 0.4, 0.5))
}

type lstmW struct{ wi, wo, wf, wc, ri, ro, rf, rc, bi, bo, bf, bc, pi, po, pf float64 }

func lstmRef(xs []float64, p lstmW, h, c float64, inputForget bool) (ys []float64, hh, cc float64) {
	for _, x := range xs {
		i := sig(p.wi*x + p.ri*h + p.pi*c + p.bi)
		f := sig(p.wf*x + p.rf*h + p.pf*c + p.bf)
		if inputForget {
			f = 1 - i
		}
		g := math.Tanh(p.wc*x + p.rc*h + p.bc)
		c = f*c + i*g
		o := sig(p.wo*x + p.ro*h + p.po*c + p.bo)
		h = o * math.Tanh(c)
		ys = append(ys, h)
	}
	return ys, h, c
}

func TestLSTMPeepholesStates(t *testing.T) {
	p := lstmW{wi: 0.5, wo: -0.4, wf: 0.3, wc: 0.9, ri: 0.2, ro: 0.1, rf: -0.5, rc: 0.7,
		pi: 0.3, po: -0.2, pf: 0.4}
	// B = [Wb(iofc), Rb(iofc)]; the reference uses their sums.
	wb := []float32{0.1, 0.2, -0.1, 0.05}
	rb := []float32{0.05, -0.1, 0.3, 0.15}
	p.bi, p.bo, p.bf, p.bc = float64(wb[0]+rb[0]), float64(wb[1]+rb[1]), float64(wb[2]+rb[2]), float64(wb[3]+rb[3])
	xs := []float64{1, -0.5, 2}
	W := f32([]int{1, 4, 1}, 0.5, -0.4, 0.3, 0.9)
	R := f32([]int{1, 4, 1}, 0.2, 0.1, -0.5, 0.7)
	B := f32([]int{1, 8}, append(append([]float32{}, wb...), rb...)...)
	P := f32([]int{1, 3}, 0.3, -0.2, 0.4) // i, o, f
	X := f32([]int{3, 1, 1}, 1, -0.5, 2)
	h0, c0 := f32([]int{1, 1, 1}, 0.25), f32([]int{1, 1, 1}, -0.6)
	for _, forget := range []bool{false, true} {
		ys, h, c := lstmRef(xs, p, 0.25, -0.6, forget)
		attrs := []*graph.Attribute{opstest.Int("hidden_size", 1)}
		if forget {
			attrs = append(attrs, opstest.Int("input_forget", 1))
		}
		got := opstest.MustRun(t, opstest.Op{Type: "LSTM", Opset: 7, Attrs: attrs, Outputs: 3},
			X, W, R, B, nil, h0, c0, P)
		check(t, "Y", got[0], want32([]int{3, 1, 1, 1}, ys...))
		check(t, "Y_h", got[1], want32([]int{1, 1, 1}, h))
		check(t, "Y_c", got[2], want32([]int{1, 1, 1}, c))
	}
}

func TestLSTMReverseSeqLens(t *testing.T) {
	p := lstmW{wi: 0.5, wo: -0.4, wf: 0.3, wc: 0.9, ri: 0.2, ro: 0.1, rf: -0.5, rc: 0.7}
	W := f32([]int{1, 4, 1}, 0.5, -0.4, 0.3, 0.9)
	R := f32([]int{1, 4, 1}, 0.2, 0.1, -0.5, 0.7)
	// batch 2: item 0 full length 3, item 1 length 2; reverse direction.
	X := f32([]int{3, 2, 1}, 1, 0.3, -0.5, -1, 2, 9)
	ys0, h0, c0 := lstmRef([]float64{2, -0.5, 1}, p, 0, 0, false)
	ys1, h1, c1 := lstmRef([]float64{-1, 0.3}, p, 0, 0, false)
	got := opstest.MustRun(t, opstest.Op{Type: "LSTM", Opset: 14, Outputs: 3,
		Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "reverse")}},
		X, W, R, nil, tensor.New([]int{2}, []int32{3, 2}))
	// Y[t]: item 0 at t=2,1,0 got ys0[0],ys0[1],ys0[2]; item 1 at t=1,0.
	check(t, "Y", got[0], want32([]int{3, 1, 2, 1}, ys0[2], ys1[1], ys0[1], ys1[0], ys0[0], 0))
	check(t, "Y_h", got[1], want32([]int{1, 2, 1}, h0, h1))
	check(t, "Y_c", got[2], want32([]int{1, 2, 1}, c0, c1))
}

func gruRef(xs []float64, w, r, wb, rb [3]float64, h float64, lbr bool) (ys []float64) {
	for _, x := range xs {
		z := sig(w[0]*x + r[0]*h + wb[0] + rb[0])
		rr := sig(w[1]*x + r[1]*h + wb[1] + rb[1])
		var hh float64
		if lbr {
			hh = math.Tanh(w[2]*x + rr*(r[2]*h+rb[2]) + wb[2])
		} else {
			hh = math.Tanh(w[2]*x + r[2]*(rr*h) + wb[2] + rb[2])
		}
		h = (1-z)*hh + z*h
		ys = append(ys, h)
	}
	return ys
}

func TestGRULinearBeforeReset(t *testing.T) {
	w := [3]float64{0.5, -0.7, 1.1}
	r := [3]float64{0.3, 0.6, -0.9}
	wb := [3]float64{0.1, -0.2, 0.3}
	rb := [3]float64{0.05, 0.4, -0.6}
	xs := []float64{1, -2, 0.5, 1.5}
	W := f32([]int{1, 3, 1}, 0.5, -0.7, 1.1)
	R := f32([]int{1, 3, 1}, 0.3, 0.6, -0.9)
	B := f32([]int{1, 6}, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6)
	X := f32([]int{4, 1, 1}, 1, -2, 0.5, 1.5)
	for _, lbr := range []int64{0, 1} {
		ys := gruRef(xs, w, r, wb, rb, 0.2, lbr == 1)
		got := opstest.MustRun(t, opstest.Op{Type: "GRU", Opset: 7, Outputs: 2,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.Int("linear_before_reset", lbr)}},
			X, W, R, B, nil, f32([]int{1, 1, 1}, 0.2))
		check(t, "Y", got[0], want32([]int{4, 1, 1, 1}, ys...))
		check(t, "Y_h", got[1], want32([]int{1, 1, 1}, ys[3]))
	}
	// The two formulations must differ here, or the test proves nothing.
	a, b := gruRef(xs, w, r, wb, rb, 0.2, false), gruRef(xs, w, r, wb, rb, 0.2, true)
	if math.Abs(a[3]-b[3]) < 1e-3 {
		t.Fatal("test data does not separate linear_before_reset")
	}
}

func TestGRUBidirectionalSeqLens(t *testing.T) {
	wf, rf := [3]float64{0.5, -0.7, 1.1}, [3]float64{0.3, 0.6, -0.9}
	wr, rr := [3]float64{-0.4, 0.2, 0.8}, [3]float64{0.1, -0.3, 0.5}
	zero := [3]float64{}
	W := f32([]int{2, 3, 1}, 0.5, -0.7, 1.1, -0.4, 0.2, 0.8)
	R := f32([]int{2, 3, 1}, 0.3, 0.6, -0.9, 0.1, -0.3, 0.5)
	// layout 1: X [batch 2, seq 3, 1]; item 1 has length 1.
	X := f32([]int{2, 3, 1}, 1, -2, 0.5, 3, 7, 7)
	f0 := gruRef([]float64{1, -2, 0.5}, wf, rf, zero, zero, 0, false)
	r0 := gruRef([]float64{0.5, -2, 1}, wr, rr, zero, zero, 0, false)
	f1 := gruRef([]float64{3}, wf, rf, zero, zero, 0, false)
	r1 := gruRef([]float64{3}, wr, rr, zero, zero, 0, false)
	got := opstest.MustRun(t, opstest.Op{Type: "GRU", Opset: 14, Outputs: 2,
		Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.String("direction", "bidirectional"), opstest.Int("layout", 1)}},
		X, W, R, nil, tensor.New([]int{2}, []int32{3, 1}))
	// Y [batch, seq, dirs, 1]
	check(t, "Y", got[0], want32([]int{2, 3, 2, 1},
		f0[0], r0[2], f0[1], r0[1], f0[2], r0[0],
		f1[0], r1[0], 0, 0, 0, 0))
	check(t, "Y_h", got[1], want32([]int{2, 2, 1}, f0[2], r0[2], f1[0], r1[0]))
}

func TestOtherFloatTypes(t *testing.T) {
	// One RNN step, tanh(0.5·x + 0.25).
	xs := []float64{1, -1}
	want := []float64{math.Tanh(0.75), math.Tanh(-0.25)}
	op := opstest.Op{Type: "RNN", Opset: 14, Outputs: 2, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1)}}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float16, tensor.BFloat16} {
		mk := func(shape []int, v ...float64) *tensor.Tensor {
			tt, err := tensor.FromFloat64s(dt, shape, v)
			if err != nil {
				t.Fatal(err)
			}
			return tt
		}
		got := opstest.MustRun(t, op, mk([]int{1, 2, 1}, xs...), mk([]int{1, 1, 1}, 0.5), mk([]int{1, 1, 1}, 0), mk([]int{1, 2}, 0.25, 0))
		if got[1].DType() != dt {
			t.Fatalf("%v: Y_h dtype %v", dt, got[1].DType())
		}
		tol := 1e-12
		if dt != tensor.Float64 {
			tol = 1e-2
		}
		g := got[1].Float64s()
		for i := range want {
			if math.Abs(g[i]-want[i]) > tol {
				t.Errorf("%v: Y_h[%d] = %v, want %v", dt, i, g[i], want[i])
			}
		}
	}
}

func TestOptionalOutputs(t *testing.T) {
	X, W, R := f32([]int{2, 1, 1}, 1, 2), f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, 0.5)
	h1 := math.Tanh(0.5)
	h2 := math.Tanh(1 + 0.5*h1)
	// Only Y (one output).
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 1, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1)}}, X, W, R)
	if len(got) != 1 {
		t.Fatalf("%d outputs, want 1", len(got))
	}
	check(t, "Y", got[0], want32([]int{2, 1, 1, 1}, h1, h2))
	// LSTM Y_h and Y_c.
	got = opstest.MustRun(t, opstest.Op{Type: "LSTM", Opset: 14, Outputs: 3, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1)}},
		X, f32([]int{1, 4, 1}, 0, 0, 0, 1), f32([]int{1, 4, 1}, 0, 0, 0, 0))
	// i = o = f = 0.5; c1 = 0.5·tanh(1), c2 = 0.5·c1 + 0.5·tanh(2)
	c1 := 0.5 * math.Tanh(1)
	c2 := 0.5*c1 + 0.5*math.Tanh(2)
	check(t, "Y_c", got[2], want32([]int{1, 1, 1}, c2))
	check(t, "Y_h", got[1], want32([]int{1, 1, 1}, 0.5*math.Tanh(c2)))
}

func TestEmptyDims(t *testing.T) {
	op := opstest.Op{Type: "LSTM", Opset: 14, Outputs: 3, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 2)}}
	W, R := fill(0.1, 1, 8, 1), fill(0.1, 1, 8, 2)
	// seq_length 0: empty Y, zero states.
	got := opstest.MustRun(t, op, tensor.New([]int{0, 3, 1}, []float32{}), W, R)
	check(t, "Y", got[0], tensor.New([]int{0, 1, 3, 2}, []float32{}))
	check(t, "Y_h", got[1], fill(0, 1, 3, 2))
	check(t, "Y_c", got[2], fill(0, 1, 3, 2))
	// batch 0.
	got = opstest.MustRun(t, op, tensor.New([]int{4, 0, 1}, []float32{}), W, R)
	check(t, "Y", got[0], tensor.New([]int{4, 1, 0, 2}, []float32{}))
	check(t, "Y_h", got[1], tensor.New([]int{1, 0, 2}, []float32{}))
	// input_size 0: only the recurrence and biases act.
	got = opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2}, tensor.New([]int{2, 1, 0}, []float32{}),
		tensor.New([]int{1, 1, 0}, []float32{}), f32([]int{1, 1, 1}, 0.5), f32([]int{1, 2}, 0.25, 0.25))
	h1 := math.Tanh(0.5)
	check(t, "Y", got[0], want32([]int{2, 1, 1, 1}, h1, math.Tanh(0.5*h1+0.5)))
	// hidden size 0 inferred from R.
	_, err := opstest.Run(opstest.Op{Type: "RNN", Opset: 14, Outputs: 2}, f32([]int{1, 1, 1}, 1),
		tensor.New([]int{1, 0, 1}, []float32{}), tensor.New([]int{1, 0, 0}, []float32{}))
	if err == nil || !strings.Contains(err.Error(), "hidden_size") {
		t.Errorf("hidden 0: error %v", err)
	}
}

func TestHiddenSizeInferred(t *testing.T) {
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2},
		f32([]int{1, 1, 1}, 1), f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, 0))
	check(t, "Y_h", got[1], want32([]int{1, 1, 1}, math.Tanh(0.5)))
}

func TestErrors(t *testing.T) {
	X, W, R := f32([]int{2, 1, 1}, 1, 2), f32([]int{1, 1, 1}, 0.5), f32([]int{1, 1, 1}, 0.5)
	hs := opstest.Int("hidden_size", 1)
	cases := []struct {
		name string
		op   opstest.Op
		in   []*tensor.Tensor
		want string
	}{
		{"bad activation", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs, opstest.Strings("activations", "Swish")}}, []*tensor.Tensor{X, W, R}, "unknown activation"},
		{"activation count", opstest.Op{Type: "LSTM", Opset: 14, Attrs: []*graph.Attribute{hs, opstest.Strings("activations", "Tanh", "Tanh")}}, []*tensor.Tensor{X, W, R}, "activations"},
		{"bad direction", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs, opstest.String("direction", "sideways")}}, []*tensor.Tensor{X, W, R}, "direction"},
		{"layout before 14", opstest.Op{Type: "RNN", Opset: 7, Attrs: []*graph.Attribute{hs, opstest.Int("layout", 1)}}, []*tensor.Tensor{X, W, R}, "opset 14"},
		{"lbr at opset 1", opstest.Op{Type: "GRU", Opset: 1, Attrs: []*graph.Attribute{hs, opstest.Int("linear_before_reset", 1)}}, []*tensor.Tensor{X, W, R}, "linear_before_reset"},
		{"negative hidden", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", -3)}}, []*tensor.Tensor{X, W, R}, "hidden_size"},
		{"bad clip", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs, opstest.Float("clip", -1)}}, []*tensor.Tensor{X, W, R}, "clip"},
		{"W shape", opstest.Op{Type: "GRU", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, f32([]int{1, 3, 1}, 1, 2, 3)}, "input W"},
		{"R shape", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{opstest.Int("hidden_size", 2)}}, []*tensor.Tensor{X, W, R}, "input R"},
		{"X rank", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{f32([]int{2, 1}, 1, 2), W, R}, "3-D"},
		{"B shape", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, R, f32([]int{1, 1}, 0)}, "input B"},
		{"seq len range", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, R, nil, tensor.New([]int{1}, []int32{3})}, "sequence_lens"},
		{"seq len negative", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, R, nil, tensor.New([]int{1}, []int32{-1})}, "sequence_lens"},
		{"seq len dtype", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, R, nil, f32([]int{1}, 1)}, "int32"},
		{"initial_h shape", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, R, nil, nil, f32([]int{1, 2, 1}, 0, 0)}, "initial_h"},
		{"P shape", opstest.Op{Type: "LSTM", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, f32([]int{1, 4, 1}, 1, 1, 1, 1), f32([]int{1, 4, 1}, 1, 1, 1, 1), nil, nil, nil, nil, f32([]int{1, 2}, 0, 0)}, "input P"},
		{"dtype mix", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, tensor.New([]int{1, 1, 1}, []float64{1}), R}, "dtype"},
		{"int X", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{tensor.New([]int{1, 1, 1}, []int32{1}), W, R}, "float"},
		{"missing R", opstest.Op{Type: "RNN", Opset: 14, Attrs: []*graph.Attribute{hs}}, []*tensor.Tensor{X, W, nil}, "required"},
	}
	for _, c := range cases {
		_, err := opstest.Run(c.op, c.in...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// buildNode builds a kernel directly, for tests that need the node's
// output names or one kernel shared between runs.
func buildNode(t *testing.T, op string, opset int, inputs, outputs []string, attrs ...*graph.Attribute) ops.Kernel {
	t.Helper()
	g := &graph.Node{OpType: op, Inputs: inputs, Outputs: outputs, Attrs: map[string]*graph.Attribute{}}
	for _, a := range attrs {
		g.Attrs[a.Name] = a
	}
	b, ok := ops.Lookup("", op, opset)
	if !ok {
		t.Fatalf("no %s at opset %d", op, opset)
	}
	k, err := b(&ops.Node{Node: g, Opset: opset, Consts: make([]*tensor.Tensor, len(inputs))})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func runKernel(k ops.Kernel, in ...*tensor.Tensor) ([]tensor.Value, error) {
	vals := make([]tensor.Value, len(in))
	for i, t := range in {
		if t != nil {
			vals[i] = t
		}
	}
	return k.Run(&ops.RunContext{Ctx: context.Background()}, vals)
}

// TestUnnamedOutputs: outputs named "" are not produced.
func TestUnnamedOutputs(t *testing.T) {
	k := buildNode(t, "LSTM", 14, []string{"x", "w", "r"}, []string{"", "", "c"}, opstest.Int("hidden_size", 1))
	out, err := runKernel(k, f32([]int{1, 1, 1}, 1), f32([]int{1, 4, 1}, 0, 0, 0, 1), f32([]int{1, 4, 1}, 0, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0] != nil || out[1] != nil || out[2] == nil {
		t.Fatalf("outputs %v, want only Y_c", out)
	}
	check(t, "Y_c", out[2].(*tensor.Tensor), want32([]int{1, 1, 1}, 0.5*math.Tanh(1)))
}

// TestConcurrentRuns shares one built kernel between goroutines.
func TestConcurrentRuns(t *testing.T) {
	k := buildNode(t, "GRU", 14, []string{"x", "w", "r"}, []string{"", "yh"}, opstest.Int("hidden_size", 5))
	in := []*tensor.Tensor{f32([]int{1, 3, 2}, 1, 2, 3, 4, 5, 6), fill(0.1, 1, 15, 2), fill(0.1, 1, 15, 5)}
	want := f32([]int{1, 3, 5}, rep(5, 0.12397026, 0.20053662, 0.19991654)...)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := runKernel(k, in...)
				if err != nil {
					t.Error(err)
					return
				}
				if err := opstest.Close(got[1].(*tensor.Tensor), want, 1e-5, 1e-6); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Inputs are untouched.
	if d := tensor.Data[float32](in[0]); d[0] != 1 || d[5] != 6 {
		t.Fatal("input X was modified")
	}
}

// TestDotNT compares the small-batch kernel with the textbook triple loop,
// including odd row counts and column remainders, with padded strides.
func TestDotNT(t *testing.T) {
	for _, m := range []int{1, 2, 3, 5} {
		for _, n := range []int{1, 3, 4, 7, 9} {
			for _, k := range []int{0, 1, 5} {
				lda, ldb, ldc := k+1, k+2, n+3
				a := make([]float64, m*lda)
				b := make([]float64, n*ldb)
				for i := range a {
					a[i] = float64(i%5) - 1.5
				}
				for i := range b {
					b[i] = float64(i%7)*0.25 - 0.5
				}
				c := make([]float64, m*ldc)
				for i := range c {
					c[i] = 99 // overwritten inside the m×n block, kept elsewhere
				}
				dotNT(m, n, k, a, lda, b, ldb, c, ldc)
				for i := 0; i < m; i++ {
					for j := 0; j < ldc; j++ {
						want := 99.0
						if j < n {
							want = 0
							for p := 0; p < k; p++ {
								want += a[i*lda+p] * b[j*ldb+p]
							}
						}
						if c[i*ldc+j] != want {
							t.Fatalf("m%d n%d k%d: C[%d,%d] = %v, want %v", m, n, k, i, j, c[i*ldc+j], want)
						}
					}
				}
			}
		}
	}
}

// TestLargeBatch takes the packed-GEMM path for the recurrent product
// (batch above smallBatch) with two hidden units and a bidirectional node.
func TestLargeBatch(t *testing.T) {
	const batch = smallBatch + 3
	// Forward: W=[[1],[2]], R=[[0.1,0.2],[0.3,0.4]]; reverse: W=[[-1],[0.5]], R=[[0.2,-0.1],[0,0.3]].
	type dw struct{ w0, w1, r00, r01, r10, r11 float64 }
	dirs := []dw{{1, 2, 0.1, 0.2, 0.3, 0.4}, {-1, 0.5, 0.2, -0.1, 0, 0.3}}
	x := make([]float32, 2*batch) // [seq 2, batch, 1]
	for i := range x {
		x[i] = float32(i%5)*0.3 - 0.6
	}
	lens := make([]int32, batch)
	for b := range lens {
		lens[b] = int32(1 + b%2)
	}
	Y := make([]float64, 2*2*batch*2) // [seq, dir, batch, hidden]
	Yh := make([]float64, 2*batch*2)
	for d, p := range dirs {
		for b := 0; b < batch; b++ {
			n := int(lens[b])
			h := []float64{0, 0}
			for s := 0; s < n; s++ {
				tt := s
				if d == 1 {
					tt = n - 1 - s
				}
				xv := float64(x[tt*batch+b])
				h = []float64{
					math.Tanh(p.w0*xv + p.r00*h[0] + p.r01*h[1]),
					math.Tanh(p.w1*xv + p.r10*h[0] + p.r11*h[1]),
				}
				copy(Y[((tt*2+d)*batch+b)*2:], h)
			}
			copy(Yh[(d*batch+b)*2:], h)
		}
	}
	got := opstest.MustRun(t, opstest.Op{Type: "RNN", Opset: 14, Outputs: 2,
		Attrs: []*graph.Attribute{opstest.String("direction", "bidirectional")}},
		f32([]int{2, batch, 1}, x...), f32([]int{2, 2, 1}, 1, 2, -1, 0.5),
		f32([]int{2, 2, 2}, 0.1, 0.2, 0.3, 0.4, 0.2, -0.1, 0, 0.3), nil, tensor.New([]int{batch}, lens))
	check(t, "Y", got[0], want32([]int{2, 2, batch, 2}, Y...))
	check(t, "Y_h", got[1], want32([]int{2, batch, 2}, Yh...))
}

func TestGRULargeBatch(t *testing.T) {
	const batch = smallBatch + 2
	w := [3]float64{0.5, -0.7, 1.1}
	r := [3]float64{0.3, 0.6, -0.9}
	wb := [3]float64{0.1, -0.2, 0.3}
	rb := [3]float64{0.05, 0.4, -0.6}
	x := make([]float32, 3*batch)
	for i := range x {
		x[i] = float32(i%7)*0.4 - 1.2
	}
	for _, lbr := range []int64{0, 1} {
		var wantY []float64
		ys := make([][]float64, batch)
		for b := 0; b < batch; b++ {
			ys[b] = gruRef([]float64{float64(x[b]), float64(x[batch+b]), float64(x[2*batch+b])}, w, r, wb, rb, 0, lbr == 1)
		}
		for tt := 0; tt < 3; tt++ {
			for b := 0; b < batch; b++ {
				wantY = append(wantY, ys[b][tt])
			}
		}
		got := opstest.MustRun(t, opstest.Op{Type: "GRU", Opset: 14, Outputs: 1,
			Attrs: []*graph.Attribute{opstest.Int("hidden_size", 1), opstest.Int("linear_before_reset", lbr)}},
			f32([]int{3, batch, 1}, x...), f32([]int{1, 3, 1}, 0.5, -0.7, 1.1), f32([]int{1, 3, 1}, 0.3, 0.6, -0.9),
			f32([]int{1, 6}, 0.1, -0.2, 0.3, 0.05, 0.4, -0.6))
		check(t, "Y", got[0], want32([]int{3, 1, batch, 1}, wantY...))
	}
}
