//go:build !amd64 || purego

package vector

import "github.com/gonyx/gonyx/ops/cpu"

// asmKernels: no assembly on this platform or with -tags purego.
func asmKernels(cpu.Level) *Kernels { return nil }
