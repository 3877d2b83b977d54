//go:build amd64 && !purego

package imageops

import "github.com/gonyx/gonyx/ops/cpu"

// useAVX2 picks the AVX2 two-tap passes (resample_amd64.s); GONYX_CPU=generic
// keeps the Go ones. A variable so that tests can run both.
var useAVX2 = cpu.Active >= cpu.AVX2

// haveAVX2: the CPU runs the AVX2 passes (whatever GONYX_CPU says), so
// cachedNorm can check vRow2DivAVX2 against each table it makes.
var haveAVX2 = cpu.Detected >= cpu.AVX2

// hRow2AVX2 is resizeRow2 for groups×8 outputs: output i reads the six bytes
// at src[off[i]:], weighs them by w0[i] and w1[i] and writes dst[3i:3i+3].
// The caller guarantees every off[i]+6 ≤ len(src) and an exact kernel.
//
//go:noescape
func hRow2AVX2(dst, src *uint8, off, w0, w1 *int32, groups int)

// vRow2AVX2 is row2Go for groups×8 pixels: the two-tap vertical pass over
// interleaved rows r0 and r1 (24·groups bytes each), normalised through lut
// into the planes pr, pg and pb (32·groups bytes each).
//
//go:noescape
func vRow2AVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int)

// vRow2DivAVX2 is vRow2AVX2 computing the normalisation (see the .s); it
// reads lut.div, and is used only for tables whose divOK is set.
//
//go:noescape
func vRow2DivAVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int)

// hRow2StepAVX2 is hRow2AVX2 for kernels with unitSteps, without gathers;
// it also needs off[8k]+16 and off[8k+4]+16 ≤ len(src) for every group k.
//
//go:noescape
func hRow2StepAVX2(dst, src *uint8, off, w0, w1 *int32, groups int)
