// Package fused holds the kernels of the "gonyx" operator domain: nodes the
// graph optimiser (engine/optimize) writes in place of common patterns.
//
//	FusedConv(X, W, B?, Z?)    Conv, then + Z (a residual, any shape Add accepts), then an activation
//	FusedGemm(A, B, C?)        Gemm, then an activation
//	FusedMatMul(A, B, bias?, Z?)  MatMul, then + bias + Z (a residual), then an activation
//	Attention(Q, K, V, mask?)  multi-head attention scores: per head Softmax(scale·Q·Kᵀ + mask)·V
//	                           on [batch, seq, heads, head size] tensors (attribute scale)
//	Gelu(X)                    ai.onnx Gelu-20 (attribute approximate)
//	LayerNormalization(X, Scale, B?)  ai.onnx LayerNormalization-17 (output Y only)
//
// The Fused* ops take Conv's/Gemm's attributes plus two of their own:
// activation (string: Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid,
// HardSwish, SiLU or Gelu (exact, erf form); absent means none) and
// activation_params (floats: LeakyRelu [alpha], Clip [min, max],
// HardSigmoid [alpha, beta]).
//
// FusedConv and, for a constant 2-D float32 B, FusedMatMul run one packed
// GEMM with bias, residual and Relu/Clip in its tile epilogue; other
// activations run in place on the output right after. The remaining cases
// are compositions: the ai.onnx kernel computes the product into fresh
// memory and the epilogue (bias, residual, activation) runs in place on it.
// The results match the unfused graph: activations compute as the ai.onnx
// kernels do (float64 transcendental functions, one rounding), except
// float32 Sigmoid and SiLU, which use a float32 exponential within 3 ulp of
// the float64 result (they dominate efficientnet's run time), and float32
// GELU, which uses ops/vector's SIMD kernel (within a few ulp).
// Everything here is registered at since-version 1 of domain "gonyx".
package fused

// Domain is the operator-set domain of the kernels in this package.
const Domain = "gonyx"
