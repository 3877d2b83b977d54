//go:build amd64 && !purego

package imageops

import "github.com/gonyx/gonyx/ops/cpu"

// adlerAVX2 picks adler32BlocksAVX2 in adler32Sum; tests switch it off to
// check the Go loop alone.
var adlerAVX2 = cpu.Active >= cpu.AVX2

// adlerAVX2OK: the CPU runs it (whatever GONYX_CPU says), for tests.
var adlerAVX2OK = cpu.Detected >= cpu.AVX2

// adlerMaxBlocks bounds one call: each of the weighted sum's 32-bit lanes
// gains at most 2·255·(32+31) = 32130 a block, so 4096 blocks keep the
// lanes' total below 2^31.
const adlerMaxBlocks = 4096

// adler32BlocksAVX2 sums blocks×32 bytes from p (1 ≤ blocks ≤
// adlerMaxBlocks): sum is the bytes' total, prefix the total, over the
// blocks, of the bytes before each block, and weighted the total of each
// byte times 32 minus its index in its block. Adler-32's s2 then gains
// 32·blocks·s1 + 32·prefix + weighted, and s1 gains sum.
//
//go:noescape
func adler32BlocksAVX2(p *byte, blocks int) (sum, prefix, weighted uint64)
