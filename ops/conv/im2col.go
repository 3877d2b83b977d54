package conv

// im2col writes the patch matrix of one image for output pixels [j0, j1):
// row (c·kSize + kernel offset), column (j - j0), row-major with leading
// dimension j1-j0. x holds the cg input channels of the group (each
// inSize long); positions in the padding read as pad.
func im2col[T any](g *geom, x []T, pad T, col []T, j0, j1 int) {
	if len(g.in) == 2 {
		im2col2D(g, x, pad, col, j0, j1)
		return
	}
	im2colND(g, x, pad, col, j0, j1)
}

// validRange returns the output indices [lo, hi) within [0, outN) whose
// input position o*s + off lies in [0, inN).
func validRange(off, s, inN, outN int) (int, int) {
	lo := 0
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	hi := 0
	if last := inN - 1 - off; last >= 0 {
		hi = last/s + 1
	}
	lo, hi = min(lo, outN), min(hi, outN)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func im2col2D[T any](g *geom, x []T, pad T, col []T, j0, j1 int) {
	H, W := g.in[0], g.in[1]
	OW := g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dil[0], g.dil[1]
	pt, pl := g.padB[0], g.padB[1]
	cw := j1 - j0
	r := 0
	for c := 0; c < g.cg; c++ {
		xc := x[c*H*W : (c+1)*H*W]
		for kh := 0; kh < KH; kh++ {
			offH := kh*dh - pt
			for kw := 0; kw < KW; kw++ {
				offW := kw*dw - pl
				lo, hi := validRange(offW, sw, W, OW)
				row := col[r*cw : (r+1)*cw]
				r++
				for j := j0; j < j1; {
					oh, ow0 := j/OW, j%OW
					end := min(j1, (oh+1)*OW)
					ow1 := ow0 + end - j
					dst := row[j-j0 : end-j0]
					j = end
					ih := oh*sh + offH
					if ih < 0 || ih >= H {
						for i := range dst {
							dst[i] = pad
						}
						continue
					}
					xr := xc[ih*W : (ih+1)*W]
					a, b := max(ow0, lo), min(ow1, hi)
					if b < a {
						b = a
					}
					for i := 0; i < a-ow0; i++ {
						dst[i] = pad
					}
					if a < b {
						seg := dst[a-ow0 : b-ow0]
						if sw == 1 {
							copy(seg, xr[a+offW:b+offW])
						} else {
							p := a*sw + offW
							for i := range seg {
								seg[i] = xr[p]
								p += sw
							}
						}
					}
					for i := b - ow0; i < len(dst); i++ {
						dst[i] = pad
					}
				}
			}
		}
	}
}

// im2colND is the general N-dimensional version.
func im2colND[T any](g *geom, x []T, pad T, col []T, j0, j1 int) {
	rank := len(g.in)
	cw := j1 - j0
	kidx := make([]int, rank)
	off := make([]int, rank)
	oidx := make([]int, rank)
	inStr := make([]int, rank)
	acc := 1
	for d := rank - 1; d >= 0; d-- {
		inStr[d] = acc
		acc *= g.in[d]
	}
	r := 0
	for c := 0; c < g.cg; c++ {
		xc := x[c*g.inSize : (c+1)*g.inSize]
		for d := range kidx {
			kidx[d] = 0
		}
		for k := 0; k < g.kSize; k++ {
			for d := 0; d < rank; d++ {
				off[d] = kidx[d]*g.dil[d] - g.padB[d]
			}
			row := col[r*cw : (r+1)*cw]
			r++
			// decompose j0 into the output multi-index
			rem := j0
			for d := rank - 1; d >= 0; d-- {
				oidx[d] = rem % g.out[d]
				rem /= g.out[d]
			}
			for j := range row {
				p, ok := 0, true
				for d := 0; d < rank; d++ {
					v := oidx[d]*g.stride[d] + off[d]
					if v < 0 || v >= g.in[d] {
						ok = false
						break
					}
					p += v * inStr[d]
				}
				if ok {
					row[j] = xc[p]
				} else {
					row[j] = pad
				}
				for d := rank - 1; d >= 0; d-- {
					oidx[d]++
					if oidx[d] < g.out[d] {
						break
					}
					oidx[d] = 0
				}
			}
			for d := rank - 1; d >= 0; d-- {
				kidx[d]++
				if kidx[d] < g.kern[d] {
					break
				}
				kidx[d] = 0
			}
		}
	}
}

// col2imAdd scatters a column matrix back onto one image (ConvTranspose):
// row (m·kSize + kernel offset), column p (input pixel) adds into output
// channel m at position p·stride + k·dilation - padBegin when inside. col
// covers input pixels [p0, p1) with leading dimension p1-p0.
func col2imAdd[T float32 | float64](g *geom, col []T, y []T, p0, p1 int) {
	rank := len(g.in)
	cw := p1 - p0
	if rank == 2 {
		W := g.in[1]
		OH, OW := g.out[0], g.out[1]
		r := 0
		for m := 0; m < g.mg; m++ {
			ym := y[m*g.outSize : (m+1)*g.outSize]
			for kh := 0; kh < g.kern[0]; kh++ {
				offH := kh*g.dil[0] - g.padB[0]
				for kw := 0; kw < g.kern[1]; kw++ {
					offW := kw*g.dil[1] - g.padB[1]
					row := col[r*cw : (r+1)*cw]
					r++
					// input columns iw whose output column lies in [0, OW)
					lo, hi := validRange(offW, g.stride[1], OW, W)
					for p := p0; p < p1; {
						ih, iw0 := p/W, p%W
						end := min(p1, (ih+1)*W)
						iw1 := iw0 + end - p
						src := row[p-p0 : end-p0]
						p = end
						oh := ih*g.stride[0] + offH
						if oh < 0 || oh >= OH {
							continue
						}
						yr := ym[oh*OW : (oh+1)*OW]
						a, b := max(iw0, lo), min(iw1, hi)
						o := a*g.stride[1] + offW
						for iw := a; iw < b; iw++ {
							yr[o] += src[iw-iw0]
							o += g.stride[1]
						}
					}
				}
			}
		}
		return
	}
	kidx := make([]int, rank)
	iidx := make([]int, rank)
	outStr := make([]int, rank)
	acc := 1
	for d := rank - 1; d >= 0; d-- {
		outStr[d] = acc
		acc *= g.out[d]
	}
	r := 0
	for m := 0; m < g.mg; m++ {
		ym := y[m*g.outSize : (m+1)*g.outSize]
		for d := range kidx {
			kidx[d] = 0
		}
		for k := 0; k < g.kSize; k++ {
			row := col[r*cw : (r+1)*cw]
			r++
			rem := p0
			for d := rank - 1; d >= 0; d-- {
				iidx[d] = rem % g.in[d]
				rem /= g.in[d]
			}
			for j := range row {
				q, ok := 0, true
				for d := 0; d < rank; d++ {
					v := iidx[d]*g.stride[d] + kidx[d]*g.dil[d] - g.padB[d]
					if v < 0 || v >= g.out[d] {
						ok = false
						break
					}
					q += v * outStr[d]
				}
				if ok {
					ym[q] += row[j]
				}
				for d := rank - 1; d >= 0; d-- {
					iidx[d]++
					if iidx[d] < g.in[d] {
						break
					}
					iidx[d] = 0
				}
			}
			for d := rank - 1; d >= 0; d-- {
				kidx[d]++
				if kidx[d] < g.kern[d] {
					break
				}
				kidx[d] = 0
			}
		}
	}
}

// im2colPadded is im2col2D through a padded, column-deinterleaved copy of
// the input rows that the chunk needs: with column stride s, plane row i
// holds s phases, phase q being padded columns q, q+s, q+2s, ... (zero
// padding included), so tap kw of output ow is phase (kw·dw) mod s at
// offset (kw·dw)/s + ow: every patch row is a run of plain copies with no
// padding checks, and the strided gather is done once per input element
// instead of once per tap. It returns false, having written nothing,
// when its plane would be large; *plane is scratch kept between calls.
func im2colPadded[T any](g *geom, x []T, pad T, col []T, j0, j1 int, plane *[]T) bool {
	if len(g.in) != 2 || g.padB[0] < 0 || g.padB[1] < 0 || j1 <= j0 || g.out[1] <= 0 {
		return false
	}
	H, W := g.in[0], g.in[1]
	OW := g.out[1]
	KH, KW := g.kern[0], g.kern[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dil[0], g.dil[1]
	pt, pl := g.padB[0], g.padB[1]
	wq := OW + (KW-1)*dw/sw // columns per phase
	oh0, oh1 := j0/OW, (j1-1)/OW
	r0, r1 := oh0*sh, oh1*sh+(KH-1)*dh+1 // padded rows used, from input row r0-pt
	rows := r1 - r0
	cw := j1 - j0
	if int64(rows)*int64(sw)*int64(wq) > 2*int64(cw)*int64(KH*KW)+4096 {
		return false // sparse rows (large stride or dilation): no gain
	}
	rw := sw * wq // plane row
	if cap(*plane) < rows*rw {
		*plane = make([]T, rows*rw)
	}
	p := (*plane)[:rows*rw]
	r := 0
	for c := 0; c < g.cg; c++ {
		xc := x[c*H*W : (c+1)*H*W]
		for i := 0; i < rows; i++ {
			ih := r0 + i - pt
			for q := 0; q < sw; q++ {
				dst := p[i*rw+q*wq : i*rw+(q+1)*wq]
				if ih < 0 || ih >= H {
					fillRun(dst, pad)
					continue
				}
				// Phase column c' reads input column c'·sw + q - pl.
				lo, hi := validRange(q-pl, sw, W, wq)
				fillRun(dst[:lo], pad)
				xr := xc[ih*W : (ih+1)*W]
				if sw == 1 {
					copy(dst[lo:hi], xr[lo-pl:hi-pl])
				} else {
					src := lo*sw + q - pl
					seg := dst[lo:hi]
					for k := range seg {
						seg[k] = xr[src]
						src += sw
					}
				}
				fillRun(dst[hi:], pad)
			}
		}
		for kh := 0; kh < KH; kh++ {
			for kw := 0; kw < KW; kw++ {
				row := col[r*cw : (r+1)*cw]
				r++
				tap := (kw*dw%sw)*wq + kw*dw/sw
				for j := j0; j < j1; {
					oh, ow0 := j/OW, j%OW
					end := min(j1, (oh+1)*OW)
					src := p[(oh*sh+kh*dh-r0)*rw+tap+ow0:]
					copy(row[j-j0:end-j0], src[:end-j])
					j = end
				}
			}
		}
	}
	return true
}

func fillRun[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}
