//go:build amd64 && !purego

package nchwc

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

// dwSeg512 and dwSeg256 are dwSegGo in AVX-512 and AVX2+FMA (dw_amd64.s):
// strides in bytes, rskip = rs − kw·cs and wskip = wrs − kw·16 (in bytes)
// step to the next filter row, clamp != 0 clamps to [lo, hi]; after each
// of the rows output rows, xskip = xrs − n·ps and yskip = yrs − n·16 (in
// bytes) step x, y and z to the next.
//
//go:noescape
func dwSeg512(y, x, w, b, z unsafe.Pointer, n, kh, kw, cs, rskip, wskip, ps, clamp int, lo, hi float32, rows, xskip, yskip int)

//go:noescape
func dwSeg256(y, x, w, b, z unsafe.Pointer, n, kh, kw, cs, rskip, wskip, ps, clamp int, lo, hi float32, rows, xskip, yskip int)

// dwSegment runs one segment on the active level's kernel.
func dwSegment(a *dwSegArgs) {
	if cpu.Active < cpu.AVX2 || a.n == 0 || a.rows == 0 {
		dwSegGo(a)
		return
	}
	// The last output's last tap must be inside x and the filter (the
	// kernels do not check).
	if a.kh > 0 {
		_ = a.x[(a.rows-1)*a.xrs+(a.n-1)*a.ps+(a.kh-1)*a.rs+(a.kw-1)*a.cs+Block-1]
		_ = a.w[a.wo+(a.kh-1)*a.wrs+a.kw*Block-1]
	}
	last := (a.rows-1)*a.yrs + a.n*Block - 1
	_ = a.y[last]
	_ = a.b[Block-1]
	var z unsafe.Pointer
	if a.z != nil {
		_ = a.z[last]
		z = unsafe.Pointer(&a.z[0])
	}
	clamp := 0
	if a.clamp {
		clamp = 1
	}
	const f = 4 // bytes per float
	y, x, w, b := unsafe.Pointer(&a.y[0]), unsafe.Pointer(&a.x[0]), unsafe.Pointer(&a.w[a.wo]), unsafe.Pointer(&a.b[0])
	rskip, wskip := (a.rs-a.kw*a.cs)*f, (a.wrs-a.kw*Block)*f
	xskip, yskip := (a.xrs-a.n*a.ps)*f, (a.yrs-a.n*Block)*f
	if cpu.Active >= cpu.AVX512 {
		dwSeg512(y, x, w, b, z, a.n, a.kh, a.kw, a.cs*f, rskip, wskip, a.ps*f, clamp, a.lo, a.hi, a.rows, xskip, yskip)
	} else {
		dwSeg256(y, x, w, b, z, a.n, a.kh, a.kw, a.cs*f, rskip, wskip, a.ps*f, clamp, a.lo, a.hi, a.rows, xskip, yskip)
	}
}
