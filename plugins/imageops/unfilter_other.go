//go:build !amd64 || purego

package imageops

// Without the assembly, avg3's Go loop does all the work.
var unfilterSSE2 = false

// avg3SSE2 is never called while unfilterSSE2 is false.
func avg3SSE2(dst, src, prev *byte, pixels int) {}
