package imageops

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand"
	"testing"
)

// resplitIDAT rewrites a PNG's image data as IDAT chunks of the given
// sizes (cycled; 0 makes empty chunks), with valid CRCs.
func resplitIDAT(t *testing.T, data []byte, sizes []int) []byte {
	var stream []byte
	out := append([]byte(nil), data[:8]...)
	pos, wrote := 8, false
	for pos+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		typ := string(data[pos+4 : pos+8])
		chunk := data[pos : pos+12+n]
		pos += 12 + n
		if typ == "IDAT" {
			stream = append(stream, chunk[8:8+n]...)
			continue
		}
		if len(stream) > 0 && !wrote {
			for i := 0; len(stream) > 0 || i == 0; i++ {
				k := min(sizes[i%len(sizes)], len(stream))
				out = appendChunk(out, "IDAT", stream[:k])
				stream = stream[k:]
			}
			wrote = true
		}
		out = append(out, chunk...)
	}
	if !wrote {
		t.Fatal("no IDAT")
	}
	return out
}

func appendChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	start := len(out)
	out = append(append(out, typ...), body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// TestFastPNGIDATSplits: the image data cut into chunks of any sizes,
// empty ones included, decodes by the fast route to image/png's pixels
// (the joined stream is sized from the chunk headers before it is copied).
func TestFastPNGIDATSplits(t *testing.T) {
	src := encodePNG(t, testImage(61, 37))
	rng := rand.New(rand.NewSource(7))
	splits := [][]int{{1}, {0, 5}, {1 << 20}, {7, 0, 0, 3}, {4096}}
	for range 20 {
		s := make([]int, 1+rng.Intn(5))
		for i := range s {
			s[i] = rng.Intn(300)
		}
		if s[0] == 0 {
			s[0] = 1
		}
		splits = append(splits, s)
	}
	for _, s := range splits {
		data := resplitIDAT(t, src, s)
		if !checkFastPNG(t, data) {
			t.Errorf("split %v: not taken by the fast route", s)
		}
		// Every truncation of the split file still gives image/png's
		// answer or steps aside.
		for n := 0; n < len(data); n += 1 + len(data)/40 {
			checkFastPNG(t, data[:n])
		}
	}
	if !bytes.Equal(resplitIDAT(t, src, []int{1 << 20}), src) && len(src) < 1<<20 {
		// Go's encoder writes one IDAT for an image this small: re-joining
		// must give the same file back, a check on resplitIDAT itself.
		t.Error("resplitIDAT changed a single-chunk file")
	}
}
