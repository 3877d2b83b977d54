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
	// states are finished runs' scratch (frame, allocator, slabs), so that
	// a steady-state run allocates almost nothing of its own.
	states []*runState
}

// maxIdleStates bounds the run states a model keeps: one per concurrent
// run up to this many.
const maxIdleStates = 8

// takeState returns an idle run state, or a new one.
func (p *bufferPool) takeState() *runState {
	p.mu.Lock()
	if n := len(p.states); n > 0 {
		st := p.states[n-1]
		p.states[n-1] = nil
		p.states = p.states[:n-1]
		p.mu.Unlock()
		return st
	}
	p.mu.Unlock()
	st := &runState{}
	st.alloc.pool = p
	return st
}

// putState keeps a finished run's state for the next run; st must hold no
// reference to the run's values any more (see runState.reset).
func (p *bufferPool) putState(st *runState) {
	p.mu.Lock()
	if len(p.states) < maxIdleStates {
		p.states = append(p.states, st)
	}
	p.mu.Unlock()
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
	// Small buffers and tensor headers come from slabs that live as long
	// as the run state: handed out in order during a run, all taken back
	// when it ends. Nothing from a slab may outlive the run: the main
	// graph's outputs are copied out (detach), and fresh memory is handed
	// out instead while fresh is set (traced runs, whose hook may keep
	// values; memo recording, which keeps values across runs).
	small slab[float32]
	hdrs  slab[tensor.Tensor]
	fresh bool // slabs off (a traced run)
	// keep: everything handed out is plain memory, neither slab nor pool
	// (a step whose outputs the shape memo records and keeps across runs).
	keep bool
}

// Slab sizes: chunks are allocated once per run state and kept; a run that
// needs more than the cap gets plain allocations beyond it.
const (
	smallChunkElems = 1 << 14 // 64 KiB of float32
	smallMaxChunks  = 64      // 4 MiB
	hdrChunkLen     = 256
	hdrMaxChunks    = 64 // 16384 headers
)

// slab hands out consecutive pieces of a few large chunks.
type slab[T any] struct {
	chunks [][]T
	cur    int // chunk being carved
	used   int // elements handed out from chunks[cur]
}

// take returns n consecutive elements, or nil when the slab is full or n
// exceeds a chunk. Contents are unspecified.
func (s *slab[T]) take(n, chunkLen, maxChunks int) []T {
	if n > chunkLen {
		return nil
	}
	for {
		if s.cur < len(s.chunks) {
			if c := s.chunks[s.cur]; s.used+n <= len(c) {
				s.used += n
				return c[s.used-n : s.used : s.used]
			}
			if s.cur+1 < len(s.chunks) {
				s.cur, s.used = s.cur+1, 0
				continue
			}
		}
		if len(s.chunks) >= maxChunks {
			return nil
		}
		s.chunks = append(s.chunks, make([]T, chunkLen))
		s.cur, s.used = len(s.chunks)-1, 0
	}
}

// reset takes every piece back, clearing what was handed out when the
// elements hold pointers.
func (s *slab[T]) reset(clearUsed bool) {
	if clearUsed {
		for i := 0; i < s.cur && i < len(s.chunks); i++ {
			clear(s.chunks[i])
		}
		if s.cur < len(s.chunks) {
			clear(s.chunks[s.cur][:s.used])
		}
	}
	s.cur, s.used = 0, 0
}

// holds reports whether p points into one of the slab's chunks.
func (s *slab[T]) holds(p unsafe.Pointer) bool {
	var z T
	size := unsafe.Sizeof(z)
	for _, c := range s.chunks {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
		if a := uintptr(p); a >= start && a < start+size*uintptr(len(c)) {
			return true
		}
	}
	return false
}

// Header implements ops.HeaderAllocator.
func (a *runAlloc) Header() *tensor.Tensor {
	a.mu.Lock()
	var h []tensor.Tensor
	if !a.fresh && !a.keep {
		h = a.hdrs.take(1, hdrChunkLen, hdrMaxChunks)
	}
	a.mu.Unlock()
	if h == nil {
		return new(tensor.Tensor)
	}
	return &h[0]
}

// inSlab reports whether t's header, or its data, lies in a slab.
func (a *runAlloc) inSlab(t *tensor.Tensor) (header, data bool) {
	header = a.hdrs.holds(unsafe.Pointer(t))
	if d := tensor.Data[float32](t); len(d) > 0 {
		data = a.small.holds(unsafe.Pointer(unsafe.SliceData(d)))
	}
	return header, data
}

// detach returns v with every tensor that lies in a slab copied out of it
// (a new header; new data too when the data is in a slab), so v can
// outlive the run. hdrs supplies the new headers; when it runs out it is
// refilled with room for more values (one allocation for all the
// outputs' headers).
func (a *runAlloc) detach(v tensor.Value, hdrs *[]tensor.Tensor, more int) tensor.Value {
	switch x := v.(type) {
	case *tensor.Tensor:
		header, data := a.inSlab(x)
		if !header && !data {
			return v
		}
		if len(*hdrs) == 0 {
			*hdrs = make([]tensor.Tensor, max(more, 1))
		}
		h := &(*hdrs)[0]
		*hdrs = (*hdrs)[1:]
		if data {
			return x.CloneInto(h)
		}
		return x.HeaderInto(h)
	case *tensor.Sequence:
		var out *tensor.Sequence
		for i, t := range x.Tensors {
			if d := a.detach(t, hdrs, more+len(x.Tensors)-i); d != tensor.Value(t) {
				if out == nil {
					out = &tensor.Sequence{ElemType: x.ElemType, Tensors: append([]*tensor.Tensor(nil), x.Tensors...)}
				}
				out.Tensors[i] = d.(*tensor.Tensor)
			}
		}
		if out != nil {
			return out
		}
	case *tensor.Optional:
		if x.Value != nil {
			if d := a.detach(x.Value, hdrs, more); d != x.Value {
				return &tensor.Optional{Value: d}
			}
		}
	}
	return v
}

// setKeep turns plain allocation for kept values on or off.
func (a *runAlloc) setKeep(on bool) {
	a.mu.Lock()
	a.keep = on
	a.mu.Unlock()
}

// endRun forgets the run's buffers and takes the slabs back.
func (a *runAlloc) endRun() {
	clear(a.owned)
	a.owned = a.owned[:0]
	a.small.reset(false)
	a.hdrs.reset(true)
	a.fresh, a.keep = false, false
}

type ownedBuf struct {
	start, end uintptr
	buf        []float32
	refs       int
}

// Float32 implements ops.Allocator.
func (a *runAlloc) Float32(n int) []float32 {
	if n < poolMinElems {
		a.mu.Lock()
		var b []float32
		if !a.fresh && !a.keep {
			b = a.small.take(n, smallChunkElems, smallMaxChunks)
		}
		a.mu.Unlock()
		if b == nil {
			b = make([]float32, n)
		}
		return b
	}
	a.mu.Lock()
	keep := a.keep
	a.mu.Unlock()
	if keep {
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
