package plugins

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"
)

func TestLinearMemory(t *testing.T) {
	const page = 64 << 10
	for name, m := range map[string]interface {
		Reallocate(uint64) []byte
		Free()
	}{
		"default": newLinearMemory(page, 16*page),
		"slice":   newSliceMemory(page, 16*page),
	} {
		if name == "default" && (runtime.GOOS == "linux" || runtime.GOOS == "darwin") {
			if typ := fmt.Sprintf("%T", m); typ != "*plugins.mmapMemory" {
				t.Errorf("newLinearMemory gave a %s", typ)
			}
		}
		b := m.Reallocate(page)
		if len(b) != page {
			t.Fatalf("%s: %d bytes", name, len(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("%s: byte %d is %d", name, i, b[i])
			}
		}
		b[0], b[page-1] = 1, 2
		g := m.Reallocate(4 * page)
		if len(g) != 4*page || g[0] != 1 || g[page-1] != 2 || g[4*page-1] != 0 {
			t.Fatalf("%s: grown memory lost its contents", name)
		}
		g[4*page-1] = 3
		if name == "default" && unsafe.SliceData(g) != unsafe.SliceData(b) {
			t.Errorf("%s: the memory moved when it grew", name)
		}
		if m.Reallocate(16*page+1) != nil {
			t.Errorf("%s: grew past its maximum", name)
		}
		if g := m.Reallocate(16 * page); len(g) != 16*page || g[4*page-1] != 3 {
			t.Errorf("%s: cannot grow to its maximum", name)
		}
		m.Free()
	}
}
