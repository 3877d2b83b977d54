package nchwc

import (
	"syscall"
	"time"
)

// convProcessCPU is the process's CPU time (RUSAGE_SELF), so benchmarks on
// a machine shared with other jobs can report throughput per CPU-second
// next to the wall-clock figure.
func convProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
