package conv

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/gonyx/gonyx/ops/linalg"
)

// depthwiseF32 computes a 2-D depthwise convolution (one input channel per
// group, any channel multiplier) in float32, writing every output element
// (y need not be zeroed; bias may be nil). Each output row is split into a
// left border, an interior whose taps are all inside the input (no bounds
// checks: the vector kernel for the active CPU level when the stride is 1
// or 2) and a right border (scalar, with checks). Work is split over
// output planes on up to threads goroutines; a fusion (may be nil) is
// applied to each plane right after it is computed.
func depthwiseF32(g *geom, x, w, bias, y []float32, threads int, fu *f32Fusion) {
	H, W := g.in[0], g.in[1]
	OH, OW := g.out[0], g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	total := g.n * g.m
	plane := OH * OW * KH * KW
	grain := max(1, (1<<15)/max(1, plane))
	level := cpu.Active
	// With padding, each input plane is first copied into a zero-bordered
	// scratch plane covering every tap, so that all outputs take the
	// interior kernel (no per-output border code).
	sh, sw := g.stride[0], g.stride[1]
	pt, pl := g.padB[0], g.padB[1]
	hp := (OH-1)*sh + (KH-1)*g.dil[0] + 1 // padded rows, from input row -pt
	wp := (OW-1)*sw + (KW-1)*g.dil[1] + 1 // padded columns, from input column -pl
	// Wide rows keep the direct path: their few border outputs cost less
	// than copying the plane.
	ilo, _ := validRange(-pl, sw, W, OW)
	_, ihi := validRange((KW-1)*g.dil[1]-pl, sw, W, OW)
	borderCols := OW - max(0, ihi-ilo)
	// The flat kernel (below) wants stride 1 or 2 along rows, a row step
	// that is a whole number of outputs, and the vector kernels.
	flatOK := dwFlatAll && dwAsm && level >= cpu.AVX2 && (sw == 1 || sw == 2) && sh*wp%sw == 0
	padded := pt >= 0 && pl >= 0 && (pt > 0 || pl > 0 || hp > H || wp > W) && OH > 0 && OW > 0 &&
		(borderCols*dwPadRatio > OW || flatOK) &&
		int64(hp)*int64(wp) <= 4*(int64(H)*int64(W)+int64(OH)*int64(OW))+1024 // no huge scratch for hostile pads/strides
	// Flat planes: on the padded plane, output (oh, ow) reads scratch[(oh·sh·wp
	// + ow·sw) + taps], i.e. flat output i = oh·R + ow with R = sh·wp/sw reads
	// scratch[i·sw + taps]. So the whole plane is one row of (OH-1)·R + OW
	// outputs (the R-OW extra ones per row are discarded): one kernel call
	// per plane in full vector blocks (its unrolled 4- or 2-block loop,
	// independent accumulators) instead of one call per short row with a
	// masked, latency-bound single block. Measured on AVX-512, this wins
	// even with stride 2's half-wasted outputs.
	R := 0
	if sw > 0 {
		R = sh * wp / sw
	}
	flatN := (OH-1)*R + OW
	flat := false
	if padded && flatOK {
		lanes := 8
		if level >= cpu.AVX512 {
			lanes = 16
		}
		rowBlocks := OH * ((OW + lanes - 1) / lanes)
		flatBlocks := (flatN + lanes - 1) / lanes
		// Nearly free (stride 1), or short rows whose blocks are mostly
		// masked tails (stride 2 down to 28 columns); wide stride-2 rows
		// measured faster row by row.
		flat = 4*flatBlocks <= 5*rowBlocks || OW <= 2*lanes && 4*flatBlocks <= dwFlatWaste*rowBlocks
	}
	linalg.ParallelN(threads, total, grain, func(lo, hi int) {
		var scratch, tmp []float32
		if padded {
			sp := getScratch(hp * wp)
			defer putScratch(sp)
			scratch = *sp
			clear(scratch) // the padding must read as zero
		}
		if flat {
			tp := getScratch(flatN)
			defer putScratch(tp)
			tmp = *tp
		}
		for it := lo; it < hi; it++ {
			n, m := it/g.m, it%g.m
			c := m / g.mg
			var b float32
			if bias != nil {
				b = bias[m]
			}
			xc := x[(n*g.c+c)*H*W : (n*g.c+c+1)*H*W]
			wm := w[m*KH*KW : (m+1)*KH*KW]
			ym := y[it*OH*OW : (it+1)*OH*OW]
			if padded {
				// Rows/columns of the scratch plane that hold input data;
				// the rest stays zero from the allocation.
				r0, r1 := min(pt, hp), min(hp, pt+H)
				c0, c1 := min(pl, wp), min(wp, pl+W)
				for r := r0; r < r1; r++ {
					ih := r - pt
					copy(scratch[r*wp+c0:r*wp+c1], xc[ih*W+c0-pl:ih*W+c1-pl])
				}
				if flat {
					dwRow(level, tmp, scratch, wm, KH, KW, g.dil[0]*wp, g.dil[1], sw, b)
					for oh := 0; oh < OH; oh++ {
						copy(ym[oh*OW:(oh+1)*OW], tmp[oh*R:oh*R+OW])
					}
				} else {
					for oh := 0; oh < OH; oh++ {
						dwRow(level, ym[oh*OW:(oh+1)*OW], scratch[oh*sh*wp:], wm, KH, KW, g.dil[0]*wp, g.dil[1], sw, b)
					}
				}
			} else {
				dwPlane(g, level, xc, wm, b, ym)
			}
			if fu != nil { // while the plane is in cache
				fu.apply(ym, it*OH*OW)
			}
		}
	})
}

// dwRow computes one row whose taps are all in range: the vector kernel
// where it applies, then the portable one.
func dwRow(level cpu.Level, y, x, w []float32, kh, kw, rs, cs, s int, b float32) {
	done := 0
	if s <= 2 {
		done = dwRowAsm(level, y, x, w, kh, kw, rs, cs, s, b)
	}
	if done < len(y) {
		dwRowGo(y[done:], x[done*s:], w, kh, kw, rs, cs, s, b)
	}
}

// dwPlane computes one output plane from one input plane xc (H×W) and the
// KH×KW filter wm.
func dwPlane(g *geom, level cpu.Level, xc, wm []float32, b float32, ym []float32) {
	H, W := g.in[0], g.in[1]
	OH, OW := g.out[0], g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dil[0], g.dil[1]
	pt, pl := g.padB[0], g.padB[1]
	// Interior columns: every kw tap inside [0, W).
	lo, _ := validRange(-pl, sw, W, OW)
	_, hi := validRange((KW-1)*dw-pl, sw, W, OW)
	if hi < lo {
		lo, hi = OW, OW
	}
	for oh := 0; oh < OH; oh++ {
		ih0 := oh*sh - pt
		k0, k1 := validRange(ih0, dh, H, KH) // valid kh taps
		yr := ym[oh*OW : (oh+1)*OW]
		if k0 >= k1 {
			for i := range yr {
				yr[i] = b
			}
			continue
		}
		dwBorder(yr, 0, lo, xc, wm, ih0, k0, k1, g, b)
		dwBorder(yr, hi, OW, xc, wm, ih0, k0, k1, g, b)
		if lo >= hi {
			continue
		}
		base := (ih0+k0*dh)*W + lo*sw - pl
		nkh := k1 - k0
		wk := wm[k0*KW : k1*KW]
		dwRow(level, yr[lo:hi], xc[base:], wk, nkh, KW, dh*W, dw, sw, b)
	}
}

// dwRowGo is the portable interior kernel: y[i] = b + Σ_r Σ_c
// w[r·kw+c]·x[r·rs + c·cs + i·s], all indices known to be in range.
func dwRowGo(y, x, w []float32, kh, kw, rs, cs, s int, b float32) {
	if kh == 3 && kw == 3 && cs == 1 {
		w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
		for i := range y {
			p := i * s
			r0 := x[p : p+3]
			r1 := x[p+rs : p+rs+3]
			r2 := x[p+2*rs : p+2*rs+3]
			y[i] = b + w0*r0[0] + w1*r0[1] + w2*r0[2] + w3*r1[0] + w4*r1[1] + w5*r1[2] + w6*r2[0] + w7*r2[1] + w8*r2[2]
		}
		return
	}
	for i := range y {
		acc := b
		p := i * s
		for r := 0; r < kh; r++ {
			wr := w[r*kw : (r+1)*kw]
			q := p + r*rs
			for c, wv := range wr {
				acc += wv * x[q+c*cs]
			}
		}
		y[i] = acc
	}
}

// dwRowAsm runs the vector interior kernel of the given level over a prefix
// of y and returns how many outputs it wrote (the rest go to dwRowGo). The
// kernels read only elements the taps need (AVX-512 masks its last block;
// the AVX2 kernel leaves the last partial block to Go).
func dwRowAsm(level cpu.Level, y, x, w []float32, kh, kw, rs, cs, s int, b float32) int {
	if !dwAsm || level < cpu.AVX2 || len(y) == 0 {
		return 0
	}
	n := len(y)
	// Bounds the kernels rely on (checked here so a bad call panics in Go
	// rather than reading out of range): the last tap of the last output.
	last := (n-1)*s + (kh-1)*rs + (kw-1)*cs
	_ = x[last]
	_ = w[kh*kw-1]
	if level >= cpu.AVX512 {
		nb := (n - 1) / 16
		r := n - 16*nb // 1..16 outputs in the masked last block
		m1 := 1<<r - 1
		m2, m3 := m1, 0
		if s == 2 {
			e := 2*r - 1 // input elements the last block needs
			m2 = 1<<min(16, e) - 1
			m3 = 1<<max(0, e-16) - 1
		}
		dwRow512(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&w[0]), nb, kh, kw, rs*4, cs*4, s, m1, m2, m3, b)
		return n
	}
	// AVX2: whole blocks of 8; with stride 2 a block loads 16 inputs, one
	// past what it needs, so the last block is left to Go.
	nb := n / 8
	if s == 2 {
		nb = (n - 1) / 8
	}
	if nb == 0 {
		return 0
	}
	dwRow256(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&w[0]), nb, kh, kw, rs*4, cs*4, s, b)
	return nb * 8
}

// dwBorder computes outputs [a, e) of one row, whose taps may fall outside
// the input: each output's valid tap columns are found once.
func dwBorder(yr []float32, a, e int, xc, wm []float32, ih0, k0, k1 int, g *geom, b float32) {
	W, KW := g.in[1], g.kern[1]
	sw, dh, dw, pl := g.stride[1], g.dil[0], g.dil[1], g.padB[1]
	for ow := a; ow < e; ow++ {
		iw0 := ow*sw - pl
		var c0, c1 int
		if dw == 1 {
			c0, c1 = max(0, -iw0), min(KW, W-iw0)
		} else {
			c0, c1 = validRange(iw0, dw, W, KW)
		}
		acc := b
		if c0 >= c1 {
			yr[ow] = acc
			continue
		}
		for kh := k0; kh < k1; kh++ {
			p := (ih0+kh*dh)*W + iw0
			wr := wm[kh*KW+c0 : kh*KW+c1]
			if dw == 1 {
				xr := xc[p+c0 : p+c1]
				for i, wv := range wr {
					acc += wv * xr[i]
				}
				continue
			}
			for i, wv := range wr {
				acc += wv * xc[p+(c0+i)*dw]
			}
		}
		yr[ow] = acc
	}
}

// dwPadRatio: rows with more than 1/dwPadRatio border outputs go through
// the zero-padded scratch plane.
var dwPadRatio = 16

// dwFlatAll sends every padded stride-1 plane through the flat kernel,
// however wide (a variable so benchmarks can compare).
var dwFlatAll = true

// dwFlatWaste: a plane goes flat when its flat kernel runs at most
// dwFlatWaste/4 times the vector blocks of the row-by-row one.
var dwFlatWaste = 12
