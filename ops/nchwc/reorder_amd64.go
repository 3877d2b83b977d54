//go:build amd64 && !purego

package nchwc

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

// reorderIn512 moves steps·16 pixels of 16 full channel planes (stride
// bytes apart, from planes) into the block at blk ([pixel][16]);
// reorderOut512 moves them back. The 256 versions (AVX2) take steps of 8
// pixels (reorder_amd64.s).
//
//go:noescape
func reorderIn512(blk, planes unsafe.Pointer, steps, stride int)

//go:noescape
func reorderOut512(blk, planes unsafe.Pointer, steps, stride int)

//go:noescape
func reorderIn256(blk, planes unsafe.Pointer, steps, stride int)

//go:noescape
func reorderOut256(blk, planes unsafe.Pointer, steps, stride int)

// reorderSteps is how many pixels of [p0, p1) the active level's kernel
// moves (whole steps only, full blocks only), and its step width.
func reorderSteps(ch, p0, p1 int) (steps, width int) {
	switch {
	case ch < Block || cpu.Active < cpu.AVX2:
		return 0, 1
	case cpu.Active >= cpu.AVX512:
		width = 16
	default:
		width = 8
	}
	return (p1 - p0) / width, width
}

func reorderInTile(x []float32, hw, ch, p0, p1 int, y []float32) {
	steps, width := reorderSteps(ch, p0, p1)
	if steps > 0 {
		m := p0 + steps*width
		// Bounds the kernel relies on: the last plane's pixel m−1 and the
		// block's pixel m−1.
		_ = x[(Block-1)*hw+m-1]
		_ = y[m*Block-1]
		blk, planes := unsafe.Pointer(&y[p0*Block]), unsafe.Pointer(&x[p0])
		if width == 16 {
			reorderIn512(blk, planes, steps, hw*4)
		} else {
			reorderIn256(blk, planes, steps, hw*4)
		}
		p0 = m
	}
	if p0 < p1 {
		reorderInGo(x, hw, ch, p0, p1, y)
	}
}

func reorderOutTile(x []float32, hw, ch, p0, p1 int, y []float32) {
	steps, width := reorderSteps(ch, p0, p1)
	if steps > 0 {
		m := p0 + steps*width
		_ = y[(Block-1)*hw+m-1]
		_ = x[m*Block-1]
		blk, planes := unsafe.Pointer(&x[p0*Block]), unsafe.Pointer(&y[p0])
		if width == 16 {
			reorderOut512(blk, planes, steps, hw*4)
		} else {
			reorderOut256(blk, planes, steps, hw*4)
		}
		p0 = m
	}
	if p0 < p1 {
		reorderOutGo(x, hw, ch, p0, p1, y)
	}
}
