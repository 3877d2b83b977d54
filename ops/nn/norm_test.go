package nn_test

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestSoftmax(t *testing.T) {
	// Spec example: softmax([-1, 0, 1]).
	x := f32([]int{1, 3}, -1, 0, 1)
	opstest.Expect(t, op("Softmax", 13), []*tensor.Tensor{x}, f32([]int{1, 3}, 0.09003058, 0.24472848, 0.66524094))
	opstest.Expect(t, op("LogSoftmax", 13), []*tensor.Tensor{x}, f32([]int{1, 3}, -2.40760596, -1.40760596, -0.40760596))
	// Large inputs: the max is subtracted first.
	big := f32([]int{3}, 1000, 1001, 1002)
	opstest.Expect(t, op("Softmax", 13), []*tensor.Tensor{big}, f32([]int{3}, 0.09003058, 0.24472848, 0.66524094))
	opstest.Expect(t, op("LogSoftmax", 11, intA("axis", 0)), []*tensor.Tensor{big}, f32([]int{3}, -2.40760596, -1.40760596, -0.40760596))
	// Opset < 13 coerces to 2-D at axis: axis 1 of [1,2,2] spans 4 values;
	// from 13 the op runs along dim 1 only.
	z := f32([]int{1, 2, 2}, 0, 0, 0, 0)
	opstest.Expect(t, op("Softmax", 11, intA("axis", 1)), []*tensor.Tensor{z}, f32([]int{1, 2, 2}, 0.25, 0.25, 0.25, 0.25))
	opstest.Expect(t, op("Softmax", 13, intA("axis", 1)), []*tensor.Tensor{z}, f32([]int{1, 2, 2}, 0.5, 0.5, 0.5, 0.5))
	// Default axis is 1 before 13 (so the whole row of a [2, 2] here).
	opstest.Expect(t, op("Softmax", 1), []*tensor.Tensor{f64([]int{2, 2}, 0, 0, 1, 1)}, f64([]int{2, 2}, 0.5, 0.5, 0.5, 0.5))
	// Strided: along axis 0 of [[0, ln3], [0, 0]].
	l3 := float32(math.Log(3))
	opstest.Expect(t, op("Softmax", 13, intA("axis", 0)), []*tensor.Tensor{f32([]int{2, 2}, 0, l3, 0, 0)}, f32([]int{2, 2}, 0.5, 0.75, 0.5, 0.25))
	opstest.Expect(t, op("LogSoftmax", 13, intA("axis", -2)), []*tensor.Tensor{f32([]int{2, 2}, 0, 0, 0, 0)},
		f32([]int{2, 2}, -float32(math.Ln2), -float32(math.Ln2), -float32(math.Ln2), -float32(math.Ln2)))
	expectErr(t, op("Softmax", 13, intA("axis", 2)), []*tensor.Tensor{x}, "axis")
	expectErr(t, op("Softmax", 13), []*tensor.Tensor{i64([]int{2}, 1, 2)}, "float")
}

func TestHardmax(t *testing.T) {
	// The first maximum wins.
	opstest.Expect(t, op("Hardmax", 13), []*tensor.Tensor{f32([]int{2, 4}, 1, 3, 3, 2, 0, 0, 0, 0)},
		f32([]int{2, 4}, 0, 1, 0, 0, 1, 0, 0, 0))
	opstest.Expect(t, op("Hardmax", 13, intA("axis", 0)), []*tensor.Tensor{f32([]int{2, 2}, 1, 5, 3, 2)}, f32([]int{2, 2}, 0, 1, 1, 0))
	// Opset 11, axis 0: one hot over the whole tensor.
	opstest.Expect(t, op("Hardmax", 11, intA("axis", 0)), []*tensor.Tensor{f32([]int{2, 2}, 1, 5, 3, 2)}, f32([]int{2, 2}, 0, 1, 0, 0))
}

func TestBatchNormalization(t *testing.T) {
	x := f32([]int{2, 2}, 1, 2, 3, 4)
	scale, b := f32([]int{2}, 1, 2), f32([]int{2}, 0, 1)
	mean, vr := f32([]int{2}, 1, 2), f32([]int{2}, 4, 1)
	// (x-1)/2 for channel 0, 2(x-2)+1 for channel 1.
	for _, v := range []int{6, 7, 9, 14, 15} {
		opstest.Expect(t, op("BatchNormalization", v, floatA("epsilon", 0)), []*tensor.Tensor{x, scale, b, mean, vr},
			f32([]int{2, 2}, 0, 1, 1, 5))
	}
	// Training mode: batch statistics (mean [2, 3], variance [1, 1]) and
	// running statistics updated with momentum 0.9.
	o := op("BatchNormalization", 15, floatA("epsilon", 0), intA("training_mode", 1))
	o.Outputs = 3
	opstest.Expect(t, o, []*tensor.Tensor{x, scale, b, mean, vr},
		f32([]int{2, 2}, -1, -1, 1, 3), f32([]int{2}, 1.1, 2.1), f32([]int{2}, 3.7, 1))
	// Opset 9 with the statistics outputs requested is a training node too.
	o = op("BatchNormalization", 9, floatA("epsilon", 0))
	o.Outputs = 5
	opstest.Expect(t, o, []*tensor.Tensor{x, scale, b, mean, vr},
		f32([]int{2, 2}, -1, -1, 1, 3), f32([]int{2}, 1.1, 2.1), f32([]int{2}, 3.7, 1), f32([]int{2}, 2, 3), f32([]int{2}, 1, 1))
	// is_test=1 keeps the inference form even with extra outputs.
	o = op("BatchNormalization", 6, floatA("epsilon", 0), intA("is_test", 1))
	o.Outputs = 1
	opstest.Expect(t, o, []*tensor.Tensor{x, scale, b, mean, vr}, f32([]int{2, 2}, 0, 1, 1, 5))
	// spatial=0 (opset 7): one parameter per channel and position.
	x3 := f32([]int{1, 2, 2}, 1, 2, 3, 4)
	ones := f32([]int{2, 2}, 1, 1, 1, 1)
	zeros := f32([]int{2, 2}, 0, 0, 0, 0)
	opstest.Expect(t, op("BatchNormalization", 7, intA("spatial", 0), floatA("epsilon", 0)),
		[]*tensor.Tensor{x3, ones, zeros, f32([]int{2, 2}, 0, 1, 2, 3), ones}, f32([]int{1, 2, 2}, 1, 1, 1, 1))
	// 1-D input: C = 1.
	opstest.Expect(t, op("BatchNormalization", 15, floatA("epsilon", 0)),
		[]*tensor.Tensor{f32([]int{3}, 1, 2, 3), f32([]int{1}, 2), f32([]int{1}, 1), f32([]int{1}, 2), f32([]int{1}, 1)},
		f32([]int{3}, -1, 1, 3))
	// Mixed precision (opset 15): float16 X with float32 statistics.
	hx := tensor.New([]int{2, 2}, []tensor.F16{tensor.NewF16(1), tensor.NewF16(2), tensor.NewF16(3), tensor.NewF16(4)})
	opstest.Expect(t, op("BatchNormalization", 15, floatA("epsilon", 0)), []*tensor.Tensor{hx, scale, b, mean, vr},
		tensor.New([]int{2, 2}, []tensor.F16{0, tensor.NewF16(1), tensor.NewF16(1), tensor.NewF16(5)}))
	expectErr(t, op("BatchNormalization", 15), []*tensor.Tensor{x, f32([]int{3}, 1, 1, 1), b, mean, vr}, "scale")
}

func TestInstanceNormalization(t *testing.T) {
	// Channel 0: [1, 3] -> [-1, 1]; channel 1: [2, 6] -> [-1, 1], then *2+1.
	opstest.Expect(t, op("InstanceNormalization", 6, floatA("epsilon", 0)),
		[]*tensor.Tensor{f32([]int{1, 2, 2}, 1, 3, 2, 6), f32([]int{2}, 1, 2), f32([]int{2}, 0, 1)},
		f32([]int{1, 2, 2}, -1, 1, -1, 3))
	expectErr(t, op("InstanceNormalization", 6), []*tensor.Tensor{f32([]int{1, 2, 2}, 1, 3, 2, 6), f32([]int{1}, 1), f32([]int{2}, 0, 1)}, "scale")
}

func TestLayerNormalization(t *testing.T) {
	x := f32([]int{2, 2}, 1, 3, 2, 6)
	o := op("LayerNormalization", 17, floatA("epsilon", 0))
	o.Outputs = 3
	opstest.Expect(t, o, []*tensor.Tensor{x, f32([]int{2}, 2, 0.5), f32([]int{2}, 1, 1)},
		f32([]int{2, 2}, -1, 1.5, -1, 1.5), f32([]int{2, 1}, 2, 4), f32([]int{2, 1}, 1, 0.5))
	// No bias; axis 0 normalises everything: mean 3, variance 3.5.
	inv := float32(1 / math.Sqrt(3.5))
	o = op("LayerNormalization", 17, floatA("epsilon", 0), intA("axis", 0))
	opstest.Expect(t, o, []*tensor.Tensor{x, f32([]int{1}, 1)}, f32([]int{2, 2}, -2*inv, 0, -inv, 3*inv))
	// Scale varying along the outer dim is broadcast in full.
	o = op("LayerNormalization", 17, floatA("epsilon", 0))
	opstest.Expect(t, o, []*tensor.Tensor{x, f32([]int{2, 1}, 1, 2), f32([]int{2, 2}, 0, 0, 0, 1)}, f32([]int{2, 2}, -1, 1, -2, 3))
	// float64 with epsilon.
	o = op("LayerNormalization", 17, floatA("epsilon", 1))
	opstest.Expect(t, o, []*tensor.Tensor{f64([]int{2}, 1, 3), f64([]int{2}, 1, 1)},
		f64([]int{2}, -1/math.Sqrt(2), 1/math.Sqrt(2)))
	expectErr(t, op("LayerNormalization", 17), []*tensor.Tensor{x, f32([]int{3}, 1, 1, 1)}, "broadcast")
}

func TestRMSNormalization(t *testing.T) {
	r := math.Sqrt(12.5)
	opstest.Expect(t, op("RMSNormalization", 23, floatA("epsilon", 0)),
		[]*tensor.Tensor{f32([]int{1, 2}, 3, 4), f32([]int{2}, 1, 2)}, f32([]int{1, 2}, float32(3/r), float32(8/r)))
	// axis 0 over a [2, 1] tensor: sqrt((9+16)/2) again.
	opstest.Expect(t, op("RMSNormalization", 23, floatA("epsilon", 0), intA("axis", 0)),
		[]*tensor.Tensor{f32([]int{2, 1}, 3, 4), f32([]int{1}, 1)}, f32([]int{2, 1}, float32(3/r), float32(4/r)))
}

func TestGroupNormalization(t *testing.T) {
	x := f32([]int{1, 4, 1}, 1, 3, 2, 6)
	// Opset 21: one scale per channel.
	opstest.Expect(t, op("GroupNormalization", 21, intA("num_groups", 2), floatA("epsilon", 0)),
		[]*tensor.Tensor{x, f32([]int{4}, 1, 2, 3, 4), f32([]int{4}, 0, 0, 0, 1)}, f32([]int{1, 4, 1}, -1, 2, -3, 5))
	// Opset 18: one scale per group.
	opstest.Expect(t, op("GroupNormalization", 18, intA("num_groups", 2), floatA("epsilon", 0)),
		[]*tensor.Tensor{x, f32([]int{2}, 2, 3), f32([]int{2}, 0, 1)}, f32([]int{1, 4, 1}, -2, 2, -2, 4))
	expectErr(t, op("GroupNormalization", 21, intA("num_groups", 3)), []*tensor.Tensor{x, f32([]int{4}, 1, 1, 1, 1), f32([]int{4}, 0, 0, 0, 0)}, "divide")
	expectErr(t, op("GroupNormalization", 21, intA("num_groups", 2)), []*tensor.Tensor{x, f32([]int{2}, 1, 1), f32([]int{2}, 0, 0)}, "per channel")
	expectErr(t, op("GroupNormalization", 21), []*tensor.Tensor{x, f32([]int{4}, 1, 1, 1, 1), f32([]int{4}, 0, 0, 0, 0)}, "num_groups")
}

func TestMeanVarianceNormalization(t *testing.T) {
	// Default axes [0, 2, 3]: per channel. Channel 0 [1, 3], channel 1 [2, 6].
	d := 1 + 1e-9
	opstest.Expect(t, op("MeanVarianceNormalization", 13), []*tensor.Tensor{f32([]int{1, 2, 1, 2}, 1, 3, 2, 6)},
		f32([]int{1, 2, 1, 2}, float32(-1/d), float32(1/d), -1, 1))
	opstest.Expect(t, op("MeanVarianceNormalization", 9, ints("axes", 1)), []*tensor.Tensor{f64([]int{2, 2}, 1, 3, 2, 6)},
		f64([]int{2, 2}, -1/d, 1/d, -1/(2+1e-9)*2, 1/(2+1e-9)*2))
}

func TestLRN(t *testing.T) {
	// size 3, alpha/size = 1, beta 1, bias 1: y = x / (1 + sum of squares).
	x := f32([]int{1, 3, 1, 1}, 1, 2, 3)
	opstest.Expect(t, op("LRN", 13, intA("size", 3), floatA("alpha", 3), floatA("beta", 1)), []*tensor.Tensor{x},
		f32([]int{1, 3, 1, 1}, 1.0/6, 2.0/15, 3.0/14))
	// size 2 looks one channel ahead: windows {0,1}, {1,2}, {2}.
	opstest.Expect(t, op("LRN", 1, intA("size", 2), floatA("alpha", 2), floatA("beta", 1)), []*tensor.Tensor{x},
		f32([]int{1, 3, 1, 1}, 1.0/6, 2.0/14, 3.0/10))
	expectErr(t, op("LRN", 13), []*tensor.Tensor{x}, "size")
}

// The float32 fast path (Y only, row parameters): rows [1,2,3,4] (mean 2.5,
// variance 1.25) and [-1,-1,1,1] (mean 0, variance 1).
func TestLayerNormalizationRows(t *testing.T) {
	x := f32([]int{2, 4}, 1, 2, 3, 4, -1, -1, 1, 1)
	n1 := float32(1.5 / math.Sqrt(1.25))
	n2 := float32(0.5 / math.Sqrt(1.25))
	want := f32([]int{2, 4}, -n1, -n2, 2*n2, 2*n1+1, -1, -1, 2, 3)
	o := op("LayerNormalization", 17, floatA("epsilon", 0))
	opstest.Expect(t, o, []*tensor.Tensor{x, f32([]int{4}, 1, 1, 2, 2), f32([]int{4}, 0, 0, 0, 1)}, want)
	// Parameters with leading 1s are still one row.
	opstest.Expect(t, o, []*tensor.Tensor{x, f32([]int{1, 4}, 1, 1, 2, 2), f32([]int{1, 4}, 0, 0, 0, 1)}, want)
	// RMS: row 1 Σx²/4 = 7.5, row 2 1.
	r := float32(1 / math.Sqrt(7.5))
	opstest.Expect(t, op("RMSNormalization", 23, floatA("epsilon", 0)), []*tensor.Tensor{x, f32([]int{4}, 1, 1, 2, 2)},
		f32([]int{2, 4}, r, 2*r, 6*r, 8*r, -1, -1, 2, 2))

	// Many rows, two threads: every row is [1,2,3,4] repeated.
	const rows, cols = 64, 512
	xv := make([]float32, rows*cols)
	for i := range xv {
		xv[i] = float32(i%4 + 1)
	}
	ones := make([]float32, cols)
	for i := range ones {
		ones[i] = 1
	}
	b, ok := ops.Lookup("", "LayerNormalization", 17)
	if !ok {
		t.Fatal("no LayerNormalization kernel")
	}
	g := &graph.Node{OpType: "LayerNormalization", Inputs: []string{"x", "s"}, Outputs: []string{"y"},
		Attrs: map[string]*graph.Attribute{"epsilon": floatA("epsilon", 0)}}
	k, err := b(&ops.Node{Node: g, Opset: 17, Consts: make([]*tensor.Tensor, 2)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := k.Run(&ops.RunContext{Threads: 2}, []tensor.Value{f32([]int{rows, cols}, xv...), f32([]int{cols}, ones...)})
	if err != nil {
		t.Fatal(err)
	}
	y := tensor.Data[float32](out[0].(*tensor.Tensor))
	pat := []float64{-1.5 / math.Sqrt(1.25), -0.5 / math.Sqrt(1.25), 0.5 / math.Sqrt(1.25), 1.5 / math.Sqrt(1.25)}
	for i, v := range y {
		if math.Abs(float64(v)-pat[i%4]) > 1e-5 {
			t.Fatalf("element %d is %v, want %v", i, v, pat[i%4])
		}
	}
}

// Float32 rows through the SIMD path: uniform rows give 1/n (log −ln n), a
// −Inf logit gets probability 0; many rows run on two threads.
func TestSoftmaxRows(t *testing.T) {
	opstest.Expect(t, op("Softmax", 13), []*tensor.Tensor{f32([]int{2, 2}, float32(math.Inf(-1)), 0, 3, 3)},
		f32([]int{2, 2}, 0, 1, 0.5, 0.5))
	// Opset 11 coerces [2,2] at axis 0 into one row of 4.
	opstest.Expect(t, op("Softmax", 11, intA("axis", 0)), []*tensor.Tensor{f32([]int{2, 2}, 1, 1, 1, 1)},
		f32([]int{2, 2}, 0.25, 0.25, 0.25, 0.25))
	const rows, cols = 64, 512
	for _, typ := range []string{"Softmax", "LogSoftmax"} {
		b, ok := ops.Lookup("", typ, 13)
		if !ok {
			t.Fatalf("no %s kernel", typ)
		}
		g := &graph.Node{OpType: typ, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{}}
		k, err := b(&ops.Node{Node: g, Opset: 13, Consts: make([]*tensor.Tensor, 1)})
		if err != nil {
			t.Fatal(err)
		}
		xv := make([]float32, rows*cols)
		for i := range xv {
			xv[i] = float32(i / cols) // row r is all r
		}
		out, err := k.Run(&ops.RunContext{Threads: 2}, []tensor.Value{f32([]int{rows, cols}, xv...)})
		if err != nil {
			t.Fatal(err)
		}
		want := 1.0 / cols
		if typ == "LogSoftmax" {
			want = -math.Log(cols)
		}
		for i, v := range tensor.Data[float32](out[0].(*tensor.Tensor)) {
			if math.Abs(float64(v)-want) > 1e-6*(1+math.Abs(want)) {
				t.Fatalf("%s: element %d is %v, want %v", typ, i, v, want)
			}
		}
	}
}
