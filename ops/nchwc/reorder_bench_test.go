package nchwc

import (
	"fmt"
	"testing"
)

// BenchmarkReorder: 64×112×112 (after the first conv of a CNN), one and
// two threads. Bytes = input + output.
func BenchmarkReorder(b *testing.B) {
	const c, hw = 64, 112 * 112
	x := make([]float32, c*hw)
	y := make([]float32, Blocks(c)*hw*Block)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("in/t%d", threads), func(b *testing.B) {
			b.SetBytes(2 * c * hw * 4)
			for i := 0; i < b.N; i++ {
				ReorderIn(x, 1, c, hw, y, threads)
			}
		})
		b.Run(fmt.Sprintf("out/t%d", threads), func(b *testing.B) {
			b.SetBytes(2 * c * hw * 4)
			for i := 0; i < b.N; i++ {
				ReorderOut(y, 1, c, hw, x, threads)
			}
		})
	}
}
