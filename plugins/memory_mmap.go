//go:build linux || darwin

package plugins

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory is a linear memory in an address range reserved once for the
// maximum size (PROT_NONE: no commit charge) and made accessible as the
// guest grows.
type mmapMemory struct {
	mem        []byte // the whole reservation
	accessible uint64
}

func newLinearMemory(capacity, max uint64) experimental.LinearMemory {
	size := max
	if size == 0 || size > 1<<32 {
		return newSliceMemory(capacity, max)
	}
	mem, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		// Out of address space: the slow way still works.
		return newSliceMemory(capacity, max)
	}
	return &mmapMemory{mem: mem}
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.mem)) {
		return nil
	}
	if size > m.accessible {
		if err := syscall.Mprotect(m.mem[m.accessible:size], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			return nil // the guest sees memory.grow fail
		}
		m.accessible = size
	}
	// Capped at size: nothing may reach the inaccessible rest.
	return m.mem[:size:size]
}

func (m *mmapMemory) Free() {
	if m.mem != nil {
		_ = syscall.Munmap(m.mem)
		m.mem = nil
	}
}
