package nn_test

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// Expected values are worked out by hand from the spec's formula:
// softmax(scale·QKᵀ + bias)·V.

func TestAttentionBasic(t *testing.T) {
	q := f32([]int{1, 1, 1, 2}, 1, 0)
	k := f32([]int{1, 1, 2, 2}, 1, 0, 0, 1)
	v := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// Default scale 1/sqrt(2): scores [0.7071, 0].
	opstest.Expect(t, op("Attention", 23), []*tensor.Tensor{q, k, v}, f32([]int{1, 1, 1, 2}, 1.6604769, 2.6604769))
	// Scale 1, scores [2, 0], softcap 1: tanh gives [0.964, 0].
	k2 := f32([]int{1, 1, 2, 2}, 2, 0, 0, 1)
	o := op("Attention", 23, floatA("scale", 1), floatA("softcap", 1), intA("qk_matmul_output_mode", 1))
	o.Outputs = 4
	got := opstest.MustRun(t, o, q, k2, v)
	if err := opstest.Close(got[0], f32([]int{1, 1, 1, 2}, 1.5521451, 2.5521451), 1e-5, 1e-6); err != nil {
		t.Error(err)
	}
	if err := opstest.Close(got[3], f32([]int{1, 1, 1, 2}, float32(math.Tanh(2)), 0), 1e-5, 1e-6); err != nil {
		t.Error("qk_matmul_output:", err)
	}
}

func TestAttentionCausalAndMask(t *testing.T) {
	q := f32([]int{1, 1, 2, 2}, 1, 0, 0, 1)
	v := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// Row 0 sees key 0 only; row 1 has scores [0, 1].
	want := f32([]int{1, 1, 2, 2}, 1, 2, 2.4621172, 3.4621172)
	opstest.Expect(t, op("Attention", 23, floatA("scale", 1), intA("is_causal", 1)), []*tensor.Tensor{q, q, v}, want)
	// The same through a boolean mask.
	mask := tensor.New([]int{2, 2}, []bool{true, false, true, true})
	opstest.Expect(t, op("Attention", 23, floatA("scale", 1)), []*tensor.Tensor{q, q, v, mask}, want)
	// ... and a float mask with -inf.
	ninf := float32(math.Inf(-1))
	opstest.Expect(t, op("Attention", 23, floatA("scale", 1)), []*tensor.Tensor{q, q, v, f32([]int{2, 2}, 0, ninf, 0, 0)}, want)
	// A fully masked row gives zeros; mode 3 exposes the probabilities.
	dead := tensor.New([]int{2, 2}, []bool{false, false, true, true})
	o := op("Attention", 23, floatA("scale", 1), intA("qk_matmul_output_mode", 3))
	o.Outputs = 4
	got := opstest.MustRun(t, o, q, q, v, dead)
	if err := opstest.Close(got[0], f32([]int{1, 1, 2, 2}, 0, 0, 2.4621172, 3.4621172), 1e-5, 1e-6); err != nil {
		t.Error(err)
	}
	if err := opstest.Close(got[3], f32([]int{1, 1, 2, 2}, 0, 0, 0.26894142, 0.7310586), 1e-5, 1e-6); err != nil {
		t.Error(err)
	}
	// A mask shorter than the key length is padded with -inf: [true] on
	// two keys attends key 0 only.
	opstest.Expect(t, op("Attention", 23, floatA("scale", 1)), []*tensor.Tensor{q, q, v, tensor.New([]int{1}, []bool{true})},
		f32([]int{1, 1, 2, 2}, 1, 2, 1, 2))
}

func TestAttention3DGroupedAndCache(t *testing.T) {
	// Two query heads share one KV head.
	q := f32([]int{1, 1, 4}, 1, 0, 0, 1)
	k := f32([]int{1, 2, 2}, 1, 0, 0, 1)
	v := f32([]int{1, 2, 2}, 1, 2, 3, 4)
	o := op("Attention", 23, floatA("scale", 1), intA("q_num_heads", 2), intA("kv_num_heads", 1))
	opstest.Expect(t, o, []*tensor.Tensor{q, k, v}, f32([]int{1, 1, 4}, 1.5378828, 2.5378828, 2.4621172, 3.4621172))
	// KV cache: key 0 and value 0 come from the past; present = past ++ new.
	q4 := f32([]int{1, 1, 1, 2}, 0, 1)
	o = op("Attention", 23, floatA("scale", 1), intA("is_causal", 1))
	o.Outputs = 3
	opstest.Expect(t, o, []*tensor.Tensor{q4, f32([]int{1, 1, 1, 2}, 0, 1), f32([]int{1, 1, 1, 2}, 3, 4), nil,
		f32([]int{1, 1, 1, 2}, 1, 0), f32([]int{1, 1, 1, 2}, 1, 2)},
		f32([]int{1, 1, 1, 2}, 2.4621172, 3.4621172), f32([]int{1, 1, 2, 2}, 1, 0, 0, 1), f32([]int{1, 1, 2, 2}, 1, 2, 3, 4))
	expectErr(t, op("Attention", 23), []*tensor.Tensor{q, k, v}, "q_num_heads")
	expectErr(t, op("Attention", 23, intA("q_num_heads", 3), intA("kv_num_heads", 1)), []*tensor.Tensor{q, k, v}, "multiple")
}
