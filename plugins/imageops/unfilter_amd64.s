//go:build amd64 && !purego

#include "textflag.h"

// func avg3SSE2(dst, src, prev *byte, pixels int)
//
// The Average filter for 3-byte pixels, the three channels side by side in
// one register: a pixel is read and written as 4 bytes (the fourth is the
// next pixel's first, written again by the next step), so the caller passes
// every pixel but the row's last.
//
// The register carries the complement of the pixel to the left, na = ^a,
// which makes the floor of the mean one instruction: PAVGB rounds up, and
// (^a + ^b + 1) >> 1 = 255 − ⌊(a+b)/2⌋ for bytes. The next complement is
// then that minus the filtered byte, 255 − (x + ⌊(a+b)/2⌋), so the chain
// from pixel to pixel is PAVGB and PSUBB; the complements of b and of the
// result are off it.
TEXT ·avg3SSE2(SB), NOSPLIT, $0-32
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    prev+16(FP), DX
	MOVQ    pixels+24(FP), CX
	PCMPEQB X6, X6 // all ones
	MOVO    X6, X0 // na: a is zero left of the first pixel
	TESTQ   CX, CX
	JLE     done

loop:
	MOVL  (SI), X1 // x, the filtered bytes
	MOVL  (DX), X2 // b, the pixel above
	PXOR  X6, X2   // ^b
	PAVGB X2, X0   // 255 − ⌊(a+b)/2⌋
	PSUBB X1, X0   // ^(x + ⌊(a+b)/2⌋): the next na
	MOVO  X0, X3
	PXOR  X6, X3
	MOVL  X3, (DI)
	ADDQ  $3, SI
	ADDQ  $3, DX
	ADDQ  $3, DI
	DECQ  CX
	JNZ   loop

done:
	RET
