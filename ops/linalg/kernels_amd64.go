//go:build amd64 && !purego

package linalg

import "github.com/gonyx/gonyx/ops/cpu"

func init() {
	kernelsByLevel[cpu.AVX2] = &skernel{level: cpu.AVX2, mr: 6, nr: 16, mc: 144, tile: tileAVX2}
	kernelsByLevel[cpu.AVX512] = &skernel{level: cpu.AVX512, mr: 12, nr: 32, mc: 144, tile: tile512, direct: tile512D, directPack: tile512DP}
	active = kernelFor(cpu.Active)
	if cpu.Detected >= cpu.AVX2 {
		copyRowsAsm = func(dst, src []float32, ld, rows, nr int) {
			if nr == 32 {
				copyRows32(&dst[0], &src[0], ld, rows)
			} else {
				copyRows16(&dst[0], &src[0], ld, rows)
			}
		}
		packA12Asm = func(panel, src []float32, lda, blocks int, alpha float32) {
			packA12(&panel[0], &src[0], lda, blocks, alpha)
		}
	}
}

var kern512 = [...]func(k int, a, b, c *float32, ldc, mask, acc int, epi *kEpi){
	nil, sgemm512R1, sgemm512R2, sgemm512R3, sgemm512R4, sgemm512R5, sgemm512R6,
	sgemm512R7, sgemm512R8, sgemm512R9, sgemm512R10, sgemm512R11, sgemm512R12,
}

var kern512D = [...]func(k int, a *float32, lda int, b, c *float32, ldc, mask, acc int, epi *kEpi){
	nil, sgemm512D1, sgemm512D2, sgemm512D3, sgemm512D4, sgemm512D5, sgemm512D6,
	sgemm512D7, sgemm512D8, sgemm512D9, sgemm512D10, sgemm512D11, sgemm512D12,
}

var kernAVX2 = [...]func(k int, a, b, c *float32, ldc int, mask *int32, acc int, epi *kEpi){
	nil, sgemmAVX2R1, sgemmAVX2R2, sgemmAVX2R3, sgemmAVX2R4, sgemmAVX2R5, sgemmAVX2R6,
}

// avx2Masks: 16 lanes on, then 16 off; &avx2Masks[16-cols] masks the first
// cols of 16 columns.
var avx2Masks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tile512 runs the AVX-512 rows×32 kernel; the bounds checks keep the
// assembly inside the slices.
func tile512(k int, a, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi) {
	_ = a[12*k-1]
	_ = b[32*k-1]
	_ = c[(rows-1)*ldc+cols-1]
	kern512[rows](k, &a[0], &b[0], &c[0], ldc, 1<<cols-1, b2i(acc), ep)
}

// tile512D is tile512 reading rows×k of an unpacked A (leading dimension
// lda); the bounds checks cover the last element of the last row read.
func tile512D(k int, a []float32, lda int, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi) {
	_ = a[(rows-1)*lda+k-1]
	_ = b[32*k-1]
	_ = c[(rows-1)*ldc+cols-1]
	kern512D[rows](k, &a[0], lda, &b[0], &c[0], ldc, 1<<cols-1, b2i(acc), ep)
}

// tile512DP is tile512D on a full 12×32 tile reading B from its source
// rows (leading dimension ldb) and packing them into bp.
func tile512DP(k int, a []float32, lda int, b []float32, ldb int, bp, c []float32, ldc int, acc bool, ep *kEpi) {
	_ = a[11*lda+k-1]
	_ = b[(k-1)*ldb+31]
	_ = bp[32*k-1]
	_ = c[11*ldc+31]
	sgemm512DP12(k, &a[0], lda, &b[0], ldb, &bp[0], &c[0], ldc, -1, b2i(acc), ep)
}

// tileAVX2 runs the AVX2+FMA rows×16 kernel.
func tileAVX2(k int, a, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi) {
	_ = a[6*k-1]
	_ = b[16*k-1]
	_ = c[(rows-1)*ldc+cols-1]
	kernAVX2[rows](k, &a[0], &b[0], &c[0], ldc, &avx2Masks[16-cols], b2i(acc), ep)
}
