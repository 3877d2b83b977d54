package security

import (
	"container/list"
	"sync"

	"golang.org/x/time/rate"
)

// limiterCache holds one token bucket per key or client, created on first
// use, dropping the least recently used beyond max. A dropped client starts
// again with a full bucket, which errs on the side of letting it in.
type limiterCache struct {
	mu    sync.Mutex
	max   int
	limit rate.Limit
	burst int
	order *list.List // of *limiterEntry, most recently used first
	byKey map[string]*list.Element
}

type limiterEntry struct {
	key string
	lim *rate.Limiter
}

func newLimiterCache(max int, limit rate.Limit, burst int) *limiterCache {
	return &limiterCache{max: max, limit: limit, burst: burst, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *limiterCache) get(key string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*limiterEntry).lim
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*limiterEntry).key)
	}
	e := &limiterEntry{key: key, lim: rate.NewLimiter(c.limit, c.burst)}
	c.byKey[key] = c.order.PushFront(e)
	return e.lim
}

func (c *limiterCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
