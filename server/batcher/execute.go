package batcher

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// execute runs one batch and answers its requests, then frees its worker.
func (b *Batcher) execute(bt *batch) {
	defer func() {
		b.mu.Lock()
		b.busy--
		b.mu.Unlock()
		b.running.Done()
		b.signal() // a free worker may be what a ready batch was waiting for
	}()
	queued := make([]time.Duration, len(bt.reqs))
	for i, r := range bt.reqs {
		queued[i] = bt.dispatched.Sub(r.enq)
	}
	outs, compute, err := b.process(bt)
	if obs := b.opts.Observer; obs != nil {
		obs.Batch(bt.rows, len(bt.reqs), queued, compute, err)
	}
	for i, r := range bt.reqs {
		if err != nil {
			r.done <- result{err: err}
		} else {
			r.done <- result{outputs: outs[i]}
		}
	}
}

// process stacks, runs and splits. Nothing that goes wrong here, a panic in
// the model included, may take the server down: it becomes the batch's error.
func (b *Batcher) process(bt *batch) (outs []map[string]*tensor.Tensor, compute time.Duration, err error) {
	defer func() {
		if p := recover(); p != nil {
			outs = nil
			err = &infer.Error{Code: infer.Internal, Msg: "internal error while running the model",
				Err: panicError{p}}
		}
	}()
	inputs := bt.reqs[0].inputs
	if len(bt.reqs) > 1 {
		if inputs, err = stackInputs(bt); err != nil {
			return nil, 0, err
		}
	}
	ctx, release := batchContext(bt.reqs)
	defer release()
	start := time.Now()
	out, err := b.run(ctx, inputs)
	compute = time.Since(start)
	if err != nil {
		return nil, compute, err
	}
	if !bt.stacked {
		return []map[string]*tensor.Tensor{out}, compute, nil
	}
	outs, err = splitOutputs(out, bt)
	return outs, compute, err
}

// batchContext is the context a batch runs under. A batch of one request
// runs under that request's own context (values and deadline intact). A
// shared batch runs under a context that ends only when every one of its
// requests' contexts has ended: one impatient client must not cancel its
// neighbours' work, but once nobody waits for the answer the model should
// stop. It has no deadline of its own for the same reason; a request that
// times out while running gets its error from Submit anyway.
func batchContext(reqs []*request) (context.Context, func()) {
	if len(reqs) == 1 {
		return reqs[0].ctx, func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var live atomic.Int64
	live.Store(int64(len(reqs)))
	stops := make([]func() bool, len(reqs))
	for i, r := range reqs {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// panicError keeps a recovered panic value for the log, never for clients.
type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.v) }
