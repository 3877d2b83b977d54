// Package batcher is the dynamic batcher: one per model version, it queues
// inference requests, stacks compatible ones along axis 0 (the batch axis),
// runs the model once for the whole batch and hands each request back its own
// rows of the outputs.
//
// Requests are grouped by signature (input names, dtypes and non-batch
// dimensions); only requests of one group share a batch, and every group has
// its own MaxDelay clock, so a request never waits behind an incompatible one.
// A dispatcher goroutine forms a batch only when a worker is free, so under
// load requests pile up while the workers are busy and batches grow on their
// own.
package batcher

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// RunFunc runs the model once on a set of inputs (stacked when batching).
type RunFunc func(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)

// DefaultQueueSize is the queue bound used when Options.QueueSize ≤ 0.
const DefaultQueueSize = 1024

// Options configure a Batcher. The zero value runs requests one at a time,
// unstacked, with a queue of DefaultQueueSize.
type Options struct {
	// MaxBatch is the most rows a batch may hold; ≤ 1 disables stacking
	// (each request runs alone, still queued). A single request with more
	// rows than MaxBatch runs alone rather than being rejected: the model
	// decides whether it can take it.
	MaxBatch int
	// MaxDelay is how long the oldest queued request of a group may wait for
	// others before its group is dispatched anyway.
	MaxDelay time.Duration
	// Eager makes the batcher work-conserving: a free worker takes whatever
	// is queued at once instead of waiting MaxDelay for company. Batches then
	// form only from requests that arrived while every worker was busy, so a
	// lone request pays no delay at low load and batches still grow under
	// load. Without Eager, MaxDelay is honoured as Triton does.
	Eager bool
	// Expect, with Eager, is how many rows a batch can expect to collect:
	// typically the server's recent peak of concurrent requests. A free
	// worker dispatches a group once it holds that many rows (or MaxBatch,
	// or its oldest request waited MaxDelay), looking again every
	// ExpectRecheck since the value changes without waking the batcher.
	// nil or ≤ 1: dispatch at once. So a lone client never waits, and under
	// load batches fill.
	Expect func() int
	// Preferred batch sizes: when the oldest requests of a group add up to
	// exactly a preferred size, that many rows are dispatched at once
	// without waiting for MaxDelay (the largest such size wins). Sizes
	// outside [1, MaxBatch] are ignored.
	Preferred []int
	// QueueSize bounds the queued requests; a full queue rejects at once
	// with ResourceExhausted. ≤ 0 means DefaultQueueSize.
	QueueSize int
	// Workers is how many batches may run at the same time (default 1).
	Workers int
	// Observer receives batch and queue events; may be nil.
	Observer Observer
}

// Observer receives the batcher's events, typically for metrics.
type Observer interface {
	// Batch is called after each execution, before its requests get their
	// answers: rows in the batch, requests in it, each request's queue time,
	// the compute duration, and the run error (nil on success).
	Batch(rows, requests int, queued []time.Duration, compute time.Duration, err error)
	// QueueDepth is called when the queue length changes. It is called with
	// the batcher's lock held, so that the reported values arrive in order:
	// it must be quick and must not call back into the Batcher.
	QueueDepth(n int)
}

// Batcher queues and batches requests for one model version. Its methods may
// be called concurrently. Close must be called to stop its goroutines.
type Batcher struct {
	run  RunFunc
	opts Options

	mu     sync.Mutex
	closed bool
	queued int               // requests waiting in groups and solo
	busy   int               // batches running (dispatched or inline), ≤ Workers
	groups map[string]*group // stackable requests by signature
	solo   *group            // requests that run alone, FIFO

	wake    chan struct{} // nudges the dispatcher; buffered 1 so no wake-up is lost
	running sync.WaitGroup
	done    chan struct{} // closed when the dispatcher has drained and exited
}

// New starts a batcher that calls run for every batch.
func New(run RunFunc, opts Options) *Batcher {
	opts = normalize(opts)
	b := &Batcher{
		run:    run,
		opts:   opts,
		groups: make(map[string]*group),
		solo:   &group{solo: true},
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	go b.dispatch()
	return b
}

func normalize(o Options) Options {
	if o.MaxBatch < 1 {
		o.MaxBatch = 1
	}
	if o.MaxDelay < 0 {
		o.MaxDelay = 0
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	var pref []int
	for _, p := range o.Preferred {
		if p >= 1 && p <= o.MaxBatch {
			pref = append(pref, p)
		}
	}
	slices.Sort(pref)
	o.Preferred = slices.Compact(pref)
	return o
}

// Submit queues one request and waits for its outputs. The inputs must not
// be modified until Submit returns. When ctx ends while the request is
// queued, the request is dropped (it is never run) and Submit returns ctx's
// error as a DeadlineExceeded or Canceled *infer.Error.
func (b *Batcher) Submit(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, infer.AsError(err)
	}
	r, err := b.newRequest(ctx, inputs)
	if err != nil {
		return nil, err
	}
	if b.tryInline(r) {
		res := <-r.done
		return res.outputs, res.err
	}
	if err := b.enqueue(r); err != nil {
		return nil, err
	}
	select {
	case res := <-r.done:
		return res.outputs, res.err
	case <-ctx.Done():
	}
	b.abandon(r)
	// An answer that raced with the end of ctx is still an answer.
	select {
	case res := <-r.done:
		return res.outputs, res.err
	default:
		return nil, infer.AsError(ctx.Err())
	}
}

// tryInline runs r on the caller's goroutine when an eager batcher has a
// free worker, an empty queue and no company to expect: the common case of
// a lightly loaded server. It saves the hand-offs to the dispatcher and a
// batch goroutine (tens of microseconds of wake-ups on an idle machine).
func (b *Batcher) tryInline(r *request) bool {
	if !b.opts.Eager {
		return false
	}
	b.mu.Lock()
	if b.closed || b.queued > 0 || b.busy >= b.opts.Workers || (b.opts.Expect != nil && b.opts.Expect() > 1) {
		b.mu.Unlock()
		return false
	}
	b.busy++
	b.running.Add(1) // under mu, so Close's drain cannot miss it
	b.mu.Unlock()
	r.enq = time.Now()
	b.execute(&batch{reqs: []*request{r}, rows: r.rows, stacked: r.key != "", dispatched: r.enq})
	return true
}

// Close stops taking requests (Submit then fails with Unavailable), lets the
// queued requests run, waits for the running batches and returns. It may be
// called more than once.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
	<-b.done
}

// Len is the number of queued (not yet running) requests.
func (b *Batcher) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queued
}

// signal wakes the dispatcher without blocking.
func (b *Batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
