// Package linalg is the dense linear-algebra core: blocked SGEMM and the
// helpers convolution and matmul kernels build on. It registers no ops.
package linalg
