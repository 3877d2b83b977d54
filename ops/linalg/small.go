package linalg

import "sync"

// The small-M path of SgemmPacked: a product of at most mr rows of A with a
// pre-packed B that is too small to be worth splitting over workers (RNN
// steps, batch-1 Gemm/MatMul). It packs A once over the full depth and runs
// one kernel call per nr-wide B panel, with no closures, no K blocking and
// no goroutine hand-off: the per-call overhead is a pool round trip.

// smallScratch is the recycled per-call state of the small path.
type smallScratch struct {
	a  []float32 // packed A: mr rows over the full depth
	ep kEpi
}

var poolSmall sync.Pool

// smallPackedMaxK bounds the depth of the small path (its packed A is
// mr·k floats); deeper products go through the blocked driver.
const smallPackedMaxK = 4096

// useSmallPacked reports whether an m-row product with pb on threads
// workers takes the small path.
func useSmallPacked(threads, m int, pb *PackedB) bool {
	if m > pb.ks.mr || pb.k > smallPackedMaxK {
		return false
	}
	if threads <= 0 {
		threads = DefaultThreads()
	}
	if threads == 1 {
		return true
	}
	// The blocked driver would run on one worker anyway (see run).
	return float64(m)*float64(pb.n)*float64(pb.k) < 2*minParallelWork
}

// smallPacked computes C = alpha·op(A)·B + beta·C (+ epilogue e) for
// m ≤ mr rows; m, n, k ≥ 1 and alpha ≠ 0, operands already validated.
func smallPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int, e *Epilogue) {
	ks, k, n := pb.ks, pb.k, pb.n
	mr, nr := ks.mr, ks.nr
	s, _ := poolSmall.Get().(*smallScratch)
	if s == nil {
		s = new(smallScratch)
	}
	if cap(s.a) < mr*k {
		s.a = alignedF32(mr * k)
	}
	pa := s.a[:mr*k]
	// Only the m rows the rows-specific kernels read are written.
	for r := 0; r < m; r++ {
		if transA {
			for p := 0; p < k; p++ {
				pa[p*mr+r] = alpha * a[p*lda+r]
			}
			continue
		}
		src := a[r*lda : r*lda+k]
		d := pa[r:]
		if alpha == 1 {
			for p, v := range src {
				d[p*mr] = v
			}
		} else {
			for p, v := range src {
				d[p*mr] = v * alpha
			}
		}
	}
	if beta != 0 && beta != 1 {
		scaleC(c, ldc, beta, 0, m, 0, n)
	}
	acc := beta != 0
	var ep *kEpi
	var goAct Activation
	var goRes bool
	if e.active() {
		ep = &s.ep
		*ep = kEpi{}
		ep.flags, ep.lo, ep.hi, goAct, goRes = e.plan()
		ep.ldr = e.ldr(n)
	}
	for col := 0; col < n; col += nr {
		cols := min(nr, n-col)
		bp := pb.data[(col/nr)*k*nr : (col/nr+1)*k*nr]
		if ep == nil {
			ks.tile(k, pa, bp, c[col:], ldc, m, cols, acc, nil)
			continue
		}
		e.tileOperands(ep, 0, m, col, cols)
		ks.tile(k, pa, bp, c[col:], ldc, m, cols, acc, ep)
		if goAct != ActNone || goRes {
			e.applyRest(c, ldc, ep.ldr, 0, m, col, cols, goAct, goRes)
		}
	}
	if ep != nil {
		*ep = kEpi{} // drop references to the caller's slices
	}
	poolSmall.Put(s)
}

// The small path of SgemmN: products with m, n ≤ smallMaxMN and k ≤
// smallMaxK that run on one goroutine (attention heads: 32×32×64 with a
// strided, transposed B). Both operands are packed over the full depth into
// one recycled scratch sized to the product (a few KiB, L1-resident) and
// every tile is one kernel call: no closures, no K blocking, no
// block-sized buffers, no goroutine hand-off.

const (
	smallMaxMN = 128
	smallMaxK  = 256
)

// useSmallGemm reports whether an m×n×k SgemmN product on threads workers
// takes the small path.
func useSmallGemm(threads, m, n, k int) bool {
	if m > smallMaxMN || n > smallMaxMN || k > smallMaxK {
		return false
	}
	if threads <= 0 {
		threads = DefaultThreads()
	}
	// The blocked driver would run it on one worker anyway (see run).
	return threads == 1 || float64(m)*float64(n)*float64(k) < 2*minParallelWork
}

type smallGemmScratch struct {
	buf []float32
	ep  kEpi
}

var poolSmallGemm sync.Pool

// smallGemm computes C = alpha·op(A)·op(B) + beta·C (+ epilogue e) with
// the kernels of ks; m, n, k ≥ 1, alpha ≠ 0, operands validated.
func smallGemm(ks *skernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, e *Epilogue) {
	mr, nr := ks.mr, ks.nr
	mpan, npan := ceilDiv(m, mr), ceilDiv(n, nr)
	sa, sb := mpan*mr*k, npan*nr*k
	s, _ := poolSmallGemm.Get().(*smallGemmScratch)
	if s == nil {
		s = new(smallGemmScratch)
	}
	// B starts on a 64-byte boundary too.
	off := (sa + 15) &^ 15
	if cap(s.buf) < off+sb {
		s.buf = alignedF32(max(off+sb, 8192))
	}
	pa, pb := s.buf[:sa], s.buf[off:off+sb]
	packA32(pa, a, lda, transA, alpha, mr, 0, m, 0, k)
	packB32(pb, b, ldb, transB, 1, nr, 0, k, 0, n)
	if beta != 0 && beta != 1 {
		scaleC(c, ldc, beta, 0, m, 0, n)
	}
	acc := beta != 0
	var ep *kEpi
	var goAct Activation
	var goRes bool
	if e.active() {
		ep = &s.ep
		*ep = kEpi{}
		ep.flags, ep.lo, ep.hi, goAct, goRes = e.plan()
		ep.ldr = e.ldr(n)
	}
	for q := 0; q < npan; q++ {
		bp := pb[q*k*nr : (q+1)*k*nr]
		col := q * nr
		cols := min(nr, n-col)
		for r := 0; r < mpan; r++ {
			ap := pa[r*k*mr : (r+1)*k*mr]
			row := r * mr
			rows := min(mr, m-row)
			if ep == nil {
				ks.tile(k, ap, bp, c[row*ldc+col:], ldc, rows, cols, acc, nil)
				continue
			}
			e.tileOperands(ep, row, rows, col, cols)
			ks.tile(k, ap, bp, c[row*ldc+col:], ldc, rows, cols, acc, ep)
			if goAct != ActNone || goRes {
				e.applyRest(c, ldc, ep.ldr, row, rows, col, cols, goAct, goRes)
			}
		}
	}
	if ep != nil {
		*ep = kEpi{} // drop references to the caller's slices
	}
	poolSmallGemm.Put(s)
}
