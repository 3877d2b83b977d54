//go:build amd64 && !purego

#include "textflag.h"

DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// NaN-propagating max: dst = max(a, b) where VMAXPS returns b when either
// is NaN, then a where a is NaN.
#define MAXNAN(a, b, dst) \
	VMAXPS  b, a, dst     \
	VCMPPS  $3, a, a, K1  \
	VMOVAPS a, K1, dst

// func maxS2K3AVX512(out, x unsafe.Pointer, nb, m1, m2, m3, m4, m5 int)
// After nb full blocks, a last block (m1 != 0) stores the outputs in mask
// m1, loading x[2j], x[2j+1] under masks m2 (first 16) and m3 (next 16)
// and x[2j+2] under m4 and m5.
TEXT ·maxS2K3AVX512(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	VMOVUPS poolEven<>(SB), Z30
	VMOVUPS poolOdd<>(SB), Z29
	TESTQ CX, CX
	JZ    tail

loop:
	VMOVUPS   (SI), Z0
	VMOVUPS   Z0, Z1
	VPERMT2PS 64(SI), Z30, Z0 // x[2j]
	VPERMT2PS 64(SI), Z29, Z1 // x[2j+1]
	VMOVUPS   8(SI), Z2
	VPERMT2PS 72(SI), Z30, Z2 // x[2j+2]
	MAXNAN(Z0, Z1, Z3)
	MAXNAN(Z3, Z2, Z4)
	VMOVUPS   Z4, (DI)
	ADDQ      $64, DI
	ADDQ      $128, SI
	DECQ      CX
	JNZ       loop

tail:
	MOVQ  m1+24(FP), AX
	TESTQ AX, AX
	JZ    done
	KMOVW AX, K4
	MOVQ  m2+32(FP), AX
	KMOVW AX, K2
	MOVQ  m3+40(FP), AX
	KMOVW AX, K3
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z 64(SI), K3, Z5
	VMOVUPS   Z0, Z1
	VPERMT2PS Z5, Z30, Z0
	VPERMT2PS Z5, Z29, Z1
	MOVQ  m4+48(FP), AX
	KMOVW AX, K2
	MOVQ  m5+56(FP), AX
	KMOVW AX, K3
	VMOVUPS.Z 8(SI), K2, Z2
	VMOVUPS.Z 72(SI), K3, Z5
	VPERMT2PS Z5, Z30, Z2
	MAXNAN(Z0, Z1, Z3)
	MAXNAN(Z3, Z2, Z4)
	VMOVUPS   Z4, K4, (DI)

done:
	VZEROUPPER
	RET

// func max3AVX512(out, a, b, c unsafe.Pointer, nb, m int)
// After nb full blocks, a last block under mask m (m != 0).
TEXT ·max3AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), R8
	MOVQ nb+32(FP), CX
	TESTQ CX, CX
	JZ    tail3

loop3:
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VMOVUPS (R8), Z2
	MAXNAN(Z0, Z1, Z3)
	MAXNAN(Z3, Z2, Z4)
	VMOVUPS Z4, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, R8
	DECQ    CX
	JNZ     loop3

tail3:
	MOVQ  m+40(FP), AX
	TESTQ AX, AX
	JZ    done3
	KMOVW AX, K4
	VMOVUPS.Z (SI), K4, Z0
	VMOVUPS.Z (DX), K4, Z1
	VMOVUPS.Z (R8), K4, Z2
	MAXNAN(Z0, Z1, Z3)
	MAXNAN(Z3, Z2, Z4)
	VMOVUPS Z4, K4, (DI)

done3:
	VZEROUPPER
	RET
