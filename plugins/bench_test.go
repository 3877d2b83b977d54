package plugins

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// BenchmarkProcess is the cost of a plugin call and of moving its data:
// the echo guest returns a float32 tensor of 1 KB or 1 MB, with and
// without the termination checks (and the watching goroutine) of untrusted
// plugins. MB/s counts the tensor once (it crosses twice).
func BenchmarkProcess(b *testing.B) {
	rt := newTestRuntime(b)
	for _, size := range []int{1 << 10, 1 << 20} {
		for _, trusted := range []bool{true, false} {
			name := fmt.Sprintf("%dKB/untrusted", size>>10)
			if trusted {
				name = fmt.Sprintf("%dKB/trusted", size>>10)
			}
			b.Run(name, func(b *testing.B) {
				p := load(b, rt, Config{Name: name, Path: guestPath(b, "echo"), Trusted: trusted, Instances: 1})
				defer p.Close(context.Background())
				in := abi.Message{{Name: "x", Tensor: tensor.New([]int{size / 4}, make([]float32, size/4))}}
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Process(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
