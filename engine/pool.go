package engine

import (
	"sync"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// Buffer recycling. Kernels take float32 output buffers through
// ops.RunContext.NewFloat32; the engine hands out buffers freed by earlier
// nodes of the same run or by earlier runs, so steady-state runs neither
// fault in fresh pages nor clear memory they are about to overwrite.
//
// A buffer goes back to the pool only when no live value refers to any part
// of it: every value stored in a frame is matched by address range against
// the run's buffers and counted, so views (Reshape, Identity, a slice of a
// Split, a tensor inside a Sequence) keep their buffer alive. Buffers that
// reach the caller as outputs are never counted down and never reused.

// poolMinElems: smaller buffers are plain allocations; tracking them would
// cost more than it saves.
const poolMinElems = 1024

// poolMaxBytes caps what one model's pool keeps between runs.
const poolMaxBytes = 1 << 30

type bufferPool struct {
	mu    sync.Mutex
	free  map[int][][]float32 // by exact length: the same shapes recur every run
	bytes int
}

func newBufferPool() *bufferPool { return &bufferPool{free: map[int][][]float32{}} }

func (p *bufferPool) get(n int) []float32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[n]
	if len(list) == 0 {
		return nil
	}
	b := list[len(list)-1]
	p.free[n] = list[:len(list)-1]
	p.bytes -= 4 * n
	return b
}

func (p *bufferPool) put(b []float32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bytes+4*len(b) > poolMaxBytes {
		return // let the garbage collector have it
	}
	p.free[len(b)] = append(p.free[len(b)], b)
	p.bytes += 4 * len(b)
}

// runAlloc is one run's allocator and reference counter, shared by the run's
// subgraph frames. Every value stored in a slot is retained and every slot
// cleared is released, so a buffer returns to the pool exactly when the
// last value referring to it is gone. Values that reach kernels by other
// paths (loop-carried values, captures) are retained when stored too, and
// so simply never reach zero: they are left to the garbage collector.
type runAlloc struct {
	pool  *bufferPool
	mu    sync.Mutex // kernels may allocate from their worker goroutines
	owned []ownedBuf
}

type ownedBuf struct {
	start, end uintptr
	buf        []float32
	refs       int
}

// Float32 implements ops.Allocator.
func (a *runAlloc) Float32(n int) []float32 {
	if n < poolMinElems {
		return make([]float32, n)
	}
	b := a.pool.get(n)
	if b == nil {
		b = make([]float32, n)
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	a.mu.Lock()
	a.owned = append(a.owned, ownedBuf{start: start, end: start + uintptr(4*n), buf: b})
	a.mu.Unlock()
	return b
}

// find returns the index of the run buffer holding t's data, or -1.
func (a *runAlloc) find(t *tensor.Tensor) int {
	if len(a.owned) == 0 || t.DType() != tensor.Float32 || t.Len() == 0 {
		return -1
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(tensor.Data[float32](t))))
	for i := range a.owned {
		if o := &a.owned[i]; p >= o.start && p < o.end {
			return i
		}
	}
	return -1
}

// retain counts a value being stored in a frame slot.
func (a *runAlloc) retain(v tensor.Value) { a.adjust(v, +1) }

// release counts a slot being cleared and recycles buffers nobody holds.
func (a *runAlloc) release(v tensor.Value) { a.adjust(v, -1) }

func (a *runAlloc) adjust(v tensor.Value, d int) {
	switch x := v.(type) {
	case *tensor.Tensor:
		a.mu.Lock()
		if i := a.find(x); i >= 0 {
			a.owned[i].refs += d
			if a.owned[i].refs == 0 {
				a.recycle(i)
			}
		}
		a.mu.Unlock()
	case *tensor.Sequence:
		for _, t := range x.Tensors {
			a.adjust(t, d)
		}
	case *tensor.Optional:
		if x.Value != nil {
			a.adjust(x.Value, d)
		}
	}
}

// recycle returns buffer i to the pool and forgets it; a.mu is held.
func (a *runAlloc) recycle(i int) {
	buf := a.owned[i].buf
	last := len(a.owned) - 1
	a.owned[i] = a.owned[last]
	a.owned[last] = ownedBuf{}
	a.owned = a.owned[:last]
	a.pool.put(buf)
}

// owns reports whether t's data lies in a buffer of this run's pool.
func (a *runAlloc) owns(t *tensor.Tensor) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.find(t) >= 0
}
