// Package linalg is the dense linear-algebra core: blocked GEMM and the
// helpers the convolution and matmul kernels build on. It registers no ops.
//
// Sgemm/SgemmN (float32), Dgemm/DgemmN (float64) and IGemm (8-bit inputs
// with zero points, int32 sums) compute C = alpha·op(A)·op(B) + beta·C on
// row-major matrices with arbitrary leading dimensions. They pack blocks of
// A (MR-row panels) and B (NR-column panels) into contiguous buffers sized
// for the caches and run a register-blocked MR×NR micro-kernel over them;
// the micro-kernel only sees two packed panels, a depth and a C tile, so an
// assembly version can replace it without touching the driver. PackedA and
// PackedB hold an operand packed once (constant weights) for SgemmPackedA and
// SgemmPacked. Large products split their output over worker goroutines
// (threads argument: 1 runs on the caller's goroutine, <= 0 uses
// DefaultThreads()); Parallel/ParallelN are the small worker helper kernels
// use for their own loops. Quantisation helpers (Saturate, Quantize32) are
// shared by the quantised kernels.
package linalg
