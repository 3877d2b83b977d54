package imageops

import "encoding/binary"

// adler32Sum is hash/adler32.Checksum, 32 bytes per step instead of one:
// PNG's zlib trailer is checked over every filtered byte, and the standard
// library's byte loop costs as much as a fifth of inflating them.
//
// Over eight bytes b0..b7, s1 gains their sum and s2 gains 8·s1 (the old
// s1, added once per byte) plus 8·b0 + 7·b1 + … + 1·b7. Such sums come
// from multiplications of the bytes spread into 16-bit lanes (even and odd
// bytes): the product's top lane collects the lanes times the multiplier's
// lanes in reverse, and no lane can carry (no sum below exceeds 36720 <
// 2^16).
func adler32Sum(p []byte) uint32 {
	const (
		mod   = 65521
		lanes = 0x00ff00ff00ff00ff
		ones  = 0x0001000100010001
		// Weights 8,6,4,2 for bytes 0,2,4,6 and 7,5,3,1 for 1,3,5,7,
		// lowest lane last so that the products meet in the top lane.
		evenW = 2 | 4<<16 | 6<<32 | 8<<48
		oddW  = 1 | 3<<16 | 5<<32 | 7<<48
		// s2 grows by < 255·n²/2 + n·s1 over n bytes; reducing every 1 MiB
		// keeps it far below 2^64.
		chunk = 1 << 20
	)
	s1, s2 := uint64(1), uint64(0)
	for len(p) > 0 {
		q := p[:min(len(p), chunk)]
		p = p[len(q):]
		for adlerAVX2 && len(q) >= 32 {
			k := min(len(q)/32, adlerMaxBlocks)
			sum, prefix, weighted := adler32BlocksAVX2(&q[0], k)
			// s1 < mod here; the products stay far below 2^64 (prefix
			// < 32·255·k², k ≤ 4096).
			s2 = (s2 + uint64(k)*32*s1 + 32*prefix + weighted) % mod
			s1 = (s1 + sum) % mod
			q = q[k*32:]
		}
		// 32 bytes a step, four words a to d: a's bytes are each in 24 more
		// sums than d's, b's in 16, c's in 8, which the second product
		// adds; the weights within a word come from the third. The per-
		// step sums are gathered in weighted and added to s2 once.
		var weighted uint64
		for len(q) >= 32 {
			w := (*[32]byte)(q)
			a, b := binary.LittleEndian.Uint64(w[0:]), binary.LittleEndian.Uint64(w[8:])
			c, d := binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:])
			ea, oa, eb, ob := a&lanes, a>>8&lanes, b&lanes, b>>8&lanes
			ec, oc, ed, od := c&lanes, c>>8&lanes, d&lanes, d>>8&lanes
			ta, tb, tc := ea+oa, eb+ob, ec+oc
			s2 += s1 << 5
			s1 += (ta + tb + tc + ed + od) * ones >> 48
			weighted += (3*ta+2*tb+tc)*ones>>48<<3 + ((ea+eb+ec+ed)*evenW+(oa+ob+oc+od)*oddW)>>48
			q = q[32:]
		}
		s2 += weighted
		for len(q) >= 8 {
			v := binary.LittleEndian.Uint64(q)
			even, odd := v&lanes, v>>8&lanes
			sum := (even + odd) * ones >> 48
			weighted := (even*evenW + odd*oddW) >> 48
			s2 += s1<<3 + weighted
			s1 += sum
			q = q[8:]
		}
		for _, b := range q {
			s1 += uint64(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return uint32(s2<<16 | s1)
}
