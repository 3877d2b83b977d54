// Package conv holds convolution kernels: Conv, ConvTranspose, ConvInteger,
// QLinearConv, built on ops/linalg.
//
// Float32 Conv takes one of two paths. Depthwise 2-D convolutions (one input
// channel per group) run a direct kernel: rows split into border and
// interior, the interior vectorised (AVX-512 with a masked last block, or
// AVX2, assembly in depthwise_amd64.s; a portable Go twin otherwise), the
// bias added in the store; small planes are first copied into a
// zero-bordered scratch plane so every output takes the interior kernel.
// Everything else is a GEMM per group with weights packed at load time:
// 1×1 stride-1 unpadded convolutions multiply the input directly, others
// build im2col column blocks that stay in cache; the bias (and a fusion's
// residual and activation, see NewFused) run in the GEMM epilogue. Work is
// split over the run's thread budget (ops.RunContext.Threads).
package conv
