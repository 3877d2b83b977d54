package batcher

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
)

// BenchmarkSubmit measures the batcher's own cost per request: a no-op model,
// MaxBatch 32 and 64 parallel submitters.
func BenchmarkSubmit(b *testing.B) {
	bt := New(echo, Options{MaxBatch: 32, MaxDelay: 100 * time.Microsecond})
	defer bt.Close()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((64 + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := x(tensor.New([]int{1, 4}, []float32{1, 2, 3, 4}))
		for pb.Next() {
			if _, err := bt.Submit(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
