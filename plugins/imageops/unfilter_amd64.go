//go:build amd64 && !purego

package imageops

// unfilterSSE2 picks avg3SSE2 in avg3 (SSE2 is part of amd64); tests turn
// it off to check the Go loop alone.
var unfilterSSE2 = true

// avg3SSE2 unfilters pixels (≥ 0) 3-byte pixels of an Average-filtered row
// from the row's start, reading and writing 4 bytes a pixel: pixel
// pixels−1's step reads src and prev and writes dst at byte 3·pixels,
// which must lie inside all three (the row's next pixel).
//
//go:noescape
func avg3SSE2(dst, src, prev *byte, pixels int)
