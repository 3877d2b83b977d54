package plugins

import (
	"context"
	"os"
	"testing"
	"time"
)

// bigModule is a plugin with 1000 extra functions: enough code for the
// compile to be measurable, small enough for the tests to afford it.
func bigModule() []byte {
	funcs := handFuncs(1, handDesc)
	for i := range 1000 {
		body := []byte{0x20, 0x00} // local.get 0
		for j := range 20 {
			body = append(body, i32Const(int32(i*31+j))...)
			body = append(body, 0x6a, 0x41, 0x03, 0x6c) // i32.add, i32.const 3, i32.mul
		}
		funcs = append(funcs, wasmFunc{params: []byte{tI32}, results: []byte{tI32}, body: body})
	}
	return wasmModule(nil, funcs, map[uint32][]byte{handDescAt: []byte(handDesc)})
}

// timedLoad loads a plugin and says how long it took.
func timedLoad(t *testing.T, rt *Runtime, cfg Config) (*Plugin, time.Duration) {
	t.Helper()
	t0 := time.Now()
	p := load(t, rt, cfg)
	return p, time.Since(t0)
}

// A second Load of a module, and a Load after every plugin using it has
// closed, skip the compile; with a CacheDir, so does a Load in a new
// Runtime.
func TestCompilationCache(t *testing.T) {
	wasm := bigModule()
	for _, dir := range []string{"", t.TempDir()} {
		newRT := func() *Runtime {
			rt, err := NewRuntime(context.Background(), RuntimeOptions{CacheDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			return rt
		}
		rt := newRT()
		first, cold := timedLoad(t, rt, Config{Name: "big", Wasm: wasm})
		second, warm := timedLoad(t, rt, Config{Name: "big2", Wasm: wasm})
		first.Close(context.Background())
		second.Close(context.Background())
		_, reload := timedLoad(t, rt, Config{Name: "big3", Wasm: wasm})
		if err := rt.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		times := map[string]time.Duration{"second": warm, "reload": reload}
		if dir == "" {
			t.Logf("in memory, a %d KB module: cold Load %v; second %v, after closing both %v", len(wasm)>>10, cold, warm, reload)
		} else {
			if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
				t.Fatalf("nothing cached in %s: %v", dir, err)
			}
			rt = newRT()
			_, times["disk"] = timedLoad(t, rt, Config{Name: "big4", Wasm: wasm})
			rt.Close(context.Background())
			t.Logf("on disk, a %d KB module: cold Load %v; second %v, after closing both %v, new Runtime %v",
				len(wasm)>>10, cold, warm, reload, times["disk"])
		}
		for name, d := range times {
			if d >= cold {
				t.Errorf("cache %q: %s Load took %v, the cold one %v", dir, name, d, cold)
			}
		}
	}
}
