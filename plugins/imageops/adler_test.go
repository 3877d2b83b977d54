package imageops

import (
	"bytes"
	"hash/adler32"
	"math/rand"
	"testing"
)

// TestAdler32: the lane arithmetic against the standard library, on every
// length up to a few words (the byte tail), random data, and the largest
// bytes over several reduction chunks (the sums' worst case).
func TestAdler32(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	buf := make([]byte, 5000)
	rng.Read(buf)
	for n := 0; n <= 100; n++ {
		if got, want := adler32Sum(buf[:n]), adler32.Checksum(buf[:n]); got != want {
			t.Fatalf("%d random bytes: %08x, want %08x", n, got, want)
		}
	}
	for _, b := range [][]byte{buf, bytes.Repeat([]byte{0xff}, 3<<20+5), bytes.Repeat([]byte{0xff, 0}, 1<<20+3)} {
		if got, want := adler32Sum(b), adler32.Checksum(b); got != want {
			t.Fatalf("%d bytes: %08x, want %08x", len(b), got, want)
		}
	}
}
