package imageops

import (
	"math"
	"sync"
)

// A server sees the same few input sizes and one transform over and over,
// so the resampling weights and the normalisation table of a plan are made
// once and shared (read-only) by every plan that needs them, instead of
// being recomputed and garbage-collected per image.

// maxCached bounds each cache; when full it starts over, which costs one
// recomputation per entry and keeps hostile size churn from growing it.
const maxCached = 64

type cache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

func (c *cache[K, V]) get(k K, build func() V) V {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = build() // outside the lock: concurrent misses may both build, harmlessly
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

var kernelCache cache[[2]int, *kernel]

// cachedKernel is newKernel(in, out), shared: callers must not modify it.
func cachedKernel(in, out int) *kernel {
	return kernelCache.get([2]int{in, out}, func() *kernel {
		k := newKernel(in, out)
		return &k
	})
}

// normTable maps a byte of channel c to the float32 bits of
// (v/255 − mean[c]) / std[c], rounded after every operation as torch does
// (see ToCHW).
type normTable struct {
	bits [3][256]uint32 // first: vRow2AVX2 gathers from it
	// div is, per channel, mean, std and 1/std, eight copies of each, for
	// vRow2DivAVX2, which computes the table's values with FMAs instead of
	// looking them up; divOK says it gets all 256 of them exactly.
	div   [3][3][8]float32
	divOK bool
}

var normCache cache[[6]uint32, *normTable]

// cachedNorm is the table for mean and std, shared: callers must not modify
// it. The key is the bits, so that every distinct value gets its own table.
func cachedNorm(mean, std [3]float32) *normTable {
	var key [6]uint32
	for c := range 3 {
		key[c], key[3+c] = math.Float32bits(mean[c]), math.Float32bits(std[c])
	}
	return normCache.get(key, func() *normTable {
		t := new(normTable)
		for c := range 3 {
			for v := range 256 {
				x := float32(float32(v) / 255)
				x = float32(x - mean[c])
				t.bits[c][v] = math.Float32bits(float32(x / std[c]))
			}
			for i := range 8 {
				t.div[c][0][i], t.div[c][1][i], t.div[c][2][i] = mean[c], std[c], 1/std[c]
			}
		}
		t.divOK = divMatchesTable(t)
		return t
	})
}
