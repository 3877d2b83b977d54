package plugins

import (
	"context"

	"github.com/tetratelabs/wazero/experimental"
)

// Guest memories. wazero backs a linear memory with a Go slice by default;
// with the capacity reserved up front (so that growing never copies), each
// new instance clears the whole cap — 256 MiB by default, ~0.5-1 s of CPU
// here when the Go heap reuses freed memory — and commits it. Replacing an
// instance after a failure must be cheap, so where the OS allows we reserve
// the address space with mmap instead: pages are zero and cost nothing
// until the guest touches them, growing never moves the memory, and closing
// the instance returns it all to the OS.

// withGuestMemory makes instantiations under ctx use our allocator.
func withGuestMemory(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(newLinearMemory))
}

// sliceMemory is the fallback: a Go slice grown by appending, as wazero does.
type sliceMemory struct {
	buf []byte
	max uint64
}

func newSliceMemory(capacity, max uint64) experimental.LinearMemory {
	return &sliceMemory{buf: make([]byte, 0, capacity), max: max}
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size > uint64(cap(m.buf)) {
		m.buf = append(m.buf[:cap(m.buf)], make([]byte, size-uint64(cap(m.buf)))...)
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
