package reduce

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Helpers shared by the kernels of this package.

// widenHalf returns a float32 copy of a float16 or bfloat16 tensor's data,
// or nil for any other dtype.
func widenHalf(t *tensor.Tensor) []float32 {
	switch d := t.Data().(type) {
	case []tensor.F16:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = v.Float32()
		}
		return out
	case []tensor.BF16:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = v.Float32()
		}
		return out
	}
	return nil
}

// lowest is the smallest value of T (-Inf for floats).
func lowest[T ops.Number]() T {
	var z T
	var v any
	switch any(z).(type) {
	case float32:
		v = float32(math.Inf(-1))
	case float64:
		v = math.Inf(-1)
	case int8:
		v = int8(math.MinInt8)
	case int16:
		v = int16(math.MinInt16)
	case int32:
		v = int32(math.MinInt32)
	case int64:
		v = int64(math.MinInt64)
	default: // unsigned
		return 0
	}
	return v.(T)
}

// highest is the largest value of T (+Inf for floats).
func highest[T ops.Number]() T {
	var z T
	var v any
	switch any(z).(type) {
	case float32:
		v = float32(math.Inf(1))
	case float64:
		v = math.Inf(1)
	case int8:
		v = int8(math.MaxInt8)
	case int16:
		v = int16(math.MaxInt16)
	case int32:
		v = int32(math.MaxInt32)
	case int64:
		v = int64(math.MaxInt64)
	case uint8:
		v = uint8(math.MaxUint8)
	case uint16:
		v = uint16(math.MaxUint16)
	case uint32:
		v = uint32(math.MaxUint32)
	case uint64:
		v = uint64(math.MaxUint64)
	}
	return v.(T)
}

// castSlice converts every element of s to D (Go conversion rules: integers
// wrap, floats truncate toward zero).
func castSlice[D, S ops.Number](s []S) []D {
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = D(v)
	}
	return out
}

// scalarInt reads a scalar (or one-element 1-D) integer input.
func scalarInt(op, name string, t *tensor.Tensor) (int64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s: input %s is missing", op, name)
	}
	if t.DType() != tensor.Int64 && t.DType() != tensor.Int32 {
		return 0, fmt.Errorf("%s: input %s must be int32 or int64, got %v", op, name, t.DType())
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("%s: input %s must be a scalar, got shape %v", op, name, t.Shape())
	}
	return t.Int64s()[0], nil
}

// parallelFor splits [0, n) into chunks run on up to GOMAXPROCS goroutines
// when the total work (n*cost, in element operations) is large enough to pay
// for them; otherwise it runs fn(0, n) on the calling goroutine.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	const minWork = 1 << 16
	workers := runtime.GOMAXPROCS(0)
	if cost < 1 {
		cost = 1
	}
	if workers < 2 || n < 2 || n*cost < 2*minWork {
		fn(0, n)
		return
	}
	if w := n * cost / minWork; w < workers {
		workers = w
	}
	if workers > n {
		workers = n
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}
