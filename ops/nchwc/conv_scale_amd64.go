//go:build amd64 && !purego

package nchwc

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

//go:noescape
func scaleRows512(dst, src, s unsafe.Pointer, rows, width int)

//go:noescape
func scaleRows256(dst, src, s unsafe.Pointer, rows, width int)

//go:noescape
func scalePixels512(dst, src, s unsafe.Pointer, npix int)

//go:noescape
func scalePixels256(dst, src, s unsafe.Pointer, npix int)

// scaleRows writes, reps times over, 16 rows of width floats (16 or 32)
// of src times s[row] into dst.
func scaleRows(dst, src []float32, s *[Block]float32, reps, width int) {
	n := reps * Block * width
	if n == 0 || width%Block != 0 || cpu.Active < cpu.AVX2 {
		scaleRowsGo(dst, src, s, reps, width)
		return
	}
	_, _ = dst[n-1], src[n-1] // the bounds the kernels rely on
	d, x, sp := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), unsafe.Pointer(s)
	if cpu.Active >= cpu.AVX512 {
		scaleRows512(d, x, sp, reps*Block, width)
	} else {
		scaleRows256(d, x, sp, reps*Block, width)
	}
}

// pixelsPerCall bounds one scalePixels kernel call (256 KiB in, about
// 10 µs): assembly is not preemptible.
const pixelsPerCall = 4096

// scalePixels writes every 16-lane pixel of src times s (lane by lane)
// into dst.
func scalePixels(dst, src []float32, s *[Block]float32) {
	npix := len(src) / Block
	if npix == 0 || cpu.Active < cpu.AVX2 {
		scalePixelsGo(dst, src, s)
		return
	}
	_ = dst[npix*Block-1]
	sp := unsafe.Pointer(s)
	for p := 0; p < npix; p += pixelsPerCall {
		cnt := min(pixelsPerCall, npix-p)
		d, x := unsafe.Pointer(&dst[p*Block]), unsafe.Pointer(&src[p*Block])
		if cpu.Active >= cpu.AVX512 {
			scalePixels512(d, x, sp, cnt)
		} else {
			scalePixels256(d, x, sp, cnt)
		}
	}
}
