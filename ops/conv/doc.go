// Package conv holds convolution kernels: Conv, ConvTranspose, ConvInteger,
// QLinearConv, built on ops/linalg.
package conv
