package linalg

import (
	"fmt"
	"runtime"
	"sync"
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

// ParallelN is Parallel with an explicit worker count (threads <= 0 means
// DefaultThreads()) and a grain: no chunk is made smaller than grain items
// unless n itself is, so small loops stay on the caller's goroutine.
// A panic in a worker is re-raised on the caller's goroutine. Chunks run on
// the package's worker pool (see submit) and on the caller's goroutine.
func ParallelN(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if threads <= 0 {
		threads = DefaultThreads()
	}
	if grain < 1 {
		grain = 1
	}
	chunks := n / grain
	if chunks > threads {
		chunks = threads
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var (
		wg       sync.WaitGroup
		panicMu  sync.Mutex
		panicVal any
	)
	bound := func(i int) int { return i * n / chunks }
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := bound(c), bound(c+1)
		submit(func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panicMu.Lock()
					if panicVal == nil {
						panicVal = r
					}
					panicMu.Unlock()
				}
			}()
			fn(lo, hi)
		})
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				panicMu.Lock()
				if panicVal == nil {
					panicVal = r
				}
				panicMu.Unlock()
			}
		}()
		fn(0, bound(1))
	}()
	wg.Wait()
	if panicVal != nil {
		panic(fmt.Sprintf("linalg: worker panicked: %v", panicVal))
	}
}

// The worker pool: goroutines that, once started, wait for tasks on
// workCh forever, so a steady stream of parallel products spawns no
// goroutines. submit hands a task to an idle worker, or starts a new worker
// when none is idle; it never blocks, so nested parallel loops (a kernel
// calling Sgemm from a ParallelN chunk) cannot deadlock. The pool grows to
// the peak concurrency ever requested (bounded by the callers' thread
// budgets) and parked workers cost only their stacks.
var workCh = make(chan func())

func submit(task func()) {
	select {
	case workCh <- task:
	default:
		go worker(task)
	}
}

func worker(task func()) {
	for {
		task()
		task = <-workCh
	}
}
