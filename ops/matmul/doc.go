// Package matmul holds Gemm, MatMul, Einsum, Det and the integer/quantised
// matrix products, built on ops/linalg.
package matmul
