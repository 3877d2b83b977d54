package main

import (
	"bytes"
	"fmt"
	"strings"
)

// arg is one Go parameter of a kernel.
type arg struct {
	name  string
	slice bool // []float32, else float32
}

// kernel describes one assembly routine: it walks the inputs (slices,
// all of the first input's length) one vector at a time, runs body on
// the loaded vectors and stores the result to the output and/or folds it
// into a reduction.
type kernel struct {
	name    string
	args    []arg
	out     string   // output slice, or ""
	ins     []string // input slices (1 or 2)
	scalars []string // float32 arguments broadcast into registers
	ret     bool     // returns float32 (the reduction)
	red     string   // "", "sum" or "max"
	hoist   []string // constants kept in registers
	unroll  int
	group   int // vector registers per unrolled group (inputs first)
	// body computes on the group's registers (base, base+1, ...; inputs
	// already loaded in the first ones) and returns the result register.
	body func(g *gen, base int) string
	doc  string
	// acc states the measured accuracy against float64 math (the sweeps of
	// accuracy_test.go; AVX2 and AVX-512 results are bit-identical).
	acc string
}

func sl(names ...string) []arg {
	var a []arg
	for _, n := range names {
		a = append(a, arg{n, true})
	}
	return a
}

func sc(names ...string) []arg {
	var a []arg
	for _, n := range names {
		a = append(a, arg{n, false})
	}
	return a
}

func cat(as ...[]arg) []arg {
	var out []arg
	for _, a := range as {
		out = append(out, a...)
	}
	return out
}

// frame computes argument offsets (Go ABI0) and the frame's argument size.
func (k *kernel) frame() (map[string]int, int, int) {
	offs := map[string]int{}
	o := 0
	for _, a := range k.args {
		if a.slice {
			o = (o + 7) &^ 7
			offs[a.name] = o
			o += 24
		} else {
			offs[a.name] = o
			o += 4
		}
	}
	ret := -1
	if k.ret {
		o = (o + 7) &^ 7
		ret = o
		o += 4
	}
	return offs, ret, o
}

func (k *kernel) goSig() string {
	var parts []string
	for i := 0; i < len(k.args); {
		j := i
		for j < len(k.args) && k.args[j].slice == k.args[i].slice {
			j++
		}
		var names []string
		for _, a := range k.args[i:j] {
			names = append(names, a.name)
		}
		t := "float32"
		if k.args[i].slice {
			t = "[]float32"
		}
		parts = append(parts, strings.Join(names, ", ")+" "+t)
		i = j
	}
	s := "(" + strings.Join(parts, ", ") + ")"
	if k.ret {
		s += " float32"
	}
	return s
}

// emit writes the routine for g's ISA.
func (g *gen) emit(k *kernel) {
	offs, retOff, size := k.frame()
	name := k.name + g.suffix()
	fmt.Fprintf(g.b, "\n// func %s%s\n// %s.\n", name, k.goSig(), k.doc)
	if k.acc != "" {
		fmt.Fprintf(g.b, "// Accuracy: %s.\n", k.acc)
	}
	fmt.Fprintf(g.b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, size)
	ptrs := []string{"SI", "DX"}
	if k.out != "" {
		g.ins("MOVQ %s_base+%d(FP), DI", k.out, offs[k.out])
	}
	for i, in := range k.ins {
		g.ins("MOVQ %s_base+%d(FP), %s", in, offs[in], ptrs[i])
	}
	g.ins("MOVQ %s_len+%d(FP), CX", k.ins[0], offs[k.ins[0]]+8)

	// Register plan: groups from 0, then accumulators, then hoisted
	// values from the top down.
	next := g.numRegs() - 1
	g.hoisted = map[string]string{}
	for _, s := range k.scalars {
		r := g.v(next)
		next--
		g.ins("VBROADCASTSS %s+%d(FP), %s", s, offs[s], r)
		g.hoisted["$"+s] = r
	}
	for _, c := range k.hoist {
		r := g.v(next)
		next--
		g.ins("VBROADCASTSS %s, %s", g.constMem(c), r)
		g.hoisted["@"+c] = r
	}
	// Unroll as far as asked and the registers allow.
	u := k.unroll
	need := func(u int) int {
		n := u * k.group
		if k.red != "" {
			n += u
		}
		if k.red == "max" && !g.avx512 {
			n++
		}
		return n
	}
	for u > 1 && need(u) > next+1 {
		u--
	}
	accBase := u * k.group
	nacc := 0
	if k.red != "" {
		nacc = u
	}
	nanBase := accBase + nacc // AVX2 max: the NaN flags
	used := accBase + nacc
	if k.red == "max" && !g.avx512 {
		used++
	}
	if used > next+1 {
		panic(fmt.Sprintf("%s: needs %d registers, has %d", name, used, next+1))
	}
	// Dry-run the body to find the constants it wants in registers, and
	// keep as many as fit in the free registers.
	out := g.b
	g.b, g.wanted = new(bytes.Buffer), nil
	k.body(g, 0)
	g.b = out
	for _, c := range g.wanted {
		if next < used {
			break
		}
		r := g.v(next)
		next--
		g.ins("VBROADCASTSS %s, %s", g.constMem(c[1:]), r)
		g.hoisted[c] = r
	}
	for j := 0; j < nacc; j++ {
		a := g.v(accBase + j)
		switch k.red {
		case "sum":
			g.ins("VXORPS %s, %s, %s", a, a, a)
		case "max":
			g.ins("VBROADCASTSS %s, %s", g.constMem("cNegInf"), a)
			if !g.avx512 && j == 0 {
				f := g.v(nanBase)
				g.ins("VXORPS %s, %s, %s", f, f, f)
			}
		}
	}
	if k.red == "max" && g.avx512 {
		g.ins("KXORW K7, K7, K7")
	}

	step := func(groups int) {
		for j := 0; j < groups; j++ {
			base := j * k.group
			for i := range k.ins {
				g.load(g.v(base+i), fmt.Sprintf("%d(%s)", j*g.vb, ptrs[i]))
			}
			r := k.body(g, base)
			if k.out != "" {
				g.store(fmt.Sprintf("%d(DI)", j*g.vb), r)
			}
			if k.red != "" {
				g.accumulate(k.red, g.v(accBase+j), r, g.v(nanBase), base+k.group-1)
			}
		}
	}
	advance := func(groups int) {
		for i := range k.ins {
			g.ins("ADDQ $%d, %s", groups*g.vb, ptrs[i])
		}
		if k.out != "" {
			g.ins("ADDQ $%d, DI", groups*g.vb)
		}
		g.ins("SUBQ $%d, CX", groups*g.w)
	}
	if u > 1 {
		g.ins("CMPQ CX, $%d", u*g.w)
		g.ins("JB one")
		g.label("loop")
		step(u)
		advance(u)
		g.ins("CMPQ CX, $%d", u*g.w)
		g.ins("JAE loop")
		g.label("one")
	}
	g.ins("CMPQ CX, $%d", g.w)
	g.ins("JB tail")
	g.label("loop1")
	step(1)
	advance(1)
	g.ins("CMPQ CX, $%d", g.w)
	g.ins("JAE loop1")
	g.label("tail")
	g.ins("TESTQ CX, CX")
	g.ins("JEQ done")
	if g.avx512 {
		g.ins("MOVL $1, AX")
		g.ins("SHLL CX, AX")
		g.ins("SUBL $1, AX")
		g.ins("KMOVW AX, K1")
	} else {
		g.ins("LEAQ vtail<>+32(SB), AX")
		g.ins("SHLQ $2, CX")
		g.ins("SUBQ CX, AX")
		g.ins("VMOVDQU (AX), Y15")
	}
	g.tail = true
	step(1)
	g.tail = false
	g.label("done")
	if k.red != "" {
		g.finishReduction(k.red, accBase, nacc, nanBase, retOff)
	}
	g.ins("VZEROUPPER")
	g.ins("RET")
}

// accumulate folds result r into accumulator acc (only the active lanes
// in the tail). tmp is a free vector register of the group (AVX2 max).
func (g *gen) accumulate(kind, acc, r, nanFlag string, tmp int) {
	switch kind {
	case "sum":
		switch {
		case g.tail && g.avx512:
			g.ins("VADDPS %s, %s, K1, %s", r, acc, acc)
		case g.tail:
			g.ins("VANDPS Y15, %s, %s", r, r)
			g.ins("VADDPS %s, %s, %s", r, acc, acc)
		default:
			g.ins("VADDPS %s, %s, %s", r, acc, acc)
		}
	case "max":
		if g.avx512 {
			if g.tail {
				g.ins("VCMPPS $0x%02x, %s, %s, K1, K2", cmpUNORD, r, r)
				g.ins("VMAXPS %s, %s, K1, %s", r, acc, acc)
			} else {
				g.ins("VCMPPS $0x%02x, %s, %s, K2", cmpUNORD, r, r)
				g.ins("VMAXPS %s, %s, %s", r, acc, acc)
			}
			g.ins("KORW K2, K7, K7")
			return
		}
		if g.tail {
			// Masked-off lanes loaded as 0: make them -Inf.
			g.sel(r, "Y15", r, "@cNegInf")
		}
		t := g.v(tmp)
		g.ins("VCMPPS $0x%02x, %s, %s, %s", cmpUNORD, r, r, t)
		g.ins("VORPS %s, %s, %s", t, nanFlag, nanFlag)
		g.ins("VMAXPS %s, %s, %s", r, acc, acc)
	}
}

// finishReduction combines the accumulators into X(accBase) lane 0 and
// stores it as the result.
func (g *gen) finishReduction(kind string, accBase, nacc, nanBase, retOff int) {
	op := "VADDPS"
	sop := "VADDSS"
	if kind == "max" {
		op, sop = "VMAXPS", "VMAXSS"
	}
	a0 := g.v(accBase)
	for j := 1; j < nacc; j++ {
		g.ins("%s %s, %s, %s", op, g.v(accBase+j), a0, a0)
	}
	y0 := fmt.Sprintf("Y%d", accBase)
	x0, x1 := g.x(accBase), g.x(accBase+1)
	y1 := fmt.Sprintf("Y%d", accBase+1)
	if g.avx512 {
		g.ins("VEXTRACTF64X4 $1, %s, %s", a0, y1)
		g.ins("%s %s, %s, %s", op, y1, y0, y0)
	}
	g.ins("VEXTRACTF128 $1, %s, %s", y0, x1)
	g.ins("%s %s, %s, %s", op, x1, x0, x0)
	g.ins("VMOVHLPS %s, %s, %s", x0, x0, x1)
	g.ins("%s %s, %s, %s", op, x1, x0, x0)
	g.ins("VMOVSHDUP %s, %s", x0, x1)
	g.ins("%s %s, %s, %s", sop, x1, x0, x0)
	if kind == "max" {
		if g.avx512 {
			g.ins("KORTESTW K7, K7")
		} else {
			g.ins("VMOVMSKPS %s, AX", g.v(nanBase))
			g.ins("TESTL AX, AX")
		}
		g.ins("JEQ store")
		g.ins("VMOVSS %s, %s", g.constMem("cNaN"), x0)
		g.label("store")
	}
	g.ins("VMOVSS %s, ret+%d(FP)", x0, retOff)
}

// expCore computes x = exp(x) in place with temporaries t0..t2 (t2 only
// on AVX2). Steps (the Go twin exp32 does the same):
//
//	x = min(max(x, -104), 89)           NaN stays NaN
//	n = round(x·log2e)                   to nearest even
//	r = x − n·ln2hi − n·ln2lo            (two FMAs)
//	p = 1 + r + r²·P(r)                  Horner, P of degree 4
//	x = p·2^n                            AVX-512: VSCALEFPS; AVX2: two
//	                                     exponent-built factors 2^(n>>1), 2^(n−n>>1)
func (g *gen) expCore(x, t0, t1, t2 int) { g.expClamped(x, t0, t1, t2, true) }

// expClamped is expCore; without hi, x ≤ 0 (or NaN) is known and the
// upper clamp is left out.
func (g *gen) expClamped(x, t0, t1, t2 int, hi bool) {
	X, N, P := g.v(x), g.v(t0), g.v(t1)
	g.op3("VMAXPS", X, "@cExpLo", X)
	if hi {
		g.op3("VMINPS", X, "@cExpHi", X)
	}
	g.op3("VMULPS", N, X, "@cLog2e")
	S := g.v(t2)
	if g.avx512 {
		g.ins("VRNDSCALEPS $0, %s, %s", N, N)
	} else {
		g.ins("VCVTPS2DQ %s, %s", N, S)
		g.ins("VCVTDQ2PS %s, %s", S, N)
	}
	g.fma("VFNMADD231PS", X, N, "@cLn2Hi")
	g.fma("VFNMADD231PS", X, N, "@cLn2Lo")
	g.horner(P, X, "cExpP", polyLen("exp"))
	g.fma("VFMADD213PS", P, X, "@cOne")
	g.fma("VFMADD213PS", P, X, "@cOne")
	if g.avx512 {
		g.ins("VSCALEFPS %s, %s, %s", N, P, X)
		return
	}
	g.ins("VPSRAD $1, %s, %s", S, N)
	g.op3("VPSUBD", S, S, N)
	g.op3("VPADDD", N, N, "@cI127")
	g.op3("VPADDD", S, S, "@cI127")
	g.ins("VPSLLD $23, %s, %s", N, N)
	g.ins("VPSLLD $23, %s, %s", S, S)
	g.op3("VMULPS", P, P, N)
	g.op3("VMULPS", X, P, S)
}

// copysign ORs x's sign bit into d (d ≥ 0, or already of x's sign); t is
// a temporary.
func (g *gen) copysign(d, x, t string) {
	g.op3("VANDPS", t, x, "@cSignMask")
	g.op3("VORPS", d, d, t)
}

func kernels() []*kernel {
	un := func(name, doc, acc string, group int, body func(g *gen, b int) string, hoist ...string) *kernel {
		return &kernel{name: name, args: sl("dst", "src"), out: "dst", ins: []string{"src"},
			unroll: 1, group: group, body: body, hoist: hoist, doc: doc, acc: acc}
	}
	var ks []*kernel
	ks = append(ks,
		un("exp", "dst[i] = exp(src[i])", "max error 0.88 ulp; exp(x ≥ 88.7228) = +Inf, exp(x ≤ −103.9721) = 0, subnormal results within 1 subnormal step", 4, func(g *gen, b int) string {
			g.expCore(b, b+1, b+2, b+3)
			return g.v(b)
		}),
		un("log", "dst[i] = log(src[i])", "max error 0.92 ulp (subnormal inputs included); log(0) = −Inf, log(x<0) = NaN, log(+Inf) = +Inf", 6, func(g *gen, b int) string {
			X, T, E, F, P := g.v(b), g.v(b+1), g.v(b+2), g.v(b+3), g.v(b+4)
			M := g.mask(0, b+5)
			// Subnormals are scaled by 2^23 first.
			g.cmp(M, cmpLT, X, "@cMinNorm")
			g.op3("VMULPS", T, X, "@cTwo23")
			g.sel(T, M, T, X)
			g.ins("VXORPS %s, %s, %s", E, E, E)
			g.sel(E, M, "@cMinus23", E)
			// x = m·2^e, m ∈ [√½, √2): integer arithmetic on the bits.
			g.op3("VPSUBD", T, T, "@cLogOff")
			g.ins("VPSRAD $23, %s, %s", T, F)
			g.ins("VCVTDQ2PS %s, %s", F, F)
			g.op3("VADDPS", E, E, F)
			g.op3(g.pand(), T, T, "@cMantMask")
			g.op3("VPADDD", T, T, "@cLogOff")
			g.op3("VSUBPS", F, T, "@cOne")
			// log(1+f) = f + f²·P(f); + e·ln2.
			g.horner(P, F, "cLogP", polyLen("log"))
			g.op3("VMULPS", P, P, F)
			g.fma("VFMADD213PS", P, F, F)
			g.fma("VFMADD231PS", P, E, "@cLn2Lo")
			g.fma("VFMADD231PS", P, E, "@cLn2Hi")
			// log(+Inf) = +Inf, log(±0) = −Inf, log(x<0 or NaN) = NaN.
			g.cmp(M, cmpEQ, X, "@cPosInf")
			g.sel(P, M, "@cPosInf", P)
			g.cmp(M, cmpEQ, X, "@cZero")
			g.sel(P, M, "@cNegInf", P)
			g.cmp(M, cmpNGE, X, "@cZero")
			g.sel(P, M, "@cNaN", P)
			return P
		}),
		un("tanh", "dst[i] = tanh(src[i])", "max error 1.48 ulp; exactly ±1 for |x| ≥ 9.011", 8, func(g *gen, b int) string {
			X, A, U, P, Q := g.v(b), g.v(b+1), g.v(b+2), g.v(b+3), g.v(b+4)
			g.op3("VANDPS", A, X, "@cAbsMask")
			// Small |x|: x + x³·P(x²).
			g.op3("VMULPS", U, X, X)
			g.horner(P, U, "cTanhP", polyLen("tanh"))
			g.op3("VMULPS", P, P, U)
			g.fma("VFMADD213PS", P, X, X)
			// Otherwise ±(1 − 2/(exp(2|x|)+1)), |x| clamped to 9.1.
			g.op3("VMINPS", Q, "@cTanhMax", A)
			g.op3("VADDPS", Q, Q, Q)
			g.expCore(b+4, b+5, b+6, b+7)
			g.op3("VADDPS", Q, Q, "@cOne")
			g.op3("VDIVPS", Q, "@cTwo", Q)
			g.op3("VSUBPS", Q, "@cOne", Q)
			M := g.mask(0, b+2)
			g.cmp(M, cmpLT, A, "@cTanhSmall")
			g.sel(Q, M, P, Q)
			// x's sign: the large branch is ≥ 0, the small one has it
			// already except for tanh(−0) (the FMA gives +0).
			g.copysign(Q, X, U)
			return Q
		}),
		un("sigmoid", "dst[i] = 1/(1+exp(-src[i]))", "max error 2.40 ulp; exactly 1 for x ≥ 16.64, subnormal results within 1 subnormal step", 5, func(g *gen, b int) string {
			return g.sigmoidBody(b, false)
		}),
		un("silu", "dst[i] = src[i]/(1+exp(-src[i]))", "max error 3.22 ulp for x ≥ −87.3; below, where exp(−|x|) is subnormal, |error| ≤ |x|·2^-148 (results < 1e-36)", 5, func(g *gen, b int) string {
			return g.sigmoidBody(b, true)
		}),
		un("erf", "dst[i] = erf(src[i])", "max error 2.44 ulp (absolute < 1.5e-7); exactly ±1 for |x| ≥ 3.92", 8, func(g *gen, b int) string {
			X, A, U, P, Q := g.v(b), g.v(b+1), g.v(b+2), g.v(b+3), g.v(b+4)
			g.op3("VANDPS", A, X, "@cAbsMask")
			// Small |x|: x·P(x²).
			g.op3("VMULPS", U, X, X)
			g.horner(P, U, "cErfP", polyLen("erf"))
			g.op3("VMULPS", P, P, X)
			// Otherwise ±(1 − exp(Q(z))), z = min(|x|, 4).
			g.op3("VMINPS", Q, "@cErfMax", A)
			g.horner(U, Q, "cErfcQ", polyLen("erfc"))
			g.expCore(b+2, b+5, b+6, b+7)
			g.op3("VSUBPS", U, "@cOne", U)
			g.copysign(U, X, Q)
			M := g.mask(0, b+4)
			g.cmp(M, cmpLT, A, "@cErfSmall")
			g.sel(U, M, P, U)
			return U
		}),
		un("gelu", "dst[i] = src[i]/2·(1+erf(src[i]/√2))", "max error 1.69 ulp for x ≥ 0, relative 1e-6 for −1.24 < x < 0, relative 6.1e-6 for −5.66 < x ≤ −1.24; −0 below (|gelu| < 5e-8 there)", 10, func(g *gen, b int) string {
			X, H, Z, A, P, Q, C := g.v(b), g.v(b+1), g.v(b+2), g.v(b+3), g.v(b+4), g.v(b+5), g.v(b+6)
			g.op3("VMULPS", H, X, "@cHalf")
			g.op3("VMULPS", Z, X, "@cInvSqrt2")
			g.op3("VANDPS", A, Z, "@cAbsMask")
			// Small |z|: h + h·erf(z), erf(z) = z·P(z²).
			g.op3("VMULPS", Q, Z, Z)
			g.horner(P, Q, "cErfP", polyLen("erf"))
			g.op3("VMULPS", P, P, Z)
			g.fma("VFMADD213PS", P, H, H)
			// Otherwise c = erfc(|z|) = exp(Q(min(|z|, 4))), 0 past 4:
			// h·(2−c) for x ≥ 0, h·c below (no cancellation).
			g.op3("VMINPS", Q, "@cErfMax", A)
			g.horner(C, Q, "cErfcQ", polyLen("erfc"))
			g.expCore(b+6, b+7, b+8, b+9)
			M := g.mask(0, b+2)
			g.cmp(M, cmpGT, A, "@cErfMax")
			g.sel(C, M, "@cZero", C)
			g.op3("VSUBPS", Q, "@cTwo", C)
			g.op3("VMULPS", Q, Q, H)
			g.op3("VMULPS", C, C, H)
			g.cmp(M, cmpGE, X, "@cZero")
			g.sel(C, M, Q, C)
			g.cmp(M, cmpLT, A, "@cErfSmall")
			g.sel(C, M, P, C)
			return C
		}),
		un("hardswish", "dst[i] = src[i]·min(max(src[i]+3, 0), 6)/6", "max error 2.23 ulp", 2, func(g *gen, b int) string {
			X, U := g.v(b), g.v(b+1)
			g.op3("VADDPS", U, X, "@cThree")
			g.op3("VMAXPS", U, "@cZero", U)
			g.op3("VMINPS", U, "@cSix", U)
			g.op3("VMULPS", U, U, X)
			g.op3("VMULPS", U, U, "@cSixth")
			return U
		}, "cZero", "cSix"),
	)
	relu := un("relu", "dst[i] = max(src[i], 0)", "exact; NaN stays NaN, relu(−0) = −0", 1, func(g *gen, b int) string {
		X := g.v(b)
		g.op3("VMAXPS", X, "@cZero", X)
		return X
	}, "cZero")
	relu.unroll = 4
	ks = append(ks, relu)
	ks = append(ks, &kernel{name: "clip", doc: "dst[i] = min(max(src[i], lo), hi)",
		args: cat(sl("dst", "src"), sc("lo", "hi")), out: "dst", ins: []string{"src"},
		scalars: []string{"lo", "hi"}, unroll: 4, group: 1,
		body: func(g *gen, b int) string {
			X := g.v(b)
			g.op3("VMAXPS", X, "$lo", X)
			g.op3("VMINPS", X, "$hi", X)
			return X
		}})
	for _, o := range []struct{ name, mn, sym string }{
		{"add", "VADDPS", "+"}, {"sub", "VSUBPS", "-"}, {"mul", "VMULPS", "*"}, {"div", "VDIVPS", "/"},
	} {
		mn := o.mn
		ks = append(ks, &kernel{name: o.name, doc: "dst[i] = a[i] " + o.sym + " b[i]",
			args: sl("dst", "a", "b"), out: "dst", ins: []string{"a", "b"}, unroll: 4, group: 2,
			body: func(g *gen, b int) string {
				g.op3(mn, g.v(b), g.v(b), g.v(b+1))
				return g.v(b)
			}})
		rev := o.name == "sub" || o.name == "div"
		ks = append(ks, &kernel{name: o.name + "Scalar", doc: "dst[i] = a[i] " + o.sym + " s",
			args: cat(sl("dst", "a"), sc("s")), out: "dst", ins: []string{"a"}, scalars: []string{"s"},
			unroll: 4, group: 1,
			body: func(g *gen, b int) string {
				g.op3(mn, g.v(b), g.v(b), "$s")
				return g.v(b)
			}})
		if rev {
			ks = append(ks, &kernel{name: "scalar" + strings.ToUpper(o.name[:1]) + o.name[1:],
				doc:  "dst[i] = s " + o.sym + " a[i]",
				args: cat(sl("dst", "a"), sc("s")), out: "dst", ins: []string{"a"}, scalars: []string{"s"},
				unroll: 4, group: 1,
				body: func(g *gen, b int) string {
					g.op3(mn, g.v(b), "$s", g.v(b))
					return g.v(b)
				}})
		}
	}
	ks = append(ks,
		&kernel{name: "scaleShift", doc: "dst[i] = x[i]·scale + shift (fused)",
			args: cat(sl("dst", "x"), sc("scale", "shift")), out: "dst", ins: []string{"x"},
			scalars: []string{"scale", "shift"}, unroll: 4, group: 1,
			body: func(g *gen, b int) string {
				g.fma("VFMADD213PS", g.v(b), "$scale", "$shift")
				return g.v(b)
			}},
		&kernel{name: "addScaled", doc: "dst[i] = x[i] + a·y[i] (fused)",
			args: cat(sl("dst", "x"), sc("a"), sl("y")), out: "dst", ins: []string{"x", "y"},
			scalars: []string{"a"}, unroll: 4, group: 2,
			body: func(g *gen, b int) string {
				g.fma("VFMADD231PS", g.v(b), "$a", g.v(b+1))
				return g.v(b)
			}},
		&kernel{name: "sum", doc: "Σ x[i]", args: sl("x"), ins: []string{"x"}, ret: true, red: "sum",
			unroll: 4, group: 1, body: func(g *gen, b int) string { return g.v(b) }},
		&kernel{name: "max", doc: "max x[i] (NaN if any is NaN, −Inf if empty)", args: sl("x"),
			ins: []string{"x"}, ret: true, red: "max",
			unroll: 4, group: 2, body: func(g *gen, b int) string { return g.v(b) }},
		&kernel{name: "expShiftSum", doc: "dst[i] = exp(x[i] − m); returns Σ dst[i]",
			args: cat(sl("dst", "x"), sc("m")), out: "dst", ins: []string{"x"}, scalars: []string{"m"},
			ret: true, red: "sum", unroll: 1, group: 4,
			body: func(g *gen, b int) string {
				g.op3("VSUBPS", g.v(b), g.v(b), "$m")
				g.expCore(b, b+1, b+2, b+3)
				return g.v(b)
			}},
	)
	return ks
}

// sigmoidBody: e = exp(−|x|) (the argument is ≤ 0: no upper clamp);
// 1/(1+e) for x ≥ 0, e/(1+e) below (one division, no overflow); SiLU
// multiplies the numerator by x (on AVX-512 one masked multiply: x, or
// e·x where x < 0).
//
// A reciprocal estimate (VRCP14PS / VRCPPS) plus a Newton step in place
// of VDIVPS was tried and measured 20-50% slower on the Zen 5 build
// machine (4096 floats in L1): the divider is not the bottleneck here,
// and the estimate costs 3 (AVX-512) or 5 (AVX2; VRCPPS needs an extra
// step) operations where the division costs one. Its accuracy was about
// the same (2.04 / 2.96 ulp).
func (g *gen) sigmoidBody(b int, silu bool) string {
	X, A, D := g.v(b), g.v(b+1), g.v(b+2)
	g.op3("VORPS", A, X, "@cSignMask")
	g.expClamped(b+1, b+2, b+3, b+4, false)
	g.op3("VADDPS", D, A, "@cOne")
	M := g.mask(0, b+3)
	if silu && g.avx512 {
		g.cmp(M, cmpLT, X, "@cZero")
		g.ins("VMULPS %s, %s, %s, %s", A, X, M, X)
		g.op3("VDIVPS", X, X, D)
		return X
	}
	g.cmp(M, cmpGE, X, "@cZero")
	g.sel(A, M, "@cOne", A)
	if silu {
		g.op3("VMULPS", A, A, X)
	}
	g.op3("VDIVPS", A, A, D)
	return A
}
