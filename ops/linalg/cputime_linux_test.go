package linalg

import (
	"syscall"
	"time"
)

// threadCPU returns the calling thread's CPU time (RUSAGE_THREAD), so
// benchmarks on a machine shared with other jobs can report throughput per
// CPU-second next to the wall-clock figure. The caller must hold
// runtime.LockOSThread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
