package batcher

import (
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// group is a FIFO of requests that may share a batch.
type group struct {
	key  string
	reqs []*request
	rows int  // sum of reqs' rows
	solo bool // the queue of requests that each run alone
}

// batch is a set of requests taken from one group to run together.
type batch struct {
	reqs       []*request
	rows       int
	stacked    bool // outputs carry the batch axis and are split by rows
	dispatched time.Time
}

// dispatch forms batches until the batcher is closed and drained. It only
// takes a batch while a worker is free (busy < Workers, checked in next), so
// requests keep arriving into the groups while all workers are busy; the
// end of every batch wakes it.
func (b *Batcher) dispatch() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b.mu.Lock()
		bt, wait, finished := b.next(time.Now())
		b.mu.Unlock()
		if bt != nil {
			b.running.Add(1)
			go b.execute(bt)
			continue
		}
		if finished {
			b.running.Wait()
			return
		}
		if wait >= 0 {
			timer.Reset(wait)
		}
		select {
		case <-b.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// next takes the batch to run now, if any. Otherwise it says how long until
// a group's MaxDelay runs out (-1: nothing is waiting on a clock) and whether
// the batcher is closed and drained. Callers hold b.mu.
func (b *Batcher) next(now time.Time) (bt *batch, wait time.Duration, finished bool) {
	if b.queued > 0 && b.busy >= b.opts.Workers {
		// Every worker is running a batch; the end of one wakes us.
		return nil, -1, false
	}
	for b.queued > 0 {
		var best *group
		bestTarget := 0
		wait = -1
		consider := func(g *group) {
			if len(g.reqs) == 0 {
				return
			}
			target, due := b.readiness(g, now)
			if target == 0 {
				if d := due.Sub(now); wait < 0 || d < wait {
					wait = d
				}
				return
			}
			// Among ready groups the one whose oldest request waited longest
			// goes first, so no signature starves another.
			if best == nil || g.reqs[0].enq.Before(best.reqs[0].enq) {
				best, bestTarget = g, target
			}
		}
		consider(b.solo)
		for _, g := range b.groups {
			consider(g)
		}
		if best == nil {
			return nil, wait, false
		}
		if bt := b.take(best, bestTarget, now); bt != nil {
			b.busy++
			return bt, 0, false
		}
		// Every request looked at had already left; look again.
	}
	return nil, -1, b.closed
}

// readiness returns how many rows to dispatch from g now, or 0 and when its
// oldest request's MaxDelay runs out.
func (b *Batcher) readiness(g *group, now time.Time) (target int, due time.Time) {
	max := b.opts.MaxBatch
	if g.solo {
		return 1, time.Time{}
	}
	due = g.reqs[0].enq.Add(b.opts.MaxDelay)
	// Once closed nothing more will come, so waiting is pointless.
	if b.closed || g.rows >= max || !now.Before(due) {
		return max, time.Time{}
	}
	if p := b.preferredPrefix(g); p > 0 {
		return p, time.Time{}
	}
	if b.opts.Eager {
		want := 1
		if b.opts.Expect != nil {
			want = min(b.opts.Expect(), max)
		}
		if g.rows >= want {
			return max, time.Time{}
		}
		if r := now.Add(ExpectRecheck); r.Before(due) {
			due = r
		}
	}
	return 0, due
}

// ExpectRecheck is how often an eager batcher waiting for the rows
// Options.Expect promised looks at it again.
var ExpectRecheck = 200 * time.Microsecond

// preferredPrefix is the largest preferred size that the oldest requests of
// g add up to exactly, or 0.
func (b *Batcher) preferredPrefix(g *group) int {
	pref := b.opts.Preferred
	if len(pref) == 0 {
		return 0
	}
	best, sum, i := 0, 0, 0
	for _, r := range g.reqs {
		sum += r.rows
		for i < len(pref) && pref[i] < sum {
			i++
		}
		if i == len(pref) {
			break
		}
		if pref[i] == sum {
			best = sum
		}
	}
	return best
}

// take removes up to target rows of requests from the front of g (at least
// one request, even if it alone has more rows). Requests whose context has
// already ended are dropped with their error instead: they are never run.
// It returns nil when every request it looked at had left.
func (b *Batcher) take(g *group, target int, now time.Time) *batch {
	bt := &batch{dispatched: now, stacked: !g.solo}
	i := 0
	for ; i < len(g.reqs); i++ {
		r := g.reqs[i]
		if err := r.ctx.Err(); err != nil {
			r.done <- result{err: infer.AsError(err)}
			continue
		}
		if len(bt.reqs) > 0 && (g.solo || bt.rows+r.rows > target) {
			break
		}
		bt.reqs = append(bt.reqs, r)
		bt.rows += r.rows
	}
	for _, r := range g.reqs[:i] {
		r.group = nil
		g.rows -= r.rows
	}
	clear(g.reqs[:i]) // let the array forget them
	g.reqs = g.reqs[i:]
	b.forgetIfEmpty(g)
	b.setQueued(b.queued - i)
	if len(bt.reqs) == 0 {
		return nil
	}
	return bt
}

// forgetIfEmpty drops an empty signature group so that a stream of
// distinct signatures cannot grow the map. Callers hold b.mu.
func (b *Batcher) forgetIfEmpty(g *group) {
	if len(g.reqs) == 0 && !g.solo {
		if b.groups[g.key] == g {
			delete(b.groups, g.key)
		}
		g.reqs = nil
	}
}
