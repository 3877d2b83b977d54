// Package quant holds the quantisation kernels QuantizeLinear,
// DequantizeLinear and DynamicQuantizeLinear. The quantised products
// (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) live with their
// float counterparts in ops/conv and ops/matmul.
package quant
