package linalg

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices, where op(X) is X or its transpose: op(A) is m×k, op(B) is k×n and
// C is m×n with leading dimensions lda, ldb, ldc (the row strides of the
// matrices as stored). beta = 0 overwrites C without reading it. Large
// products run on DefaultThreads() goroutines. It panics if a slice is too
// short for its declared shape (callers validate shapes first).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmN(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmN is Sgemm with an explicit worker count: 1 runs on the caller's
// goroutine, <= 0 means DefaultThreads(). Small products use fewer workers
// than asked.
func SgemmN(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(threads, sgemmKernel5x2, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	DgemmN(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// DgemmN is Dgemm with an explicit worker count (see SgemmN).
func DgemmN(threads int, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemm(threads, kernel5x2[float64], transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// PackedB is a k×n float32 B operand packed once (typically constant
// weights at model load) for repeated SgemmPacked calls. It is read-only
// after construction and safe for concurrent use.
type PackedB struct {
	k, n int
	data []float32 // ceil(n/NR) panels of k×NR, zero-padded
}

// NewPackedB packs op(B), a logical k×n matrix stored row-major with
// leading dimension ldb (transposed storage when transB).
func NewPackedB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	br, bc := dims(transB, k, n)
	checkMatrix("B", br, bc, ldb, len(b))
	pb := &PackedB{k: k, n: n, data: make([]float32, ceilDiv(n, NR)*NR*k)}
	if k > 0 && n > 0 {
		packBGeneric(pb.data, b, ldb, transB, 1, 0, k, 0, n)
	}
	return pb
}

// K is the depth (rows of op(B)).
func (p *PackedB) K() int { return p.k }

// N is the column count of op(B).
func (p *PackedB) N() int { return p.n }

// SgemmPacked computes C = alpha·op(A)·B + beta·C with a pre-packed B (m×k
// times k×n); see Sgemm for the other arguments and SgemmN for threads.
func SgemmPacked(threads int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	k, n := pb.k, pb.n
	ar, ac := dims(transA, m, k)
	checkMatrix("A", ar, ac, lda, len(a))
	checkMatrix("C", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, beta, 0, m, 0, n)
		return
	}
	pr := &problem[float32]{
		m: m, n: n, k: k, kern: sgemmKernel5x2, c: c, ldc: ldc, pb: pb.data,
		packA: func(dst []float32, i0, mc, p0, kc int) {
			packAGeneric(dst, a, lda, transA, alpha, i0, mc, p0, kc)
		},
		prepare: func(i0, i1, j0, j1 int) { scaleC(c, ldc, beta, i0, i1, j0, j1) },
	}
	pr.run(threads)
}

// PackedA is an m×k float32 A operand packed once for repeated
// SgemmPackedA calls (convolution weights). Read-only after construction.
type PackedA struct {
	m, k int
	data []float32 // ceil(m/MR) panels of k×MR, zero-padded
}

// NewPackedA packs op(A), a logical m×k matrix stored row-major with leading
// dimension lda (transposed storage when transA).
func NewPackedA(transA bool, m, k int, a []float32, lda int) *PackedA {
	ar, ac := dims(transA, m, k)
	checkMatrix("A", ar, ac, lda, len(a))
	pa := &PackedA{m: m, k: k, data: make([]float32, ceilDiv(m, MR)*MR*k)}
	if m > 0 && k > 0 {
		packAGeneric(pa.data, a, lda, transA, 1, 0, m, 0, k)
	}
	return pa
}

// M is the row count of op(A).
func (p *PackedA) M() int { return p.m }

// K is the depth (columns of op(A)).
func (p *PackedA) K() int { return p.k }

// SgemmPackedA computes C = alpha·A·op(B) + beta·C with a pre-packed A (m×k
// times k×n); see Sgemm for the other arguments and SgemmN for threads.
func SgemmPackedA(threads int, pa *PackedA, transB bool, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	m, k := pa.m, pa.k
	br, bc := dims(transB, k, n)
	checkMatrix("B", br, bc, ldb, len(b))
	checkMatrix("C", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, beta, 0, m, 0, n)
		return
	}
	pr := &problem[float32]{
		m: m, n: n, k: k, kern: sgemmKernel5x2, c: c, ldc: ldc, pa: pa.data,
		packB: func(dst []float32, p0, kc, j0, nc int) {
			packBGeneric(dst, b, ldb, transB, alpha, p0, kc, j0, nc)
		},
		prepare: func(i0, i1, j0, j1 int) { scaleC(c, ldc, beta, i0, i1, j0, j1) },
	}
	pr.run(threads)
}
