package fused_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/fused"
	"github.com/gonyx/gonyx/ops/opstest"
)

// buildConst builds a gonyx kernel whose inputs marked in consts are
// load-time constants (so the kernel may take its packed fast path).
func buildConst(t *testing.T, typ string, attrs []*graph.Attribute, in []*tensor.Tensor, consts ...int) (ops.Kernel, error) {
	t.Helper()
	g := &graph.Node{Name: typ, OpType: typ, Domain: fused.Domain, Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{}}
	for _, a := range attrs {
		g.Attrs[a.Name] = a
	}
	n := &ops.Node{Node: g, Opset: 1, Consts: make([]*tensor.Tensor, len(in))}
	for i, x := range in {
		name := ""
		if x != nil {
			name = string(rune('a' + i))
		}
		g.Inputs = append(g.Inputs, name)
	}
	for _, i := range consts {
		n.Consts[i] = in[i]
	}
	b, ok := ops.Lookup(fused.Domain, typ, 1)
	if !ok {
		t.Fatalf("no kernel for gonyx.%s", typ)
	}
	return b(n)
}

func runKernel(k ops.Kernel, threads int, in []*tensor.Tensor) (*tensor.Tensor, error) {
	vals := make([]tensor.Value, len(in))
	for i, x := range in {
		if x != nil {
			vals[i] = x
		}
	}
	out, err := k.Run(&ops.RunContext{Threads: threads}, vals)
	if err != nil {
		return nil, err
	}
	return out[0].(*tensor.Tensor), nil
}

func checkClose(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float32, tol float64) {
	t.Helper()
	if !ops.ShapeEqual(got.Shape(), shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), shape)
	}
	g := tensor.Data[float32](got)
	for i := range want {
		if math.Abs(float64(g[i]-want[i])) > tol*(1+math.Abs(float64(want[i]))) {
			t.Errorf("%s: element %d is %v, want %v", what, i, g[i], want[i])
		}
	}
}

// FusedMatMul: A [2,1,2] = [[1,0]], [[0,1]]; B = [[1,-1],[0,2]]: A·B rows
// [1,-1] and [0,2]. With bias [0.5,-1] and Z [[-0.5,1]], [[-0.5,1]] the sum
// is again [1,-1], [0,2].
func TestFusedMatMulFastPath(t *testing.T) {
	a := func() *tensor.Tensor { return tensor.New([]int{2, 1, 2}, []float32{1, 0, 0, 1}) }
	b := tensor.New([]int{2, 2}, []float32{1, -1, 0, 2})
	bias := tensor.New([]int{2}, []float32{0.5, -1})
	z := tensor.New([]int{2, 1, 2}, []float32{-0.5, 1, -0.5, 1})
	// GELU(x) = x·Φ(x): Φ(1) = 0.8413447, Φ(-1) = 0.1586553, Φ(2) = 0.9772499.
	gelu := []float32{0.8413447, -0.1586553, 0, 1.9544997}
	for _, tc := range []struct {
		name   string
		attrs  []*graph.Attribute
		in     []*tensor.Tensor
		consts []int
		want   []float32
	}{
		{"plain", nil, []*tensor.Tensor{a(), b}, []int{1}, []float32{1, -1, 0, 2}},
		{"bias+Z+Gelu", actAttrs("Gelu"), []*tensor.Tensor{a(), b, bias, z}, []int{1, 2}, gelu},
		{"bias+Z+Relu", actAttrs("Relu"), []*tensor.Tensor{a(), b, bias, z}, []int{1, 2}, []float32{1, 0, 0, 2}},
		{"bias+Z+Clip", actAttrs("Clip", -0.5, 1.5), []*tensor.Tensor{a(), b, bias, z}, []int{1, 2}, []float32{1, -0.5, 0, 1.5}},
		{"Z only+Sigmoid", actAttrs("Sigmoid"), []*tensor.Tensor{a(), b, nil, tensor.New([]int{2, 1, 2}, []float32{0, 0, 0, -2})}, []int{1},
			// sigmoid(1), sigmoid(-1), sigmoid(0), sigmoid(0)
			[]float32{0.7310586, 0.26894143, 0.5, 0.5}},
		// Z [2] broadcasts over the rows: the composed path.
		{"broadcast Z", actAttrs("Gelu"), []*tensor.Tensor{a(), b, bias, tensor.New([]int{2}, []float32{-0.5, 1})}, []int{1, 2}, gelu},
		// Bias not constant: the composed path.
		{"runtime bias", nil, []*tensor.Tensor{a(), b, bias, z}, []int{1}, []float32{1, -1, 0, 2}},
	} {
		for _, threads := range []int{1, 2} {
			k, err := buildConst(t, "FusedMatMul", tc.attrs, tc.in, tc.consts...)
			if err != nil {
				t.Fatalf("%s: build: %v", tc.name, err)
			}
			got, err := runKernel(k, threads, tc.in)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			checkClose(t, tc.name, got, []int{2, 1, 2}, tc.want, 1e-6)
			// The unpacked path (no constants) agrees.
			outs, err := opstest.Run(op("FusedMatMul", tc.attrs...), tc.in...)
			if err != nil {
				t.Fatalf("%s (composed): %v", tc.name, err)
			}
			checkClose(t, tc.name+" (composed)", outs[0], []int{2, 1, 2}, tc.want, 1e-6)
		}
	}
	// Inputs are never written.
	in := []*tensor.Tensor{a(), b, bias, z}
	k, _ := buildConst(t, "FusedMatMul", actAttrs("Gelu"), in, 1, 2)
	if _, err := runKernel(k, 1, in); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "Z after run", z, []int{2, 1, 2}, []float32{-0.5, 1, -0.5, 1}, 0)
}

func TestFusedMatMulFastPathErrors(t *testing.T) {
	b := tensor.New([]int{2, 2}, []float32{1, -1, 0, 2})
	// Inner dimension mismatch.
	in := []*tensor.Tensor{tensor.New([]int{1, 3}, []float32{1, 2, 3}), b}
	k, err := buildConst(t, "FusedMatMul", nil, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runKernel(k, 1, in); err == nil || !strings.Contains(err.Error(), "last dimension") {
		t.Errorf("got %v, want a last-dimension error", err)
	}
	// A Z that does not broadcast.
	in = []*tensor.Tensor{tensor.New([]int{1, 2}, []float32{1, 2}), b, nil, tensor.New([]int{3}, []float32{1, 2, 3})}
	k, err = buildConst(t, "FusedMatMul", nil, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runKernel(k, 1, in); err == nil {
		t.Error("Z of shape [3] for a [1,2] product: no error")
	}
	if _, err := buildConst(t, "FusedMatMul", actAttrs("Gelu", 1), in, 1); err == nil {
		t.Error("Gelu with activation_params: no error")
	}
}

// Attention over B=1, S=2, H=2, D=1 (Q, K, V laid out [b, s, h, d]):
// head 0: q = [1, 0], k = [1, 2], v = [10, 20]; head 1: q = [1, 1],
// k = [0, 0], v = [1, 3]. With scale 0.5, head 0's scores are [0.5, 1] and
// [0, 0]: softmax [1/(1+e^0.5), e^0.5/(1+e^0.5)] = [0.37754067, 0.62245933]
// gives 16.224593, the uniform row 15. Head 1 is uniform: 2.
func TestAttentionKernel(t *testing.T) {
	q := tensor.New([]int{1, 2, 2, 1}, []float32{1, 1, 0, 1})
	k := tensor.New([]int{1, 2, 2, 1}, []float32{1, 0, 2, 0})
	v := tensor.New([]int{1, 2, 2, 1}, []float32{10, 1, 20, 3})
	scale := []*graph.Attribute{opstest.Float("scale", 0.5)}
	shape := []int{1, 2, 2, 1}
	for _, tc := range []struct {
		name string
		mask *tensor.Tensor
		want []float32
	}{
		{"no mask", nil, []float32{16.224593, 2, 15, 2}},
		// The second key masked out everywhere: every row takes v[0].
		{"key mask", tensor.New([]int{1, 1, 1, 2}, []float32{0, -1000}), []float32{10, 1, 10, 1}},
		// Per-head mask: head 1 attends only to the second key.
		{"head mask", tensor.New([]int{1, 2, 1, 2}, []float32{0, 0, -1000, 0}), []float32{16.224593, 3, 15, 3}},
		// Rank-2 mask [Sq, Sk]: row 0 masks key 1, row 1 masks key 0.
		{"row mask", tensor.New([]int{2, 2}, []float32{0, -1000, -1000, 0}), []float32{10, 1, 20, 3}},
	} {
		in := []*tensor.Tensor{q, k, v, tc.mask}
		if tc.mask == nil {
			in = in[:3]
		}
		for _, threads := range []int{1, 2} {
			outs, err := opstest.Run(opstest.Op{Type: "Attention", Domain: fused.Domain, Opset: 1, Attrs: scale}, in...)
			if threads == 2 {
				kk, berr := buildConst(t, "Attention", scale, in)
				if berr != nil {
					t.Fatal(berr)
				}
				var got *tensor.Tensor
				got, err = runKernel(kk, 2, in)
				outs = []*tensor.Tensor{got}
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			checkClose(t, tc.name, outs[0], shape, tc.want, 1e-5)
		}
	}
}

func TestAttentionKernelErrors(t *testing.T) {
	q := tensor.New([]int{1, 2, 2, 1}, []float32{1, 1, 0, 1})
	scale := []*graph.Attribute{opstest.Float("scale", 0.5)}
	a := opstest.Op{Type: "Attention", Domain: fused.Domain, Opset: 1, Attrs: scale}
	for _, tc := range []struct {
		name string
		in   []*tensor.Tensor
		want string
	}{
		{"rank 3", []*tensor.Tensor{tensor.New([]int{2, 2, 1}, []float32{1, 1, 0, 1}), q, q}, "rank 4"},
		{"K heads", []*tensor.Tensor{q, tensor.New([]int{1, 2, 1, 2}, []float32{1, 1, 0, 1}), q}, "K shape"},
		{"V seq", []*tensor.Tensor{q, q, tensor.New([]int{1, 1, 2, 1}, []float32{1, 1})}, "V shape"},
		{"mask", []*tensor.Tensor{q, q, q, tensor.New([]int{1, 1, 1, 3}, []float32{0, 0, 0})}, "does not broadcast"},
		{"mask grows", []*tensor.Tensor{q, q, q, tensor.New([]int{2, 1, 1, 2}, []float32{0, 0, 0, 0})}, "does not broadcast"},
		{"float64", []*tensor.Tensor{tensor.New([]int{1, 2, 2, 1}, []float64{1, 1, 0, 1}), q, q}, "float32"},
	} {
		if _, err := opstest.Run(a, tc.in...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	bad := opstest.Op{Type: "Attention", Domain: fused.Domain, Opset: 1, Attrs: []*graph.Attribute{opstest.Float("scale", float32(math.Inf(1)))}}
	if _, err := opstest.Run(bad, q, q, q); err == nil {
		t.Error("infinite scale: no error")
	}
}

// With a constant B the kernel declares B consumed: no run, not even one
// with a broadcasting Z, may read B's original data (the engine may release
// it). B is overwritten after the build to prove it.
func TestFusedMatMulConsumesB(t *testing.T) {
	a := tensor.New([]int{2, 1, 2}, []float32{1, 0, 0, 1})
	b := tensor.New([]int{2, 2}, []float32{1, -1, 0, 2})
	bias := tensor.New([]int{2}, []float32{0.5, -1})
	in := []*tensor.Tensor{a, b, bias, tensor.New([]int{2}, []float32{-0.5, 1})}
	g := &graph.Node{OpType: "FusedMatMul", Domain: fused.Domain, Inputs: []string{"a", "b", "c", "z"}, Outputs: []string{"y"},
		Attrs: map[string]*graph.Attribute{}}
	n := &ops.Node{Node: g, Opset: 1, Consts: []*tensor.Tensor{nil, b, bias, nil}}
	bld, _ := ops.Lookup(fused.Domain, "FusedMatMul", 1)
	k, err := bld(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Consumed) < 2 || !n.Consumed[1] {
		t.Fatalf("B not marked consumed: %v", n.Consumed)
	}
	for i := range tensor.Data[float32](b) {
		tensor.Data[float32](b)[i] = float32(math.NaN())
	}
	got, err := runKernel(k, 1, in)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "broadcast Z", got, []int{2, 1, 2}, []float32{1, -1, 0, 2}, 1e-6)
}
