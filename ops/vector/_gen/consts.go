package main

import (
	"fmt"
	"math"
)

// constant is one entry of the kernels' constant table. The assembly keeps
// each one as 8 copies (32 bytes: a whole AVX2 vector, or an AVX-512
// embedded-broadcast source); the Go twin gets it as a package variable.
type constant struct {
	name string // Go identifier in the vector package, asm table key
	bits uint32
	doc  string
}

func f32(v float32) uint32 { return math.Float32bits(v) }

// ln2Split returns ln2 as hi + lo where hi has 16 significant bits, so
// that n·hi is exact for |n| < 2^8.
func ln2Split() (hi, lo float32) {
	h := math.Round(math.Ln2*65536) / 65536
	return float32(h), float32(math.Ln2 - h)
}

// constants lists every constant, in table order.
func constants() []constant {
	hi, lo := ln2Split()
	cs := []constant{
		{"cAbsMask", 0x7fffffff, "clears the sign bit"},
		{"cSignMask", 0x80000000, "the sign bit"},
		{"cZero", 0, "0"},
		{"cHalf", f32(0.5), "0.5"},
		{"cOne", f32(1), "1"},
		{"cTwo", f32(2), "2"},
		{"cPosInf", 0x7f800000, "+Inf"},
		{"cNegInf", 0xff800000, "-Inf"},
		{"cNaN", 0x7fc00000, "a quiet NaN"},
		{"cExpLo", f32(-104), "exp clamps x to [cExpLo, cExpHi]: exp(-104) rounds to 0, exp(89) overflows"},
		{"cExpHi", f32(89), ""},
		{"cLog2e", f32(math.Log2E), "log2(e)"},
		{"cLn2Hi", f32(hi), "ln2 = cLn2Hi + cLn2Lo, cLn2Hi with 16 significant bits"},
		{"cLn2Lo", f32(lo), ""},
		{"cI127", 127, "int32 127, the float32 exponent bias"},
		{"cMinNorm", 0x00800000, "smallest normal float32, 2^-126"},
		{"cTwo23", f32(1 << 23), "2^23 (scales subnormals up)"},
		{"cMinus23", f32(-23), "-23"},
		{"cLogOff", 0x3f3504f3, "bits of √½ (log: mantissa range [√½, √2))"},
		{"cMantMask", 0x007fffff, "mantissa bits"},
		{"cTanhSmall", f32(tanhSmall), "tanh: |x| below uses the odd polynomial"},
		{"cTanhMax", f32(9.1), "tanh: |x| is clamped here (tanh(9.1) rounds to 1)"},
		{"cErfSmall", f32(erfSmall), "erf: |x| below uses the odd polynomial"},
		{"cErfMax", f32(erfMax), "erf: |x| is clamped here (erf(4) rounds to 1)"},
		{"cInvSqrt2", f32(1 / math.Sqrt2), "1/√2"},
		{"cThree", f32(3), "3"},
		{"cSix", f32(6), "6"},
		{"cSixth", f32(1.0 / 6), "1/6"},
	}
	for _, fn := range []struct{ name, key string }{
		{"cExpP", "exp"}, {"cLogP", "log"}, {"cTanhP", "tanh"}, {"cErfP", "erf"}, {"cErfcQ", "erfc"},
	} {
		for i, b := range fitted[fn.key] {
			cs = append(cs, constant{fmt.Sprintf("%s%d", fn.name, i), b, ""})
		}
	}
	return cs
}

// polyLen is the number of coefficients of a fitted polynomial.
func polyLen(key string) int { return len(fitted[key]) }
