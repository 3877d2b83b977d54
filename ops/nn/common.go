package nn

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Helpers shared by the kernels of this package: dtype dispatch for float
// kernels, parameter conversion, shape checks and a small parallel loop.

// kern32 and kern64 are the two instantiations of a float kernel: they read
// x and write y (both already allocated).
type (
	kern32 func(x, y []float32) error
	kern64 func(x, y []float64) error
)

// isFloatType reports the dtypes the float kernels accept.
func isFloatType(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float64 || dt == tensor.Float16 || dt == tensor.BFloat16
}

// checkFloat returns an error unless t is a float tensor.
func checkFloat(op, name string, t *tensor.Tensor) error {
	if t == nil {
		return fmt.Errorf("%s: input %s is missing", op, name)
	}
	if !isFloatType(t.DType()) {
		return fmt.Errorf("%s: input %s must be float16, bfloat16, float32 or float64, got %v", op, name, t.DType())
	}
	return nil
}

// widen returns t's elements as float32 when t is float16, bfloat16 or
// float32 (a new slice for the half types, shared for float32).
func widen(t *tensor.Tensor) []float32 {
	switch d := t.Data().(type) {
	case []float32:
		return d
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

// narrow builds a tensor of dtype dt (float32, float16 or bfloat16) from
// float32 values.
func narrow(dt tensor.DType, shape []int, v []float32) *tensor.Tensor {
	switch dt {
	case tensor.Float16:
		out := make([]tensor.F16, len(v))
		for i, f := range v {
			out[i] = tensor.NewF16(f)
		}
		return tensor.New(shape, out)
	case tensor.BFloat16:
		out := make([]tensor.BF16, len(v))
		for i, f := range v {
			out[i] = tensor.NewBF16(f)
		}
		return tensor.New(shape, out)
	}
	return tensor.New(shape, v)
}

// allocLen checks a computed output shape and returns its element count.
func allocLen(shape []int) (int, error) {
	return tensor.NumElements(shape)
}

// runFloat allocates an output of outShape with x's float dtype and runs the
// matching kernel instantiation; half types are computed in float32.
func runFloat(x *tensor.Tensor, outShape []int, k32 kern32, k64 kern64) (*tensor.Tensor, error) {
	n, err := allocLen(outShape)
	if err != nil {
		return nil, err
	}
	switch x.DType() {
	case tensor.Float64:
		y := make([]float64, n)
		if err := k64(tensor.Data[float64](x), y); err != nil {
			return nil, err
		}
		return tensor.New(outShape, y), nil
	case tensor.Float32, tensor.Float16, tensor.BFloat16:
		y := make([]float32, n)
		if err := k32(widen(x), y); err != nil {
			return nil, err
		}
		return narrow(x.DType(), outShape, y), nil
	}
	return nil, fmt.Errorf("unsupported dtype %v (want a float type)", x.DType())
}

// runFloatRC is runFloat with a float32 output taken from rc's recycled
// buffers (rc may be nil); zero says whether it must start cleared (false
// when the kernel writes every element).
func runFloatRC(rc *ops.RunContext, x *tensor.Tensor, outShape []int, zero bool, k32 kern32, k64 kern64) (*tensor.Tensor, error) {
	if x.DType() != tensor.Float32 {
		return runFloat(x, outShape, k32, k64)
	}
	y, err := rc.NewFloat32(outShape, zero)
	if err != nil {
		return nil, err
	}
	if err := k32(tensor.Data[float32](x), tensor.Data[float32](y)); err != nil {
		return nil, err
	}
	return y, nil
}

// toFloat64s is Float64s for a float tensor of any width.
func toFloat64s(t *tensor.Tensor) []float64 { return t.Float64s() }

// fromFloat64s builds a float tensor of dtype dt.
func fromFloat64s(dt tensor.DType, shape []int, v []float64) (*tensor.Tensor, error) {
	return tensor.FromFloat64s(dt, shape, v)
}

// maxAttrValue bounds kernel sizes, strides, dilations and pads.
const maxAttrValue = 1 << 24

// intsAttr reads an ints attribute and checks its length (when want > 0)
// and that every value is at least min.
func intsAttr(n *ops.Node, name string, want int, min int64) ([]int64, error) {
	v, err := n.AttrInts(name, nil)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	if want > 0 && len(v) != want {
		return nil, fmt.Errorf("attribute %s: want %d values, got %d (%v)", name, want, len(v), v)
	}
	for _, x := range v {
		if x < min {
			return nil, fmt.Errorf("attribute %s: values must be >= %d, got %v", name, min, v)
		}
		// Bounding values keeps every size computed from them well inside int.
		if x > maxAttrValue {
			return nil, fmt.Errorf("attribute %s: values must be <= %d, got %v", name, maxAttrValue, v)
		}
	}
	return v, nil
}

// scalarInput reads a scalar (or one-element) input as float64; def when
// absent or empty.
func scalarFloat(t *tensor.Tensor, def float64) (float64, error) {
	if t == nil {
		return def, nil
	}
	switch t.Len() {
	case 0:
		return def, nil
	case 1:
		return t.Float64s()[0], nil
	}
	return 0, fmt.Errorf("want a scalar, got shape %v", t.Shape())
}

// parallelFor runs fn over [0, n) split in contiguous chunks, on several
// goroutines when work (a rough count of inner operations) is large enough
// to pay for them.
func parallelFor(n int, work int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 || work < 1<<15 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := lo + chunk
		if hi > n {
			hi = n
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}
