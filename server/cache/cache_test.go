package cache

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

func key(s string) [32]byte {
	var k [32]byte
	copy(k[:], s)
	return k
}

// f32 is an output "y" of n float32 values (4n bytes) all equal to v.
func f32(n int, v float32) []infer.Tensor {
	d := make([]float32, n)
	for i := range d {
		d[i] = v
	}
	return []infer.Tensor{{Name: "y", Tensor: tensor.New([]int{n}, d)}}
}

func stats(t *testing.T, c *Cache, hits, misses uint64, entries int, bytes int64) {
	t.Helper()
	h, m, e, b := c.Stats()
	if h != hits || m != misses || e != entries || b != bytes {
		t.Fatalf("stats hits %d misses %d entries %d bytes %d, want %d %d %d %d",
			h, m, e, b, hits, misses, entries, bytes)
	}
}

func has(c *Cache, k string) bool {
	_, ok := c.Get(key(k))
	return ok
}

func TestHitAndMiss(t *testing.T) {
	c := New(10, 0)
	if _, ok := c.Get(key("a")); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(key("a"), f32(3, 7))
	out, ok := c.Get(key("a"))
	if !ok || len(out) != 1 || out[0].Name != "y" {
		t.Fatalf("get: %v %v", out, ok)
	}
	if d := tensor.Data[float32](out[0].Tensor); !reflect.DeepEqual(d, []float32{7, 7, 7}) {
		t.Fatalf("data %v", d)
	}
	stats(t, c, 1, 1, 1, 12)
}

func TestEvictsLeastRecentlyUsedByEntries(t *testing.T) {
	c := New(2, 0)
	c.Put(key("a"), f32(1, 1))
	c.Put(key("b"), f32(1, 2))
	has(c, "a") // a is now more recent than b
	c.Put(key("c"), f32(1, 3))
	if has(c, "b") {
		t.Fatal("b, the least recently used, survived")
	}
	if !has(c, "a") || !has(c, "c") {
		t.Fatal("a or c was evicted")
	}
	_, _, entries, bytes := c.Stats()
	if entries != 2 || bytes != 8 {
		t.Fatalf("entries %d bytes %d, want 2 and 8", entries, bytes)
	}
}

func TestEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	c := New(0, 100)
	c.Put(key("a"), f32(10, 1)) // 40 bytes
	c.Put(key("b"), f32(10, 2)) // 80
	has(c, "a")
	c.Put(key("c"), f32(10, 3)) // 120 > 100: b goes
	if has(c, "b") || !has(c, "a") || !has(c, "c") {
		t.Fatal("want a and c kept, b evicted")
	}
	c.Put(key("d"), f32(5, 4)) // 80 + 20 = 100: fits exactly
	if !has(c, "a") || !has(c, "c") || !has(c, "d") {
		t.Fatal("an entry was evicted though the bytes fit")
	}
	c.Put(key("e"), f32(1, 5)) // 104: the oldest (a) goes → 64
	if has(c, "a") {
		t.Fatal("a, the least recently used, survived")
	}
	_, _, entries, bytes := c.Stats()
	if entries != 3 || bytes != 64 {
		t.Fatalf("entries %d bytes %d, want 3 and 64", entries, bytes)
	}
	// Larger than the whole cache: not stored, nothing evicted for it.
	c.Put(key("huge"), f32(26, 0))
	if has(c, "huge") || !has(c, "c") || !has(c, "d") || !has(c, "e") {
		t.Fatal("an oversized response was stored or displaced others")
	}
}

func TestStringAndMixedSizes(t *testing.T) {
	c := New(0, 0)
	c.Put(key("s"), []infer.Tensor{
		{Name: "words", Tensor: tensor.New([]int{3}, []string{"ab", "", "héllo"})}, // 2+0+6
		{Name: "flags", Tensor: tensor.New([]int{2}, []bool{true, false})},         // 2
		{Name: "half", Tensor: tensor.New([]int{2}, []tensor.F16{1, 2})},           // 4
		{Name: "ids", Tensor: tensor.New([]int{1}, []int64{9})},                    // 8
		{Name: "none"},
	})
	_, _, _, bytes := c.Stats()
	if bytes != 22 {
		t.Fatalf("bytes %d, want 22", bytes)
	}
}

func TestReplaceUpdatesBytes(t *testing.T) {
	c := New(0, 0)
	c.Put(key("a"), f32(10, 1))
	c.Put(key("a"), f32(2, 2))
	out, _ := c.Get(key("a"))
	if d := tensor.Data[float32](out[0].Tensor); !reflect.DeepEqual(d, []float32{2, 2}) {
		t.Fatalf("data %v after replacing", d)
	}
	stats(t, c, 1, 0, 1, 8)
}

func TestStoresCopies(t *testing.T) {
	c := New(0, 0)
	data := []float32{1, 2}
	outs := []infer.Tensor{{Name: "y", Tensor: tensor.New([]int{2}, data), Parameters: map[string]any{"p": 1}}}
	c.Put(key("a"), outs)
	data[0] = 99
	outs[0].Parameters["p"] = 2
	outs[0].Name = "changed"

	got, _ := c.Get(key("a"))
	if got[0].Name != "y" || tensor.Data[float32](got[0].Tensor)[0] != 1 || got[0].Parameters["p"] != 1 {
		t.Fatalf("the cache saw the caller's later changes: %+v", got[0])
	}
	// The slice and parameters handed out are the caller's to change.
	got[0].Name = "mine"
	got[0].Parameters["binary_data_size"] = 8
	again, _ := c.Get(key("a"))
	if again[0].Name != "y" || len(again[0].Parameters) != 1 {
		t.Fatalf("a caller's change reached the cache: %+v", again[0])
	}
	if again[0].Tensor != got[0].Tensor {
		t.Fatal("hits should share the stored tensor, not copy it")
	}
}

func TestMalformedOutputsAreNotStored(t *testing.T) {
	c := New(0, 0)
	c.Put(key("a"), []infer.Tensor{{Name: "y", Tensor: new(tensor.Tensor)}})
	if has(c, "a") {
		t.Fatal("a tensor without data was stored")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(16, 1<<10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := key(fmt.Sprint((g * i) % 40))
				if out, ok := c.Get(k); ok {
					if len(out) != 1 || out[0].Tensor.Len() != 4 {
						t.Errorf("bad hit %v", out)
						return
					}
					out[0].Parameters = map[string]any{"x": g}
				} else {
					c.Put(k, f32(4, float32(i)))
				}
				c.Stats()
			}
		}()
	}
	wg.Wait()
	hits, misses, entries, bytes := c.Stats()
	if hits+misses != 8*500 || entries > 16 || bytes != int64(entries)*16 {
		t.Fatalf("hits %d misses %d entries %d bytes %d", hits, misses, entries, bytes)
	}
}
