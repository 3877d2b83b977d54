package linalg

import "fmt"

// Int8 is the 8-bit element types of the integer GEMM.
type Int8 interface{ ~int8 | ~uint8 }

// IGemm computes the int32 product C = (A - aZero)·(B - bZero) for 8-bit
// row-major A (m×k, leading dimension lda) and B (k×n, ldb), overwriting C
// (m×n, ldc). aZero is nil (zero), one value, or one value per row of A;
// bZero is nil, one value, or one value per column of B. Sums wrap around in
// 32 bits like the ONNX integer ops allow. threads as in SgemmN.
func IGemm[TA, TB Int8](threads, m, n, k int, a []TA, lda int, aZero []int32, b []TB, ldb int, bZero []int32, c []int32, ldc int) {
	checkMatrix("A", m, k, lda, len(a))
	checkMatrix("B", k, n, ldb, len(b))
	checkMatrix("C", m, n, ldc, len(c))
	if len(aZero) > 1 && len(aZero) != m {
		panic(fmt.Sprintf("linalg: IGemm: %d A zero points for %d rows", len(aZero), m))
	}
	if len(bZero) > 1 && len(bZero) != n {
		panic(fmt.Sprintf("linalg: IGemm: %d B zero points for %d columns", len(bZero), n))
	}
	if m == 0 || n == 0 {
		return
	}
	za := func(i int) int32 {
		switch len(aZero) {
		case 0:
			return 0
		case 1:
			return aZero[0]
		}
		return aZero[i]
	}
	zb := func(j int) int32 {
		switch len(bZero) {
		case 0:
			return 0
		case 1:
			return bZero[0]
		}
		return bZero[j]
	}
	pr := &problem[int32]{
		m: m, n: n, k: k, kern: kernel5x2[int32], c: c, ldc: ldc,
		packA: func(dst []int32, i0, mc, p0, kc int) {
			for r0 := 0; r0 < mc; r0 += MR {
				panel := dst[(r0/MR)*kc*MR : (r0/MR+1)*kc*MR]
				rows := min(MR, mc-r0)
				if rows < MR {
					clear(panel)
				}
				for rr := 0; rr < rows; rr++ {
					z := za(i0 + r0 + rr)
					src := a[(i0+r0+rr)*lda+p0 : (i0+r0+rr)*lda+p0+kc]
					for p, v := range src {
						panel[p*MR+rr] = int32(v) - z
					}
				}
			}
		},
		packB: func(dst []int32, p0, kc, j0, nc int) {
			for c0 := 0; c0 < nc; c0 += NR {
				panel := dst[(c0/NR)*kc*NR : (c0/NR+1)*kc*NR]
				cols := min(NR, nc-c0)
				if cols < NR {
					clear(panel)
				}
				for cc := 0; cc < cols; cc++ {
					z := zb(j0 + c0 + cc)
					for p := 0; p < kc; p++ {
						panel[p*NR+cc] = int32(b[(p0+p)*ldb+j0+c0+cc]) - z
					}
				}
			}
		},
		prepare: func(i0, i1, j0, j1 int) { scaleC(c, ldc, 0, i0, i1, j0, j1) },
	}
	pr.run(threads)
}
