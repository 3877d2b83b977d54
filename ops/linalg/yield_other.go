//go:build !linux

package linalg

import "runtime"

// osYield yields the processor (see yield_linux.go).
func osYield() { runtime.Gosched() }
