package math

import (
	"slices"
	"sync/atomic"
)

// planCache keeps the last broadcast plan one kernel built, with the input
// shapes it was built for, so that steady-state runs (same shapes every
// time) build no plan and allocate nothing. A Model runs concurrently from
// many goroutines: the entry is immutable once published and swapped whole
// through an atomic pointer, so a caller either sees a complete plan for
// its exact shapes or builds its own. Callers with alternating shapes just
// rebuild; they never see a stale plan.
type planCache struct {
	last atomic.Pointer[cachedPlan]
}

// cachedPlan is a plan together with the shapes that key it.
type cachedPlan struct {
	plan
	nkey int
	rank [planInputs]int
	key  [planInputs][planRank]int
}

// lookup returns the cached plan for exactly these input shapes, or nil.
func (c *planCache) lookup(shapes ...[]int) *plan {
	e := c.last.Load()
	if e == nil || e.nkey != len(shapes) {
		return nil
	}
	for k, s := range shapes {
		if e.rank[k] != len(s) || !slices.Equal(e.key[k][:len(s)], s) {
			return nil
		}
	}
	return &e.plan
}

// newCachedPlan returns an empty entry keyed by shapes, or nil when they are too
// many or of too high a rank to key (such plans are simply not cached).
func newCachedPlan(shapes ...[]int) *cachedPlan {
	if len(shapes) > planInputs {
		return nil
	}
	e := new(cachedPlan)
	e.nkey = len(shapes)
	for k, s := range shapes {
		if len(s) > planRank {
			return nil
		}
		e.rank[k] = len(s)
		copy(e.key[k][:], s)
	}
	return e
}

// publish makes e (fully built, never written again) the cached plan.
func (c *planCache) publish(e *cachedPlan) { c.last.Store(e) }

// get returns the plan for shapes, building it with build on a miss and
// caching it when the shapes can be keyed.
func (c *planCache) get(build func(p *plan) error, shapes ...[]int) (*plan, error) {
	if p := c.lookup(shapes...); p != nil {
		return p, nil
	}
	e := newCachedPlan(shapes...)
	if e == nil {
		p := new(plan)
		if err := build(p); err != nil {
			return nil, err
		}
		return p, nil
	}
	if err := build(&e.plan); err != nil {
		return nil, err
	}
	// The plan must not point at the caller's shapes (tensor headers the
	// engine recycles): build keeps out in p.outBuf, which the rank bound
	// in newCachedPlan guarantees is large enough.
	c.publish(e)
	return &e.plan, nil
}
