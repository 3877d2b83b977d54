//go:build amd64 && !purego

package linalg

import (
	"runtime"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// BenchmarkPeakFMA measures the core's FMA peak: 14 independent chains of
// 16-lane (zmm) or 8-lane (ymm) FMAs, 2 flops per lane, no memory traffic.
// SGEMM efficiency = BenchmarkSgemm512 / this.
func BenchmarkPeakFMA(b *testing.B) {
	const iters = 1 << 16
	run := func(name string, f func(int), lanes int) {
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0 := threadCPU()
			for i := 0; i < b.N; i++ {
				f(iters)
			}
			reportFlops(b, float64(iters)*14*float64(lanes)*2, threadCPU()-t0, true)
		})
	}
	if cpu.Detected >= cpu.AVX512 {
		run("avx512", peakFMA512, 16)
	}
	if cpu.Detected >= cpu.AVX2 {
		run("avx2", peakFMA256, 8)
	}
}

// BenchmarkTile512 runs the 12×32 AVX-512 tile on cache-resident panels
// (depth 256): the micro-kernel's own throughput, for comparison with
// BenchmarkPeakFMA.
func BenchmarkTile512(b *testing.B) {
	if cpu.Detected < cpu.AVX512 {
		b.Skip("no AVX-512")
	}
	const k = 256
	a, bp, c := alignedF32(12*k), alignedF32(32*k), alignedF32(12*32)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	for i := 0; i < b.N; i++ {
		tile512(k, a, bp, c, 32, 12, 32, true, nil)
	}
	reportFlops(b, 2*12*32*k, threadCPU()-t0, true)
}
