//go:build amd64 && !purego

package imageops

import (
	"github.com/gonyx/gonyx/ops/cpu"
	"github.com/klauspost/cpuid/v2"
)

// inflateAsmOK: this CPU runs decodeFastAMD64, which uses BMI2 (SHRX, SHLX,
// BZHI: shifts by any register, so a table entry is its own shift count).
// GONYX_CPU=generic turns the assembly off, as it does for every kernel.
var inflateAsmOK = cpu.Active >= cpu.AVX2 && cpuid.CPU.Supports(cpuid.BMI2)

// inflateAsm picks the assembly fast loop in decodeBlock; tests switch it
// off to run the Go loop alone on the same streams.
var inflateAsm = inflateAsmOK

// decodeFast runs decodeFastAMD64 when the slices leave it the margins its
// bounds argument rests on (see inflate_amd64.s): the input has at least
// fastInSlack bytes from pos on, the output fastOutSlack bytes from op on.
// Otherwise, and after the assembly stops, the state is returned as the
// Go loop must continue from.
func decodeFast(in, out []byte, bits uint64, nb uint, pos, op int, c *codes) (uint64, uint, int, int) {
	if pos < 0 || op < 0 || len(in)-pos < fastInSlack || len(out)-op < fastOutSlack {
		return bits, nb, pos, op
	}
	return decodeFastAMD64(in, out, bits, nb, pos, op, &c.pairs, &c.dists)
}

// decodeFastAMD64 decodes literals and matches whose codes the packed tables
// resolve, from the state (bits, nb, pos, op), and stops before the first
// symbol it leaves to the Go loop (a code the tables send to slowSym or
// decodeSym, the end of the block, a distance past the output's start) or
// when the margins run out. The state it returns is exact: the Go loop
// continues from it as if it had decoded everything itself.
//
//go:noescape
func decodeFastAMD64(in, out []byte, bits uint64, nb uint, pos, op int, pairs *pairTable, dists *distTable) (rbits uint64, rnb uint, rpos, rop int)

const (
	// fastInSlack: each iteration of the assembly loop refills at most
	// twice, each reading 8 bytes and advancing at most 7; it starts one
	// only with 16 bytes left, so every read ends inside in.
	fastInSlack = 16
	// fastOutSlack: an iteration starting with this many bytes of output
	// left writes within them: up to 8 bytes of literals, or a match of at
	// most 258 bytes copied in 8-byte words (up to 7 bytes past its end;
	// 8 for the first word of a short overlapping match).
	fastOutSlack = 320
)
