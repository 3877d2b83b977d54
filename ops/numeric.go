package ops

// Type sets for generic kernels.

// Float is the Go float types (float16/bfloat16 kernels widen to float32).
type Float interface{ ~float32 | ~float64 }

// Signed is the signed integer types.
type Signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

// Unsigned is the unsigned integer types (tensor.Float16 and BFloat16 are
// uint16 underneath but are never instantiated through this set).
type Unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Integer is all integer types.
type Integer interface{ Signed | Unsigned }

// Number is every type arithmetic kernels compute in directly.
type Number interface{ Integer | Float }
