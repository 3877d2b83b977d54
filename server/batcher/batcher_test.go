package batcher

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// A long MaxDelay in these tests means "only a full or preferred batch may
// dispatch"; the tests never wait for it.
const forever = 10 * time.Second

func TestStackingAndExactSplit(t *testing.T) {
	m := &addOne{}
	rec := &recorder{}
	b := New(m.run, Options{MaxBatch: 8, MaxDelay: forever, Observer: rec})
	defer b.Close()

	var results [8]<-chan submitResult
	for i := range results {
		v := float32(i)
		results[i] = submitAsync(context.Background(), b, x(tensor.New([]int{1, 3}, []float32{v, v, v})))
	}
	for i, ch := range results {
		r := <-ch
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		v := float32(i + 1)
		wantF32(t, r.out["y"], []int{1, 3}, []float32{v, v, v})
	}
	if calls := m.calls(); len(calls) != 1 || !equalInts(calls[0], []int{8, 3}) {
		t.Fatalf("model runs %v, want one run on [8 3]", calls)
	}
	ev := rec.events()
	if len(ev) != 1 || ev[0].rows != 8 || ev[0].requests != 8 || len(ev[0].queued) != 8 || ev[0].err != nil {
		t.Fatalf("observer saw %+v, want one batch of 8 rows, 8 requests", ev)
	}
}

func TestRequestsWithSeveralRows(t *testing.T) {
	m := &addOne{}
	rec := &recorder{}
	b := New(m.run, Options{MaxBatch: 8, MaxDelay: forever, Observer: rec})
	defer b.Close()

	// Request k's row r holds 10k+r; 1+2+3+2 = 8 rows fill the batch.
	sizes := []int{1, 2, 3, 2}
	want := [][]float32{
		{1, 1},
		{11, 11, 12, 12},
		{21, 21, 22, 22, 23, 23},
		{31, 31, 32, 32},
	}
	var results []<-chan submitResult
	for k, n := range sizes {
		vals := make([]float32, n)
		for r := range vals {
			vals[r] = float32(10*k + r)
		}
		results = append(results, submitAsync(context.Background(), b, x(rowsOf(2, vals...))))
	}
	for k, ch := range results {
		r := <-ch
		if r.err != nil {
			t.Fatalf("request %d: %v", k, r.err)
		}
		wantF32(t, r.out["y"], []int{sizes[k], 2}, want[k])
	}
	ev := rec.events()
	if len(ev) != 1 || ev[0].rows != 8 || ev[0].requests != 4 {
		t.Fatalf("observer saw %+v, want one batch of 8 rows from 4 requests", ev)
	}
}

func TestOversizedRequestRunsAlone(t *testing.T) {
	m := &addOne{}
	rec := &recorder{}
	b := New(m.run, Options{MaxBatch: 4, MaxDelay: forever, Observer: rec})
	defer b.Close()

	out, err := b.Submit(context.Background(), x(rowsOf(1, 0, 1, 2, 3, 4, 5)))
	if err != nil {
		t.Fatal(err)
	}
	wantF32(t, out["y"], []int{6, 1}, []float32{1, 2, 3, 4, 5, 6})
	if ev := rec.events(); len(ev) != 1 || ev[0].rows != 6 || ev[0].requests != 1 {
		t.Fatalf("observer saw %+v, want one batch of 6 rows, 1 request", ev)
	}
}

func TestInputsMustAgreeOnRows(t *testing.T) {
	b := New(echo, Options{MaxBatch: 4, MaxDelay: forever})
	defer b.Close()
	in := map[string]*tensor.Tensor{"a": rowsOf(2, 1, 2), "b": rowsOf(2, 1, 2, 3)}
	_, err := b.Submit(context.Background(), in)
	e := wantCode(t, err, infer.InvalidArgument)
	if !strings.Contains(e.Msg, `"a" has 2 rows`) || !strings.Contains(e.Msg, `"b" has 3`) {
		t.Fatalf("message %q should name both inputs and their rows", e.Msg)
	}

	// Without batching the first dimensions mean nothing: the same request runs.
	nb := New(echo, Options{MaxBatch: 1})
	defer nb.Close()
	out, err := nb.Submit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantF32(t, out["b"], []int{3, 2}, []float32{1, 1, 2, 2, 3, 3})
}

func TestRejectsBrokenTensors(t *testing.T) {
	b := New(echo, Options{MaxBatch: 4})
	defer b.Close()
	for name, in := range map[string]map[string]*tensor.Tensor{
		"nil tensor":   {"x": nil},
		"zero tensor":  {"x": {}},
		"one of two":   {"x": rowsOf(1, 1), "z": nil},
		"no data type": {"x": new(tensor.Tensor)},
	} {
		_, err := b.Submit(context.Background(), in)
		e := wantCode(t, err, infer.InvalidArgument)
		if !strings.Contains(e.Msg, "input") {
			t.Errorf("%s: message %q should name the input", name, e.Msg)
		}
	}
}

func TestScalarAndEmptyRequestsRunAlone(t *testing.T) {
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 4, MaxDelay: forever, Observer: rec})
	defer b.Close()
	// Neither can be stacked, so neither waits for company.
	out, err := b.Submit(context.Background(), x(tensor.Scalar[float32](7)))
	if err != nil {
		t.Fatal(err)
	}
	wantF32(t, out["x"], []int{}, []float32{7})
	out, err = b.Submit(context.Background(), x(tensor.New([]int{0, 3}, []float32{})))
	if err != nil {
		t.Fatal(err)
	}
	wantF32(t, out["x"], []int{0, 3}, nil)
	if ev := rec.events(); len(ev) != 2 || ev[0].requests != 1 || ev[1].requests != 1 {
		t.Fatalf("observer saw %+v, want two lone runs", ev)
	}
}

func TestMixedSignaturesGoToDifferentBatches(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	run := func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		var desc []string
		for name, t := range in {
			desc = append(desc, fmt.Sprintf("%s:%v%v", name, t.DType(), t.Shape()))
		}
		slices.Sort(desc)
		mu.Lock()
		ran = append(ran, strings.Join(desc, " "))
		mu.Unlock()
		return echo(ctx, in)
	}
	b := New(run, Options{MaxBatch: 4, MaxDelay: forever})
	defer b.Close()

	kinds := []func(i int) map[string]*tensor.Tensor{
		func(i int) map[string]*tensor.Tensor { return x(rowsOf(3, float32(i))) },
		func(i int) map[string]*tensor.Tensor { return x(rowsOf(2, float32(i))) },
		func(i int) map[string]*tensor.Tensor {
			return x(tensor.New([]int{1, 3}, []int64{int64(i), int64(i), int64(i)}))
		},
		func(i int) map[string]*tensor.Tensor { return map[string]*tensor.Tensor{"w": rowsOf(3, float32(i))} },
	}
	type pending struct {
		kind, i int
		ch      <-chan submitResult
	}
	var all []pending
	for i := range 4 { // interleaved: each kind fills its own batch of 4
		for k, mk := range kinds {
			all = append(all, pending{k, i, submitAsync(context.Background(), b, mk(i))})
		}
	}
	for _, p := range all {
		r := <-p.ch
		if r.err != nil {
			t.Fatalf("kind %d request %d: %v", p.kind, p.i, r.err)
		}
		if len(r.out) != 1 {
			t.Fatalf("kind %d: outputs %v", p.kind, r.out)
		}
		for _, got := range r.out {
			if got.Shape()[0] != 1 || got.Float64s()[0] != float64(p.i) {
				t.Fatalf("kind %d request %d got %v", p.kind, p.i, got)
			}
		}
	}
	slices.Sort(ran)
	want := []string{"w:float32[4 3]", "x:float32[4 2]", "x:float32[4 3]", "x:int64[4 3]"}
	if !slices.Equal(ran, want) {
		t.Fatalf("runs %q, want %q", ran, want)
	}
}

func TestIncompatibleRequestDoesNotHoldOthersBack(t *testing.T) {
	const delay = 300 * time.Millisecond
	b := New(echo, Options{MaxBatch: 4, MaxDelay: delay})
	defer b.Close()
	lone := submitAsync(context.Background(), b, x(rowsOf(3, 9)))
	eventually(t, "the lone request to queue", func() bool { return b.Len() == 1 })
	var full []<-chan submitResult
	start := time.Now()
	for i := range 4 {
		full = append(full, submitAsync(context.Background(), b, x(rowsOf(2, float32(i)))))
	}
	for _, ch := range full {
		if r := <-ch; r.err != nil {
			t.Fatal(r.err)
		}
	}
	if d := time.Since(start); d >= delay {
		t.Fatalf("a full batch waited %v behind an incompatible request (MaxDelay %v)", d, delay)
	}
	r := <-lone
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.dur < delay {
		t.Fatalf("the lone request ran after %v, before its MaxDelay %v", r.dur, delay)
	}
}

func TestMaxBatchRespected(t *testing.T) {
	g := newGate()
	rec := &recorder{}
	b := New(g.run, Options{MaxBatch: 4, Observer: rec})
	defer b.Close()

	first := submitAsync(context.Background(), b, x(rowsOf(1, 0)))
	<-g.started // the worker is busy: everything else queues
	var rest []<-chan submitResult
	for i := 1; i < 40; i++ {
		rest = append(rest, submitAsync(context.Background(), b, x(rowsOf(1, float32(i)))))
	}
	eventually(t, "39 queued requests", func() bool { return b.Len() == 39 })
	close(g.release)
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	for i, ch := range rest {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		wantF32(t, r.out["x"], []int{1, 1}, []float32{float32(i + 1)})
	}
	// 1 alone, then 39 queued rows in batches of at most 4: 9×4 + 3.
	var rows []int
	for _, ev := range rec.events() {
		rows = append(rows, ev.rows)
	}
	want := []int{1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3}
	if !slices.Equal(rows, want) {
		t.Fatalf("batch rows %v, want %v", rows, want)
	}
}

func TestMaxDelayRespected(t *testing.T) {
	const delay = 60 * time.Millisecond
	const slack = 200 * time.Millisecond // a loaded 2-core CI box under -race
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 8, MaxDelay: delay, Observer: rec})
	defer b.Close()
	start := time.Now()
	if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < delay || took > delay+slack {
		t.Fatalf("a lone request took %v, want between %v and %v", took, delay, delay+slack)
	}
	ev := rec.events()
	if len(ev) != 1 || ev[0].queued[0] < delay {
		t.Fatalf("observer saw %+v, want one batch queued ≥ %v", ev, delay)
	}
}

// Eager: a lone request does not wait for MaxDelay, and requests that
// arrive while the worker is busy still go out together.
func TestEagerDispatch(t *testing.T) {
	gate := make(chan struct{})
	started := make(chan struct{}, 8)
	run := func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		started <- struct{}{}
		<-gate
		return echo(ctx, in)
	}
	rec := &recorder{}
	b := New(run, Options{MaxBatch: 8, MaxDelay: time.Second, Eager: true, Observer: rec})
	defer b.Close()
	var wg sync.WaitGroup
	submit := func() {
		defer wg.Done()
		if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
			t.Error(err)
		}
	}
	start := time.Now()
	wg.Add(1)
	go submit()
	<-started // the first request runs alone, at once
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("a lone eager request waited %v", took)
	}
	for range 5 {
		wg.Add(1)
		go submit()
	}
	for b.Len() < 5 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Fatalf("eager batches waited for MaxDelay: %v", took)
	}
	ev := rec.events()
	if len(ev) != 2 || ev[0].rows != 1 || ev[1].rows != 5 {
		t.Fatalf("batches %+v, want rows 1 then 5", ev)
	}
}

// Eager with Expect: a free worker waits until the group holds the rows it
// expects (never longer than MaxDelay), and goes at once when it expects
// no company.
func TestEagerWaitsForExpectedRows(t *testing.T) {
	var expect atomic.Int64
	expect.Store(3)
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 8, MaxDelay: 2 * time.Second, Eager: true, Observer: rec, Expect: func() int { return int(expect.Load()) }})
	defer b.Close()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 30 * time.Millisecond)
			if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if took := time.Since(start); took < 55*time.Millisecond || took > time.Second {
		t.Fatalf("took %v: want the batch to wait for the third request (≈60ms), not MaxDelay", took)
	}
	if ev := rec.events(); len(ev) != 1 || ev[0].rows != 3 {
		t.Fatalf("batches %+v, want one of 3 rows", ev)
	}

	// The expected company never comes: MaxDelay bounds the wait.
	b2 := New(echo, Options{MaxBatch: 8, MaxDelay: 150 * time.Millisecond, Eager: true, Expect: func() int { return 4 }})
	defer b2.Close()
	start = time.Now()
	if _, err := b2.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 140*time.Millisecond || took > time.Second {
		t.Fatalf("took %v, want ≈ MaxDelay 150ms", took)
	}

	// Expecting no company: no wait.
	b3 := New(echo, Options{MaxBatch: 8, MaxDelay: 2 * time.Second, Eager: true, Expect: func() int { return 1 }})
	defer b3.Close()
	start = time.Now()
	if _, err := b3.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("took %v with nothing expected", took)
	}
}

// Inline runs (eager, idle) and Close: nothing runs after Close returns,
// and every Submit gets an answer or Unavailable.
func TestEagerInlineAndClose(t *testing.T) {
	var runs atomic.Int64
	run := func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		runs.Add(1)
		return echo(ctx, in)
	}
	b := New(run, Options{MaxBatch: 4, Eager: true})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := b.Submit(context.Background(), x(rowsOf(1, 1)))
				if err != nil {
					if infer.CodeOf(err) != infer.Unavailable {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	b.Close()
	after := runs.Load()
	wg.Wait()
	time.Sleep(10 * time.Millisecond)
	if runs.Load() != after {
		t.Fatalf("%d runs after Close returned", runs.Load()-after)
	}
	if after == 0 {
		t.Fatal("nothing ran")
	}
}

func TestZeroDelayDoesNotWait(t *testing.T) {
	b := New(echo, Options{MaxBatch: 8})
	defer b.Close()
	start := time.Now()
	if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Fatalf("a lone request with MaxDelay 0 took %v", took)
	}
}

func TestPreferredSizeDispatchesEarly(t *testing.T) {
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 8, MaxDelay: forever, Preferred: []int{3, 100, 0}, Observer: rec})
	defer b.Close()
	var results []<-chan submitResult
	for i := range 3 {
		results = append(results, submitAsync(context.Background(), b, x(rowsOf(1, float32(i)))))
	}
	for i, ch := range results {
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatal(r.err)
			}
			wantF32(t, r.out["x"], []int{1, 1}, []float32{float32(i)})
		case <-time.After(2 * time.Second):
			t.Fatal("3 queued rows with preferred size 3 were not dispatched")
		}
	}
	if ev := rec.events(); len(ev) != 1 || ev[0].rows != 3 {
		t.Fatalf("observer saw %+v, want one batch of 3 rows", ev)
	}
}

func TestPreferredPrefix(t *testing.T) {
	for _, c := range []struct {
		pref []int
		rows []int
		want int
	}{
		{[]int{3}, []int{1, 2}, 3},
		{[]int{3}, []int{2, 2}, 0}, // 2, 4: never exactly 3
		{[]int{3}, []int{1, 1}, 0},
		{[]int{2, 4}, []int{1, 1, 1, 1, 1}, 4},
		{[]int{2, 4}, []int{1, 1, 3}, 2},
		{[]int{2, 5}, []int{1, 1, 3}, 5},
		{nil, []int{1, 1}, 0},
	} {
		b := &Batcher{opts: normalize(Options{MaxBatch: 8, Preferred: c.pref})}
		g := &group{}
		for _, r := range c.rows {
			g.reqs = append(g.reqs, &request{rows: r})
		}
		if got := b.preferredPrefix(g); got != c.want {
			t.Errorf("preferred %v, queued rows %v: got %d, want %d", c.pref, c.rows, got, c.want)
		}
	}
}

func TestQueueFullRejectsAtOnce(t *testing.T) {
	g := newGate()
	b := New(g.run, Options{MaxBatch: 1, QueueSize: 2})
	defer b.Close()
	running := submitAsync(context.Background(), b, x(rowsOf(1, 0)))
	<-g.started
	q1 := submitAsync(context.Background(), b, x(rowsOf(1, 1)))
	q2 := submitAsync(context.Background(), b, x(rowsOf(1, 2)))
	eventually(t, "two queued requests", func() bool { return b.Len() == 2 })

	start := time.Now()
	_, err := b.Submit(context.Background(), x(rowsOf(1, 3)))
	e := wantCode(t, err, infer.ResourceExhausted)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("a full queue took %v to say so", took)
	}
	if e.RetryAfter <= 0 || !strings.Contains(e.Msg, "full") {
		t.Fatalf("error %+v should say the queue is full and when to retry", e)
	}
	close(g.release)
	for _, ch := range []<-chan submitResult{running, q1, q2} {
		if r := <-ch; r.err != nil {
			t.Fatal(r.err)
		}
	}
}

func TestDeadlineWhileQueued(t *testing.T) {
	g := newGate()
	b := New(g.run, Options{MaxBatch: 1})
	defer b.Close()
	blocker := submitAsync(context.Background(), b, x(rowsOf(1, 0)))
	<-g.started

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := b.Submit(ctx, x(rowsOf(1, 42)))
	wantCode(t, err, infer.DeadlineExceeded)
	if n := b.Len(); n != 0 {
		t.Fatalf("the expired request is still queued (Len %d)", n)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	gone := submitAsync(ctx2, b, x(rowsOf(1, 43)))
	eventually(t, "the request to queue", func() bool { return b.Len() == 1 })
	cancel2()
	wantCode(t, (<-gone).err, infer.Canceled)

	close(g.release)
	if r := <-blocker; r.err != nil {
		t.Fatal(r.err)
	}
	// A later request runs; the dropped ones never reach the model.
	if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err != nil {
		t.Fatal(err)
	}
	close(g.started)
	for in := range g.started {
		if v := tensor.Data[float32](in["x"])[0]; v == 42 || v == 43 {
			t.Fatalf("the model ran a request whose context had ended (value %v)", v)
		}
	}
}

func TestDeadlineWhileWaitingForCompany(t *testing.T) {
	m := &addOne{}
	b := New(m.run, Options{MaxBatch: 8, MaxDelay: forever})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := b.Submit(ctx, x(rowsOf(1, 1)))
	wantCode(t, err, infer.DeadlineExceeded)
	if b.Len() != 0 {
		t.Fatalf("Len %d after the only request expired", b.Len())
	}
	if calls := m.calls(); len(calls) != 0 {
		t.Fatalf("the model ran %v", calls)
	}
	// An already ended context is refused before queueing.
	_, err = b.Submit(ctx, x(rowsOf(1, 1)))
	wantCode(t, err, infer.DeadlineExceeded)
}

func TestExpiredRequestsAreSkippedWhenTaken(t *testing.T) {
	// take() sees an ended context before Submit's own goroutine does.
	b := &Batcher{opts: normalize(Options{MaxBatch: 4}), groups: map[string]*group{}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &group{key: "k"}
	b.groups["k"] = g
	dead := &request{ctx: ctx, rows: 1, group: g, done: make(chan result, 1)}
	live := &request{ctx: context.Background(), rows: 1, group: g, done: make(chan result, 1)}
	g.reqs, g.rows, b.queued = []*request{dead, live}, 2, 2
	bt := b.take(g, 4, time.Now())
	if bt == nil || len(bt.reqs) != 1 || bt.reqs[0] != live || bt.rows != 1 {
		t.Fatalf("batch %+v, want just the live request", bt)
	}
	wantCode(t, (<-dead.done).err, infer.Canceled)
	if b.queued != 0 || len(b.groups) != 0 {
		t.Fatalf("queued %d, groups %d after taking everything", b.queued, len(b.groups))
	}
}

func TestCloseDrainsQueuedRequests(t *testing.T) {
	g := newGate()
	b := New(g.run, Options{MaxBatch: 1})
	running := submitAsync(context.Background(), b, x(rowsOf(1, 0)))
	<-g.started
	var queued []<-chan submitResult
	for i := 1; i <= 3; i++ {
		queued = append(queued, submitAsync(context.Background(), b, x(rowsOf(1, float32(i)))))
	}
	eventually(t, "three queued requests", func() bool { return b.Len() == 3 })

	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	eventually(t, "Close to stop taking requests", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.closed
	})
	_, err := b.Submit(context.Background(), x(rowsOf(1, 9)))
	e := wantCode(t, err, infer.Unavailable)
	if e.Msg != "model version is unloading" {
		t.Fatalf("message %q", e.Msg)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a batch was still running")
	case <-time.After(20 * time.Millisecond):
	}
	close(g.release)
	<-closed
	for i, ch := range append([]<-chan submitResult{running}, queued...) {
		r := <-ch
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		wantF32(t, r.out["x"], []int{1, 1}, []float32{float32(i)})
	}
	b.Close() // twice is fine
}

func TestRunErrorFansOut(t *testing.T) {
	boom := infer.Errorf(infer.InvalidArgument, "boom")
	rec := &recorder{}
	b := New(func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return nil, boom
	}, Options{MaxBatch: 4, MaxDelay: forever, Observer: rec})
	defer b.Close()
	var results []<-chan submitResult
	for i := range 4 {
		results = append(results, submitAsync(context.Background(), b, x(rowsOf(1, float32(i)))))
	}
	for _, ch := range results {
		if err := (<-ch).err; !errors.Is(err, boom) {
			t.Fatalf("error %v, want the run's error", err)
		}
	}
	if ev := rec.events(); len(ev) != 1 || ev[0].requests != 4 || !errors.Is(ev[0].err, boom) {
		t.Fatalf("observer saw %+v", ev)
	}
}

func TestOutputWithoutBatchAxisIsInternal(t *testing.T) {
	run := func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return map[string]*tensor.Tensor{"ok": rowsOf(1, 1, 2), "total": rowsOf(1, 3)}, nil
	}
	b := New(run, Options{MaxBatch: 2, MaxDelay: forever})
	defer b.Close()
	a := submitAsync(context.Background(), b, x(rowsOf(1, 1)))
	c := submitAsync(context.Background(), b, x(rowsOf(1, 2)))
	for _, ch := range []<-chan submitResult{a, c} {
		e := wantCode(t, (<-ch).err, infer.Internal)
		if !strings.Contains(e.Msg, `"total"`) || !strings.Contains(e.Msg, "2 rows") {
			t.Fatalf("message %q should name the output and the batch rows", e.Msg)
		}
	}
}

func TestModelPanicBecomesInternalError(t *testing.T) {
	b := New(func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		panic("index out of range in /home/someone/secret.go")
	}, Options{MaxBatch: 2})
	defer b.Close()
	_, err := b.Submit(context.Background(), x(rowsOf(1, 1)))
	e := wantCode(t, err, infer.Internal)
	if strings.Contains(e.Msg, "secret") {
		t.Fatalf("message %q leaks the panic", e.Msg)
	}
	// The batcher keeps working.
	if _, err := b.Submit(context.Background(), x(rowsOf(1, 1))); err == nil {
		t.Fatal("want the same panic error again")
	}
}

func TestBatchContextEndsWhenAllRequestsEnd(t *testing.T) {
	c1, cancel1 := context.WithCancel(context.Background())
	c2, cancel2 := context.WithCancel(context.Background())
	ctx, release := batchContext([]*request{{ctx: c1}, {ctx: c2}})
	defer release()
	cancel1()
	time.Sleep(10 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("the batch stopped while a request still waited")
	}
	cancel2()
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the batch context did not end after every request ended")
	}

	// A lone request's batch runs under its own context (values kept).
	type key struct{}
	own := context.WithValue(context.Background(), key{}, "v")
	ctx, release = batchContext([]*request{{ctx: own}})
	defer release()
	if ctx.Value(key{}) != "v" {
		t.Fatal("a lone request's context was replaced")
	}
}

func TestManySubmittersGetTheirOwnAnswers(t *testing.T) {
	m := &addOne{}
	rec := &recorder{}
	b := New(m.run, Options{MaxBatch: 16, MaxDelay: time.Millisecond, Workers: 2, Observer: rec})
	defer b.Close()
	const goroutines, each = 64, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for gi := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v := float32(gi*1000 + i)
				out, err := b.Submit(context.Background(), x(tensor.New([]int{1, 2}, []float32{v, -v})))
				if err != nil {
					errs <- err
					return
				}
				got := tensor.Data[float32](out["y"])
				if len(got) != 2 || got[0] != v+1 || got[1] != -v+1 {
					errs <- fmt.Errorf("request %v got %v", v, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, ev := range rec.events() {
		if ev.rows > 16 {
			t.Fatalf("a batch of %d rows exceeds MaxBatch 16", ev.rows)
		}
		total += ev.requests
	}
	if total != goroutines*each {
		t.Fatalf("observer counted %d requests, want %d", total, goroutines*each)
	}
	if b.Len() != 0 {
		t.Fatalf("Len %d after all answers", b.Len())
	}
}

func TestQueueDepthReported(t *testing.T) {
	rec := &recorder{}
	b := New(echo, Options{MaxBatch: 2, MaxDelay: forever, Observer: rec})
	a := submitAsync(context.Background(), b, x(rowsOf(1, 1)))
	c := submitAsync(context.Background(), b, x(rowsOf(1, 2)))
	<-a
	<-c
	b.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Equal(rec.depths, []int{1, 2, 0}) {
		t.Fatalf("queue depths %v, want [1 2 0]", rec.depths)
	}
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 5 {
		b := New(echo, Options{MaxBatch: 4, MaxDelay: time.Millisecond, Workers: 3})
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = b.Submit(context.Background(), x(rowsOf(1, float32(i))))
			}()
		}
		wg.Wait()
		b.Close()
	}
	eventually(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}
