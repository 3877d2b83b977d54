//go:build !linux

package engine

// mapModel reads the file: this platform has no mmap we use (wasm, windows).
func mapModel(path string) (*modelFile, error) { return readModel(path) }

func (m *modelFile) releasePages(b []byte) {}

func (m *modelFile) unmap() {}
