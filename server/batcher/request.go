package batcher

import (
	"context"
	"encoding/binary"
	"reflect"
	"slices"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// request is one queued Submit.
type request struct {
	ctx    context.Context
	inputs map[string]*tensor.Tensor
	names  []string // input names, sorted
	// rows is the request's batch size: its inputs' common first dimension
	// when it can be stacked, else 1.
	rows  int
	key   string // group signature; "" for a request that runs alone
	enq   time.Time
	group *group      // where it is queued; nil once taken or dropped (guarded by Batcher.mu)
	done  chan result // buffered 1: the batch never blocks on a caller that left
}

type result struct {
	outputs map[string]*tensor.Tensor
	err     error
}

// newRequest validates the inputs and works out the request's rows and
// signature.
func (b *Batcher) newRequest(ctx context.Context, inputs map[string]*tensor.Tensor) (*request, error) {
	r := &request{ctx: ctx, inputs: inputs, rows: 1, done: make(chan result, 1)}
	r.names = make([]string, 0, len(inputs))
	for name, t := range inputs {
		if err := checkTensor(name, t); err != nil {
			return nil, err
		}
		r.names = append(r.names, name)
	}
	slices.Sort(r.names)
	if b.opts.MaxBatch <= 1 || !stackable(r) {
		// Without batching the model may have no batch axis at all, so the
		// first dimensions mean nothing and need not agree.
		return r, nil
	}
	first := r.names[0]
	rows := inputs[first].Shape()[0]
	for _, name := range r.names[1:] {
		if n := inputs[name].Shape()[0]; n != rows {
			return nil, infer.Errorf(infer.InvalidArgument,
				"inputs disagree on the batch (first) dimension: %q has %d rows, %q has %d",
				first, rows, name, n)
		}
	}
	r.rows = rows
	if rows > 0 {
		r.key = signature(r)
	}
	// A request of zero rows runs alone: stacking it would only hide it.
	return r, nil
}

// stackable reports whether every input has a batch axis to stack along.
func stackable(r *request) bool {
	if len(r.names) == 0 {
		return false
	}
	for _, name := range r.names {
		if r.inputs[name].Rank() == 0 {
			return false
		}
	}
	return true
}

// checkTensor rejects tensors whose header does not describe their data, so
// that stacking and splitting can trust shapes and types.
func checkTensor(name string, t *tensor.Tensor) error {
	if t == nil {
		return infer.Errorf(infer.InvalidArgument, "input %q has no tensor", name)
	}
	proto := tensor.MakeSlice(t.DType(), 0)
	if proto == nil {
		return infer.Errorf(infer.InvalidArgument, "input %q has unsupported data type %v", name, t.DType())
	}
	if reflect.TypeOf(t.Data()) != reflect.TypeOf(proto) {
		return infer.Errorf(infer.InvalidArgument, "input %q: its data is not of its data type %v", name, t.DType())
	}
	n, err := tensor.NumElements(t.Shape())
	if err != nil {
		return infer.Errorf(infer.InvalidArgument, "input %q: invalid shape %v", name, t.Shape())
	}
	if n != t.Len() {
		return infer.Errorf(infer.InvalidArgument, "input %q: shape %v needs %d elements, has %d",
			name, t.Shape(), n, t.Len())
	}
	return nil
}

// signature encodes names, dtypes and non-batch dims. Every field is length-
// or count-prefixed, so two different input sets never encode the same.
func signature(r *request) string {
	var buf []byte
	for _, name := range r.names {
		t := r.inputs[name]
		buf = binary.AppendUvarint(buf, uint64(len(name)))
		buf = append(buf, name...)
		buf = binary.AppendUvarint(buf, uint64(t.DType()))
		dims := t.Shape()[1:]
		buf = binary.AppendUvarint(buf, uint64(len(dims)))
		for _, d := range dims {
			buf = binary.AppendUvarint(buf, uint64(d))
		}
	}
	return string(buf)
}

// enqueue adds r to its group, or fails when the batcher is closed or full.
func (b *Batcher) enqueue(r *request) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return infer.Errorf(infer.Unavailable, "model version is unloading")
	}
	if b.queued >= b.opts.QueueSize {
		err := infer.Errorf(infer.ResourceExhausted, "the model's queue is full (%d requests); retry later", b.opts.QueueSize)
		err.RetryAfter = time.Second
		return err
	}
	g := b.solo
	if r.key != "" {
		g = b.groups[r.key]
		if g == nil {
			g = &group{key: r.key}
			b.groups[r.key] = g
		}
	}
	r.enq = time.Now()
	r.group = g
	g.reqs = append(g.reqs, r)
	g.rows += r.rows
	b.setQueued(b.queued + 1)
	b.signal()
	return nil
}

// abandon drops r from the queue if it is still there, after its caller's
// context ended. A request already running just finishes unread.
func (b *Batcher) abandon(r *request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := r.group
	if g == nil {
		return
	}
	if i := slices.Index(g.reqs, r); i >= 0 {
		g.reqs = slices.Delete(g.reqs, i, i+1)
		g.rows -= r.rows
	}
	r.group = nil
	b.forgetIfEmpty(g)
	b.setQueued(b.queued - 1)
}

// setQueued updates the queue length and tells the observer. Callers hold b.mu.
func (b *Batcher) setQueued(n int) {
	b.queued = n
	if b.opts.Observer != nil {
		b.opts.Observer.QueueDepth(n)
	}
}
