//go:build amd64 && !purego

#include "textflag.h"

// decodeFastAMD64 is decodeBlock's loop for the common symbols (see
// inflate_amd64.go and the table layouts in inflate_pairs.go), with every
// piece of state in a register and BMI2 shifts, so that a table entry is
// its own shift count (SHRX takes the count's low six bits).
//
// Registers:
//	SI	next input byte to load (in.base + pos)
//	DI	next output byte (out.base + op)
//	R8	bits, R9 nb (only its low six bits count: whole entries are
//		subtracted from it, whose low six bits are the bits consumed)
//	R10	pairs, R11 dists
//	R12	inLimit = in.base + len(in) - 16, R13 outLimit = out.base +
//		len(out) - 320, R14 out.base
//	AX	the current entry; R15 the distance entry that would follow it
//		(LITERAL_SPEC), then a match's end; BX, CX, DX scratch
//
// Bounds: an iteration starts only with SI ≤ inLimit and DI ≤ outLimit.
// It refills at most twice, each load reading 8 bytes at SI and moving SI
// on by at most 7: the loads read at most up to in.base + len(in) - 1.
// Its writes (≤ 8 bytes of literals, or a match of ≤ 258 bytes with ≤ 8
// bytes of slack) end below DI + 320 ≤ out.base + len(out). A match's
// reads start at DI - distance, which the check against op keeps at or
// above out.base, and end below DI.

// refill loads bits until at least 56 are held: bits |= load64 << nb,
// SI += (63 - nb) / 8, nb |= 56.
#define REFILL \
	MOVQ  (SI), BX     \
	SHLXQ R9, BX, BX   \
	ORQ   BX, R8       \
	MOVL  R9, BX       \
	NOTL  BX           \
	ANDL  $63, BX      \
	SHRL  $3, BX       \
	ADDQ  BX, SI       \
	ORL   $56, R9

// LITERAL consumes the literal entry in AX, stores its two bytes at DI and
// advances DI by its count (1 or 2), then loads the next entry into AX:
// LITERAL_NEXT looks the next entry up (into DX) as soon as its bits are
// known, LITERAL_STORE does the rest.
#define LITERAL_NEXT \
	SHRXQ AX, R8, R8          \
	SUBL  AX, R9              \
	MOVL  R8, CX              \
	ANDL  $0xfff, CX          \
	MOVL  (R10)(CX*4), DX

#define LITERAL_STORE \
	MOVL  AX, BX              \
	SHRL  $8, BX              \
	MOVW  BX, (DI)            \
	SHRL  $16, BX             \
	ANDL  $3, BX              \
	ADDQ  BX, DI              \
	MOVL  DX, AX

#define LITERAL \
	LITERAL_NEXT              \
	LITERAL_STORE

// LITERAL_SPEC is LITERAL that also looks up, in R15, the distance entry
// that would follow the next entry were it a length (its low six bits are
// then the length's bits): issued before the branch on that entry, the
// load survives the misprediction that ends a run of literals, and the
// match finds its distance entry loaded. The bits it reads are held: the
// next entry starts ≤ 24 bits in, and a length and a distance lookup take
// ≤ 17 + 10 more.
#define LITERAL_SPEC \
	LITERAL_NEXT              \
	SHRXQ DX, R8, R15         \
	ANDL  $0x3ff, R15         \
	MOVL  (R11)(R15*4), R15   \
	LITERAL_STORE

// func decodeFastAMD64(in, out []byte, bits uint64, nb uint, pos, op int, pairs *pairTable, dists *distTable) (rbits uint64, rnb uint, rpos, rop int)
TEXT ·decodeFastAMD64(SB), NOSPLIT, $0-128
	MOVQ in_base+0(FP), SI
	MOVQ in_len+8(FP), R12
	LEAQ -16(SI)(R12*1), R12
	ADDQ pos+64(FP), SI
	MOVQ out_base+24(FP), R14
	MOVQ out_len+32(FP), R13
	LEAQ -320(R14)(R13*1), R13
	MOVQ op+72(FP), DI
	ADDQ R14, DI
	MOVQ bits+48(FP), R8
	MOVQ nb+56(FP), R9
	MOVQ pairs+80(FP), R10
	MOVQ dists+88(FP), R11

	// The first entry; from here on each step looks the next one up as
	// soon as its bits are known, leaving ≥ 12 bits held for it: the
	// refill, which changes no held bit, is off the lookups' chain.
	CMPQ SI, R12
	JHI  done
	CMPQ DI, R13
	JHI  done
	REFILL
	MOVL R8, CX
	ANDL $0xfff, CX
	MOVL (R10)(CX*4), AX
	JMP  dispatch

loop:
	// AX: the entry for the next bits, not yet consumed.
	CMPQ SI, R12
	JHI  done
	CMPQ DI, R13
	JHI  done
	REFILL

dispatch:
	// Up to three literal entries (≤ 12 bits each) from the ≥ 56 bits
	// held, leaving ≥ 20 for the next lookup, or for a length code and
	// its extra bits (≤ 17) and the distance's lookup (10). R15: the
	// distance entry were AX a length (see LITERAL_SPEC).
	SHRXQ AX, R8, R15
	ANDL  $0x3ff, R15
	MOVL  (R11)(R15*4), R15
	TESTL AX, AX
	JNS  notlit
	LITERAL_SPEC
	TESTL AX, AX
	JNS  notlit
	LITERAL_SPEC
	TESTL AX, AX
	JNS  notlit
	LITERAL
	JMP  loop

notlit:
	// A length entry, or something the Go loop handles (AX unconsumed).
	TESTL $0x40000000, AX
	JZ   done

	// The state before the match, for a distance the Go loop must see.
	MOVQ R8, rbits+96(FP)
	MOVQ R9, rnb+104(FP)
	MOVQ SI, rpos+112(FP)

	// length = base + the bits between the code's length and total.
	BZHIQ AX, R8, BX
	MOVL  AX, CX
	SHRL  $8, CX
	SHRXQ CX, BX, BX
	MOVL  AX, DX
	SHRL  $16, DX
	ANDL  $0x1ff, DX
	ADDL  BX, DX
	SHRXQ AX, R8, R8
	SUBL  AX, R9

	// The distance's entry, loaded already (R15), then a refill for its
	// extra bits (code and extra bits ≤ 23 of the ≥ 56 held).
	MOVL R15, AX
	REFILL
	TESTL AX, AX
	JZ   bailmatch
	BZHIQ AX, R8, BX
	MOVL  AX, CX
	SHRL  $8, CX
	SHRXQ CX, BX, BX
	MOVL  AX, CX
	SHRL  $16, CX
	ADDQ  BX, CX
	SHRXQ AX, R8, R8
	SUBL  AX, R9

	// The next entry (≥ 33 bits held), looked up while the match copies.
	MOVL R8, AX
	ANDL $0xfff, AX
	MOVL (R10)(AX*4), AX

	// distance ≤ op, or the Go loop reports the error.
	MOVQ DI, BX
	SUBQ R14, BX
	CMPQ CX, BX
	JHI  bailmatch
	MOVQ DI, BX
	SUBQ CX, BX
	LEAQ (DI)(DX*1), R15
	CMPQ CX, $8
	JCS  overlap

	// distance ≥ 8: every 8-byte word read ends before the word written.
	// Most matches take one word.
	MOVQ (BX), DX
	MOVQ DX, (DI)
	ADDQ $8, DI
	CMPQ DI, R15
	JCS  long
	MOVQ R15, DI
	JMP  loop

long:
	ADDQ $8, BX

words:
	MOVQ (BX), DX
	MOVQ DX, (DI)
	ADDQ $8, BX
	ADDQ $8, DI
	CMPQ DI, R15
	JCS  words
	MOVQ R15, DI
	JMP  loop

overlap:
	// distance 1 (runs, common in filtered image data): the byte in every
	// lane of a word, stored until the match is covered.
	CMPQ CX, $1
	JNE  overlapbytes
	MOVBQZX (BX), DX
	MOVQ    $0x0101010101010101, BX
	IMULQ   BX, DX

fill:
	MOVQ DX, (DI)
	ADDQ $8, DI
	CMPQ DI, R15
	JCS  fill
	MOVQ R15, DI
	JMP  loop

overlapbytes:
	// distance 2..7: the first 8 bytes one by one (each read byte is
	// before the one written, perhaps written a step earlier), then words
	// from m bytes back, m the least multiple of the distance ≥ 8: the
	// output repeats with period distance, so with period m too.
	MOVB (BX), DX
	MOVB DX, (DI)
	MOVB 1(BX), DX
	MOVB DX, 1(DI)
	MOVB 2(BX), DX
	MOVB DX, 2(DI)
	MOVB 3(BX), DX
	MOVB DX, 3(DI)
	MOVB 4(BX), DX
	MOVB DX, 4(DI)
	MOVB 5(BX), DX
	MOVB DX, 5(DI)
	MOVB 6(BX), DX
	MOVB DX, 6(DI)
	MOVB 7(BX), DX
	MOVB DX, 7(DI)
	ADDQ $8, DI
	CMPQ DI, R15
	JCS  overlaplong
	MOVQ R15, DI
	JMP  loop

overlaplong:
	MOVQ CX, DX

multiple:
	CMPQ DX, $8
	JCC  gotmultiple
	ADDQ CX, DX
	JMP  multiple

gotmultiple:
	MOVQ DI, BX
	SUBQ DX, BX
	JMP  words

bailmatch:
	MOVQ rbits+96(FP), R8
	MOVQ rnb+104(FP), R9
	MOVQ rpos+112(FP), SI

done:
	MOVQ R8, rbits+96(FP)
	ANDQ $63, R9
	MOVQ R9, rnb+104(FP)
	SUBQ in_base+0(FP), SI
	MOVQ SI, rpos+112(FP)
	SUBQ R14, DI
	MOVQ DI, rop+120(FP)
	RET
