// Package nn holds neural-network kernels other than convolution (ops/conv):
// pooling (MaxPool, AveragePool, LpPool, their Global forms, MaxUnpool,
// MaxRoiPool, RoiAlign), normalisation (BatchNormalization,
// InstanceNormalization, LayerNormalization, GroupNormalization,
// RMSNormalization, LRN, MeanVarianceNormalization), Softmax, LogSoftmax and
// Hardmax, Resize and Upsample, GridSample and AffineGrid, Col2Im,
// NonMaxSuppression and Attention.
//
// Float kernels are written once as generics over float32 and float64;
// float16 and bfloat16 inputs are widened to float32, computed and rounded
// back. Kernels keep no per-run state, never write their inputs and return
// errors (not panics) for malformed shapes, attributes and indices.
package nn
