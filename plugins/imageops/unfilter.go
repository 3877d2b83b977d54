package imageops

// PNG's Sub, Average and Paeth filters predict each byte from the one a
// pixel to its left, already unfiltered: a chain through the whole row. The
// loops below keep each channel's left (and upper-left) sample in a
// register for 3- and 4-byte pixels (8-bit RGB and RGBA, what the fast
// route takes), instead of reading back the byte just stored, which would
// wait on the store every pixel; the channels' chains then overlap.
// TestUnfilterRow checks them against the spec's per-byte definitions.

func sub3(dst, src []byte) {
	n := len(dst) / 3 * 3
	var a0, a1, a2 uint8
	for i := 0; i+2 < n && i+2 < len(src); i += 3 {
		a0, a1, a2 = a0+src[i], a1+src[i+1], a2+src[i+2]
		dst[i], dst[i+1], dst[i+2] = a0, a1, a2
	}
}

func sub4(dst, src []byte) {
	n := len(dst) / 4 * 4
	var a0, a1, a2, a3 uint8
	for i := 0; i+3 < n && i+3 < len(src); i += 4 {
		a0, a1, a2, a3 = a0+src[i], a1+src[i+1], a2+src[i+2], a3+src[i+3]
		dst[i], dst[i+1], dst[i+2], dst[i+3] = a0, a1, a2, a3
	}
}

// avg is the Average filter's prediction, the floor of the mean.
func avg(a, b uint8) uint8 { return uint8((uint16(a) + uint16(b)) >> 1) }

// avg3 and avg4 index rows cut to one length n, so that the loop's test
// is the only bounds check: the per-channel chains (add, halve, add) then
// set the pace, not the bookkeeping.
//
// With SSE2 (amd64), avg3SSE2 does every pixel but the last, which this
// loop then does from the one before it: 1.4× the Go loop on a 320-pixel
// row (go test -run '^$' -bench UnfilterAverage3 ./plugins/imageops:
// 560–577 → 397–411 ns, 04:25 UTC). The Average filter is most rows of a
// noisy photo, and its Go loop was a quarter of what the streaming
// consumer does (a CPU profile of BenchmarkPreprocess320x240NoisyPNG).
func avg3(dst, src, prev []byte) {
	n := min(len(dst), len(src), len(prev)) / 3 * 3
	dst, src, prev = dst[:n], src[:n], prev[:n]
	var a0, a1, a2 uint8 // zero left of the first pixel
	i := 0
	if unfilterSSE2 && n >= 6 {
		i = n - 3
		avg3SSE2(&dst[0], &src[0], &prev[0], i/3)
		a0, a1, a2 = dst[i-3], dst[i-2], dst[i-1]
	}
	for ; i < n-2; i += 3 {
		a0 = src[i] + avg(a0, prev[i])
		a1 = src[i+1] + avg(a1, prev[i+1])
		a2 = src[i+2] + avg(a2, prev[i+2])
		dst[i], dst[i+1], dst[i+2] = a0, a1, a2
	}
}

func avg4(dst, src, prev []byte) {
	n := min(len(dst), len(src), len(prev)) / 4 * 4
	dst, src, prev = dst[:n], src[:n], prev[:n]
	var a0, a1, a2, a3 uint8
	for i := 0; i < n-3; i += 4 {
		a0 = src[i] + avg(a0, prev[i])
		a1 = src[i+1] + avg(a1, prev[i+1])
		a2 = src[i+2] + avg(a2, prev[i+2])
		a3 = src[i+3] + avg(a3, prev[i+3])
		dst[i], dst[i+1], dst[i+2], dst[i+3] = a0, a1, a2, a3
	}
}

// paeth3 and paeth4: left and upper-left are zero before the first pixel,
// where the predictor then picks the byte above, as the spec has it. Rows
// are cut to one length first, as in avg3.
func paeth3(dst, src, prev []byte) {
	n := min(len(dst), len(src), len(prev)) / 3 * 3
	dst, src, prev = dst[:n], src[:n], prev[:n]
	var a0, a1, a2, c0, c1, c2 int32
	for i := 0; i < n-2; i += 3 {
		b0, b1, b2 := int32(prev[i]), int32(prev[i+1]), int32(prev[i+2])
		a0 = int32(src[i] + uint8(paeth(a0, b0, c0)))
		a1 = int32(src[i+1] + uint8(paeth(a1, b1, c1)))
		a2 = int32(src[i+2] + uint8(paeth(a2, b2, c2)))
		dst[i], dst[i+1], dst[i+2] = uint8(a0), uint8(a1), uint8(a2)
		c0, c1, c2 = b0, b1, b2
	}
}

func paeth4(dst, src, prev []byte) {
	n := min(len(dst), len(src), len(prev)) / 4 * 4
	dst, src, prev = dst[:n], src[:n], prev[:n]
	var a0, a1, a2, a3, c0, c1, c2, c3 int32
	for i := 0; i < n-3; i += 4 {
		b0, b1, b2, b3 := int32(prev[i]), int32(prev[i+1]), int32(prev[i+2]), int32(prev[i+3])
		a0 = int32(src[i] + uint8(paeth(a0, b0, c0)))
		a1 = int32(src[i+1] + uint8(paeth(a1, b1, c1)))
		a2 = int32(src[i+2] + uint8(paeth(a2, b2, c2)))
		a3 = int32(src[i+3] + uint8(paeth(a3, b3, c3)))
		dst[i], dst[i+1], dst[i+2], dst[i+3] = uint8(a0), uint8(a1), uint8(a2), uint8(a3)
		c0, c1, c2, c3 = b0, b1, b2, b3
	}
}
