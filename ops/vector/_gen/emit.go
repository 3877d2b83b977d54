package main

import (
	"bytes"
	"fmt"
	"strings"
)

// gen emits Go assembly for one ISA. Methods take operands in Intel order
// (destination first) and print them in Go's reversed order. An operand
// "@name" is an entry of the constant table: as the last source it is a
// memory operand (an embedded broadcast on AVX-512, a full 32-byte vector
// on AVX2); elsewhere it is first loaded into the scratch register (or
// taken from a register it was hoisted into).
type gen struct {
	b      *bytes.Buffer
	avx512 bool
	w      int // lanes per vector
	vb     int // bytes per vector
	offs   map[string]int

	hoisted  map[string]string // "@name" or "$arg" → register
	scratch  string            // temporary for constants in non-memory positions
	tailMask string            // K1 or Y15
	tail     bool              // emitting the masked tail
	wanted   []string          // dry run: constants needed in registers
}

func newGen(b *bytes.Buffer, avx512 bool, offs map[string]int) *gen {
	g := &gen{b: b, avx512: avx512, offs: offs}
	if avx512 {
		g.w, g.vb, g.scratch, g.tailMask = 16, 64, "Z31", "K1"
	} else {
		g.w, g.vb, g.scratch, g.tailMask = 8, 32, "Y14", "Y15"
	}
	return g
}

func (g *gen) suffix() string {
	if g.avx512 {
		return "AVX512"
	}
	return "AVX2"
}

// numRegs is how many vector registers bodies, accumulators and hoisted
// values may use (the scratch and the AVX2 tail mask are kept out).
func (g *gen) numRegs() int {
	if g.avx512 {
		return 31
	}
	return 14
}

func (g *gen) v(i int) string {
	if g.avx512 {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

// x is the 128-bit name of vector register i.
func (g *gen) x(i int) string { return fmt.Sprintf("X%d", i) }

func (g *gen) ins(format string, args ...any) {
	fmt.Fprintf(g.b, "\t"+format+"\n", args...)
}

func (g *gen) label(l string) { fmt.Fprintf(g.b, "%s:\n", l) }

func (g *gen) constMem(name string) string {
	off, ok := g.offs[name]
	if !ok {
		panic("unknown constant " + name)
	}
	return fmt.Sprintf("vconst<>+%d(SB)", off)
}

// last resolves a last-source operand: a register, or a constant's memory.
func (g *gen) last(o string) (string, bool) {
	if r, ok := g.hoisted[o]; ok {
		return r, false
	}
	if strings.HasPrefix(o, "@") {
		return g.constMem(o[1:]), true
	}
	return o, false
}

// reg resolves an operand that must be a register.
func (g *gen) reg(o string) string {
	if r, ok := g.hoisted[o]; ok {
		return r
	}
	if strings.HasPrefix(o, "@") {
		g.want(o)
		g.ins("VBROADCASTSS %s, %s", g.constMem(o[1:]), g.scratch)
		return g.scratch
	}
	return o
}

func (g *gen) want(c string) {
	for _, w := range g.wanted {
		if w == c {
			return
		}
	}
	g.wanted = append(g.wanted, c)
}

// mn adds the embedded-broadcast suffix when the last source is memory.
func (g *gen) mn(m string, mem bool) string {
	if mem && g.avx512 {
		return m + ".BCST"
	}
	return m
}

// op3 emits d = a OP b.
func (g *gen) op3(m, d, a, b string) {
	a = g.reg(a)
	bs, mem := g.last(b)
	g.ins("%s %s, %s, %s", g.mn(m, mem), bs, a, d)
}

// fma emits a three-operand FMA form m (e.g. VFMADD213PS) with Intel
// operands d, a, b.
func (g *gen) fma(m, d, a, b string) { g.op3(m, d, a, b) }

// bcast loads constant c into register d.
func (g *gen) bcast(d, c string) {
	if r, ok := g.hoisted[c]; ok {
		g.ins("VMOVAPS %s, %s", r, d)
		return
	}
	g.want(c)
	g.ins("VBROADCASTSS %s, %s", g.constMem(c[1:]), d)
}

// horner leaves P(v) in d for the fitted polynomial named by prefix with
// n coefficients (lowest degree first).
func (g *gen) horner(d, v, prefix string, n int) {
	g.bcast(d, fmt.Sprintf("@%s%d", prefix, n-1))
	for i := n - 2; i >= 0; i-- {
		g.fma("VFMADD213PS", d, v, fmt.Sprintf("@%s%d", prefix, i))
	}
}

// Comparison predicates (VCMPPS immediates).
const (
	cmpEQ    = 0x00 // EQ_OQ
	cmpUNORD = 0x03 // UNORD_Q
	cmpLT    = 0x11 // LT_OQ
	cmpNGE   = 0x19 // NGE_UQ: not (a >= b), true for NaN
	cmpGE    = 0x1d // GE_OQ
	cmpGT    = 0x1e // GT_OQ
)

// mask names mask number i: K(2+i) on AVX-512, else vector register vreg.
func (g *gen) mask(i, vreg int) string {
	if g.avx512 {
		return fmt.Sprintf("K%d", 2+i)
	}
	return g.v(vreg)
}

// cmp sets mask m to (a PRED b).
func (g *gen) cmp(m string, pred int, a, b string) {
	a = g.reg(a)
	bs, mem := g.last(b)
	g.ins("%s $0x%02x, %s, %s, %s", g.mn("VCMPPS", mem), pred, bs, a, m)
}

// sel sets d = m ? t : f (t may be a constant).
func (g *gen) sel(d, m, t, f string) {
	f = g.reg(f)
	ts, mem := g.last(t)
	if g.avx512 {
		g.ins("%s %s, %s, %s, %s", g.mn("VBLENDMPS", mem), ts, f, m, d)
		return
	}
	g.ins("VBLENDVPS %s, %s, %s, %s", m, ts, f, d)
}

func (g *gen) pand() string {
	if g.avx512 {
		return "VPANDD"
	}
	return "VPAND"
}

// load loads a vector (masked, zeroing, in the tail).
func (g *gen) load(d, mem string) {
	switch {
	case !g.tail:
		g.ins("VMOVUPS %s, %s", mem, d)
	case g.avx512:
		g.ins("VMOVUPS.Z %s, K1, %s", mem, d)
	default:
		g.ins("VMASKMOVPS %s, Y15, %s", mem, d)
	}
}

// store stores a vector (masked in the tail).
func (g *gen) store(mem, s string) {
	switch {
	case !g.tail:
		g.ins("VMOVUPS %s, %s", s, mem)
	case g.avx512:
		g.ins("VMOVUPS %s, K1, %s", s, mem)
	default:
		g.ins("VMASKMOVPS %s, Y15, %s", s, mem)
	}
}
