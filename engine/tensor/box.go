package tensor

import "unsafe"

// Boxing a tensor's data in place. Storing a slice in an interface (the
// Tensor's data field) normally copies the slice header to a separate heap
// object: a second allocation for every tensor, on top of the header. A
// Tensor instead keeps that copy in its own box field and makes the
// interface's data word point there. The interface is then exactly what
// the compiler would have built (type word of the slice type, data word
// pointing at a slice header); only the header's address differs. This
// relies on Go's interface layout (a type word, then a data word), which
// TestBoxedData checks on every run of the package's tests.
//
// The box is written only when a header is (re)initialised, which happens
// to fresh headers or to the engine's per-run header slabs after the run
// that used them has ended.

// sliceHeader has the layout of a slice. Its pointer is typed *[0]byte
// and its capacity is kept equal to its length so that reflect.DeepEqual
// sees two tensors with equal contents as equal, as it did when data held
// its own boxed copy: pointers to zero-size arrays are always deeply equal.
type sliceHeader struct {
	ptr      *[0]byte
	len, cap int
}

// eface is the layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	word unsafe.Pointer
}

// setData stores data (a slice of a supported type, or nil) in t.
func (t *Tensor) setData(data any) {
	src := (*eface)(unsafe.Pointer(&data))
	if src.typ == nil {
		t.data = nil
		return
	}
	t.box = *(*sliceHeader)(src.word)
	t.box.cap = t.box.len
	t.pointData(src.typ)
}

// setSlice is setData for a typed slice, with no boxing on the way.
func setSlice[T Elem](t *Tensor, data []T) {
	t.box = *(*sliceHeader)(unsafe.Pointer(&data))
	t.box.cap = t.box.len
	t.pointData(sliceType[T]())
}

// pointData makes t.data an interface of the given slice type over t.box.
func (t *Tensor) pointData(typ unsafe.Pointer) {
	dst := (*eface)(unsafe.Pointer(&t.data))
	dst.typ = typ
	dst.word = unsafe.Pointer(&t.box)
}

// sliceType is the interface type word of []T. Converting a nil slice to
// an interface allocates nothing.
func sliceType[T Elem]() unsafe.Pointer {
	var z []T
	a := any(z)
	return (*eface)(unsafe.Pointer(&a)).typ
}

// Type words of the by-size views Bits hands out.
var (
	bits8  = sliceType[uint8]()
	bits16 = sliceType[uint16]()
	bits32 = sliceType[uint32]()
	bits64 = sliceType[uint64]()
)

// Bits returns t's data viewed by element size, for kernels that move
// elements without reading them: []uint8 (int8, uint8, bool), []uint16
// (int16, uint16, float16, bfloat16), []uint32 (int32, uint32, float32),
// []uint64 (int64, uint64, float64), or []string; nil for an unknown type.
// The view shares t's memory (never write through a view of an input) and,
// unlike converting a reinterpreted slice to an interface, allocates
// nothing: the view's interface points at t's own slice header, whose
// layout is the same for every element type of a size.
func (t *Tensor) Bits() any {
	var typ unsafe.Pointer
	switch t.data.(type) {
	case []uint8, []int8, []bool:
		typ = bits8
	case []uint16, []int16, []F16, []BF16:
		typ = bits16
	case []uint32, []int32, []float32:
		typ = bits32
	case []uint64, []int64, []float64:
		typ = bits64
	case []string:
		return t.data
	default:
		return nil
	}
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ = typ
	e.word = unsafe.Pointer(&t.box)
	return v
}
