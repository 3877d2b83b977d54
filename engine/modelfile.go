package engine

import (
	"os"
	"runtime"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// modelFile holds the bytes of a model file that the decoded weights alias.
type modelFile struct {
	data   []byte
	mapped bool
}

func readModel(path string) (*modelFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &modelFile{data: b}, nil
}

// tensorBytes is t's backing memory as a byte slice (nil for strings and
// empty tensors).
func tensorBytes(t *tensor.Tensor) []byte {
	n := t.Len() * t.DType().Size()
	if n == 0 || t.DType() == tensor.String {
		return nil
	}
	var p unsafe.Pointer
	switch d := t.Data().(type) {
	case []float32:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []float64:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []tensor.F16:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []tensor.BF16:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []int8:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []int16:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []int32:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []int64:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []uint8:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []uint16:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []uint32:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []uint64:
		p = unsafe.Pointer(unsafe.SliceData(d))
	case []bool:
		p = unsafe.Pointer(unsafe.SliceData(d))
	default:
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// contains reports whether t's data lies in the file's memory.
func (m *modelFile) contains(t *tensor.Tensor) bool {
	if m == nil || !m.mapped || len(m.data) == 0 {
		return false
	}
	b := tensorBytes(t)
	if b == nil {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))
	return p >= start && p < start+uintptr(len(m.data))
}

// release hands the whole pages inside t's data back to the kernel. Only
// for weights no kernel reads any more: a later read would see the file's
// bytes again, not what the decoder may have shifted there.
func (m *modelFile) release(t *tensor.Tensor) {
	if !m.contains(t) {
		return
	}
	b := tensorBytes(t)
	page := uintptr(os.Getpagesize())
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + page - 1) &^ (page - 1)
	hi := (p + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))
	m.releasePages(m.data[lo-start : hi-start])
	runtime.KeepAlive(t)
}

// detach returns v, copied when any tensor in it lies in the file's memory,
// so values handed to callers never depend on the mapping's lifetime.
func (m *modelFile) detach(v tensor.Value) tensor.Value {
	if m == nil || !m.mapped {
		return v
	}
	switch x := v.(type) {
	case *tensor.Tensor:
		if m.contains(x) {
			return x.Clone()
		}
	case *tensor.Sequence:
		var out *tensor.Sequence
		for i, t := range x.Tensors {
			if m.contains(t) {
				if out == nil {
					out = &tensor.Sequence{ElemType: x.ElemType, Tensors: append([]*tensor.Tensor(nil), x.Tensors...)}
				}
				out.Tensors[i] = t.Clone()
			}
		}
		if out != nil {
			return out
		}
	case *tensor.Optional:
		if x.Value != nil {
			if d := m.detach(x.Value); d != x.Value {
				return &tensor.Optional{Value: d}
			}
		}
	}
	return v
}
