//go:build amd64 && !purego

package nn

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

// maxS2K3AVX512 writes out[j] = max(x[2j], x[2j+1], x[2j+2]) for 16·nb
// outputs plus a masked last block (see the assembly); NaN propagates as
// with Go's max.
//
//go:noescape
func maxS2K3AVX512(out, x unsafe.Pointer, nb, m1, m2, m3, m4, m5 int)

// max3AVX512 writes out[j] = max(a[j], b[j], c[j]) for 16·nb outputs plus
// a last block under mask m.
//
//go:noescape
func max3AVX512(out, a, b, c unsafe.Pointer, nb, m int)

// lowBits is a mask of the low k bits, k clamped to [0, 16].
func lowBits(k int) int { return 1<<min(16, max(0, k)) - 1 }

// maxRowS2K3F32 computes out[j] = max(x[2j], x[2j+1], x[2j+2]) for every j
// (len(x) >= 2·len(out)+1) and returns true, or returns false when there is
// no vector kernel for the active level.
func maxRowS2K3F32(out, x []float32) bool {
	if cpu.Active < cpu.AVX512 || len(out) == 0 {
		return false
	}
	n := len(out)
	x = x[:2*n+1]
	// Full blocks read x[32b : 32b+34): the last block (1..16 outputs)
	// is masked so that no read passes x[2n].
	nb := (n - 1) / 16
	r := n - 16*nb
	maxS2K3AVX512(unsafe.Pointer(&out[0]), unsafe.Pointer(&x[0]), nb,
		lowBits(r), lowBits(2*r), lowBits(2*r-16), lowBits(2*r-1), lowBits(2*r-17))
	return true
}

// max3F32 computes out[j] = max(a[j], b[j], c[j]) (all at least len(out)
// long) and returns true, or false without a vector kernel.
func max3F32(out, a, b, c []float32) bool {
	if cpu.Active < cpu.AVX512 || len(out) == 0 {
		return false
	}
	n := len(out)
	a, b, c = a[:n], b[:n], c[:n]
	nb := (n - 1) / 16
	max3AVX512(unsafe.Pointer(&out[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), nb, lowBits(n-16*nb))
	return true
}
