package imageops

import (
	"hash/adler32"
	"math/rand"
	"testing"
)

// TestAdler32BothPaths: adler32Sum with the AVX2 blocks (where the CPU has
// them) and without, against hash/adler32, on lengths around the block (32
// bytes), the call (adlerMaxBlocks blocks) and the reduction chunk (1 MiB),
// and on all-0xff data (the sums' worst case).
func TestAdler32BothPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(24))
	buf := make([]byte, 3<<20+77)
	rng.Read(buf)
	ff := make([]byte, len(buf))
	for i := range ff {
		ff[i] = 0xff
	}
	lengths := []int{0, 1, 31, 32, 33, 63, 64, 65, 100, 1000, 32*adlerMaxBlocks - 1, 32 * adlerMaxBlocks, 32*adlerMaxBlocks + 33,
		1<<20 - 1, 1 << 20, 1<<20 + 31, 1<<20 + 32*adlerMaxBlocks + 5, len(buf)}
	defer func(v bool) { adlerAVX2 = v }(adlerAVX2)
	for _, avx := range []bool{false, true} {
		if avx && !adlerAVX2OK {
			continue
		}
		adlerAVX2 = avx
		for _, data := range [][]byte{buf, ff} {
			for _, n := range lengths {
				for _, off := range []int{0, 1, 7} { // unaligned starts
					if off+n > len(data) {
						continue
					}
					p := data[off : off+n]
					if got, want := adler32Sum(p), adler32.Checksum(p); got != want {
						t.Fatalf("avx2 %v, %d bytes at %d: %08x, want %08x", avx, n, off, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkAdler32: the checksum over the noisy picture's filtered bytes'
// size (240 rows of 1+320·3 bytes).
func BenchmarkAdler32(b *testing.B) {
	buf := make([]byte, 240*(1+320*3))
	rand.New(rand.NewSource(25)).Read(buf)
	benchBoth(b, &adlerAVX2, adlerAVX2OK, "avx2", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			adler32Sum(buf)
		}
	})
}
