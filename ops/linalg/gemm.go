package linalg

import (
	"fmt"
	"sync"
)

// This file is the generic blocked driver of Dgemm and IGemm (float64 and
// int32 accumulation, 5×2 Go kernel). Float32 has its own driver around the
// per-level kernels in sgemm.go.

// elem is the element types the blocked driver computes in.
type elem interface{ ~float32 | ~float64 | ~int32 }

// Cache blocking. An MC×KC block of A (packed, ≈120 KiB for float32) stays in
// L2 while a KC×NR micro-panel of B (2 KiB) sits in L1; the KC×NC block of B
// is shared by all row blocks.
const (
	blockM = 120  // multiple of MR
	blockK = 256  //
	blockN = 1024 // multiple of NR
)

// minParallelWork is the number of multiply-adds each worker of a threaded
// GEMM gets at least (below it the product runs on the caller's goroutine).
// Measured on 2 cores (AVX-512, 32-row products with packed weights): a
// 2-way split breaks even at about 1M multiply-adds in all and pays from
// 2M (24 → 18 µs for 32×256×256).
const minParallelWork = 1 << 19

// problem describes one C += op(A)·op(B) product for the driver. Each
// operand is either pre-packed over its full depth (pa/pb: panel i holds
// rows/columns [i*MR, i*MR+MR) for every p in [0, k)) or packed block by
// block with packA/packB.
type problem[T elem] struct {
	m, n, k int
	pa      []T                               // full-depth packed A, or nil
	packA   func(dst []T, i0, mc, p0, kc int) // packs rows [i0,i0+mc), depth [p0,p0+kc)
	pb      []T                               // full-depth packed B, or nil
	packB   func(dst []T, p0, kc, j0, nc int) // packs depth [p0,p0+kc), columns [j0,j0+nc)
	kern    func(k int, a, b, c []T, ldc int) // MR×NR micro-kernel
	c       []T
	ldc     int
	// prepare, if set, runs on each worker's C rectangle before the
	// products are added (e.g. C = beta*C).
	prepare func(i0, i1, j0, j1 int)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Packing buffers are recycled per element type.
var (
	poolF32 sync.Pool
	poolF64 sync.Pool
	poolI32 sync.Pool
)

func poolFor[T elem]() *sync.Pool {
	var z T
	switch any(z).(type) {
	case float32:
		return &poolF32
	case float64:
		return &poolF64
	}
	return &poolI32
}

func getBuf[T elem](n int) *[]T {
	if v := poolFor[T]().Get(); v != nil {
		if b, ok := v.(*[]T); ok && cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
	}
	b := make([]T, n)
	return &b
}

func putBuf[T elem](b *[]T) { poolFor[T]().Put(b) }

// run computes the product for threads workers, splitting the larger of the
// two output dimensions into aligned chunks.
func (pr *problem[T]) run(threads int) {
	m, n := pr.m, pr.n
	if m <= 0 || n <= 0 {
		return
	}
	if threads <= 0 {
		threads = DefaultThreads()
	}
	work := float64(m) * float64(n) * float64(max(pr.k, 1))
	if w := work / minParallelWork; w < float64(threads) {
		threads = max(int(w), 1)
	}
	if threads <= 1 {
		pr.serial(0, m, 0, n)
		return
	}
	// Split along N in NR-aligned chunks, or along M in MR-aligned chunks,
	// whichever gives every worker enough columns/rows to be efficient.
	nUnits, mUnits := ceilDiv(n, NR), ceilDiv(m, MR)
	if nUnits >= mUnits {
		t := min(threads, nUnits)
		ParallelN(t, nUnits, 1, func(lo, hi int) {
			pr.serial(0, m, lo*NR, min(hi*NR, n))
		})
		return
	}
	t := min(threads, mUnits)
	ParallelN(t, mUnits, 1, func(lo, hi int) {
		pr.serial(lo*MR, min(hi*MR, m), 0, n)
	})
}

// serial computes rows [i0,i1) and columns [j0,j1) of C on the caller's
// goroutine. i0 is a multiple of MR and j0 of NR.
func (pr *problem[T]) serial(i0, i1, j0, j1 int) {
	if pr.prepare != nil {
		pr.prepare(i0, i1, j0, j1)
	}
	k := pr.k
	if k <= 0 || i0 >= i1 || j0 >= j1 {
		return
	}
	var abuf, bbuf *[]T
	if pr.pa == nil {
		abuf = getBuf[T](blockM * blockK)
		defer putBuf(abuf)
	}
	if pr.pb == nil {
		bbuf = getBuf[T](blockK * blockN)
		defer putBuf(bbuf)
	}
	var tmp [MR * NR]T
	c, ldc := pr.c, pr.ldc
	for jc := j0; jc < j1; jc += blockN {
		nc := min(blockN, j1-jc)
		npan := ceilDiv(nc, NR)
		for pc := 0; pc < k; pc += blockK {
			kc := min(blockK, k-pc)
			// bPanel(q) is the packed KC×NR panel q of this block.
			var bBlock []T
			bStride, bOff := kc*NR, 0
			if pr.pb != nil {
				bBlock = pr.pb[(jc/NR)*k*NR:]
				bStride, bOff = k*NR, pc*NR
			} else {
				bBlock = (*bbuf)[:npan*kc*NR]
				pr.packB(bBlock, pc, kc, jc, nc)
			}
			for ic := i0; ic < i1; ic += blockM {
				mc := min(blockM, i1-ic)
				mpan := ceilDiv(mc, MR)
				var aBlock []T
				aStride, aOff := kc*MR, 0
				if pr.pa != nil {
					aBlock = pr.pa[(ic/MR)*k*MR:]
					aStride, aOff = k*MR, pc*MR
				} else {
					aBlock = (*abuf)[:mpan*kc*MR]
					pr.packA(aBlock, ic, mc, pc, kc)
				}
				for q := 0; q < npan; q++ {
					bp := bBlock[q*bStride+bOff : q*bStride+bOff+kc*NR]
					col := jc + q*NR
					ncols := min(NR, j1-col)
					for r := 0; r < mpan; r++ {
						ap := aBlock[r*aStride+aOff : r*aStride+aOff+kc*MR]
						row := ic + r*MR
						nrows := min(MR, i1-row)
						switch {
						case nrows == MR && ncols == NR:
							pr.kern(kc, ap, bp, c[row*ldc+col:], ldc)
						case ncols == NR:
							for rr := 0; rr < nrows; rr++ {
								rowKernel(kc, ap[rr:], bp, c[(row+rr)*ldc+col:])
							}
						default:
							tmp = [MR * NR]T{}
							if nrows == MR {
								pr.kern(kc, ap, bp, tmp[:], NR)
							} else {
								for rr := 0; rr < nrows; rr++ {
									rowKernel(kc, ap[rr:], bp, tmp[rr*NR:])
								}
							}
							for rr := 0; rr < nrows; rr++ {
								dst := c[(row+rr)*ldc+col : (row+rr)*ldc+col+ncols]
								for cc := range dst {
									dst[cc] += tmp[rr*NR+cc]
								}
							}
						}
					}
				}
			}
		}
	}
}

// packAGeneric packs rows [i0,i0+mc) and depth [p0,p0+kc) of op(A)·alpha
// into MR-row panels, zero-filling rows past mc. A(i,p) is a[i*lda+p], or
// a[p*lda+i] when trans.
func packAGeneric[T elem](dst []T, a []T, lda int, trans bool, alpha T, i0, mc, p0, kc int) {
	one := alpha == 1
	for r0 := 0; r0 < mc; r0 += MR {
		panel := dst[(r0/MR)*kc*MR : (r0/MR+1)*kc*MR]
		rows := min(MR, mc-r0)
		if rows < MR {
			clear(panel)
		}
		if !trans {
			for rr := 0; rr < rows; rr++ {
				src := a[(i0+r0+rr)*lda+p0 : (i0+r0+rr)*lda+p0+kc]
				if one {
					for p, v := range src {
						panel[p*MR+rr] = v
					}
				} else {
					for p, v := range src {
						panel[p*MR+rr] = v * alpha
					}
				}
			}
			continue
		}
		for p := 0; p < kc; p++ {
			src := a[(p0+p)*lda+i0+r0 : (p0+p)*lda+i0+r0+rows]
			d := panel[p*MR : p*MR+rows]
			if one {
				copy(d, src)
			} else {
				for i, v := range src {
					d[i] = v * alpha
				}
			}
		}
	}
}

// packBGeneric packs depth [p0,p0+kc) and columns [j0,j0+nc) of op(B)·alpha
// into NR-column panels, zero-filling columns past nc. B(p,j) is b[p*ldb+j],
// or b[j*ldb+p] when trans.
func packBGeneric[T elem](dst []T, b []T, ldb int, trans bool, alpha T, p0, kc, j0, nc int) {
	one := alpha == 1
	for c0 := 0; c0 < nc; c0 += NR {
		panel := dst[(c0/NR)*kc*NR : (c0/NR+1)*kc*NR]
		cols := min(NR, nc-c0)
		if !trans {
			if cols == NR {
				for p := 0; p < kc; p++ {
					off := (p0+p)*ldb + j0 + c0
					src := b[off : off+2 : off+2]
					if one {
						panel[p*NR] = src[0]
						panel[p*NR+1] = src[1]
					} else {
						panel[p*NR] = src[0] * alpha
						panel[p*NR+1] = src[1] * alpha
					}
				}
				continue
			}
			clear(panel)
			for p := 0; p < kc; p++ {
				for cc := 0; cc < cols; cc++ {
					panel[p*NR+cc] = b[(p0+p)*ldb+j0+c0+cc] * alpha
				}
			}
			continue
		}
		if cols < NR {
			clear(panel)
		}
		for cc := 0; cc < cols; cc++ {
			src := b[(j0+c0+cc)*ldb+p0 : (j0+c0+cc)*ldb+p0+kc]
			if one {
				for p, v := range src {
					panel[p*NR+cc] = v
				}
			} else {
				for p, v := range src {
					panel[p*NR+cc] = v * alpha
				}
			}
		}
	}
}

// scaleC sets C[i0:i1, j0:j1] = beta*C (beta 0 writes zeros without reading,
// so NaNs in C do not leak, as in BLAS).
func scaleC[T elem](c []T, ldc int, beta T, i0, i1, j0, j1 int) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkMatrix panics when a rows×cols matrix with leading dimension ld does
// not fit in a slice of length n: a programming error in the caller.
func checkMatrix(name string, rows, cols, ld, n int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("linalg: negative dimension for %s: %d×%d", name, rows, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("linalg: leading dimension %d of %s is less than its %d columns", ld, name, cols))
	}
	if need := (rows-1)*ld + cols; n < need {
		panic(fmt.Sprintf("linalg: %s needs %d elements (%d×%d, ld %d), has %d", name, need, rows, cols, ld, n))
	}
}

// dims returns the stored shape of op(X) for a logical rows×cols matrix.
func dims(trans bool, rows, cols int) (int, int) {
	if trans {
		return cols, rows
	}
	return rows, cols
}

// naiveGemm is the direct triple loop used for tiny products, where packing
// costs more than it saves.
func naiveGemm[T elem](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	scaleC(c, ldc, beta, 0, m, 0, n)
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range row {
					row[j] += av * b[j*ldb+p]
				}
			} else {
				br := b[p*ldb : p*ldb+n]
				for j, bv := range br {
					row[j] += av * bv
				}
			}
		}
	}
}

// gemm is the common entry for float32/float64: validates, then picks the
// naive loop or the blocked driver.
func gemm[T elem](threads int, kern func(int, []T, []T, []T, int), transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ar, ac := dims(transA, m, k)
	br, bc := dims(transB, k, n)
	checkMatrix("A", ar, ac, lda, len(a))
	checkMatrix("B", br, bc, ldb, len(b))
	checkMatrix("C", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, beta, 0, m, 0, n)
		return
	}
	if m*n*k <= 2048 {
		naiveGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	pr := &problem[T]{
		m: m, n: n, k: k, kern: kern, c: c, ldc: ldc,
		packA: func(dst []T, i0, mc, p0, kc int) { packAGeneric(dst, a, lda, transA, alpha, i0, mc, p0, kc) },
		packB: func(dst []T, p0, kc, j0, nc int) { packBGeneric(dst, b, ldb, transB, 1, p0, kc, j0, nc) },
		prepare: func(i0, i1, j0, j1 int) {
			scaleC(c, ldc, beta, i0, i1, j0, j1)
		},
	}
	pr.run(threads)
}
