package fused_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	_ "github.com/gonyx/gonyx/ops/all"
	"github.com/gonyx/gonyx/ops/fused"
	"github.com/gonyx/gonyx/ops/opstest"
)

func op(typ string, attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: typ, Domain: fused.Domain, Opset: 1, Attrs: attrs}
}

func actAttrs(name string, params ...float32) []*graph.Attribute {
	a := []*graph.Attribute{opstest.String("activation", name)}
	if len(params) > 0 {
		a = append(a, opstest.Floats("activation_params", params...))
	}
	return a
}

// xs are the conv inputs of the activation tests: a 1×1 conv with W = 1 and
// B = 0 passes them through unchanged, so the outputs are the activation of
// these values (expected values from the ONNX definitions).
var xs = []float32{-2, -0.5, 0, 1, 3}

func x5() *tensor.Tensor { return tensor.New([]int{1, 1, 1, 5}, append([]float32(nil), xs...)) }

func w1() *tensor.Tensor { return tensor.New([]int{1, 1, 1, 1}, []float32{1}) }

func b0() *tensor.Tensor { return tensor.New([]int{1}, []float32{0}) }

func TestFusedConvActivations(t *testing.T) {
	for _, tc := range []struct {
		act    string
		params []float32
		want   []float32
	}{
		{"Relu", nil, []float32{0, 0, 0, 1, 3}},
		{"LeakyRelu", []float32{0.1}, []float32{-0.2, -0.05, 0, 1, 3}},
		{"LeakyRelu", nil, []float32{-0.02, -0.005, 0, 1, 3}},
		{"Clip", []float32{0, 2}, []float32{0, 0, 0, 1, 2}},
		{"Clip", []float32{float32(math.Inf(-1)), 0.5}, []float32{-2, -0.5, 0, 0.5, 0.5}},
		// 1/(1+e^-x)
		{"Sigmoid", nil, []float32{0.11920292, 0.37754067, 0.5, 0.7310586, 0.95257413}},
		{"Tanh", nil, []float32{-0.9640276, -0.46211716, 0, 0.7615942, 0.9950548}},
		// max(0, min(1, αx+β))
		{"HardSigmoid", nil, []float32{0.1, 0.4, 0.5, 0.7, 1}},
		{"HardSigmoid", []float32{0.5, 0.25}, []float32{0, 0, 0.25, 0.75, 1}},
		// x·max(0, min(1, x/6+0.5))
		{"HardSwish", nil, []float32{-0.33333334, -0.20833333, 0, 0.6666667, 3}},
		// x·sigmoid(x)
		{"SiLU", nil, []float32{-0.23840584, -0.18877034, 0, 0.7310586, 2.8577224}},
	} {
		t.Run(tc.act, func(t *testing.T) {
			opstest.Expect(t, op("FusedConv", actAttrs(tc.act, tc.params...)...),
				[]*tensor.Tensor{x5(), w1(), b0()}, tensor.New([]int{1, 1, 1, 5}, tc.want))
		})
	}
}

func TestFusedConvNoActivation(t *testing.T) {
	// 2×2 input, 2×2 kernel of ones, bias 0.5: one output 1+2+3+4+0.5.
	x := tensor.New([]int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	w := tensor.New([]int{1, 1, 2, 2}, []float32{1, 1, 1, 1})
	b := tensor.New([]int{1}, []float32{0.5})
	opstest.Expect(t, op("FusedConv"), []*tensor.Tensor{x, w, b}, tensor.New([]int{1, 1, 1, 1}, []float32{10.5}))
}

func TestFusedConvResidual(t *testing.T) {
	// Two channels, W = diag(1, 2), no bias: conv = [x0, 2·x1].
	x := tensor.New([]int{1, 2, 1, 2}, []float32{1, -2, 3, -4})
	w := tensor.New([]int{2, 2, 1, 1}, []float32{1, 0, 0, 2})
	z := tensor.New([]int{1, 2, 1, 2}, []float32{-3, 1, -1, 10})
	xCopy, zCopy := x.Clone(), z.Clone()
	// conv = [1, -2, 6, -8]; + z = [-2, -1, 5, 2]; Relu.
	opstest.Expect(t, op("FusedConv", actAttrs("Relu")...), []*tensor.Tensor{x, w, nil, z},
		tensor.New([]int{1, 2, 1, 2}, []float32{0, 0, 5, 2}))
	for _, c := range []struct{ got, want *tensor.Tensor }{{x, xCopy}, {z, zCopy}} {
		if err := opstest.Close(c.got, c.want, 0, 0); err != nil {
			t.Errorf("an input was modified: %v", err)
		}
	}
	// Z of shape [2,1,1] broadcasts over the spatial dims: + [1, 1, -10, -10].
	zc := tensor.New([]int{2, 1, 1}, []float32{1, -10})
	opstest.Expect(t, op("FusedConv"), []*tensor.Tensor{x, w, nil, zc},
		tensor.New([]int{1, 2, 1, 2}, []float32{2, -1, -4, -18}))
	// Z that broadcasts the result up to [2,2,1,2]: exactly what Add gives.
	zb := tensor.New([]int{2, 1, 1, 1}, []float32{0, 100})
	opstest.Expect(t, op("FusedConv", actAttrs("Clip", -5, 101)...), []*tensor.Tensor{x, w, nil, zb},
		tensor.New([]int{2, 2, 1, 2}, []float32{1, -2, 6, -5, 101, 98, 101, 92}))
	// A Z that does not broadcast is Add's error.
	bad := tensor.New([]int{3}, []float32{1, 2, 3})
	if _, err := opstest.Run(op("FusedConv"), x, w, nil, bad); err == nil {
		t.Error("Z of shape [3] against [1,2,1,2]: no error")
	}
}

func TestFusedConvFloat16(t *testing.T) {
	h := func(v ...float32) *tensor.Tensor {
		d := make([]tensor.F16, len(v))
		for i, f := range v {
			d[i] = tensor.NewF16(f)
		}
		return tensor.New([]int{1, 1, 1, len(v)}, d)
	}
	w := tensor.New([]int{1, 1, 1, 1}, []tensor.F16{tensor.NewF16(1)})
	opstest.Expect(t, op("FusedConv", actAttrs("Relu")...), []*tensor.Tensor{h(-1, 0.5, 2), w}, h(0, 0.5, 2))
	// Residual in float16: 2 + 0.25 = 2.25, Sigmoid(2.25) = 0.9046505 → 0.9048 in float16.
	opstest.Expect(t, op("FusedConv", actAttrs("Sigmoid")...), []*tensor.Tensor{h(2), w, nil, h(0.25)}, h(0.9046505))
}

func TestFusedGemm(t *testing.T) {
	// A·Bᵀ + C = [[1·1+2·0, 1·0+2·1]] + [0.5, -1] = [[1.5, 1]]; Tanh.
	a := tensor.New([]int{1, 2}, []float32{1, 2})
	b := tensor.New([]int{2, 2}, []float32{1, 0, 0, 1})
	c := tensor.New([]int{2}, []float32{0.5, -1})
	attrs := append(actAttrs("Tanh"), opstest.Int("transB", 1))
	opstest.Expect(t, op("FusedGemm", attrs...), []*tensor.Tensor{a, b, c},
		tensor.New([]int{1, 2}, []float32{0.9051482, 0.7615942}))
	// Float64 takes the same path.
	a64 := tensor.New([]int{1, 2}, []float64{1, 2})
	b64 := tensor.New([]int{2, 2}, []float64{1, 0, 0, 1})
	c64 := tensor.New([]int{2}, []float64{-1, -3})
	opstest.Expect(t, op("FusedGemm", actAttrs("Relu")...), []*tensor.Tensor{a64, b64, c64},
		tensor.New([]int{1, 2}, []float64{0, 0}))
	// An activation needs a float result.
	ai := tensor.New([]int{1, 1}, []int32{3})
	if _, err := opstest.Run(op("FusedGemm", actAttrs("Relu")...), ai, ai); err == nil ||
		!strings.Contains(err.Error(), "float") {
		t.Errorf("int32 FusedGemm with Relu: err = %v, want a float-type error", err)
	}
}

func TestFusedMatMul(t *testing.T) {
	// A [2,1,2] · B [2,3] + bias [3], Relu.
	a := tensor.New([]int{2, 1, 2}, []float32{1, 2, -1, 0})
	b := tensor.New([]int{2, 3}, []float32{1, 0, -1, 0, 1, 1})
	// rows: [1, 2, 1] and [-1, 0, 1]; + [0, -1, 0.5] = [1, 1, 1.5], [-1, -1, 1.5].
	bias := tensor.New([]int{3}, []float32{0, -1, 0.5})
	opstest.Expect(t, op("FusedMatMul", actAttrs("Relu")...), []*tensor.Tensor{a, b, bias},
		tensor.New([]int{2, 1, 3}, []float32{1, 1, 1.5, 0, 0, 1.5}))
	// No activation, scalar bias.
	opstest.Expect(t, op("FusedMatMul"), []*tensor.Tensor{a, b, tensor.Scalar(float32(10))},
		tensor.New([]int{2, 1, 3}, []float32{11, 12, 11, 9, 10, 11}))
	// No bias: MatMul then the activation.
	opstest.Expect(t, op("FusedMatMul", actAttrs("Clip", 0, 1.5)...), []*tensor.Tensor{a, b},
		tensor.New([]int{2, 1, 3}, []float32{1, 1.5, 1, 0, 0, 1}))
	// A [1,3]-shaped bias over a [2,1,3] product: broadcasting, as Add.
	b13 := tensor.New([]int{2, 1, 1}, []float32{0, 100})
	opstest.Expect(t, op("FusedMatMul"), []*tensor.Tensor{a, b, b13},
		tensor.New([]int{2, 1, 3}, []float32{1, 2, 1, 99, 100, 101}))
	if _, err := opstest.Run(op("FusedMatMul", opstest.Int("transA", 1)), a, b); err == nil {
		t.Error("FusedMatMul with a Gemm attribute: no error")
	}
}

func TestWrappedOps(t *testing.T) {
	// GELU(x) = x/2·(1+erf(x/√2)).
	opstest.Expect(t, op("Gelu"), []*tensor.Tensor{tensor.New([]int{3}, []float32{-1, 0, 1})},
		tensor.New([]int{3}, []float32{-0.15865526, 0, 0.8413447}))
	// LayerNorm of [1, 2, 3]: mean 2, variance 2/3, so ±1/√(2/3) = ±1.2247449.
	x := tensor.New([]int{1, 3}, []float32{1, 2, 3})
	scale := tensor.New([]int{3}, []float32{1, 2, 1})
	bias := tensor.New([]int{3}, []float32{0, 0, 1})
	opstest.Expect(t, op("LayerNormalization", opstest.Float("epsilon", 0)), []*tensor.Tensor{x, scale, bias},
		tensor.New([]int{1, 3}, []float32{-1.2247449, 0, 2.2247449}))
	if _, err := opstest.Run(op("LayerNormalization"), x); err == nil {
		t.Error("LayerNormalization without Scale: no error")
	}
}

func TestBuildErrors(t *testing.T) {
	x, w := x5(), w1()
	for _, tc := range []struct {
		name  string
		op    opstest.Op
		in    []*tensor.Tensor
		match string
	}{
		{"unknown activation", op("FusedConv", actAttrs("Swish")...), []*tensor.Tensor{x, w}, "activation must be"},
		{"Clip without bounds", op("FusedConv", actAttrs("Clip")...), []*tensor.Tensor{x, w}, "Clip needs"},
		{"too many params", op("FusedConv", actAttrs("LeakyRelu", 1, 2)...), []*tensor.Tensor{x, w}, "takes 1"},
		{"params on Relu", op("FusedConv", actAttrs("Relu", 1)...), []*tensor.Tensor{x, w}, "no activation_params"},
		{"params alone", op("FusedConv", opstest.Floats("activation_params", 1)), []*tensor.Tensor{x, w}, "without an activation"},
		{"wrong attr type", op("FusedConv", opstest.Int("activation", 1)), []*tensor.Tensor{x, w}, "activation"},
		{"one input", op("FusedConv"), []*tensor.Tensor{x}, "2 to 4 inputs"},
		{"five inputs", op("FusedConv"), []*tensor.Tensor{x, w, nil, x, x}, "2 to 4 inputs"},
		{"conv attribute checked", op("FusedConv", opstest.Int("group", 0)), []*tensor.Tensor{x, w}, "group"},
		{"gemm inputs", op("FusedGemm"), []*tensor.Tensor{x}, "2 or 3 inputs"},
	} {
		_, err := opstest.Run(tc.op, tc.in...)
		if err == nil || !strings.Contains(err.Error(), tc.match) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.match)
		}
	}
}

// TestParallelEpilogue runs a large activation on two threads, from several
// goroutines at once, and checks every element.
func TestParallelEpilogue(t *testing.T) {
	const n = 1<<16 + 3
	xv := make([]float32, n)
	zv := make([]float32, n)
	for i := range xv {
		xv[i] = float32(i%7) - 3
		zv[i] = float32(i%3) - 1
	}
	x := tensor.New([]int{1, 1, 1, n}, xv)
	z := tensor.New([]int{1, 1, 1, n}, zv)
	g := &graph.Node{Name: "t", OpType: "FusedConv", Domain: fused.Domain, Inputs: []string{"x", "w", "", "z"},
		Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{"activation": opstest.String("activation", "Relu")}}
	b, _ := ops.Lookup(fused.Domain, "FusedConv", 1)
	k, err := b(&ops.Node{Node: g, Opset: 1, Consts: make([]*tensor.Tensor, 4)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 2}, []tensor.Value{x, w1(), nil, z})
			if err != nil {
				t.Error(err)
				return
			}
			y := tensor.Data[float32](out[0].(*tensor.Tensor))
			for i := range y {
				want := max(xv[i]+zv[i], 0)
				if y[i] != want {
					t.Errorf("y[%d] = %v, want %v", i, y[i], want)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range xv {
		if xv[i] != float32(i%7)-3 || zv[i] != float32(i%3)-1 {
			t.Fatalf("input modified at %d", i)
		}
	}
}
