package imageops

import (
	"encoding/binary"
	"hash/crc32"
)

// decodePNG decodes the PNGs photos and screenshots usually are — 8-bit RGB
// or RGBA, not interlaced, no palette or transparency chunks — straight into
// RGB, with our own inflate and unfiltering. It is only a faster route to
// what image/png gives: ok is false for any other PNG and for anything it
// does not accept (a bad checksum, trailing data, a stream compress/flate
// might read differently), and the caller then decodes with image/png, so
// errors and unusual files get the standard library's answer. It is fuzzed
// against image/png (FuzzDecodePNG).
func decodePNG(data []byte, reuse bool) (img RGB, ok bool) {
	d, ok := parsePNG(data)
	if !ok {
		return RGB{}, false
	}
	return d.decode(reuse)
}

// decode inflates and unfilters a parsed PNG, and releases d.
func (d *pngData) decode(reuse bool) (img RGB, ok bool) {
	defer d.release()
	raw := getBuf(d.h * (1 + d.w*d.bpp))
	defer putBuf(raw)
	if !unzlib(d.stream, d.n, raw) {
		return RGB{}, false
	}
	img = RGB{W: d.w, H: d.h}
	if reuse {
		img.Pix = getBuf(d.w * d.h * 3)
	} else {
		img.Pix = make([]uint8, d.w*d.h*3)
	}
	if !unfilterRGB(img, raw, d.bpp) {
		if reuse {
			putBuf(img.Pix)
		}
		return RGB{}, false
	}
	return img, true
}

// pngData is a PNG that the fast route takes, its chunks read and checked
// (CRCs, order, IEND) but its pixels not yet decoded: the size and the zlib
// stream.
type pngData struct {
	w, h, bpp int
	// stream holds the zlib stream's n bytes, then at least inflatePad
	// more (inflate's padding).
	stream []byte
	n      int
	pooled bool // stream is a pooled buffer, handed back by release
}

func (d *pngData) release() {
	if d.pooled {
		putBuf(d.stream)
	}
	*d = pngData{}
}

// parsePNG reads data's chunks for decodePNG: ok is false for any PNG the
// fast route leaves to image/png and for any damage it can see without
// inflating (chunk CRCs, missing or misplaced chunks, data after IEND).
func parsePNG(data []byte) (d pngData, ok bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(data) < len(sig) || string(data[:len(sig)]) != sig {
		return pngData{}, false
	}
	c := chunks{data: data, pos: len(sig)}
	typ, body, ok := c.next()
	if !ok || typ != "IHDR" || len(body) != 13 {
		return pngData{}, false
	}
	w, h := int(binary.BigEndian.Uint32(body)), int(binary.BigEndian.Uint32(body[4:]))
	depth, colour := body[8], body[9]
	if checkSize(w, h) != nil || depth != 8 || (colour != 2 && colour != 6) || body[10] != 0 || body[11] != 0 || body[12] != 0 {
		return pngData{}, false
	}
	d = pngData{w: w, h: h, bpp: 3}
	if colour == 6 {
		d.bpp = 4
	}
	// Ancillary chunks up to the image data; a palette or transparency
	// changes what image/png returns, so those go to it.
	for {
		if typ, body, ok = c.next(); !ok {
			return pngData{}, false
		}
		if typ == "IDAT" {
			break
		}
		if typ == "IHDR" || typ == "PLTE" || typ == "tRNS" || typ == "IEND" {
			return pngData{}, false
		}
	}
	// The zlib stream: the consecutive IDAT chunks' data, joined unless it
	// is a single chunk (then the 16 bytes that follow in data, which any
	// well-formed file has, serve as inflate's padding). Encoders split the
	// stream (image/png every 32 KiB), so the joined size is summed first
	// from the chunk headers: one pooled buffer of the right size, never
	// regrown by append.
	start, n := c.pos-4-len(body), len(body)
	stream := data[start:]
	if more := idatFollowing(data, c.pos); more > 0 {
		joined := getBuf(n + more + inflatePad)
		d.pooled = true
		stream = append(joined[:0], body...)
		for {
			save := c.pos
			typ, body, ok := c.next()
			if !ok {
				d.stream = stream
				d.release()
				return pngData{}, false
			}
			if typ != "IDAT" {
				c.pos = save
				break
			}
			stream = append(stream, body...)
		}
		n = len(stream)
		stream = append(stream, make([]byte, inflatePad)...)
	} else if len(stream) < n+inflatePad {
		stream = append(stream[:n:n], make([]byte, inflatePad)...) // a copy: data is not ours
	}
	d.stream, d.n = stream, n
	// The rest of the file up to IEND, checksums verified as image/png does.
	for {
		typ, body, ok := c.next()
		if !ok || typ == "IHDR" || typ == "PLTE" || typ == "tRNS" || (typ == "IEND" && len(body) != 0) {
			d.release()
			return pngData{}, false
		}
		if typ == "IEND" {
			return d, true
		}
	}
}

// idatFollowing sums the data lengths of the IDAT chunks that follow at pos
// in data, as their headers give them (chunks.next checks them later): a
// size to allocate, no more.
func idatFollowing(data []byte, pos int) int {
	total := 0
	for len(data)-pos >= 12 && string(data[pos+4:pos+8]) == "IDAT" {
		n := int(binary.BigEndian.Uint32(data[pos:]) & 0x7fffffff)
		if n > len(data)-pos-12 {
			break
		}
		total += n
		pos += 12 + n
	}
	return total
}

// chunks walks a PNG's chunks, checking each one's length and CRC.
type chunks struct {
	data []byte
	pos  int
}

func (c *chunks) next() (typ string, body []byte, ok bool) {
	if len(c.data)-c.pos < 12 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(c.data[c.pos:])
	if n > 0x7fffffff || uint64(n) > uint64(len(c.data)-c.pos-12) {
		return "", nil, false
	}
	end := c.pos + 8 + int(n)
	if crc32.ChecksumIEEE(c.data[c.pos+4:end]) != binary.BigEndian.Uint32(c.data[end:]) {
		return "", nil, false
	}
	typ, body = string(c.data[c.pos+4:c.pos+8]), c.data[c.pos+8:end]
	c.pos = end + 4
	return typ, body, true
}

// unzlib inflates a zlib stream in[:n] (followed by inflatePad bytes) that
// must fill out exactly and end exactly at n, with a valid checksum, as
// image/png requires.
func unzlib(in []byte, n int, out []byte) bool {
	if n < 2+4 {
		return false
	}
	if !zlibHeaderOK(in[0], in[1]) {
		return false
	}
	used, err := inflate(in[2:], n-2, out)
	return err == nil && zlibEndOK(in, n, used, adler32Sum(out))
}

// zlibEndOK reports whether a zlib stream in[:n] whose deflate data took
// used bytes after the 2-byte header ends there with the Adler-32 trailer
// sum, and nothing after it, as image/png requires.
func zlibEndOK(in []byte, n, used int, sum uint32) bool {
	return 2+used+4 == n && binary.BigEndian.Uint32(in[2+used:]) == sum
}

// unfilterRGB reverses PNG's per-row filters of raw (h rows of a filter
// byte and w·bpp bytes) and stores the RGB samples in img.
func unfilterRGB(img RGB, raw []byte, bpp int) bool {
	u := newRowUnfilter(img, raw, bpp)
	defer u.release()
	for u.y < img.H {
		if !u.next() {
			return false
		}
	}
	return true
}

// rowUnfilter reverses the filters of raw's rows one at a time, top down,
// into img: the streaming decoder unfilters each row as soon as inflate has
// produced it.
type rowUnfilter struct {
	img    RGB
	raw    []byte
	bpp    int
	y      int    // the next row
	rows   []byte // pooled: the zero row above the first, and RGBA rows
	prev   []byte // the previous row, unfiltered
	spare  []byte // RGBA: the row to unfilter into
	stride int
}

func newRowUnfilter(img RGB, raw []byte, bpp int) rowUnfilter {
	stride := img.W * bpp
	u := rowUnfilter{img: img, raw: raw, bpp: bpp, stride: stride, rows: getBuf(2 * stride)}
	u.prev = u.rows[:stride]
	clear(u.prev) // the row above the first is zeros
	u.spare = u.rows[stride:]
	return u
}

func (u *rowUnfilter) release() {
	putBuf(u.rows)
	u.rows, u.prev, u.spare = nil, nil, nil
}

// next unfilters row u.y (whose raw bytes must be final) and advances;
// false for an unknown filter type.
func (u *rowUnfilter) next() bool {
	y, stride, img := u.y, u.stride, u.img
	row := u.raw[y*(1+stride) : (y+1)*(1+stride)]
	cur := u.spare
	if u.bpp == 3 {
		cur = img.Pix[y*stride : (y+1)*stride] // RGB already: in place
	}
	if !unfilterRow(cur, row[1:], u.prev, row[0], u.bpp) {
		return false
	}
	if u.bpp != 3 {
		dst := img.Pix[y*img.W*3 : (y+1)*img.W*3]
		for x := range img.W {
			copy(dst[3*x:3*x+3], cur[u.bpp*x:])
		}
		u.spare = u.prev
	}
	u.prev = cur
	u.y++
	return true
}

// unfilterRow writes the unfiltered row into dst (which may not alias src or
// prev); prev is the previous unfiltered row. Pixels are 3 or 4 bytes.
func unfilterRow(dst, src, prev []byte, filter byte, bpp int) bool {
	n := len(dst)
	src, prev = src[:n], prev[:n]
	if bpp != 3 && bpp != 4 {
		return false
	}
	switch filter {
	case 0:
		copy(dst, src)
	case 1: // Sub
		if bpp == 3 {
			sub3(dst, src)
		} else {
			sub4(dst, src)
		}
	case 2: // Up
		// Eight bytes to a word, two words a step (through array
		// pointers: one bounds check per slice and step): the low seven
		// bits of each byte add without reaching the next byte, the top
		// bits are added by xor.
		const high = 0x8080808080808080
		i := 0
		for ; i+16 <= n; i += 16 {
			s, p, d := (*[16]byte)(src[i:]), (*[16]byte)(prev[i:]), (*[16]byte)(dst[i:])
			a, b := binary.LittleEndian.Uint64(s[:]), binary.LittleEndian.Uint64(p[:])
			c, e := binary.LittleEndian.Uint64(s[8:]), binary.LittleEndian.Uint64(p[8:])
			binary.LittleEndian.PutUint64(d[:], (a&^high)+(b&^high)^((a^b)&high))
			binary.LittleEndian.PutUint64(d[8:], (c&^high)+(e&^high)^((c^e)&high))
		}
		for ; i < n; i++ {
			dst[i] = src[i] + prev[i]
		}
	case 3: // Average
		if bpp == 3 {
			avg3(dst, src, prev)
		} else {
			avg4(dst, src, prev)
		}
	case 4: // Paeth
		if bpp == 3 {
			paeth3(dst, src, prev)
		} else {
			paeth4(dst, src, prev)
		}
	default:
		return false
	}
	return true
}

// paeth is PNG's predictor: whichever of a (left), b (above) and c (upper
// left) is closest to a + b − c, ties going to a, then b. It is written as
// an equivalent comparison of t = 3c − a − b with the smaller and the
// larger of a and b: the larger wins when t ≤ min(a, b), else the smaller
// when max(a, b) ≤ t, else c (TestPaethExhaustive checks this against the
// spec's three distances for all 2^24 inputs). A min, a max and two
// selects instead of three absolute values: the chain from one pixel's
// result to the next is what the filter costs, and this is small enough to
// be inlined and compiles to conditional moves (which value wins is
// unpredictable).
func paeth(a, b, c int32) int32 {
	t := 3*c - a - b
	lo, hi := min(a, b), max(a, b)
	r := c
	if hi <= t {
		r = lo
	}
	if t <= lo {
		r = hi
	}
	return r
}
