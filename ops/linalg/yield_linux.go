//go:build linux

package linalg

import "syscall"

// osYield gives the CPU to another runnable OS thread, if any (on a
// machine with more busy threads than cores, a spinning goroutine would
// otherwise take time from the worker it waits for). It returns at once on
// an idle CPU.
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
