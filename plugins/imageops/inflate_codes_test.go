package imageops

import (
	"math/rand"
	"testing"
)

// Streams written bit by bit here, to reach what compress/flate's encoder
// never writes: distance codes longer than the distance table resolves
// (distBits) and than one lookup resolves (huffBits), and the fixed code's
// unused distance symbols.

// bitWriter writes a DEFLATE bit stream: values LSB first, Huffman codes
// first bit highest.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) code(c, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bits(uint64(c>>i&1), 1)
	}
}

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		return append(w.out, byte(w.acc))
	}
	return w.out
}

// canonical gives each symbol's code from the lengths (RFC 1951 3.2.2).
func canonical(lengths []uint8) []int {
	var count, next [maxCodeLen + 2]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]int, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// deepDistanceStream is one dynamic block: literals 'A' and 'B', lengths 3
// and 4, and distance symbols 0..15 with codes of 1..14, 15 and 15 bits,
// used at random with random extra bits.
func deepDistanceStream(rng *rand.Rand) []byte {
	lit := make([]uint8, 259)
	lit['A'], lit['B'], lit[256], lit[257], lit[258] = 2, 2, 2, 3, 3
	dist := make([]uint8, 16)
	for s := range 14 {
		dist[s] = uint8(s + 1)
	}
	dist[14], dist[15] = 15, 15
	var w bitWriter
	w.bits(1, 1) // final
	w.bits(2, 2) // dynamic
	w.bits(uint64(len(lit)-257), 5)
	w.bits(uint64(len(dist)-1), 5)
	w.bits(19-4, 4)
	// The code length code: symbols 0..15 four bits each, 16..18 unused.
	for _, s := range clOrder {
		w.bits(uint64(4*b2i(s < 16)), 3)
	}
	for _, l := range append(append([]uint8(nil), lit...), dist...) {
		w.code(int(l), 4) // the 4-bit canonical code of symbol l is l
	}
	litCode, distCode := canonical(lit), canonical(dist)
	written := 0
	for written < 300 {
		s := 'A' + rng.Intn(2)
		w.code(litCode[s], int(lit[s]))
		written++
	}
	for range 400 {
		ls := 257 + rng.Intn(2)
		w.code(litCode[ls], int(lit[ls]))
		ds := rng.Intn(16)
		w.code(distCode[ds], int(dist[ds]))
		if extra := rfcDistanceExtra(ds); extra > 0 {
			w.bits(uint64(rng.Intn(1<<extra)), uint(extra))
		}
		written += ls - 254
	}
	w.code(litCode[256], int(lit[256]))
	return w.bytes()
}

func TestInflateDeepDistanceCodes(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for range 20 {
		wantInflate(t, deepDistanceStream(rng))
	}
}

// TestInflateFixedUnusedDistances: the fixed code's distance symbols 30
// and 31 have codes but no meaning; a stream using one is refused.
func TestInflateFixedUnusedDistances(t *testing.T) {
	for _, ds := range []int{29, 30, 31} {
		var w bitWriter
		w.bits(1, 1)      // final
		w.bits(1, 2)      // fixed
		for range 40000 { // 'a' (fixed code 0x30+0x61, 8 bits)
			w.code(0x30+'a', 8)
		}
		w.code(1, 7) // length symbol 257: 3
		w.code(ds, 5)
		if extra := rfcDistanceExtra(ds); extra > 0 && ds < 30 {
			w.bits(0, uint(extra))
		}
		w.code(0, 7) // end of block
		stream := w.bytes()
		padded := append(append([]byte(nil), stream...), make([]byte, inflatePad)...)
		_, err := inflate(padded, len(stream), make([]byte, 40003))
		if ok := err == nil; ok != (ds < 30) {
			t.Errorf("distance symbol %d: inflate error %v", ds, err)
		}
		checkInflate(t, stream)
	}
}
