package imageops

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"image/png"
	"io"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/plugins/imageops/testimage"
)

// The assembly fast loop (decodeFast) and decodeBlock's Go loop on the same
// streams, each against compress/flate: the Go loop alone must stay right,
// since it runs wherever the assembly does not.

// bothInflates runs f with the assembly on (where the CPU has it) and off.
func bothInflates(t *testing.T, f func(t *testing.T)) {
	defer func(v bool) { inflateAsm = v }(inflateAsm)
	for _, asm := range []bool{true, false} {
		if asm && !inflateAsmOK {
			continue
		}
		inflateAsm = asm
		name := "go"
		if asm {
			name = "asm"
		}
		t.Run(name, f)
	}
}

// pngIDAT is the zlib stream of a PNG's image data, header stripped (the
// raw DEFLATE stream, then the 4-byte Adler-32 trailer).
func pngIDAT(t testing.TB, data []byte) []byte {
	var stream []byte
	for pos := 8; pos+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		if string(data[pos+4:pos+8]) == "IDAT" {
			stream = append(stream, data[pos+8:pos+8+n]...)
		}
		pos += 12 + n
	}
	if len(stream) < 2 {
		t.Fatal("no image data")
	}
	return stream[2:]
}

func noisyIDAT(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testimage.Noisy(320, 240)); err != nil {
		t.Fatal(err)
	}
	return pngIDAT(t, buf.Bytes())
}

func deflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// matchStream is a fixed-code block of the given literals, then one match
// for every (length, distance) pair asked for, written bit by bit so that
// every length and distance code and extra-bit value occurs, including
// the overlapping copies (distance < length) the fast loop copies by words.
func matchStream(lits []byte, matches [][2]int) []byte {
	var w bitWriter
	w.bits(1, 1) // final
	w.bits(1, 2) // fixed
	lit := func(b int) {
		if b < 144 {
			w.code(0x30+b, 8)
		} else {
			w.code(0x190+b-144, 9)
		}
	}
	sym := func(s int) { // length symbols 257..287
		if s < 280 {
			w.code(s-256, 7)
		} else {
			w.code(0xc0+s-280, 8)
		}
	}
	for _, b := range lits {
		lit(int(b))
	}
	for i, m := range matches {
		length, dist := m[0], m[1]
		ls := 0
		for ls+1 < len(lenBase) && int(lenBase[ls+1]) <= length {
			ls++
		}
		if length == 258 {
			ls = 28
		}
		sym(257 + ls)
		w.bits(uint64(length-int(lenBase[ls])), uint(lenExtra[ls]))
		ds := 0
		for ds+1 < len(distBase) && int(distBase[ds+1]) <= dist {
			ds++
		}
		w.code(ds, 5)
		w.bits(uint64(dist-int(distBase[ds])), uint(distExtr[ds]))
		// A literal between matches, so that every match starts after a
		// literal as well as after another match.
		if i%2 == 0 {
			lit(length & 0xff)
		}
	}
	w.code(0, 7) // end of block
	return w.bytes()
}

// wantInflate runs compress/flate on stream and checks inflate gives the
// same (checkInflate also tries the wrong output sizes).
func wantInflate(t *testing.T, stream []byte) {
	t.Helper()
	want, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil {
		t.Fatalf("compress/flate refuses the test's stream: %v", err)
	}
	out := make([]byte, len(want))
	padded := append(append([]byte(nil), stream...), make([]byte, inflatePad)...)
	if _, err := inflate(padded, len(stream), out); err != nil {
		t.Fatalf("inflate refuses a stream compress/flate decodes: %v", err)
	}
	if !bytes.Equal(out, want) {
		i := 0
		for out[i] == want[i] {
			i++
		}
		t.Fatalf("output differs from compress/flate's at byte %d of %d", i, len(want))
	}
	checkInflate(t, stream)
}

func TestInflateAsmAndGo(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	noise := make([]byte, 200000)
	rng.Read(noise)
	// Bytes with few values and repeats at short distances: many matches
	// of every length, overlapping ones among them.
	runs := make([]byte, 300000)
	for i := range runs {
		switch {
		case i >= 8 && rng.Intn(4) == 0:
			runs[i] = runs[i-1-rng.Intn(8)]
		case i >= 300 && rng.Intn(3) == 0:
			runs[i] = runs[i-1-rng.Intn(300)]
		default:
			runs[i] = byte(rng.Intn(6))
		}
	}
	idat := noisyIDAT(t)
	var lits []byte
	for i := range 400 {
		lits = append(lits, byte(i*7))
	}
	var all [][2]int
	for length := 3; length <= 258; length++ {
		for _, dist := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 255, 300, 399} {
			all = append(all, [2]int{length, dist})
		}
	}
	// Far distances: every distance code and extra-bit pattern.
	var far [][2]int
	big := bytes.Repeat(lits, 90) // 36000 bytes, so every distance < 32768 reaches back
	for dist := 1; dist <= 32768; dist += 1 + dist/7 {
		far = append(far, [2]int{3 + dist%256, dist})
	}
	far = append(far, [2]int{258, 32768}, [2]int{3, 32768})
	bothInflates(t, func(t *testing.T) {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly} {
			wantInflate(t, deflate(t, noise, level))
			wantInflate(t, deflate(t, runs, level))
		}
		wantInflate(t, idat)
		wantInflate(t, matchStream(lits, all))
		wantInflate(t, matchStream(big, far))
		for dist := 1; dist <= 8; dist++ {
			for length := 3; length <= 258; length += 1 + length/16 {
				wantInflate(t, matchStream(lits[:dist], [][2]int{{length, dist}, {length, dist}}))
			}
		}
	})
}

// TestInflateAsmCorrupt: truncated and corrupted streams, fed through both
// loops: neither may panic, hang or accept what compress/flate refuses.
func TestInflateAsmCorrupt(t *testing.T) {
	rng := rand.New(rand.NewSource(23))
	idat := noisyIDAT(t)
	runs := deflate(t, bytes.Repeat([]byte("abcabcabd12"), 3000), 6)
	bothInflates(t, func(t *testing.T) {
		for _, s := range [][]byte{idat, runs} {
			for n := 0; n < len(s); n += 1 + len(s)/40 {
				checkInflate(t, s[:n])
			}
			for range 40 {
				c := append([]byte(nil), s...)
				for range 1 + rng.Intn(4) {
					c[rng.Intn(len(c))] ^= byte(1 << rng.Intn(8))
				}
				checkInflate(t, c)
			}
		}
		// A match reaching before the output's start, with the fast
		// loop's margins (more output follows): its distance check, not
		// the Go loop's, must see it.
		lits := make([]byte, 1000)
		tail := [][2]int{{258, 1}, {258, 1}, {258, 1}, {258, 1}, {258, 1}, {258, 1}}
		for _, bad := range [][][2]int{{{10, 5}, {10, 1021}}, {{10, 1000}, {258, 1012}}, {{4, 1001}}} {
			stream := matchStream(lits, append(bad, tail...))
			checkInflate(t, stream)
			// compress/flate stops at the bad match, so checkInflate's
			// output sizes leave the fast loop no margin: ask for the
			// size the stream would have, as a PNG's header does.
			size := len(lits)
			for i, m := range append(bad, tail...) {
				size += m[0] + 1 - i%2 // matchStream's literal after every other match
			}
			padded := append(stream, make([]byte, inflatePad)...)
			if _, err := inflate(padded, len(stream), make([]byte, size)); err == nil {
				t.Fatal("inflate accepts a distance past the output's start")
			}
		}
	})
}

// BenchmarkInflateNoisyIDAT: inflate alone on the image data of
// BenchmarkPreprocess320x240NoisyPNG's picture, with and without the
// assembly.
func BenchmarkInflateNoisyIDAT(b *testing.B) {
	idat := noisyIDAT(b)
	want, err := io.ReadAll(flate.NewReader(bytes.NewReader(idat)))
	if err != nil {
		b.Fatal(err)
	}
	n := len(idat) - 4 // the Adler-32 trailer
	padded := append(append([]byte(nil), idat...), make([]byte, inflatePad)...)
	out := make([]byte, len(want))
	benchBoth(b, &inflateAsm, inflateAsmOK, "asm", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			if _, err := inflate(padded, n, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
