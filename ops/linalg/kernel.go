package linalg

// Portable register-blocked micro-kernels: the generic level of the float32
// GEMM (the Go twin of the assembly kernels in sgemm_amd64.s) and the only
// kernels of Dgemm and IGemm. A kernel multiplies a packed MR×k panel of A
// (stored column by column: element (r, p) at a[p*MR+r]) by a packed k×NR
// panel of B (row by row: element (p, c) at b[p*NR+c]) and adds the MR×NR
// product into C (row-major, leading dimension ldc).
//
// The tile is 5×2: ten accumulators plus two B values fit the fifteen float
// registers the Go compiler allocates on amd64 without spilling, which
// measured fastest among the shapes tried (4×4, 4×8, 6×2, 4×3, ...).

// Tile sizes of the portable micro-kernels (the float32 assembly levels
// use their own: see skernel).
const (
	MR = 5
	NR = 2
)

// sgemmKernel5x2 computes c[0:5, 0:2] += a·b for packed panels of length k.
// The k loop is unrolled four times (measured ~5% faster than twice).
func sgemmKernel5x2(k int, a, b, c []float32, ldc int) {
	var c00, c01, c10, c11, c20, c21, c30, c31, c40, c41 float32
	a = a[:MR*k]
	b = b[:NR*k]
	i, j := 0, 0
	for ; i+19 < len(a) && j+7 < len(b); i, j = i+20, j+8 {
		b0, b1 := b[j+0], b[j+1]
		c00 += a[i+0] * b0
		c01 += a[i+0] * b1
		c10 += a[i+1] * b0
		c11 += a[i+1] * b1
		c20 += a[i+2] * b0
		c21 += a[i+2] * b1
		c30 += a[i+3] * b0
		c31 += a[i+3] * b1
		c40 += a[i+4] * b0
		c41 += a[i+4] * b1
		b0, b1 = b[j+2], b[j+3]
		c00 += a[i+5] * b0
		c01 += a[i+5] * b1
		c10 += a[i+6] * b0
		c11 += a[i+6] * b1
		c20 += a[i+7] * b0
		c21 += a[i+7] * b1
		c30 += a[i+8] * b0
		c31 += a[i+8] * b1
		c40 += a[i+9] * b0
		c41 += a[i+9] * b1
		b0, b1 = b[j+4], b[j+5]
		c00 += a[i+10] * b0
		c01 += a[i+10] * b1
		c10 += a[i+11] * b0
		c11 += a[i+11] * b1
		c20 += a[i+12] * b0
		c21 += a[i+12] * b1
		c30 += a[i+13] * b0
		c31 += a[i+13] * b1
		c40 += a[i+14] * b0
		c41 += a[i+14] * b1
		b0, b1 = b[j+6], b[j+7]
		c00 += a[i+15] * b0
		c01 += a[i+15] * b1
		c10 += a[i+16] * b0
		c11 += a[i+16] * b1
		c20 += a[i+17] * b0
		c21 += a[i+17] * b1
		c30 += a[i+18] * b0
		c31 += a[i+18] * b1
		c40 += a[i+19] * b0
		c41 += a[i+19] * b1
	}
	for ; i+4 < len(a) && j+1 < len(b); i, j = i+5, j+2 {
		b0, b1 := b[j], b[j+1]
		c00 += a[i] * b0
		c01 += a[i] * b1
		c10 += a[i+1] * b0
		c11 += a[i+1] * b1
		c20 += a[i+2] * b0
		c21 += a[i+2] * b1
		c30 += a[i+3] * b0
		c31 += a[i+3] * b1
		c40 += a[i+4] * b0
		c41 += a[i+4] * b1
	}
	r := c[:2:2]
	r[0] += c00
	r[1] += c01
	r = c[ldc : ldc+2 : ldc+2]
	r[0] += c10
	r[1] += c11
	r = c[2*ldc : 2*ldc+2 : 2*ldc+2]
	r[0] += c20
	r[1] += c21
	r = c[3*ldc : 3*ldc+2 : 3*ldc+2]
	r[0] += c30
	r[1] += c31
	r = c[4*ldc : 4*ldc+2 : 4*ldc+2]
	r[0] += c40
	r[1] += c41
}

// kernel5x2 is the same kernel for the other element types (float64 and
// int32 accumulation).
func kernel5x2[T elem](k int, a, b, c []T, ldc int) {
	var c00, c01, c10, c11, c20, c21, c30, c31, c40, c41 T
	a = a[:MR*k]
	b = b[:NR*k]
	for i, j := 0, 0; i+9 < len(a) && j+3 < len(b); i, j = i+10, j+4 {
		b0, b1 := b[j], b[j+1]
		c00 += a[i] * b0
		c01 += a[i] * b1
		c10 += a[i+1] * b0
		c11 += a[i+1] * b1
		c20 += a[i+2] * b0
		c21 += a[i+2] * b1
		c30 += a[i+3] * b0
		c31 += a[i+3] * b1
		c40 += a[i+4] * b0
		c41 += a[i+4] * b1
		b0, b1 = b[j+2], b[j+3]
		c00 += a[i+5] * b0
		c01 += a[i+5] * b1
		c10 += a[i+6] * b0
		c11 += a[i+6] * b1
		c20 += a[i+7] * b0
		c21 += a[i+7] * b1
		c30 += a[i+8] * b0
		c31 += a[i+8] * b1
		c40 += a[i+9] * b0
		c41 += a[i+9] * b1
	}
	if k&1 != 0 {
		i, j := MR*(k-1), NR*(k-1)
		aa := a[i : i+5 : i+5]
		bb := b[j : j+2 : j+2]
		b0, b1 := bb[0], bb[1]
		c00 += aa[0] * b0
		c01 += aa[0] * b1
		c10 += aa[1] * b0
		c11 += aa[1] * b1
		c20 += aa[2] * b0
		c21 += aa[2] * b1
		c30 += aa[3] * b0
		c31 += aa[3] * b1
		c40 += aa[4] * b0
		c41 += aa[4] * b1
	}
	r := c[:2:2]
	r[0] += c00
	r[1] += c01
	r = c[ldc : ldc+2 : ldc+2]
	r[0] += c10
	r[1] += c11
	r = c[2*ldc : 2*ldc+2 : 2*ldc+2]
	r[0] += c20
	r[1] += c21
	r = c[3*ldc : 3*ldc+2 : 3*ldc+2]
	r[0] += c30
	r[1] += c31
	r = c[4*ldc : 4*ldc+2 : 4*ldc+2]
	r[0] += c40
	r[1] += c41
}

// rowKernel computes one row of a tile: c[0:2] += a·b where a is row r of a
// packed A panel (stride MR) and b a packed B panel. Used for the last rows
// when m is not a multiple of MR, so a 1-row product (GEMV) does not pay for
// five.
func rowKernel[T elem](k int, a, b, c []T) {
	var c0, c1 T
	if k <= 0 {
		return
	}
	a = a[:MR*(k-1)+1]
	b = b[:NR*k]
	for i, j := 0, 0; i < len(a) && j+1 < len(b); i, j = i+MR, j+NR {
		av := a[i]
		c0 += av * b[j]
		c1 += av * b[j+1]
	}
	r := c[:2:2]
	r[0] += c0
	r[1] += c1
}
