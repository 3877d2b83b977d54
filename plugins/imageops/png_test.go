package imageops

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math/rand"
	"testing"
)

// The fast PNG route (our inflate and unfiltering) must give what image/png
// gives, or step aside: FuzzDecodePNG and FuzzInflate check it on hostile
// inputs, against the standard library as the reference.

// pngSeeds are PNGs of the formats the fast route takes (8-bit RGB and RGBA,
// every filter type — Go's encoder picks filters per row — and several IDAT
// chunks) and some it leaves to image/png.
func pngSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, s := range [][2]int{{1, 1}, {3, 7}, {64, 48}, {300, 200}} {
		src := testImage(s[0], s[1])
		seeds = append(seeds, encodePNG(t, src))
		opaque := image.NewRGBA(src.Rect)
		for i := range opaque.Pix {
			opaque.Pix[i] = src.Pix[i] | uint8(0xff*b2i(i%4 == 3))
		}
		seeds = append(seeds, encodePNG(t, opaque))
		var b bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&b, opaque); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
		var nb bytes.Buffer // not b: the seed above keeps its bytes
		enc.CompressionLevel = png.NoCompression
		if err := enc.Encode(&nb, src); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, nb.Bytes())
		g := image.NewGray(src.Rect)
		seeds = append(seeds, encodePNG(t, g))
	}
	seeds = append(seeds, readRef(t, "scene320x240.png"), readRef(t, "rgba300x200.png"), readRef(t, "palette100x150.png"))
	return seeds
}

// checkFastPNG: when the fast route accepts data, image/png must too, with
// the same pixels.
func checkFastPNG(t *testing.T, data []byte) (fast bool) {
	got, ok := decodePNG(data, false)
	if !ok {
		return false
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("fast route decoded %dx%d, image/png fails: %v", got.W, got.H, err)
	}
	want := toRGB(m)
	if got.W != want.W || got.H != want.H || !bytes.Equal(got.Pix, want.Pix) {
		t.Fatalf("fast route: %dx%d, image/png %dx%d (%T); pixels equal %v", got.W, got.H, want.W, want.H, m, bytes.Equal(got.Pix, want.Pix))
	}
	return true
}

func TestFastPNGMatchesImagePNG(t *testing.T) {
	fast := 0
	for _, s := range pngSeeds(t) {
		if checkFastPNG(t, s) {
			fast++
		}
	}
	// 4 sizes × (RGBA, RGB, RGB at BestSpeed, RGBA uncompressed), and the
	// two RGB(A) references: every 8-bit RGB or RGBA file.
	if fast != 18 {
		t.Errorf("the fast route took %d of the 18 RGB/RGBA seeds", fast)
	}
	for _, name := range []string{"scene320x240.png", "rgba300x200.png"} {
		if _, ok := decodePNG(readRef(t, name), true); !ok {
			t.Errorf("%s: not decoded by the fast route", name)
		}
	}
}

// TestFastPNGDamaged: every truncation and many single-byte corruptions of a
// PNG either give image/png's pixels or go to image/png.
func TestFastPNGDamaged(t *testing.T) {
	src := encodePNG(t, testImage(23, 17))
	for n := 0; n < len(src); n++ {
		checkFastPNG(t, src[:n])
	}
	rng := rand.New(rand.NewSource(1))
	for range 3000 {
		b := append([]byte(nil), src...)
		i := rng.Intn(len(b))
		b[i] ^= byte(1 + rng.Intn(255))
		if rng.Intn(2) == 0 && i+8 < len(b) {
			fixCRCs(b) // so that the damage reaches the zlib stream
		}
		checkFastPNG(t, b)
	}
}

// fixCRCs rewrites every chunk's CRC, so corrupted chunk data passes the
// checksum and reaches the decoder.
func fixCRCs(b []byte) {
	pos := 8
	for pos+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[pos:]))
		if n < 0 || pos+12+n > len(b) {
			return
		}
		binary.BigEndian.PutUint32(b[pos+8+n:], crc32.ChecksumIEEE(b[pos+4:pos+8+n]))
		pos += 12 + n
	}
}

func FuzzDecodePNG(f *testing.F) {
	for _, s := range pngSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16 && bytes.HasPrefix(data, []byte("\x89PNG")) {
			// Keep hostile headers from asking for gigabytes: the real
			// caller checks the size first (Decode's DecodeConfig).
			if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<22 {
				return
			}
		}
		checkFastPNG(t, data)
		fixed := append([]byte(nil), data...)
		fixCRCs(fixed)
		if cfg, err := png.DecodeConfig(bytes.NewReader(fixed)); err == nil && cfg.Width*cfg.Height > 1<<22 {
			return
		}
		checkFastPNG(t, fixed)
		// The streaming route on what the fast route parses: the same
		// tensor, or the same error, as Decode then Apply.
		if d, ok := parsePNG(fixed); ok {
			d.release()
			streamAll(t)
			checkStreamPNG(t, fixed, streamTransform)
		}
	})
}

// checkInflate: whenever our inflate accepts a stream for an output size,
// compress/flate gives that very output and consumes the same bytes.
func checkInflate(t *testing.T, stream []byte) {
	r := bytes.NewReader(stream)
	want, stdErr := io.ReadAll(io.LimitReader(flate.NewReader(r), 1<<20))
	usedStd := len(stream) - r.Len()
	padded := append(append([]byte(nil), stream...), make([]byte, inflatePad)...)
	for _, n := range []int{len(want), len(want) - 1, len(want) + 1} {
		if n < 0 {
			continue
		}
		out := make([]byte, n)
		used, err := inflate(padded, len(stream), out)
		if err != nil {
			continue
		}
		if stdErr != nil || n != len(want) {
			t.Fatalf("inflate accepted %d bytes out; compress/flate gave %d bytes, error %v", n, len(want), stdErr)
		}
		if !bytes.Equal(out, want) || used != usedStd {
			t.Fatalf("inflate: output equal %v, used %d bytes; compress/flate used %d", bytes.Equal(out, want), used, usedStd)
		}
	}
}

func inflateSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	rng := rand.New(rand.NewSource(2))
	noise := make([]byte, 3000)
	rng.Read(noise)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 80)
	runs := append(bytes.Repeat([]byte{7}, 600), bytes.Repeat([]byte{1, 2, 3}, 300)...)
	for _, data := range [][]byte{nil, {0}, noise, text, runs, append(text, noise...)} {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write(data)
			w.Close()
			seeds = append(seeds, b.Bytes())
		}
	}
	// The image data of a real PNG (one zlib stream, header stripped).
	// Its first IDAT chunk starts at 41 (signature, IHDR, IDAT header); the
	// first 2 bytes are the zlib header.
	png := readRef(t, "scene320x240.png")
	seeds = append(seeds, png[41+2:41+65536])
	return seeds
}

func TestInflateMatchesFlate(t *testing.T) {
	for _, s := range inflateSeeds(t) {
		checkInflate(t, s)
		for n := 0; n < len(s); n += 1 + len(s)/50 {
			checkInflate(t, s[:n])
		}
	}
}

func FuzzInflate(f *testing.F) {
	for _, s := range inflateSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) { checkInflate(t, stream) })
}

// TestUnfilterRow: every filter type at 3 and 4 bytes per pixel, against
// the PNG specification's per-byte definitions written out here, with and
// without the assembly.
func TestUnfilterRow(t *testing.T) {
	defer func(v bool) { unfilterSSE2 = v }(unfilterSSE2)
	for _, sse2 := range []bool{unfilterSSE2, false} {
		unfilterSSE2 = sse2
		testUnfilterRow(t)
	}
}

func testUnfilterRow(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, bpp := range []int{3, 4} {
		for _, n := range []int{bpp, 2 * bpp, 7 * bpp, 64 * bpp, 101 * bpp} {
			src, prev := make([]byte, n), make([]byte, n)
			rng.Read(src)
			rng.Read(prev)
			for filter := byte(0); filter <= 4; filter++ {
				want := make([]byte, n)
				for i := range want {
					var a, b, c int
					if i >= bpp {
						a, c = int(want[i-bpp]), int(prev[i-bpp])
					}
					b = int(prev[i])
					var pred int
					switch filter {
					case 1:
						pred = a
					case 2:
						pred = b
					case 3:
						pred = (a + b) / 2
					case 4:
						p := a + b - c
						pa, pb, pc := p-a, p-b, p-c
						pa, pb, pc = max(pa, -pa), max(pb, -pb), max(pc, -pc)
						switch {
						case pa <= pb && pa <= pc:
							pred = a
						case pb <= pc:
							pred = b
						default:
							pred = c
						}
					}
					want[i] = src[i] + byte(pred)
				}
				got := make([]byte, n)
				if !unfilterRow(got, src, prev, filter, bpp) || !bytes.Equal(got, want) {
					t.Fatalf("filter %d, %d bytes per pixel, %d bytes (assembly %v): got %v, want %v", filter, bpp, n, unfilterSSE2, got, want)
				}
			}
			if unfilterRow(make([]byte, n), src, prev, 5, bpp) {
				t.Error("filter type 5 accepted")
			}
		}
	}
}

// TestPaethExhaustive: the predictor against the PNG specification's
// definition (distances to p = a + b − c, ties to a, then b), for every
// (a, b, c).
func TestPaethExhaustive(t *testing.T) {
	for a := int32(0); a < 256; a++ {
		for b := int32(0); b < 256; b++ {
			for c := int32(0); c < 256; c++ {
				p := a + b - c
				pa, pb, pc := max(p-a, a-p), max(p-b, b-p), max(p-c, c-p)
				want := c
				if pa <= pb && pa <= pc {
					want = a
				} else if pb <= pc {
					want = b
				}
				if got := paeth(a, b, c); got != want {
					t.Fatalf("paeth(%d, %d, %d) = %d, want %d", a, b, c, got, want)
				}
			}
		}
	}
}

// BenchmarkUnfilterAverage3: one 320-pixel RGB row of the Average filter,
// the filter image/png's encoder picks for most rows of a noisy photo.
func BenchmarkUnfilterAverage3(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	src, prev, dst := make([]byte, 960), make([]byte, 960), make([]byte, 960)
	rng.Read(src)
	rng.Read(prev)
	benchBoth(b, &unfilterSSE2, unfilterSSE2, "sse2", func(b *testing.B) {
		b.SetBytes(int64(len(dst)))
		for b.Loop() {
			avg3(dst, src, prev)
		}
	})
}
