package linalg

// packARows12 packs 12 full rows of a non-transposed A (depth kc, rows
// starting at a[off], stride lda) into one 12-row panel: p-major, so every
// k step writes one contiguous run of 12 floats while the 12 rows are read
// sequentially.
func packARows12(panel, a []float32, off, lda, kc int, alpha float32) {
	r0 := a[off : off+kc]
	r1 := a[off+lda : off+lda+kc]
	r2 := a[off+2*lda : off+2*lda+kc]
	r3 := a[off+3*lda : off+3*lda+kc]
	r4 := a[off+4*lda : off+4*lda+kc]
	r5 := a[off+5*lda : off+5*lda+kc]
	r6 := a[off+6*lda : off+6*lda+kc]
	r7 := a[off+7*lda : off+7*lda+kc]
	r8 := a[off+8*lda : off+8*lda+kc]
	r9 := a[off+9*lda : off+9*lda+kc]
	r10 := a[off+10*lda : off+10*lda+kc]
	r11 := a[off+11*lda : off+11*lda+kc]
	panel = panel[:12*kc]
	p0 := 0
	if packA12Asm != nil && kc >= 8 {
		// Rows r0..r11 are sliced above, so the assembly stays inside a.
		p0 = kc &^ 7
		packA12Asm(panel, a[off:], lda, p0/8, alpha)
	}
	for p := p0; p < kc; p++ {
		d := panel[p*12 : p*12+12 : p*12+12]
		d[0], d[1], d[2], d[3] = r0[p]*alpha, r1[p]*alpha, r2[p]*alpha, r3[p]*alpha
		d[4], d[5], d[6], d[7] = r4[p]*alpha, r5[p]*alpha, r6[p]*alpha, r7[p]*alpha
		d[8], d[9], d[10], d[11] = r8[p]*alpha, r9[p]*alpha, r10[p]*alpha, r11[p]*alpha
	}
}

// packARows6 is packARows12 for the 6-row AVX2 panels.
func packARows6(panel, a []float32, off, lda, kc int, alpha float32) {
	r0 := a[off : off+kc]
	r1 := a[off+lda : off+lda+kc]
	r2 := a[off+2*lda : off+2*lda+kc]
	r3 := a[off+3*lda : off+3*lda+kc]
	r4 := a[off+4*lda : off+4*lda+kc]
	r5 := a[off+5*lda : off+5*lda+kc]
	panel = panel[:6*kc]
	for p := 0; p < kc; p++ {
		d := panel[p*6 : p*6+6 : p*6+6]
		d[0], d[1], d[2] = r0[p]*alpha, r1[p]*alpha, r2[p]*alpha
		d[3], d[4], d[5] = r3[p]*alpha, r4[p]*alpha, r5[p]*alpha
	}
}

// packBFull copies kc rows of nr (32 or 16) columns, starting at b[off] with
// stride ldb, into a contiguous panel: with the assembly copy when this
// build has it (copyRowsAsm), else as fixed-size array copies.
func packBFull(panel, b []float32, off, ldb, kc, nr int) {
	if kc <= 0 {
		return
	}
	_ = panel[kc*nr-1]
	_ = b[off+(kc-1)*ldb+nr-1]
	if copyRowsAsm != nil {
		copyRowsAsm(panel, b[off:], ldb, kc, nr)
		return
	}
	if nr == 32 {
		for p := 0; p < kc; p++ {
			*(*[32]float32)(panel[p*32:]) = *(*[32]float32)(b[off+p*ldb:])
		}
		return
	}
	for p := 0; p < kc; p++ {
		*(*[16]float32)(panel[p*16:]) = *(*[16]float32)(b[off+p*ldb:])
	}
}
