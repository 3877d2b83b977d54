package batcher

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// batchEvent is one Observer.Batch call.
type batchEvent struct {
	rows, requests int
	queued         []time.Duration
	compute        time.Duration
	err            error
}

// recorder is an Observer that keeps everything it is told.
type recorder struct {
	mu      sync.Mutex
	batches []batchEvent
	depths  []int
}

func (r *recorder) Batch(rows, requests int, queued []time.Duration, compute time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, batchEvent{rows, requests, append([]time.Duration(nil), queued...), compute, err})
}

func (r *recorder) QueueDepth(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.depths = append(r.depths, n)
}

func (r *recorder) events() []batchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]batchEvent(nil), r.batches...)
}

// addOne is a model with one float32 input "x" and one output "y" = x + 1.
// It records the shapes of the inputs it was run on.
type addOne struct {
	mu     sync.Mutex
	shapes [][]int
	seen   []float32 // every input value it ever saw
}

func (m *addOne) run(_ context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	x := in["x"]
	xs := tensor.Data[float32](x)
	ys := make([]float32, len(xs))
	for i, v := range xs {
		ys[i] = v + 1
	}
	m.mu.Lock()
	m.shapes = append(m.shapes, append([]int(nil), x.Shape()...))
	m.seen = append(m.seen, xs...)
	m.mu.Unlock()
	return map[string]*tensor.Tensor{"y": tensor.New(x.Shape(), ys)}, nil
}

func (m *addOne) calls() [][]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]int(nil), m.shapes...)
}

// echo returns its inputs as outputs of the same names.
func echo(_ context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out := make(map[string]*tensor.Tensor, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out, nil
}

// rowsOf makes a float32 [len(vals), width] tensor whose row i is all vals[i].
func rowsOf(width int, vals ...float32) *tensor.Tensor {
	data := make([]float32, 0, len(vals)*width)
	for _, v := range vals {
		for range width {
			data = append(data, v)
		}
	}
	return tensor.New([]int{len(vals), width}, data)
}

func x(t *tensor.Tensor) map[string]*tensor.Tensor { return map[string]*tensor.Tensor{"x": t} }

func wantCode(t *testing.T, err error, code infer.Code) *infer.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	e, ok := err.(*infer.Error)
	if !ok {
		t.Fatalf("error %v is %T, want *infer.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("error %q has code %v, want %v", e.Msg, e.Code, code)
	}
	return e
}

func wantF32(t *testing.T, got *tensor.Tensor, shape []int, want []float32) {
	t.Helper()
	if got == nil {
		t.Fatalf("missing tensor, want %v %v", shape, want)
	}
	if !equalInts(got.Shape(), shape) {
		t.Fatalf("shape %v, want %v", got.Shape(), shape)
	}
	d := tensor.Data[float32](got)
	if len(d) != len(want) {
		t.Fatalf("data %v, want %v", d, want)
	}
	for i := range d {
		if d[i] != want[i] {
			t.Fatalf("data %v, want %v", d, want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventually polls cond until it holds or two seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gate is a model that blocks each run until released, telling when it starts.
type gate struct {
	started chan map[string]*tensor.Tensor
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan map[string]*tensor.Tensor, 100), release: make(chan struct{})}
}

func (g *gate) run(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	g.started <- in
	<-g.release
	return echo(ctx, in)
}

type submitResult struct {
	out map[string]*tensor.Tensor
	err error
	dur time.Duration
}

// submitAsync runs Submit in a goroutine and delivers its result.
func submitAsync(ctx context.Context, b *Batcher, in map[string]*tensor.Tensor) <-chan submitResult {
	ch := make(chan submitResult, 1)
	go func() {
		start := time.Now()
		out, err := b.Submit(ctx, in)
		ch <- submitResult{out, err, time.Since(start)}
	}()
	return ch
}
