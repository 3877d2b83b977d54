package linalg

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultThreads is the worker count kernels use when none is given: the
// number of Ps the Go scheduler runs (runtime.GOMAXPROCS(0)).
func DefaultThreads() int {
	t := runtime.GOMAXPROCS(0)
	if t < 1 {
		t = 1
	}
	return t
}

// Parallel splits [0, n) into contiguous chunks and runs fn on them with up
// to DefaultThreads() goroutines (one chunk on the caller's goroutine). It
// returns when every chunk is done. fn must be safe to call concurrently on
// disjoint ranges.
func Parallel(n int, fn func(lo, hi int)) {
	ParallelN(0, n, 1, fn)
}

// spinFor bounds how long an idle worker polls for the next task, and how
// long a caller polls for its helpers to finish, before parking. Back-to-back
// parallel regions within one model run then hand off through atomics
// instead of futex wake-ups, while an idle process parks every worker within
// this time. The gaps between regions are longer than they look (a bert
// layer's attention and LayerNorm run alone for ~100 µs), and waking a
// parked worker costs tens of µs on this VM: at 2 threads, batch 1, old and
// new binaries alternating (`gonyx bench --runs 60`), 50 µs → 500 µs took
// bert_small from 2.24–2.37 to 1.44–1.64 ms, squeezenet1_1 from 2.97–3.10
// to 2.69–2.73, mobilenet_v2 from 3.70–4.22 to 3.41–3.59, and resnet50
// (--runs 10) from 27.3–27.8 to 26.0–26.1; 1 ms gained no more.
const spinFor = 500 * time.Microsecond

// region is one ParallelN call: chunks are claimed from next by the caller
// and the helpers it submitted, so a helper that starts late (a parked
// worker waking up, a busy machine) finds its chunk already done by the
// caller instead of delaying the return.
type region struct {
	fn       func(lo, hi int)
	n        int
	chunks   int32
	next     atomic.Int32 // next unclaimed chunk
	done     atomic.Int32 // chunks finished (or panicked)
	wg       sync.WaitGroup
	panicMu  sync.Mutex
	panicVal any
}

func (r *region) bound(i int) int { return i * r.n / int(r.chunks) }

// work claims and runs chunks until none is left.
func (r *region) work() {
	for {
		c := r.next.Add(1) - 1
		if c >= r.chunks {
			return
		}
		r.runChunk(int(c))
	}
}

func (r *region) runChunk(c int) {
	defer func() {
		if p := recover(); p != nil {
			r.panicMu.Lock()
			if r.panicVal == nil {
				r.panicVal = p
			}
			r.panicMu.Unlock()
		}
		r.done.Add(1)
		r.wg.Done()
	}()
	r.fn(r.bound(c), r.bound(c+1))
}

// loopChunksPerThread: ParallelN cuts a loop into up to this many chunks
// per thread, claimed in turn, so that when another process holds one of
// our cores the goroutine that still runs takes over the chunks the
// stalled one has not started, instead of the whole loop waiting for a
// half claimed up front (the machine is shared; see docs/RATIONALE.md).
const loopChunksPerThread = 4

// ParallelN is Parallel with an explicit worker count (threads <= 0 means
// DefaultThreads()) and a grain: no chunk is made smaller than grain items
// unless n itself is, so small loops stay on the caller's goroutine.
// At most threads goroutines (the caller and threads-1 pool workers) run
// chunks of one call. A panic in a worker is re-raised on the caller's
// goroutine. Chunks run on the package's worker pool (see submit) and on
// the caller's goroutine.
func ParallelN(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	threads, chunks := loopChunks(threads, n, grain)
	parallelChunks(threads, chunks, n, fn)
}

// loopChunks resolves ParallelN's thread count and cuts its loop of n > 0
// items into chunks.
func loopChunks(threads, n, grain int) (int, int) {
	if threads <= 0 {
		threads = DefaultThreads()
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(n/grain, threads*loopChunksPerThread)
	if threads == 1 {
		chunks = min(chunks, 1)
	}
	return threads, chunks
}

// Serial reports whether ParallelN(threads, n, grain, fn) would run the
// whole loop as fn(0, n) on the caller's goroutine. A kernel then calls its
// loop body directly: a closure (or state) handed to ParallelN escapes to
// the heap, which costs allocations on every call even when no other
// goroutine ever sees it.
func Serial(threads, n, grain int) bool {
	if n <= 0 {
		return true
	}
	threads, chunks := loopChunks(threads, n, grain)
	return chunks <= 1 || threads <= 1
}

// parallelChunks runs fn on chunks contiguous ranges of [0, n) (chunks ≤
// n) with up to threads goroutines (the caller and threads-1 pool
// workers), each claiming the next chunk as it finishes one: more chunks
// than threads keeps every goroutine busy when one starts late or loses
// its core to another process.
func parallelChunks(threads, chunks, n int, fn func(lo, hi int)) {
	if chunks <= 1 || threads <= 1 {
		fn(0, n)
		return
	}
	r := &region{fn: fn, n: n, chunks: int32(chunks)}
	r.wg.Add(chunks)
	for c := 1; c < min(threads, chunks); c++ {
		submit(r.work)
	}
	r.work()
	// Wait for the helpers: poll briefly (they are usually a chunk's
	// length behind), then block.
	if r.done.Load() < r.chunks {
		var sp spinner
		sp.start()
		for i := 0; r.done.Load() < r.chunks; i++ {
			if i&7 == 7 && sp.over() {
				r.wg.Wait()
				break
			}
			spinPause(i)
		}
	}
	if r.panicVal != nil {
		panic(fmt.Sprintf("linalg: worker panicked: %v", r.panicVal))
	}
}

// The worker pool: goroutines that, once started, run tasks forever, so a
// steady stream of parallel products spawns no goroutines. After a task a
// worker spins (polling an atomic, yielding with runtime.Gosched) for up to
// spinFor, taking tasks from the hand-off queue; then it parks on workCh.
// submit hands a task to a spinning or busy worker (through hand.queue),
// else to a parked one, else
// starts a new worker (up to maxWorkers); it never blocks, so nested parallel loops (a kernel
// calling Sgemm from a ParallelN chunk) cannot deadlock. The pool grows to
// the peak concurrency ever requested (at most maxWorkers); parked workers cost only their stacks and nothing spins for
// longer than spinFor after the last task.
var workCh = make(chan func())

var hand struct {
	mu       sync.Mutex
	queue    []func() // tasks handed to spinning (or soon spinning) workers
	spinning int      // workers in their spin phase
	busy     int      // workers running a task (they spin next)
	queued   atomic.Int32
}

func submit(task func()) {
	hand.mu.Lock()
	if hand.spinning+hand.busy > len(hand.queue) {
		// A spinning worker, or a busy one once its task ends (a helper
		// of the region that just finished, typically), takes it: a
		// worker only stops spinning with the lock held and the queue
		// empty.
		hand.queue = append(hand.queue, task)
		hand.queued.Add(1)
		hand.mu.Unlock()
		return
	}
	hand.mu.Unlock()
	select {
	case workCh <- task:
	default:
		// No idle worker. Start one unless the pool is at its cap;
		// else drop the task: the region's caller claims every chunk
		// nobody else took, so a dropped helper costs only parallelism.
		if nWorkers.Add(1) <= int32(maxWorkers()) {
			hand.mu.Lock()
			hand.busy++
			hand.mu.Unlock()
			go worker(task)
		} else {
			nWorkers.Add(-1)
		}
	}
}

// nWorkers counts the pool's goroutines (they never exit).
var nWorkers atomic.Int32

// maxWorkers caps the pool: a few workers per P covers nested regions (a
// kernel's ParallelN calling a threaded Sgemm) without letting a caller
// that outruns its helpers spawn goroutines without bound.
func maxWorkers() int { return 4 * DefaultThreads() }

func worker(task func()) {
	for {
		task()
		if task = spinForTask(); task == nil {
			task = <-workCh
			hand.mu.Lock()
			hand.busy++
			hand.mu.Unlock()
		}
	}
}

// popLocked takes the oldest queued task (hand.mu held) and moves the
// worker from spinning to busy; nil when the queue is empty.
func popLocked() func() {
	if len(hand.queue) == 0 {
		return nil
	}
	t := hand.queue[0]
	n := copy(hand.queue, hand.queue[1:])
	hand.queue[n] = nil
	hand.queue = hand.queue[:n]
	hand.queued.Add(-1)
	hand.spinning--
	hand.busy++
	return t
}

// spinForTask polls the hand-off queue for up to spinFor; nil when nothing
// came (the worker has then left the spin phase and must park).
func spinForTask() func() {
	hand.mu.Lock()
	hand.busy--
	hand.spinning++
	t := popLocked()
	hand.mu.Unlock()
	if t != nil {
		return t
	}
	var sp spinner
	sp.start()
	for i := 0; ; i++ {
		if hand.queued.Load() > 0 {
			hand.mu.Lock()
			t := popLocked()
			hand.mu.Unlock()
			if t != nil {
				return t
			}
		}
		if i&7 == 7 && sp.over() {
			hand.mu.Lock()
			t := popLocked()
			if t == nil {
				hand.spinning--
			}
			hand.mu.Unlock()
			return t
		}
		spinPause(i)
	}
}

// spinner times a spin loop: it is over after spinFor, or as soon as eight
// pauses took longer than busyPauses, which means the yields let other
// goroutines or processes run: the processor is wanted, and a waiter that
// keeps polling only takes turns from them. A server under load then parks
// its idle workers at once, while one model run alone keeps them polling
// between its parallel regions. (`build/bench-serve --duration 4s --rounds
// 1` at 64 clients, 50 µs, 500 µs and this alternating twice: one round had a fixed 500 µs 10–37% below
// 50 µs in requests/s, the other 1–6% above it; this stayed between 14% below
// and 5% above 50 µs, and kept the single-run gains above.)
type spinner struct{ began, last time.Time }

// busyPauses: eight pauses of an idle processor (Gosched and sched_yield
// returning at once) take a few microseconds.
const busyPauses = 50 * time.Microsecond

func (s *spinner) start() { s.began = time.Now(); s.last = s.began }

// over is called every eight pauses.
func (s *spinner) over() bool {
	now := time.Now()
	busy := now.Sub(s.last) > busyPauses
	s.last = now
	return busy || now.Sub(s.began) > spinFor
}

// spinPause is one wait step of a spin loop: let the other goroutines of
// this P run, and every few steps the other OS threads of this CPU.
func spinPause(i int) {
	if i&3 == 3 {
		osYield()
		return
	}
	runtime.Gosched()
}
