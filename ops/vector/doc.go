// Package vector holds float32 element-wise, activation and reduction
// kernels in SIMD assembly, for the element-wise ops (ops/math) and
// softmax-style row loops.
//
// # Levels and dispatch
//
// Each kernel exists three times: AVX-512 (F/BW/DQ/VL, 16 lanes, masked
// tails) and AVX2+FMA (8 lanes, VMASKMOVPS tails) assembly, and a portable
// Go twin that runs on other architectures, with -tags purego, or when
// GONYX_CPU=generic. The package functions (Exp, Add, Softmax, ...) run the
// level chosen once at start-up from cpu.Active; For(level) returns any
// level's set for tests and benchmarks. Every assembly routine ends with
// VZEROUPPER, and the Go drivers feed it at most 16384 elements per call
// (a few µs: assembly is not preemptible).
//
// The assembly and the constant table are generated: see _gen (its own
// module; `make` there regenerates kernels_amd64.s, kernels_amd64.go and
// zconsts.go, `make check` compares, as TestGeneratedUpToDate does).
// The polynomials were fitted by _gen/fit.go (`make fit`).
//
// # Methods
//
//   - exp: x clamped to [−104, 89]; n = round(x·log2e), r = x − n·ln2 (ln2 in
//     two parts), e^r = 1 + r + r²·P(r) with P of degree 4; 2^n by VSCALEFPS
//     (AVX-512) or two exponent-built factors (AVX2), one rounding also for
//     subnormal results.
//   - log: x = m·2^e, m ∈ [√½, √2) from the bits (subnormals scaled by 2^23),
//     log(1+f) = f + f²·P(f), P of degree 8; plus e·ln2.
//   - tanh: x + x³·P(x²) below |x| = 0.5625, else 1 − 2/(e^{2|x|}+1).
//   - sigmoid: e = exp(−|x|) (no upper clamp needed), 1/(1+e) or e/(1+e)
//     (no overflow, one division); SiLU folds x into the numerator (one
//     masked multiply on AVX-512). VRCP14PS/VRCPPS plus a Newton step
//     instead of VDIVPS measured slower here (the loop is FP-throughput
//     bound, the divider is not the bottleneck): see _gen/kernels.go.
//   - erf: x·P(x²) below |x| = 0.875, else 1 − exp(Q(min(|x|, 4))) with
//     Q ≈ log erfc. GELU (erf form) uses erfc directly for x < 0, so its
//     negative side does not cancel.
//
// # Accuracy (vs float64 math; all levels, every binade swept)
//
//	kernel     assembly (AVX2 = AVX-512 bit for bit)      Go twin
//	Exp        0.88 ulp                                    0.55 ulp
//	Log        0.92 ulp                                    0.54 ulp
//	Tanh       1.48 ulp                                    0.53 ulp
//	Sigmoid    2.40 ulp                                    0.55 ulp
//	SiLU       3.22 ulp (x ≥ −87.3; |err| ≤ |x|·2^-148 below) 0.56 ulp
//	Erf        2.44 ulp, absolute < 1.5e-7                 1.46 ulp
//	Gelu       1.69 ulp for x ≥ 0; relative 1e-6 on (−1.24, 0), 6.1e-6 on
//	           (−5.66, −1.24]; −0 below (|gelu| < 5e-8)    ≤ the same
//	HardSwish  2.23 ulp                                    1.36 ulp
//	Relu, Clip, Add, Sub, Mul, Div and the scalar forms are exact;
//	ScaleShift and AddScaled are fused (one rounding).
//
// NaN inputs give NaN; Clip, Relu and Max treat NaN as the ONNX reference
// does (it stays NaN); results that overflow are ±Inf. TestAccuracy and
// TestSpecialValues assert these bounds (TestAccuracyWide, run by hand,
// sweeps every N-th float32).
//
// # Speed (AVX-512 on the 2-core Zen 5 build machine, 4096 floats in L1)
//
// About 0.12 ns per element for exp, 0.16-0.17 for sigmoid and SiLU,
// 0.2-0.3 for log and tanh, 0.4-0.5 for erf and GELU; add, relu and clip run at L1 bandwidth.
// AVX2 takes 2-2.5x as long; the Go twins 5-25 ns per element for the
// transcendental kernels (see bench_test.go).
package vector
