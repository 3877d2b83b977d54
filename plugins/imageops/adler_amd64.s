//go:build amd64 && !purego

#include "textflag.h"

// Byte weights 32, 31, …, 1 for VPMADDUBSW (signed, all ≤ 127).
DATA adlerWeights<>+0(SB)/8, $0x191a1b1c1d1e1f20
DATA adlerWeights<>+8(SB)/8, $0x1112131415161718
DATA adlerWeights<>+16(SB)/8, $0x090a0b0c0d0e0f10
DATA adlerWeights<>+24(SB)/8, $0x0102030405060708
GLOBL adlerWeights<>(SB), RODATA|NOPTR, $32

// func adler32BlocksAVX2(p *byte, blocks int) (sum, prefix, weighted uint64)
//
// Y0: the bytes' running sums (VPSADBW: four 64-bit lanes, eight bytes
// each). Y1: Y0 added up before each block (the prefix). Y2: the weighted
// sums, eight 32-bit lanes (VPMADDUBSW pairs bytes with weights into 16-bit
// sums ≤ 2·255·32, VPMADDWD adds pairs of those). Reads exactly
// blocks×32 bytes from p.
TEXT ·adler32BlocksAVX2(SB), NOSPLIT, $0-40
	MOVQ    p+0(FP), SI
	MOVQ    blocks+8(FP), CX
	VPXOR   Y0, Y0, Y0
	VPXOR   Y1, Y1, Y1
	VPXOR   Y2, Y2, Y2
	VPXOR   Y7, Y7, Y7
	VMOVDQU adlerWeights<>(SB), Y5
	VPCMPEQW Y6, Y6, Y6
	VPSRLW  $15, Y6, Y6 // sixteen 16-bit ones

loop:
	VMOVDQU    (SI), Y3
	VPADDQ     Y0, Y1, Y1
	VPSADBW    Y7, Y3, Y4
	VPADDQ     Y4, Y0, Y0
	VPMADDUBSW Y5, Y3, Y4
	VPMADDWD   Y6, Y4, Y4
	VPADDD     Y4, Y2, Y2
	ADDQ       $32, SI
	DECQ       CX
	JNZ        loop

	VEXTRACTI128 $1, Y0, X4
	VPADDQ       X4, X0, X0
	VPSHUFD      $0x4e, X0, X4
	VPADDQ       X4, X0, X0
	VMOVQ        X0, sum+16(FP)

	VEXTRACTI128 $1, Y1, X4
	VPADDQ       X4, X1, X1
	VPSHUFD      $0x4e, X1, X4
	VPADDQ       X4, X1, X1
	VMOVQ        X1, prefix+24(FP)

	VEXTRACTI128 $1, Y2, X4
	VPADDD       X4, X2, X2
	VPSHUFD      $0x4e, X2, X4
	VPADDD       X4, X2, X2
	VPSHUFD      $0xb1, X2, X4
	VPADDD       X4, X2, X2
	VMOVD        X2, AX
	MOVQ         AX, weighted+32(FP)
	VZEROUPPER
	RET
