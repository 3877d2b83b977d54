package tensor

import (
	"fmt"
	"strings"
)

// Elem is the set of Go types a tensor can be backed by. Each maps to exactly
// one DType, so a backing slice's type tells its DType.
type Elem interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint8 | ~uint16 | ~uint32 | ~uint64 | ~bool | ~string
}

// Value is what flows along a graph edge: a *Tensor, a *Sequence or an *Optional.
type Value interface{ isValue() }

// Tensor is a dense, row-major n-dimensional array. A rank-0 tensor (scalar)
// has an empty shape and one element. Tensors handed to kernels are treated
// as immutable: a kernel that needs to change data copies it first.
type Tensor struct {
	dtype DType
	shape []int
	data  any // []float32, []F16, []bool, []string, ...
	// box holds data's slice header: data points here instead of at a
	// separately allocated copy (see box.go).
	box sliceHeader
	// dims stores shapes of rank ≤ 6 inside the struct, so a tensor costs
	// one allocation besides its data (kernels make many small ones).
	dims [6]int
}

// newTensor builds a tensor header, copying shape.
func newTensor(dt DType, shape []int, data any) *Tensor {
	return initTensor(new(Tensor), dt, shape, data)
}

// initTensor overwrites *t with a header for data, copying shape.
func initTensor(t *Tensor, dt DType, shape []int, data any) *Tensor {
	t.dtype = dt
	t.setData(data)
	return t.setShape(shape)
}

// initSlice is initTensor for a typed slice, without boxing it first.
func initSlice[T Elem](t *Tensor, dt DType, shape []int, data []T) *Tensor {
	t.dtype = dt
	setSlice(t, data)
	return t.setShape(shape)
}

func (t *Tensor) setShape(shape []int) *Tensor {
	if len(shape) <= len(t.dims) {
		t.shape = t.dims[:len(shape):len(shape)]
		copy(t.shape, shape)
	} else {
		t.shape = append([]int(nil), shape...)
	}
	return t
}

func (*Tensor) isValue() {}

// New wraps data (not copied) as a tensor of the given shape. It panics if the
// element count does not match the shape: that is a programming error.
func New[T Elem](shape []int, data []T) *Tensor {
	t, err := FromSlice(shape, data)
	if err != nil {
		panic(err)
	}
	return t
}

// FromSlice is New returning an error instead of panicking; use it for data
// that comes from outside the process.
func FromSlice[T Elem](shape []int, data []T) (*Tensor, error) {
	dt := DTypeOf[T]()
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, have %d", dimsOf(shape), n, len(data))
	}
	return initSlice(new(Tensor), dt, shape, data), nil
}

// Scalar makes a rank-0 tensor.
func Scalar[T Elem](v T) *Tensor { return New([]int{}, []T{v}) }

// Zeros allocates a zero-filled tensor.
func Zeros(dt DType, shape ...int) *Tensor {
	n, err := NumElements(shape)
	if err != nil {
		panic(err)
	}
	t := new(Tensor)
	if !makeData(t, dt, n) {
		panic(fmt.Sprintf("tensor: cannot allocate dtype %v", dt))
	}
	return t.setShape(shape)
}

// MaxElements bounds the element count of any tensor the engine will allocate
// from a declared shape, so that a hostile model cannot ask for petabytes:
// 2^34 on 64-bit platforms, 2^30 where int has 32 bits.
const MaxElements = 1 << (30 + 4*(intBits/64))

const intBits = 32 << (^uint(0) >> 63)

// NumElements is the product of shape, with an error for negative dims or
// counts beyond MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor: negative dimension in shape %v", dimsOf(shape))
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("tensor: shape %v has more than %d elements", dimsOf(shape), MaxElements)
		}
		n *= d
	}
	return n, nil
}

// MakeSlice allocates a zeroed backing slice of n elements of dt, or nil for
// an unsupported type.
func MakeSlice(dt DType, n int) any {
	switch dt {
	case Float32:
		return make([]float32, n)
	case Float64:
		return make([]float64, n)
	case Float16:
		return make([]F16, n)
	case BFloat16:
		return make([]BF16, n)
	case Int8:
		return make([]int8, n)
	case Int16:
		return make([]int16, n)
	case Int32:
		return make([]int32, n)
	case Int64:
		return make([]int64, n)
	case Uint8:
		return make([]uint8, n)
	case Uint16:
		return make([]uint16, n)
	case Uint32:
		return make([]uint32, n)
	case Uint64:
		return make([]uint64, n)
	case Bool:
		return make([]bool, n)
	case String:
		return make([]string, n)
	}
	return nil
}

// DTypeOf maps a Go element type to its DType.
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case F16:
		return Float16
	case BF16:
		return BFloat16
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case bool:
		return Bool
	case string:
		return String
	}
	panic(fmt.Sprintf("tensor: unsupported element type %T", z))
}

// FromAny wraps a backing slice of any supported type.
func FromAny(shape []int, data any) (*Tensor, error) {
	switch d := data.(type) {
	case []float32:
		return FromSlice(shape, d)
	case []float64:
		return FromSlice(shape, d)
	case []F16:
		return FromSlice(shape, d)
	case []BF16:
		return FromSlice(shape, d)
	case []int8:
		return FromSlice(shape, d)
	case []int16:
		return FromSlice(shape, d)
	case []int32:
		return FromSlice(shape, d)
	case []int64:
		return FromSlice(shape, d)
	case []uint8:
		return FromSlice(shape, d)
	case []uint16:
		return FromSlice(shape, d)
	case []uint32:
		return FromSlice(shape, d)
	case []uint64:
		return FromSlice(shape, d)
	case []bool:
		return FromSlice(shape, d)
	case []string:
		return FromSlice(shape, d)
	}
	return nil, fmt.Errorf("tensor: unsupported backing slice %T", data)
}

// DType is the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape is the dimensions; callers must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Rank is len(Shape()).
func (t *Tensor) Rank() int { return len(t.shape) }

// Len is the number of elements.
func (t *Tensor) Len() int { return sliceLen(t.data) }

// Data is the backing slice ([]float32, []int64, ...), shared, not copied.
func (t *Tensor) Data() any { return t.data }

// Data returns t's backing slice as []T, or nil if t holds another type.
func Data[T Elem](t *Tensor) []T {
	d, _ := t.data.([]T)
	return d
}

// Reshape returns a view of t with another shape and the same data.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Len() {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v", t.shape, t.Len(), dimsOf(shape))
	}
	return newTensor(t.dtype, shape, t.data), nil
}

// Clone deep-copies t.
func (t *Tensor) Clone() *Tensor {
	return t.CloneInto(new(Tensor))
}

// CopyData copies src into dst, which must be slices of the same type; it
// returns the number of elements copied.
func CopyData(dst, src any) int {
	switch d := dst.(type) {
	case []float32:
		return copy(d, src.([]float32))
	case []float64:
		return copy(d, src.([]float64))
	case []F16:
		return copy(d, src.([]F16))
	case []BF16:
		return copy(d, src.([]BF16))
	case []int8:
		return copy(d, src.([]int8))
	case []int16:
		return copy(d, src.([]int16))
	case []int32:
		return copy(d, src.([]int32))
	case []int64:
		return copy(d, src.([]int64))
	case []uint8:
		return copy(d, src.([]uint8))
	case []uint16:
		return copy(d, src.([]uint16))
	case []uint32:
		return copy(d, src.([]uint32))
	case []uint64:
		return copy(d, src.([]uint64))
	case []bool:
		return copy(d, src.([]bool))
	case []string:
		return copy(d, src.([]string))
	}
	panic(fmt.Sprintf("tensor: CopyData on %T", dst))
}

func sliceLen(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []F16:
		return len(d)
	case []BF16:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	}
	return 0
}

// Strides returns row-major element strides for shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// String prints dtype, shape and up to eight leading values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v%v", t.dtype, t.shape)
	n := t.Len()
	if n > 8 {
		n = 8
	}
	b.WriteString(" [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, t.At(i))
	}
	if t.Len() > n {
		b.WriteString(" ...")
	}
	b.WriteByte(']')
	return b.String()
}

// At returns element i (flat index) as a Go value; float16 and bfloat16 are
// widened to float32. Meant for printing and tests, not for kernels.
func (t *Tensor) At(i int) any {
	switch d := t.data.(type) {
	case []F16:
		return d[i].Float32()
	case []BF16:
		return d[i].Float32()
	case []float32:
		return d[i]
	case []float64:
		return d[i]
	case []int8:
		return d[i]
	case []int16:
		return d[i]
	case []int32:
		return d[i]
	case []int64:
		return d[i]
	case []uint8:
		return d[i]
	case []uint16:
		return d[i]
	case []uint32:
		return d[i]
	case []uint64:
		return d[i]
	case []bool:
		return d[i]
	case []string:
		return d[i]
	}
	return nil
}

// Sequence is an ordered list of tensors of one element type (ONNX seq(tensor)).
type Sequence struct {
	ElemType DType
	Tensors  []*Tensor
}

func (*Sequence) isValue() {}

// Optional is an ONNX optional: either empty (Value nil) or holding a tensor
// or a sequence.
type Optional struct {
	Value Value
}

func (*Optional) isValue() {}
