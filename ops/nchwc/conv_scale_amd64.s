//go:build amd64 && !purego

#include "textflag.h"

// Channel-scale kernels for Conv.RunScaled (conv_scale.go). Written by
// hand: two short loops, memory bound.

// func scaleRows512(dst, src, s unsafe.Pointer, rows, width int)
// rows (a multiple of 16) rows of width floats (a multiple of 16): row r
// is src's row r times s[r%16].
TEXT ·scaleRows512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), DX
	MOVQ rows+24(FP), AX
	MOVQ width+32(FP), BX
	SHRQ $4, BX
	XORQ R8, R8
	TESTQ AX, AX
	JZ   rows512done
	TESTQ BX, BX
	JZ   rows512done
rows512row:
	VBROADCASTSS (DX)(R8*4), Z0
	MOVQ BX, CX
rows512chunk:
	VMULPS  (SI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  rows512chunk
	INCQ R8
	ANDQ $15, R8
	DECQ AX
	JNZ  rows512row
rows512done:
	VZEROUPPER
	RET

// func scaleRows256(dst, src, s unsafe.Pointer, rows, width int)
// As scaleRows512 with 8-float vectors (width a multiple of 8).
TEXT ·scaleRows256(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), DX
	MOVQ rows+24(FP), AX
	MOVQ width+32(FP), BX
	SHRQ $3, BX
	XORQ R8, R8
	TESTQ AX, AX
	JZ   rows256done
	TESTQ BX, BX
	JZ   rows256done
rows256row:
	VBROADCASTSS (DX)(R8*4), Y0
	MOVQ BX, CX
rows256chunk:
	VMULPS  (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rows256chunk
	INCQ R8
	ANDQ $15, R8
	DECQ AX
	JNZ  rows256row
rows256done:
	VZEROUPPER
	RET

// func scalePixels512(dst, src, s unsafe.Pointer, npix int)
// npix 16-float pixels: dst = src times the 16 lanes of s.
TEXT ·scalePixels512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), DX
	MOVQ npix+24(FP), AX
	VMOVUPS (DX), Z0
	CMPQ AX, $2
	JLT  pix512one
pix512two:
	VMULPS  (SI), Z0, Z1
	VMULPS  64(SI), Z0, Z2
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $2, AX
	CMPQ AX, $2
	JGE  pix512two
pix512one:
	TESTQ AX, AX
	JZ   pix512done
	VMULPS  (SI), Z0, Z1
	VMOVUPS Z1, (DI)
pix512done:
	VZEROUPPER
	RET

// func scalePixels256(dst, src, s unsafe.Pointer, npix int)
// As scalePixels512, a pixel as two 8-float halves.
TEXT ·scalePixels256(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), DX
	MOVQ npix+24(FP), AX
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	TESTQ AX, AX
	JZ   pix256done
pix256loop:
	VMULPS  (SI), Y0, Y2
	VMULPS  32(SI), Y1, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ AX
	JNZ  pix256loop
pix256done:
	VZEROUPPER
	RET
