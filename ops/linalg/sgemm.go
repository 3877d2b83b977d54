package linalg

import (
	"sync"
	"sync/atomic"
)

// Float32 GEMM: a BLIS-style blocked driver around the micro-kernel family
// of the active CPU level (see kernels.go). Loop nest, per worker:
//
//	for jc in N by sBlockN          // packed B block sBlockK×sBlockN (L2/L3)
//	  for pc in K by sBlockK        // first slice stores (or adds, beta≠0), later ones add
//	    for ic in M by ks.mc        // A block mc×sBlockK, packed or read in place (L2)
//	      for each nr-wide B panel  // sBlockK×nr panel, packed in the first row block
//	        for each mr-row A panel // one assembly call: an mr×nr tile
//	          tile(...); on the last slice: epilogue on the tile
//
// On AVX-512 an untransposed, unscaled A is not packed: the direct kernels
// read its rows in place (skernel.direct), and the first tile of each full
// B panel packs the panel while it computes (skernel.directPack).
//
// Each assembly call is one tile (≤ 12×32×512 multiply-adds, ~4 µs), so
// goroutines stay preemptible between calls.
//
// sBlockK: 512 deep rather than 256 halves the passes over C and the
// per-call overhead. The 12×32 kernel's B panel (64 KiB) then no longer fits
// L1 and streams from L2 beside the A panel, which costs less than it saves:
// measured 1.04-1.09× on 512³, 1.1-1.3× on 1024³, 1.05-1.1× with the
// AVX2 kernel, and 1.0-1.05× on bert- and resnet-shaped products.
var sBlockK, sBlockN = 512, 1024

// sproblem is one float32 product for the driver. Each operand is either
// packed over its full depth (pa/pb) or packed block by block from its
// source (packA/packB). The operands and the epilogue are held by value,
// not as closures and pointers: a single-threaded product then keeps its
// sproblem on the caller's stack (see run).
type sproblem struct {
	ks      *skernel
	m, n, k int
	pa      []float32 // panel i (rows [i*mr, i*mr+mr)) at i*k*mr
	pb      []float32 // panel q (columns [q*nr, q*nr+nr)) at q*k*nr
	// Sources of the operands not packed in advance: op(A) is a (lda,
	// transposed when transA) scaled by aAlpha, op(B) likewise.
	a, b           []float32
	lda, ldb       int
	transA, transB bool
	aAlpha, bAlpha float32
	c              []float32
	ldc            int
	beta           float32
	epi            Epilogue // the zero Epilogue when there is none
}

// packA packs rows [i0,i0+mc) and depth [p0,p0+kc) of op(A) into dst.
func (pr *sproblem) packA(dst []float32, i0, mc, p0, kc int) {
	packA32(dst, pr.a, pr.lda, pr.transA, pr.aAlpha, pr.ks.mr, i0, mc, p0, kc)
}

// packB packs depth [p0,p0+kc) and columns [j0,j0+nc) of op(B) into dst.
func (pr *sproblem) packB(dst []float32, p0, kc, j0, nc int) {
	packB32(dst, pr.b, pr.ldb, pr.transB, pr.bAlpha, pr.ks.nr, p0, kc, j0, nc)
}

// directA reports whether the kernels read op(A) from its source rather
// than from packed panels: the level has direct kernels, A is neither
// packed in advance, transposed nor scaled, and, when its rows alias (see
// rowsAlias), there are few B panels to spread the slower tiles over:
// packing a 12-row panel costs about half a tile (packA12 was 2.9% of
// 512³, 16 panels), the aliasing about 4% of every tile, so packing wins
// from about 12 panels (measured: 200×64×2048 1.2× faster direct,
// 128×768×3072 3-5% slower).
func (pr *sproblem) directA() bool {
	return pr.ks.direct != nil && pr.pa == nil && !pr.transA && pr.aAlpha == 1 &&
		(!rowsAlias(pr.lda) || pr.n <= 12*pr.ks.nr)
}

// rowsAlias reports whether rows lda floats apart fall into the same L1
// set (lda a multiple of 4 KiB) far enough apart that a tile's 12 rows
// read directly lose to packed ones: measured 3-5% slower for lda =
// 2048, 3072 and 4096 on 128×768 products, as fast for 1024, 2064,
// 2560 and 4112.
func rowsAlias(lda int) bool { return lda > 1024 && lda%1024 == 0 }

// fusesPackB reports whether the first tile of a B panel (cols wide, in a
// row block of mc rows) packs the panel itself (skernel.directPack): A is
// read directly, the tile is full and B is plain (untransposed, unscaled).
func (pr *sproblem) fusesPackB(mc, cols int) bool {
	return pr.ks.directPack != nil && pr.directA() && mc >= pr.ks.mr && cols == pr.ks.nr &&
		!pr.transB && pr.bAlpha == 1
}

// withEpi sets the product's epilogue (nil: none).
func (pr *sproblem) withEpi(e *Epilogue) {
	if e != nil {
		pr.epi = *e
	}
}

var poolS sync.Pool // *[]float32 packing buffers, 64-byte aligned

func getSBuf(n int) *[]float32 {
	if v := poolS.Get(); v != nil {
		if b, ok := v.(*[]float32); ok && cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
	}
	b := alignedF32(n)
	return &b
}

// run splits C over up to threads workers: along N in nr-aligned column
// ranges when there are at least as many column panels as row panels
// (this is the tiny-M path: every worker streams its share of packed B
// through the 1-4 row kernels), else along M in mr-aligned row ranges.
// The operand every worker reads in full (A when splitting N, B when
// splitting M) is packed once over its full depth, panel by panel by
// whichever worker gets there first (sharedPack), unless it is already
// packed or larger than maxSharedPack.
func (pr *sproblem) run(threads int) {
	m, n := pr.m, pr.n
	if threads <= 0 {
		threads = DefaultThreads()
	}
	work := float64(m) * float64(n) * float64(max(pr.k, 1))
	if w := work / minParallelWork; w < float64(threads) {
		threads = max(int(w), 1)
	}
	if threads <= 1 {
		pr.serial(0, m, 0, n) // pr stays on the caller's stack
		return
	}
	shared := new(sproblem) // the workers' copy
	*shared = *pr
	shared.split(threads)
}

// split runs the product on up to threads workers, however small it is.
func (pr *sproblem) split(threads int) {
	m, n := pr.m, pr.n
	if threads <= 1 {
		pr.serial(0, m, 0, n)
		return
	}
	mr, nr, k := pr.ks.mr, pr.ks.nr, pr.k
	nUnits, mUnits := ceilDiv(n, nr), ceilDiv(m, mr)
	if nUnits >= mUnits {
		// Every worker reads all of A: pack it once, shared (unless
		// the kernels read it in place).
		var sp *sharedPack
		if pr.pa == nil && !pr.directA() && mUnits*mr*k <= maxSharedPack {
			buf := getSBuf(mUnits * mr * k)
			defer poolS.Put(buf)
			pa := *buf
			sp = &sharedPack{units: mUnits, pack: func(u int) {
				pr.packA(pa[u*k*mr:(u+1)*k*mr], u*mr, min(mr, m-u*mr), 0, k)
			}}
			pr.pa = pa
		}
		parallelChunks(threads, min(nUnits, chunksPerThread*threads), nUnits, func(lo, hi int) {
			sp.ensure()
			pr.serial(0, m, lo*nr, min(hi*nr, n))
		})
		return
	}
	// Every worker reads all of B: pack it once, shared.
	var sp *sharedPack
	if pr.pb == nil && nUnits*nr*k <= maxSharedPack {
		buf := getSBuf(nUnits * nr * k)
		defer poolS.Put(buf)
		pb := *buf
		sp = &sharedPack{units: nUnits, pack: func(u int) {
			pr.packB(pb[u*k*nr:(u+1)*k*nr], 0, k, u*nr, min(nr, n-u*nr))
		}}
		pr.pb = pb
	}
	parallelChunks(threads, min(mUnits, chunksPerThread*threads), mUnits, func(lo, hi int) {
		sp.ensure()
		pr.serial(lo*mr, min(hi*mr, m), 0, n)
	})
}

// chunksPerThread is how many panel ranges a threaded product is cut into
// per worker; the workers claim them in turn, so a worker that starts late
// leaves its range to the caller. Finer cuts (2 or 4 per worker) would
// bound the delay of a descheduled worker but measured 10-35% slower on
// bert's products (each range streams all of the shared operand again).
const chunksPerThread = 1

// maxSharedPack bounds (in floats) an operand packed over its full depth
// before a threaded product so that the workers share it instead of each
// packing it again (16 MiB).
const maxSharedPack = 1 << 22

// sharedPack is an operand of a threaded product packed once over its full
// depth, panel by panel, by the workers that read it: each claims unpacked
// panels until none is left, then waits for the panels others claimed
// (each being packed by a running goroutine, so the wait is short and
// cannot deadlock, even when one goroutine runs every chunk).
type sharedPack struct {
	units int          // panels
	pack  func(u int)  // packs panel u
	next  atomic.Int32 // next unclaimed panel
	ready atomic.Int32 // panels packed
}

// ensure returns once every panel is packed; a nil receiver has nothing
// to pack.
func (s *sharedPack) ensure() {
	if s == nil {
		return
	}
	for {
		u := int(s.next.Add(1)) - 1
		if u >= s.units {
			break
		}
		func() {
			// Counted even if pack panics, so no one waits forever; the
			// panic reaches the caller through ParallelN.
			defer s.ready.Add(1)
			s.pack(u)
		}()
	}
	for i := 0; int(s.ready.Load()) < s.units; i++ {
		spinPause(i)
	}
}

// serial computes C[i0:i1, j0:j1]; i0 is a multiple of mr, j0 of nr.
func (pr *sproblem) serial(i0, i1, j0, j1 int) {
	if i0 >= i1 || j0 >= j1 {
		return
	}
	ks, k, c, ldc := pr.ks, pr.k, pr.c, pr.ldc
	mr, nr := ks.mr, ks.nr
	beta := pr.beta
	if beta != 0 && beta != 1 {
		scaleC(c, ldc, beta, i0, i1, j0, j1)
	}
	epi := &pr.epi
	if !epi.active() {
		epi = nil
	}
	// The fused part of the epilogue goes to the kernel (ep); the rest
	// (other activations, a residual after the activation) runs in Go on
	// the tile just stored.
	var ep *kEpi
	var goAct Activation
	var goRes bool
	if epi != nil {
		// Pooled: the kernel is called through a func value, so a
		// local kEpi would move to the heap on every product.
		ep = kEpiPool.Get().(*kEpi)
		defer putKEpi(ep)
		ep.flags, ep.lo, ep.hi, goAct, goRes = epi.plan()
		ep.ldr = epi.ldr(pr.n)
	}
	direct := pr.directA()
	var abuf, bbuf *[]float32
	if pr.pa == nil && !direct {
		abuf = getSBuf(ks.mc * sBlockK)
		defer poolS.Put(abuf)
	}
	if pr.pb == nil {
		bbuf = getSBuf(sBlockK * sBlockN)
		defer poolS.Put(bbuf)
	}
	for jc := j0; jc < j1; jc += sBlockN {
		nc := min(sBlockN, j1-jc)
		npan := ceilDiv(nc, nr)
		for pc := 0; pc < k; pc += sBlockK {
			kc := min(sBlockK, k-pc)
			acc := pc > 0 || beta != 0
			last := pc+kc == k
			var bBlock []float32
			bStride, bOff := kc*nr, 0
			if pr.pb != nil {
				bBlock = pr.pb[(jc/nr)*k*nr:]
				bStride, bOff = k*nr, pc*nr
			} else {
				// Packed panel by panel in the first row block, just
				// before the panel's first use (see below).
				bBlock = (*bbuf)[:npan*kc*nr]
			}
			for ic := i0; ic < i1; ic += ks.mc {
				mc := min(ks.mc, i1-ic)
				mpan := ceilDiv(mc, mr)
				var aBlock []float32
				aStride, aOff := kc*mr, 0
				switch {
				case direct:
				case pr.pa != nil:
					aBlock = pr.pa[(ic/mr)*k*mr:]
					aStride, aOff = k*mr, pc*mr
				default:
					aBlock = (*abuf)[:mpan*kc*mr]
					pr.packA(aBlock, ic, mc, pc, kc)
				}
				for q := 0; q < npan; q++ {
					bp := bBlock[q*bStride+bOff : q*bStride+bOff+kc*nr]
					col := jc + q*nr
					cols := min(nr, j1-col)
					// In the first row block B is packed panel by panel,
					// each right before its first use, into L1/L2, rather
					// than the whole block up front (partly evicted by the
					// time the kernels read it); the first tile of a full
					// panel packs it as it computes when it can.
					packing := pr.pb == nil && ic == i0
					fuse := packing && pr.fusesPackB(mc, cols)
					if packing && !fuse {
						pr.packB(bp, pc, kc, col, cols)
					}
					for r := 0; r < mpan; r++ {
						row := ic + r*mr
						rows := min(mr, i1-row)
						var tep *kEpi
						if last && epi != nil {
							epi.tileOperands(ep, row, rows, col, cols)
							tep = ep
						}
						switch {
						case fuse && r == 0:
							ks.directPack(kc, pr.a[row*pr.lda+pc:], pr.lda, pr.b[pc*pr.ldb+col:], pr.ldb, bp, c[row*ldc+col:], ldc, acc, tep)
						case direct:
							ks.direct(kc, pr.a[row*pr.lda+pc:], pr.lda, bp, c[row*ldc+col:], ldc, rows, cols, acc, tep)
						default:
							ap := aBlock[r*aStride+aOff : r*aStride+aOff+kc*mr]
							ks.tile(kc, ap, bp, c[row*ldc+col:], ldc, rows, cols, acc, tep)
						}
						if tep != nil && (goAct != ActNone || goRes) {
							epi.applyRest(c, ldc, ep.ldr, row, rows, col, cols, goAct, goRes)
						}
					}
				}
			}
		}
	}
}

var kEpiPool = sync.Pool{New: func() any { return new(kEpi) }}

// putKEpi returns ep to kEpiPool without the operands it points to.
func putKEpi(ep *kEpi) {
	*ep = kEpi{}
	kEpiPool.Put(ep)
}

// packA32 packs rows [i0,i0+mc) and depth [p0,p0+kc) of alpha·op(A) into
// mr-row panels, zero-filling rows past mc. A(i,p) is a[i*lda+p], or
// a[p*lda+i] when trans.
func packA32(dst, a []float32, lda int, trans bool, alpha float32, mr, i0, mc, p0, kc int) {
	for r0 := 0; r0 < mc; r0 += mr {
		panel := dst[(r0/mr)*kc*mr : (r0/mr+1)*kc*mr]
		rows := min(mr, mc-r0)
		if rows < mr {
			clear(panel)
		}
		if !trans {
			switch {
			case rows == 12 && mr == 12:
				packARows12(panel, a, (i0+r0)*lda+p0, lda, kc, alpha)
				continue
			case rows == 6 && mr == 6:
				packARows6(panel, a, (i0+r0)*lda+p0, lda, kc, alpha)
				continue
			}
			for rr := 0; rr < rows; rr++ {
				src := a[(i0+r0+rr)*lda+p0 : (i0+r0+rr)*lda+p0+kc]
				d := panel[rr:]
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
			continue
		}
		for p := 0; p < kc; p++ {
			src := a[(p0+p)*lda+i0+r0 : (p0+p)*lda+i0+r0+rows]
			d := panel[p*mr : p*mr+rows]
			if alpha == 1 {
				copy(d, src)
			} else {
				for i, v := range src {
					d[i] = v * alpha
				}
			}
		}
	}
}

// packB32 packs depth [p0,p0+kc) and columns [j0,j0+nc) of alpha·op(B) into
// nr-column panels, zero-filling columns past nc. B(p,j) is b[p*ldb+j], or
// b[j*ldb+p] when trans.
func packB32(dst, b []float32, ldb int, trans bool, alpha float32, nr, p0, kc, j0, nc int) {
	for c0 := 0; c0 < nc; c0 += nr {
		panel := dst[(c0/nr)*kc*nr : (c0/nr+1)*kc*nr]
		cols := min(nr, nc-c0)
		if cols < nr {
			clear(panel)
		}
		if !trans {
			if alpha == 1 && cols == nr && (nr == 32 || nr == 16) {
				packBFull(panel, b, (p0*ldb)+j0+c0, ldb, kc, nr)
				continue
			}
			for p := 0; p < kc; p++ {
				off := (p0+p)*ldb + j0 + c0
				src := b[off : off+cols]
				d := panel[p*nr : p*nr+cols]
				if alpha == 1 {
					copy(d, src)
				} else {
					for j, v := range src {
						d[j] = v * alpha
					}
				}
			}
			continue
		}
		for cc := 0; cc < cols; cc++ {
			src := b[(j0+c0+cc)*ldb+p0 : (j0+c0+cc)*ldb+p0+kc]
			d := panel[cc:]
			if alpha == 1 {
				for p, v := range src {
					d[p*nr] = v
				}
			} else {
				for p, v := range src {
					d[p*nr] = v * alpha
				}
			}
		}
	}
}

func oneEpi(epi []Epilogue) *Epilogue {
	if len(epi) > 1 {
		panic("linalg: at most one Epilogue")
	}
	if len(epi) == 1 {
		return &epi[0]
	}
	return nil
}

// degenerate handles k = 0 or alpha = 0 (C = beta·C, then the epilogue).
func degenerate(m, n int, beta float32, c []float32, ldc int, epi *Epilogue) {
	scaleC(c, ldc, beta, 0, m, 0, n)
	if epi.active() {
		epi.apply(c, ldc, n, 0, m, 0, n)
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices, where op(X) is X or its transpose: op(A) is m×k, op(B) is k×n and
// C is m×n with leading dimensions lda, ldb, ldc (the row strides of the
// matrices as stored). beta = 0 overwrites C without reading it. Large
// products run on DefaultThreads() goroutines. It panics if a slice is too
// short for its declared shape (callers validate shapes first).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmN(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmN is Sgemm with an explicit worker count (1 runs on the caller's
// goroutine, <= 0 means DefaultThreads(); small products use fewer workers
// than asked) and an optional fused Epilogue (at most one).
func SgemmN(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, epi ...Epilogue) {
	ar, ac := dims(transA, m, k)
	br, bc := dims(transB, k, n)
	checkMatrix("A", ar, ac, lda, len(a))
	checkMatrix("B", br, bc, ldb, len(b))
	checkMatrix("C", m, n, ldc, len(c))
	e := oneEpi(epi)
	e.check(m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		degenerate(m, n, beta, c, ldc, e)
		return
	}
	if m*n*k <= 2048 {
		naiveGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		if e.active() {
			e.apply(c, ldc, n, 0, m, 0, n)
		}
		return
	}
	if useSmallGemm(threads, m, n, k) {
		smallGemm(active, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, e)
		return
	}
	sgemmBlocked(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, e)
}

// sgemmBlocked runs a validated SgemmN product (m, n, k ≥ 1, alpha ≠ 0)
// through the blocked driver.
func sgemmBlocked(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, e *Epilogue) {
	pr := sproblem{
		ks: active, m: m, n: n, k: k, c: c, ldc: ldc, beta: beta,
		a: a, lda: lda, transA: transA, aAlpha: alpha,
		b: b, ldb: ldb, transB: transB, bAlpha: 1,
	}
	pr.withEpi(e)
	pr.run(threads)
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
// weights at model load) for repeated SgemmPacked calls, in the panel format
// of the kernel level active when it was packed (32-wide panels on AVX-512,
// 16 on AVX2, 64-byte aligned). It is read-only after construction and safe
// for concurrent use.
type PackedB struct {
	k, n int
	ks   *skernel
	data []float32 // ceil(n/nr) panels of k×nr, zero-padded
}

// NewPackedB packs op(B), a logical k×n matrix stored row-major with
// leading dimension ldb (transposed storage when transB).
func NewPackedB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	br, bc := dims(transB, k, n)
	checkMatrix("B", br, bc, ldb, len(b))
	ks := active
	pb := &PackedB{k: k, n: n, ks: ks, data: alignedF32(ceilDiv(n, ks.nr) * ks.nr * k)}
	if k > 0 && n > 0 {
		packB32(pb.data, b, ldb, transB, 1, ks.nr, 0, k, 0, n)
	}
	return pb
}

// K is the depth (rows of op(B)).
func (p *PackedB) K() int { return p.k }

// N is the column count of op(B).
func (p *PackedB) N() int { return p.n }

// SgemmPacked computes C = alpha·op(A)·B + beta·C with a pre-packed B (m×k
// times k×n), then the optional Epilogue; see Sgemm for the other arguments
// and SgemmN for threads. Batch-1 products (m ≤ 4) stream B through the
// 1-4 row kernels with N split over the workers.
func SgemmPacked(threads int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int, epi ...Epilogue) {
	k, n := pb.k, pb.n
	ar, ac := dims(transA, m, k)
	checkMatrix("A", ar, ac, lda, len(a))
	checkMatrix("C", m, n, ldc, len(c))
	e := oneEpi(epi)
	e.check(m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		degenerate(m, n, beta, c, ldc, e)
		return
	}
	if useSmallPacked(threads, m, pb) {
		smallPacked(transA, m, alpha, a, lda, pb, beta, c, ldc, e)
		return
	}
	pr := sproblem{
		ks: pb.ks, m: m, n: n, k: k, c: c, ldc: ldc, beta: beta, pb: pb.data,
		a: a, lda: lda, transA: transA, aAlpha: alpha,
	}
	pr.withEpi(e)
	pr.run(threads)
}

// PackedA is an m×k float32 A operand packed once for repeated
// SgemmPackedA calls (convolution weights), in the format of the kernel
// level active when it was packed. Read-only after construction.
type PackedA struct {
	m, k int
	ks   *skernel
	data []float32 // ceil(m/mr) panels of k×mr, zero-padded
}

// NewPackedA packs op(A), a logical m×k matrix stored row-major with leading
// dimension lda (transposed storage when transA).
func NewPackedA(transA bool, m, k int, a []float32, lda int) *PackedA {
	ar, ac := dims(transA, m, k)
	checkMatrix("A", ar, ac, lda, len(a))
	ks := active
	pa := &PackedA{m: m, k: k, ks: ks, data: alignedF32(ceilDiv(m, ks.mr) * ks.mr * k)}
	if m > 0 && k > 0 {
		packA32(pa.data, a, lda, transA, 1, ks.mr, 0, m, 0, k)
	}
	return pa
}

// M is the row count of op(A).
func (p *PackedA) M() int { return p.m }

// K is the depth (columns of op(A)).
func (p *PackedA) K() int { return p.k }

// SgemmPackedA computes C = alpha·A·op(B) + beta·C with a pre-packed A (m×k
// times k×n), then the optional Epilogue (for convolution: Bias with
// BiasPerRow, the activation, a residual); see Sgemm for the other
// arguments and SgemmN for threads.
func SgemmPackedA(threads int, pa *PackedA, transB bool, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int, epi ...Epilogue) {
	m, k := pa.m, pa.k
	br, bc := dims(transB, k, n)
	checkMatrix("B", br, bc, ldb, len(b))
	checkMatrix("C", m, n, ldc, len(c))
	e := oneEpi(epi)
	e.check(m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		degenerate(m, n, beta, c, ldc, e)
		return
	}
	pr := sproblem{
		ks: pa.ks, m: m, n: n, k: k, c: c, ldc: ldc, beta: beta, pa: pa.data,
		b: b, ldb: ldb, transB: transB, bAlpha: alpha,
	}
	pr.withEpi(e)
	pr.run(threads)
}
