//go:build amd64 && !purego

package nchwc

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

// poolMax512, poolAvg512, poolMax256 and poolAvg256 are poolSegGo in
// AVX-512 and AVX2 (pool_amd64.s) for kh, kw >= 1: strides in bytes,
// rskip = rs − kw·cs steps to the next window row.
//
//go:noescape
func poolMax512(y, x unsafe.Pointer, n, kh, kw, cs, rskip, ps int, scale float32)

//go:noescape
func poolAvg512(y, x unsafe.Pointer, n, kh, kw, cs, rskip, ps int, scale float32)

//go:noescape
func poolMax256(y, x unsafe.Pointer, n, kh, kw, cs, rskip, ps int, scale float32)

//go:noescape
func poolAvg256(y, x unsafe.Pointer, n, kh, kw, cs, rskip, ps int, scale float32)

// gapSum512 and gapSum256 write y[0:16] = scale·Σ_{p<hw} x[16p:16p+16].
//
//go:noescape
func gapSum512(y, x unsafe.Pointer, hw int, scale float32)

//go:noescape
func gapSum256(y, x unsafe.Pointer, hw int, scale float32)

// poolSegment runs one segment on the active level's kernel.
func poolSegment(a *poolSegArgs) {
	if cpu.Active < cpu.AVX2 || a.n == 0 || a.kh == 0 || a.kw == 0 {
		poolSegGo(a)
		return
	}
	// The last output's last tap must be inside x (the kernels do not
	// check).
	_ = a.x[(a.n-1)*a.ps+(a.kh-1)*a.rs+(a.kw-1)*a.cs+Block-1]
	_ = a.y[a.n*Block-1]
	const f = 4 // bytes per float
	y, x := unsafe.Pointer(&a.y[0]), unsafe.Pointer(&a.x[0])
	cs, rskip, ps := a.cs*f, (a.rs-a.kw*a.cs)*f, a.ps*f
	switch {
	case cpu.Active >= cpu.AVX512 && a.max:
		poolMax512(y, x, a.n, a.kh, a.kw, cs, rskip, ps, a.scale)
	case cpu.Active >= cpu.AVX512:
		poolAvg512(y, x, a.n, a.kh, a.kw, cs, rskip, ps, a.scale)
	case a.max:
		poolMax256(y, x, a.n, a.kh, a.kw, cs, rskip, ps, a.scale)
	default:
		poolAvg256(y, x, a.n, a.kh, a.kw, cs, rskip, ps, a.scale)
	}
}

// gapBlock writes y = scale·Σ_p x[p] over hw 16-lane pixels.
func gapBlock(x []float32, hw int, scale float32, y []float32) {
	if cpu.Active < cpu.AVX2 {
		gapBlockGo(x, hw, scale, y)
		return
	}
	_ = x[hw*Block-1]
	_ = y[Block-1]
	if cpu.Active >= cpu.AVX512 {
		gapSum512(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), hw, scale)
	} else {
		gapSum256(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), hw, scale)
	}
}
