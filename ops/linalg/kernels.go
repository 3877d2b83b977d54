package linalg

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
)

// skernel is one float32 micro-kernel family: an mr×nr register tile and the
// packed panel formats it reads. Packed A panels hold mr rows column by
// column (element (r, p) at a[p*mr+r]); packed B panels hold nr columns row by
// row (element (p, c) at b[p*nr+c]), zero-padded past the last column.
type skernel struct {
	level  cpu.Level
	mr, nr int
	mc     int // rows of A packed per block (multiple of mr)
	// tile computes C[0:rows, 0:cols] (+)= a·b over depth k (k ≥ 1) for a
	// packed A panel a and B panel b; rows ≤ mr, cols ≤ nr. acc false
	// overwrites C, true adds to it. Only the rows×cols tile is touched.
	// ep, if not nil, is applied to the tile before it is stored; its
	// slices must cover the tile (the driver slices them).
	tile func(k int, a, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi)
	// direct, when not nil, is tile reading A unpacked: rows (≤ mr) rows
	// of a row-major A with leading dimension lda, a[0] being the tile's
	// first element. It saves packing an untransposed, unscaled A.
	direct func(k int, a []float32, lda int, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi)
	// directPack, when not nil, is direct on a full mr×nr tile with B read
	// from its source rows (b[p*ldb+j]) and packed into the panel bp as it
	// goes, for the tiles that follow: the B panel's packing then costs
	// stores only, the loads being the kernel's own.
	directPack func(k int, a []float32, lda int, b []float32, ldb int, bp, c []float32, ldc int, acc bool, ep *kEpi)
}

// kernelsByLevel holds the kernel family of each level this build has
// (nil where the assembly is absent); the amd64 file fills AVX2/AVX512.
var kernelsByLevel = [cpu.AVX512 + 1]*skernel{
	cpu.Generic: {level: cpu.Generic, mr: MR, nr: NR, mc: 120, tile: genericTile},
}

// copyRowsAsm, when set, copies rows of nr (16 or 32) floats from src
// (stride ld) to dst contiguously; the caller has checked both bounds.
var copyRowsAsm func(dst, src []float32, ld, rows, nr int)

// packA12Asm, when set, packs 8·blocks depth steps of 12 rows of A
// (src[r*lda+p], scaled by alpha) into a 12-row panel; the caller has
// checked both bounds.
var packA12Asm func(panel, src []float32, lda, blocks int, alpha float32)

// active is the kernel family new products and packs use: the best one at
// or below cpu.Active. Tests switch it with setLevel.
var active = kernelFor(cpu.Active)

func kernelFor(l cpu.Level) *skernel {
	for ; l > cpu.Generic; l-- {
		if int(l) < len(kernelsByLevel) && kernelsByLevel[l] != nil {
			return kernelsByLevel[l]
		}
	}
	return kernelsByLevel[cpu.Generic]
}

// setLevel switches the kernel family (tests and benchmarks only; not safe
// while products run) and returns the previous one.
func setLevel(l cpu.Level) *skernel {
	old := active
	active = kernelFor(l)
	return old
}

// ActiveLevel is the instruction-set level of the float32 GEMM kernels.
func ActiveLevel() cpu.Level { return active.level }

// genericTile is the portable twin of the assembly kernels: the 5×2 Go
// kernel, with a scratch tile for the edges.
func genericTile(k int, a, b, c []float32, ldc, rows, cols int, acc bool, ep *kEpi) {
	genericProduct(k, a, b, c, ldc, rows, cols, acc)
	if ep != nil {
		ep.apply(c, ldc, rows, cols)
	}
}

func genericProduct(k int, a, b, c []float32, ldc, rows, cols int, acc bool) {
	if !acc {
		for rr := 0; rr < rows; rr++ {
			clear(c[rr*ldc : rr*ldc+cols])
		}
	}
	switch {
	case rows == MR && cols == NR:
		sgemmKernel5x2(k, a, b, c, ldc)
	case cols == NR:
		for rr := 0; rr < rows; rr++ {
			rowKernel(k, a[rr:], b, c[rr*ldc:])
		}
	default:
		var tmp [MR * NR]float32
		for rr := 0; rr < rows; rr++ {
			rowKernel(k, a[rr:], b, tmp[rr*NR:])
			dst := c[rr*ldc : rr*ldc+cols]
			for j := range dst {
				dst[j] += tmp[rr*NR+j]
			}
		}
	}
}

// kEpi is the part of an Epilogue the assembly kernels fuse into their
// stores: x += column bias + row bias + residual, then clamp to [lo, hi]
// (Relu is lo 0, hi +Inf). Its layout is fixed: the generator in _gen reads
// the fields at offsets 0, 8, 16, 24, 32, 36, 40.
type kEpi struct {
	colBias *float32 // bias of the tile's first column
	rowBias *float32 // bias of the tile's first row
	res     *float32 // residual element of the tile's corner
	ldr     int      // residual leading dimension (floats)
	lo, hi  float32
	flags   int
	// The same operands as slices, for the Go twin.
	colS, rowS, resS []float32
}

const (
	epiColBias = 1 << iota
	epiRowBias
	epiClamp
	epiResidual
)

// apply is the Go twin of the assembly epilogue, on a rows×cols tile.
func (ep *kEpi) apply(c []float32, ldc, rows, cols int) {
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		if ep.flags&epiColBias != 0 {
			for j, b := range ep.colS[:cols] {
				row[j] += b
			}
		}
		if ep.flags&epiRowBias != 0 {
			bv := ep.rowS[i]
			for j := range row {
				row[j] += bv
			}
		}
		if ep.flags&epiResidual != 0 {
			for j, v := range ep.resS[i*ep.ldr : i*ep.ldr+cols] {
				row[j] += v
			}
		}
		if ep.flags&epiClamp != 0 {
			lo, hi := ep.lo, ep.hi
			for j, v := range row {
				if v < lo {
					v = lo
				}
				if v > hi {
					v = hi
				}
				row[j] = v
			}
		}
	}
}

// alignedF32 returns a zeroed slice of n float32 whose first element is
// 64-byte aligned (one cache line, one zmm load).
// AlignedFloat32 returns n float32s whose first element is 64-byte
// aligned (a cache line, one AVX-512 vector), for packed operands that
// kernels load with aligned strides.
func AlignedFloat32(n int) []float32 { return alignedF32(n) }

func alignedF32(n int) []float32 {
	s := make([]float32, n+16)
	off := 0
	for off < 16 && !aligned64(s[off:]) {
		off++
	}
	return s[off : off+n : off+n]
}

func aligned64(s []float32) bool {
	return len(s) == 0 || uintptr(unsafe.Pointer(&s[0]))%64 == 0
}
