//go:build !amd64 || purego

package imageops

// useAVX2 is false without the assembly: the Go passes run.
var useAVX2 = false

// haveAVX2: no AVX2 pass to check tables against.
var haveAVX2 = false

// Never called while useAVX2 is false; they exist so the callers compile.
func hRow2AVX2(dst, src *uint8, off, w0, w1 *int32, groups int)                        {}
func hRow2StepAVX2(dst, src *uint8, off, w0, w1 *int32, groups int)                    {}
func vRow2AVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int)    {}
func vRow2DivAVX2(pr, pg, pb, r0, r1 *uint8, c0, c1 int32, lut *normTable, groups int) {}
