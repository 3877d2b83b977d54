package tensor

import "fmt"

// Placing headers in memory the caller provides. The engine keeps tensor
// headers of intermediate values in per-run slabs that it reuses run after
// run, so a kernel output costs no allocation; these functions fill such a
// header. dst must not be in use by anyone else: it is overwritten.

// Place makes *dst a tensor of the given shape over data (not copied), as
// FromSlice would, and returns dst.
func Place[T Elem](dst *Tensor, shape []int, data []T) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, have %d", dimsOf(shape), n, len(data))
	}
	return initSlice(dst, DTypeOf[T](), shape, data), nil
}

// HeaderInto makes *dst a second header for t: same dtype, shape and
// (shared) data. It returns dst.
func (t *Tensor) HeaderInto(dst *Tensor) *Tensor {
	return initTensor(dst, t.dtype, t.shape, t.data)
}

// ReshapeInto is Reshape writing the view's header into *dst.
func (t *Tensor) ReshapeInto(dst *Tensor, shape []int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Len() {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v", t.shape, t.Len(), dimsOf(shape))
	}
	return initTensor(dst, t.dtype, shape, t.data), nil
}

// dimsOf copies a shape for an error message, so that the caller's shape
// (often a small slice on its stack) does not escape to the heap through
// fmt on every call.
func dimsOf(shape []int) []int { return append([]int(nil), shape...) }

// NewZeroed allocates a zero-filled tensor of dtype dt, like Zeros, but
// returns an error for a bad shape or dtype instead of panicking, and
// costs two allocations (header and data) where MakeSlice and FromAny
// cost three.
func NewZeroed(dt DType, shape []int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	t := new(Tensor)
	if !makeData(t, dt, n) {
		return nil, fmt.Errorf("tensor: cannot allocate dtype %v", dt)
	}
	return t.setShape(shape), nil
}

// makeData gives t dtype dt and n zeroed elements of fresh data, or
// reports false for an unsupported dtype.
func makeData(t *Tensor, dt DType, n int) bool {
	t.dtype = dt
	switch dt {
	case Float32:
		setSlice(t, make([]float32, n))
	case Float64:
		setSlice(t, make([]float64, n))
	case Float16:
		setSlice(t, make([]F16, n))
	case BFloat16:
		setSlice(t, make([]BF16, n))
	case Int8:
		setSlice(t, make([]int8, n))
	case Int16:
		setSlice(t, make([]int16, n))
	case Int32:
		setSlice(t, make([]int32, n))
	case Int64:
		setSlice(t, make([]int64, n))
	case Uint8:
		setSlice(t, make([]uint8, n))
	case Uint16:
		setSlice(t, make([]uint16, n))
	case Uint32:
		setSlice(t, make([]uint32, n))
	case Uint64:
		setSlice(t, make([]uint64, n))
	case Bool:
		setSlice(t, make([]bool, n))
	case String:
		setSlice(t, make([]string, n))
	default:
		return false
	}
	return true
}

// CloneInto deep-copies t into *dst (new data, the header in dst) and
// returns dst.
func (t *Tensor) CloneInto(dst *Tensor) *Tensor {
	if !makeData(dst, t.dtype, t.Len()) {
		return initTensor(dst, t.dtype, t.shape, nil)
	}
	dst.setShape(t.shape)
	CopyData(dst.data, t.data)
	return dst
}
