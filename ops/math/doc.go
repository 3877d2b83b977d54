// Package math holds elementwise kernels: arithmetic, comparison, logic,
// bitwise, activations, Cast and Where.
//
// Every op is built from a few generic drivers, written once:
//
//   - plan (plan.go) broadcasts k input shapes numpy-style and coalesces
//     the dimensions so the innermost loop runs over the longest span with
//     input strides of 0 or 1; apply1/apply2/apply3 run an element
//     function over it. Equal shapes, a scalar on either side, row vectors
//     and per-channel operands are all single-loop spans.
//   - unaryFn, binFn and cmpFn describe an op by its element function in
//     float64 (float32 optionally exact), int64 and uint64; one type switch
//     per driver instantiates the generic loops for every dtype. float16
//     and bfloat16 widen to float64 and round back once (to nearest even).
//   - The opset < 7 "broadcast"/"axis" attributes of Add, Sub, Mul, Div,
//     Pow, And, Or, Xor, Equal, Greater and Less are turned into an
//     equivalent numpy broadcast (legacyBroadcast).
//
// Ops accept the union of the dtypes their versions up to opset 23 allow.
// Integer division or modulo by zero is an error, never a panic.
package math
