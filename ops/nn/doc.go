// Package nn holds neural-network kernels: convolution, pooling,
// normalisation, softmax, resize and detection helpers.
package nn
