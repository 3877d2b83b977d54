//go:build amd64 && !purego

#include "textflag.h"

// The two-tap passes of the bilinear resample in AVX2, eight outputs per
// step. The arithmetic is the Go passes' (resizeRow2, row2Go): 32-bit
// products of a byte and a 22-bit fixed-point weight, plus half, shifted
// right by 22, which for an exact kernel (the only kind these run for)
// never leaves 0..255.

// Per 32-bit lane, zero-extend byte k of the lane (k = 0..3).
DATA hByte0<>+0(SB)/8, $0x8080800480808000
DATA hByte0<>+8(SB)/8, $0x8080800C80808008
DATA hByte0<>+16(SB)/8, $0x8080800480808000
DATA hByte0<>+24(SB)/8, $0x8080800C80808008
GLOBL hByte0<>(SB), RODATA|NOPTR, $32
DATA hByte1<>+0(SB)/8, $0x8080800580808001
DATA hByte1<>+8(SB)/8, $0x8080800D80808009
DATA hByte1<>+16(SB)/8, $0x8080800580808001
DATA hByte1<>+24(SB)/8, $0x8080800D80808009
GLOBL hByte1<>(SB), RODATA|NOPTR, $32
DATA hByte2<>+0(SB)/8, $0x8080800680808002
DATA hByte2<>+8(SB)/8, $0x8080800E8080800A
DATA hByte2<>+16(SB)/8, $0x8080800680808002
DATA hByte2<>+24(SB)/8, $0x8080800E8080800A
GLOBL hByte2<>(SB), RODATA|NOPTR, $32
DATA hByte3<>+0(SB)/8, $0x8080800780808003
DATA hByte3<>+8(SB)/8, $0x8080800F8080800B
DATA hByte3<>+16(SB)/8, $0x8080800780808003
DATA hByte3<>+24(SB)/8, $0x8080800F8080800B
GLOBL hByte3<>(SB), RODATA|NOPTR, $32

// Per 128-bit lane holding r0..r3 g0..g3 b0..b3 (bytes), interleave them
// to r0 g0 b0 r1 … b3 in bytes 0..11.
DATA hInterleave<>+0(SB)/8, $0x0602090501080400
DATA hInterleave<>+8(SB)/8, $0x808080800B07030A
DATA hInterleave<>+16(SB)/8, $0x0602090501080400
DATA hInterleave<>+24(SB)/8, $0x808080800B07030A
GLOBL hInterleave<>(SB), RODATA|NOPTR, $32

// func hRow2AVX2(dst, src *uint8, off, w0, w1 *int32, groups int)
//
// Two gathers fetch, per output, the four bytes at src+off (a0 a1 a2 b0:
// the first sample and the second's red) and at src+off+2 (a2 b0 b1 b2),
// so no read passes off+6, the end of the second sample.
TEXT ·hRow2AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ off+16(FP), R8
	MOVQ w0+24(FP), R9
	MOVQ w1+32(FP), R10
	MOVQ groups+40(FP), CX
	LEAQ 2(SI), R11
	MOVL $0x200000, AX // half
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU hByte0<>(SB), Y11
	VMOVDQU hByte1<>(SB), Y12
	VMOVDQU hByte2<>(SB), Y13
	VMOVDQU hByte3<>(SB), Y14
	VMOVDQU hInterleave<>(SB), Y10
	TESTQ CX, CX
	JZ hdone

hloop:
	VMOVDQU (R8), Y0
	VPCMPEQD Y1, Y1, Y1
	VPGATHERDD Y1, (SI)(Y0*1), Y2 // a0 a1 a2 b0
	VPCMPEQD Y1, Y1, Y1
	VPGATHERDD Y1, (R11)(Y0*1), Y3 // a2 b0 b1 b2
	VMOVDQU (R9), Y8
	VMOVDQU (R10), Y9

	// red: a0·w0 + b0·w1
	VPSHUFB Y11, Y2, Y4
	VPMULLD Y8, Y4, Y4
	VPSHUFB Y12, Y3, Y5
	VPMULLD Y9, Y5, Y5
	VPADDD Y5, Y4, Y4
	VPADDD Y15, Y4, Y4
	VPSRLD $22, Y4, Y4

	// green: a1·w0 + b1·w1
	VPSHUFB Y12, Y2, Y5
	VPMULLD Y8, Y5, Y5
	VPSHUFB Y13, Y3, Y6
	VPMULLD Y9, Y6, Y6
	VPADDD Y6, Y5, Y5
	VPADDD Y15, Y5, Y5
	VPSRLD $22, Y5, Y5

	// blue: a2·w0 + b2·w1
	VPSHUFB Y13, Y2, Y6
	VPMULLD Y8, Y6, Y6
	VPSHUFB Y14, Y3, Y7
	VPMULLD Y9, Y7, Y7
	VPADDD Y7, Y6, Y6
	VPADDD Y15, Y6, Y6
	VPSRLD $22, Y6, Y6

	// Narrow to bytes (the values fit, so saturation never acts) and
	// interleave: each 128-bit lane then holds four pixels in 12 bytes.
	VPACKUSDW Y5, Y4, Y4
	VPACKUSDW Y6, Y6, Y6
	VPACKUSWB Y6, Y4, Y4
	VPSHUFB Y10, Y4, Y4

	// 24 bytes exactly: 16 (the last 4 junk), then 8 + 4 over the junk.
	VMOVDQU X4, (DI)
	VEXTRACTI128 $1, Y4, X5
	VMOVQ X5, 12(DI)
	VPEXTRD $2, X5, 20(DI)

	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $24, DI
	DECQ CX
	JNZ hloop

hdone:
	VZEROUPPER
	RET

// hRow2StepAVX2's constants: the permutation that copies each 128-bit
// lane's first offset across the lane, and the high bytes of a control
// that zero-extends one byte per 32-bit lane.
DATA hLaneFirst<>+0(SB)/8, $0
DATA hLaneFirst<>+8(SB)/8, $0
DATA hLaneFirst<>+16(SB)/8, $0x0000000400000004
DATA hLaneFirst<>+24(SB)/8, $0x0000000400000004
GLOBL hLaneFirst<>(SB), RODATA|NOPTR, $32

// func hRow2StepAVX2(dst, src *uint8, off, w0, w1 *int32, groups int)
//
// hRow2AVX2 without gathers, for kernels whose consecutive outputs start
// at most one sample apart (every enlargement): then outputs i..i+3 read
// at most the 15 bytes from off[i], so one 16-byte load per four outputs
// holds them, and a byte shuffle built from the offsets picks each
// channel. The caller guarantees off[8k]+16 and off[8k+4]+16 ≤ len(src)
// for every group k.
TEXT ·hRow2StepAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ off+16(FP), R8
	MOVQ w0+24(FP), R9
	MOVQ w1+32(FP), R10
	MOVQ groups+40(FP), CX
	MOVL $0x200000, AX // half
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x80808000, AX // zero the upper three bytes of each lane
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $1, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VMOVDQU hLaneFirst<>(SB), Y12
	VMOVDQU hInterleave<>(SB), Y10
	TESTQ CX, CX
	JZ sdone

sloop:
	MOVL (R8), AX
	MOVL 16(R8), BX
	VMOVDQU (SI)(AX*1), X2
	VINSERTI128 $1, (SI)(BX*1), Y2, Y2 // outputs 0..3 and 4..7 from here

	// Y0: each output's offset within its lane's 16 bytes, as a shuffle
	// control for its first byte; adding 1..5 steps through the others.
	VMOVDQU (R8), Y0
	VPERMD Y0, Y12, Y1
	VPSUBD Y1, Y0, Y0
	VPOR Y14, Y0, Y0
	VPSHUFB Y0, Y2, Y3 // a0
	VPADDD Y13, Y0, Y0
	VPSHUFB Y0, Y2, Y4 // a1
	VPADDD Y13, Y0, Y0
	VPSHUFB Y0, Y2, Y5 // a2
	VPADDD Y13, Y0, Y0
	VPSHUFB Y0, Y2, Y6 // b0
	VPADDD Y13, Y0, Y0
	VPSHUFB Y0, Y2, Y7 // b1
	VPADDD Y13, Y0, Y0
	VPSHUFB Y0, Y2, Y1 // b2
	VMOVDQU (R9), Y8
	VMOVDQU (R10), Y9

	VPMULLD Y8, Y3, Y3
	VPMULLD Y9, Y6, Y6
	VPADDD Y6, Y3, Y3
	VPADDD Y15, Y3, Y3
	VPSRLD $22, Y3, Y3 // red

	VPMULLD Y8, Y4, Y4
	VPMULLD Y9, Y7, Y7
	VPADDD Y7, Y4, Y4
	VPADDD Y15, Y4, Y4
	VPSRLD $22, Y4, Y4 // green

	VPMULLD Y8, Y5, Y5
	VPMULLD Y9, Y1, Y1
	VPADDD Y1, Y5, Y5
	VPADDD Y15, Y5, Y5
	VPSRLD $22, Y5, Y5 // blue

	VPACKUSDW Y4, Y3, Y3
	VPACKUSDW Y5, Y5, Y5
	VPACKUSWB Y5, Y3, Y3
	VPSHUFB Y10, Y3, Y3
	VMOVDQU X3, (DI)
	VEXTRACTI128 $1, Y3, X4
	VMOVQ X4, 12(DI)
	VPEXTRD $2, X4, 20(DI)

	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $24, DI
	DECQ CX
	JNZ sloop

sdone:
	VZEROUPPER
	RET

// Per 32-bit lane i, zero-extend channel c of pixel i from a register whose
// low 128-bit lane holds pixels 0..3 in bytes 0..11 and whose high lane
// holds pixels 4..7 in bytes 4..15 (it was loaded 8 bytes further on, so
// that no load passes the row's 24 bytes).
DATA vChan0<>+0(SB)/8, $0x8080800380808000
DATA vChan0<>+8(SB)/8, $0x8080800980808006
DATA vChan0<>+16(SB)/8, $0x8080800780808004
DATA vChan0<>+24(SB)/8, $0x8080800D8080800A
GLOBL vChan0<>(SB), RODATA|NOPTR, $32
DATA vChan1<>+0(SB)/8, $0x8080800480808001
DATA vChan1<>+8(SB)/8, $0x8080800A80808007
DATA vChan1<>+16(SB)/8, $0x8080800880808005
DATA vChan1<>+24(SB)/8, $0x8080800E8080800B
GLOBL vChan1<>(SB), RODATA|NOPTR, $32
DATA vChan2<>+0(SB)/8, $0x8080800580808002
DATA vChan2<>+8(SB)/8, $0x8080800B80808008
DATA vChan2<>+16(SB)/8, $0x8080800980808006
DATA vChan2<>+24(SB)/8, $0x8080800F8080800C
GLOBL vChan2<>(SB), RODATA|NOPTR, $32

// TAP2 leaves in Y2 one channel's eight resampled bytes, as int32: the
// channel picked by the shuffle control ctrl from the rows in Y0 and Y1,
// weighed by c0 (Y13) and c1 (Y12), plus half (Y15), >> 22, & 0xff (Y14).
#define TAP2(ctrl) \
	VPSHUFB ctrl, Y0, Y2; \
	VPMULLD Y13, Y2, Y2; \
	VPSHUFB ctrl, Y1, Y3; \
	VPMULLD Y12, Y3, Y3; \
	VPADDD Y3, Y2, Y2; \
	VPADDD Y15, Y2, Y2; \
	VPSRLD $22, Y2, Y2; \
	VPAND Y14, Y2, Y2

// GATHERCHANNEL stores one channel's eight normalised values, gathered from
// its table at lut, to plane (out is scratch).
#define GATHERCHANNEL(ctrl, lut, out, plane) \
	TAP2(ctrl); \
	VPCMPEQD Y4, Y4, Y4; \
	VPXOR out, out, out; \
	VPGATHERDD Y4, (lut)(Y2*4), out; \
	VMOVDQU out, (plane)

// func vRow2AVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int)
//
// The normalised value is gathered from the channel's 256-entry table, so
// it is the table's bits whatever the mean and std; the index is masked to
// a byte, as the Go pass's uint8 conversion does, so the gather stays
// inside the table for any weights.
TEXT ·vRow2AVX2(SB), NOSPLIT, $0-64
	MOVQ pr+0(FP), DI
	MOVQ pg+8(FP), DX
	MOVQ pb+16(FP), BX
	MOVQ r0+24(FP), SI
	MOVQ r1+32(FP), R8
	MOVL c0+40(FP), AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL c1+44(FP), AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVQ lut+48(FP), R9
	LEAQ 1024(R9), R10 // green's table
	LEAQ 2048(R9), R11 // blue's table
	MOVQ groups+56(FP), CX
	MOVL $0x200000, AX // half
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0xff, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU vChan0<>(SB), Y9
	VMOVDQU vChan1<>(SB), Y10
	VMOVDQU vChan2<>(SB), Y11
	TESTQ CX, CX
	JZ vdone

vloop:
	VMOVDQU (SI), X0
	VINSERTI128 $1, 8(SI), Y0, Y0
	VMOVDQU (R8), X1
	VINSERTI128 $1, 8(R8), Y1, Y1

	GATHERCHANNEL(Y9, R9, Y5, DI)
	GATHERCHANNEL(Y10, R10, Y6, DX)
	GATHERCHANNEL(Y11, R11, Y7, BX)

	ADDQ $24, SI
	ADDQ $24, R8
	ADDQ $32, DI
	ADDQ $32, DX
	ADDQ $32, BX
	DECQ CX
	JNZ vloop

vdone:
	VZEROUPPER
	RET

// func vRow2DivAVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int)
//
// vRow2AVX2 computing the normalised value instead of gathering it: both
// divisions of (v/255 − mean)/std are a product with the reciprocal and one
// Newton step on the remainder (two FMAs), which is the correctly rounded
// quotient except in rare cases. The table decides: cachedNorm runs this
// on all 256 bytes and sets lut.divOK only if every result is the table's.
TEXT ·vRow2DivAVX2(SB), NOSPLIT, $0-64
	MOVQ pr+0(FP), DI
	MOVQ pg+8(FP), DX
	MOVQ pb+16(FP), BX
	MOVQ r0+24(FP), SI
	MOVQ r1+32(FP), R8
	MOVL c0+40(FP), AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL c1+44(FP), AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVQ lut+48(FP), R9
	ADDQ $3072, R9 // lut.div: per channel mean, std, 1/std, 8 copies each
	MOVQ groups+56(FP), CX
	MOVL $0x200000, AX // half
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0xff, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x3b808081, AX // float32(1.0/255)
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $0x437f0000, AX // 255.0
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	VMOVDQU vChan0<>(SB), Y9
	VMOVDQU vChan1<>(SB), Y10
	VMOVDQU vChan2<>(SB), Y11
	TESTQ CX, CX
	JZ ddone

dloop:
	VMOVDQU (SI), X0
	VINSERTI128 $1, 8(SI), Y0, Y0
	VMOVDQU (R8), X1
	VINSERTI128 $1, 8(R8), Y1, Y1

// One channel: v from the two rows (TAP2); q = fl(v/255) from
// q ≈ v·(1/255) corrected by the exact remainder v − 255q; x = q − mean;
// y = fl(x/std) the same way from x·(1/std) and x − y·std. cst is the
// channel's offset in lut.div: mean at +0, std at +32, 1/std at +64.
#define DIVCHANNEL(ctrl, cst, plane) \
	TAP2(ctrl); \
	VCVTDQ2PS Y2, Y2; \
	VMULPS Y7, Y2, Y3; \
	VMOVAPS Y2, Y4; \
	VFNMADD231PS Y8, Y3, Y4; \
	VFMADD231PS Y7, Y4, Y3; \
	VSUBPS cst+0(R9), Y3, Y3; \
	VMULPS cst+64(R9), Y3, Y4; \
	VMOVAPS Y3, Y5; \
	VFNMADD231PS cst+32(R9), Y4, Y5; \
	VFMADD231PS cst+64(R9), Y5, Y4; \
	VMOVDQU Y4, (plane)

	DIVCHANNEL(Y9, 0, DI)
	DIVCHANNEL(Y10, 96, DX)
	DIVCHANNEL(Y11, 192, BX)

	ADDQ $24, SI
	ADDQ $24, R8
	ADDQ $32, DI
	ADDQ $32, DX
	ADDQ $32, BX
	DECQ CX
	JNZ dloop

ddone:
	VZEROUPPER
	RET
