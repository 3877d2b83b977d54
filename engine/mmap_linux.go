//go:build linux

package engine

import (
	"os"
	"syscall"
)

// mapModel maps a model file privately (copy-on-write): pages are read on
// first touch, the decoder may shift payloads in place, and pages of
// weights that kernels have copied (packed) can be handed back to the
// kernel with release, so a model is not held twice in memory.
func mapModel(path string) (*modelFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size <= 0 || int64(int(size)) != size {
		return readModel(path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return readModel(path) // e.g. a pipe or a file system without mmap
	}
	return &modelFile{data: data, mapped: true}, nil
}

func (m *modelFile) releasePages(b []byte) {
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
}

func (m *modelFile) unmap() {
	_ = syscall.Munmap(m.data)
}
