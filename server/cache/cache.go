// Package cache is the optional per-model response cache: a bounded LRU from
// a request Key to the outputs it produced. Deterministic models answer the
// same request the same way, so a hit skips the queue and the engine.
package cache

import (
	"container/list"
	"maps"
	"reflect"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// Cache is a bounded LRU of responses. Its methods may be called concurrently.
type Cache struct {
	maxEntries int
	maxBytes   int64

	mu     sync.Mutex
	lru    *list.List // of *entry; front = most recently used
	byKey  map[[32]byte]*list.Element
	bytes  int64
	hits   uint64
	misses uint64
}

type entry struct {
	key     [32]byte
	outputs []infer.Tensor
	size    int64
}

// New makes a cache holding at most maxEntries responses whose output data
// add up to at most maxBytes; a bound ≤ 0 is no bound. The least recently
// used responses are evicted first.
func New(maxEntries int, maxBytes int64) *Cache {
	return &Cache{
		maxEntries: maxEntries,
		maxBytes:   maxBytes,
		lru:        list.New(),
		byKey:      make(map[[32]byte]*list.Element),
	}
}

// Get returns the outputs stored under k. The slice and the Parameters maps
// are the caller's to change; the tensors are the cache's own, shared by
// every hit, and must not be modified.
func (c *Cache) Get(k [32]byte) ([]infer.Tensor, bool) {
	c.mu.Lock()
	el, ok := c.byKey[k]
	if !ok {
		c.misses++
		c.mu.Unlock()
		return nil, false
	}
	c.hits++
	c.lru.MoveToFront(el)
	stored := el.Value.(*entry).outputs
	c.mu.Unlock()

	out := make([]infer.Tensor, len(stored))
	for i, t := range stored {
		out[i] = infer.Tensor{Name: t.Name, Tensor: t.Tensor, Parameters: maps.Clone(t.Parameters)}
	}
	return out, true
}

// Put stores a copy of outputs under k, so the caller may go on using and
// changing its own. A response larger than maxBytes on its own, or holding a
// tensor whose data does not match its type, is not stored.
func (c *Cache) Put(k [32]byte, outputs []infer.Tensor) {
	stored := make([]infer.Tensor, len(outputs))
	var size int64
	for i, t := range outputs {
		if t.Tensor != nil && !wellFormed(t.Tensor) {
			return
		}
		stored[i] = infer.Tensor{Name: t.Name, Parameters: maps.Clone(t.Parameters)}
		if t.Tensor != nil {
			stored[i].Tensor = t.Tensor.Clone()
			size += dataSize(t.Tensor)
		}
	}
	if c.maxBytes > 0 && size > c.maxBytes {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		e := el.Value.(*entry)
		c.bytes += size - e.size
		e.outputs, e.size = stored, size
		c.lru.MoveToFront(el)
	} else {
		c.byKey[k] = c.lru.PushFront(&entry{key: k, outputs: stored, size: size})
		c.bytes += size
	}
	for c.over() {
		oldest := c.lru.Back()
		e := oldest.Value.(*entry)
		c.lru.Remove(oldest)
		delete(c.byKey, e.key)
		c.bytes -= e.size
	}
}

// over reports whether a bound is exceeded. Callers hold c.mu.
func (c *Cache) over() bool {
	return (c.maxEntries > 0 && c.lru.Len() > c.maxEntries) ||
		(c.maxBytes > 0 && c.bytes > c.maxBytes)
}

// Stats returns the hit and miss counts and the current size.
func (c *Cache) Stats() (hits, misses uint64, entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.lru.Len(), c.bytes
}

// dataSize is the bytes of t's elements: their ONNX size, or for strings
// the sum of their lengths.
func dataSize(t *tensor.Tensor) int64 {
	if s, ok := t.Data().([]string); ok {
		var n int64
		for _, v := range s {
			n += int64(len(v))
		}
		return n
	}
	return int64(t.Len()) * int64(t.DType().Size())
}

// wellFormed reports whether t's data is a slice of its dtype, which Clone
// relies on.
func wellFormed(t *tensor.Tensor) bool {
	proto := tensor.MakeSlice(t.DType(), 0)
	return proto != nil && reflect.TypeOf(proto) == reflect.TypeOf(t.Data())
}
