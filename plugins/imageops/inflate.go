package imageops

import (
	"encoding/binary"
	"errors"
)

// A DEFLATE (RFC 1951) decoder for PNG's image data, faster than
// compress/flate for this one job because it knows more: the whole input is
// in memory (read 8 bytes at a time, no io.ByteReader per byte) and the
// output's exact size is known in advance (back-references copy within the
// output itself, with no sliding window).
//
// It accepts only what compress/flate accepts; anything else, including
// data past the end of the stream, is errInflate, and the caller falls back
// to the standard library, whose result (or error) then stands. So a stream
// this decoder mishandles costs time, never a wrong image.

var errInflate = errors.New("imageops: inflate: unsupported or corrupt stream")

const (
	huffBits   = 12 // bits resolved by one table lookup (8 KiB; 16 KiB of pairs); longer codes go slow
	maxCodeLen = 15
	// inflatePad bytes (of any value) must follow the input's data:
	// refill reads 8 bytes at a time, and may read past the data before the
	// overrun is noticed.
	inflatePad = 16
)

// huffman is a canonical Huffman code: a lookup table on the next huffBits
// bits (entry: symbol<<4 | code length, 0 = longer or unassigned code) and
// puff-style counts and sorted symbols for the longer codes.
type huffman struct {
	table   [1 << huffBits]uint16
	count   [maxCodeLen + 1]uint16
	symbols [320]uint16
}

// build makes the code for lengths (0 = unused symbol), with compress/flate's
// rules: an over-subscribed code is an error, an incomplete one too unless
// it is a single code of length 1; an empty code is accepted (using it
// fails).
func (h *huffman) build(lengths []uint8) bool {
	h.count = [maxCodeLen + 1]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	maxLen, total := 0, 0
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return false
		}
		if h.count[l] > 0 {
			maxLen = l
		}
		total += int(h.count[l])
	}
	h.table = [1 << huffBits]uint16{}
	if maxLen == 0 {
		return true
	}
	if left > 0 && !(total == 1 && maxLen == 1) {
		return false
	}
	var offs [maxCodeLen + 2]uint16
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbols[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	// Canonical codes, assigned in order of length then symbol.
	code := 0
	var next [maxCodeLen + 1]int
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + int(h.count[l-1])) << 1
		next[l] = code
	}
	for s, l := range lengths {
		if l == 0 || int(l) > huffBits {
			if l != 0 {
				next[l]++
			}
			continue
		}
		r := reverseBits(next[l], int(l))
		next[l]++
		for i := r; i < len(h.table); i += 1 << l {
			h.table[i] = uint16(s)<<4 | uint16(l)
		}
	}
	return true
}

func reverseBits(v, n int) int {
	r := 0
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// pairTable resolves the next huffBits bits of a literal/length code into
// up to two literals at once: PNG image data is mostly literals with short
// codes, and each lookup waits for the one before, so two per lookup nearly
// halves the chain. Entry: bits 0–3 the bits consumed, bit 4 set when two
// literals were decoded, bits 8–16 the first symbol, bits 17–24 the second
// literal; 0 sends the decoder to slowSym.
type pairTable [1 << huffBits]uint32

func (p *pairTable) build(h *huffman) {
	for i := range p {
		e1 := h.table[i]
		n1 := uint(e1 & 15)
		if n1 == 0 {
			p[i] = 0
			continue
		}
		s1 := uint32(e1 >> 4)
		p[i] = s1<<8 | uint32(n1)
		if s1 >= 256 {
			continue
		}
		// The second code is known if it fits in the bits left.
		e2 := h.table[i>>n1]
		if n2 := uint(e2 & 15); n2 != 0 && n1+n2 <= huffBits && e2>>4 < 256 {
			p[i] = uint32(e2>>4)<<17 | s1<<8 | 16 | uint32(n1+n2)
		}
	}
}

// inflater holds the bit reader and the output.
type inflater struct {
	in   []byte // the data, then at least inflatePad more bytes
	pos  int    // next byte of in to load
	bits uint64 // loaded, unconsumed bits, LSB first
	nb   uint   // how many
	out  []byte
	op   int
	lit  huffman
	dist huffman
	// pairs is lit's pairTable; fixedPairs the fixed code's.
	pairs pairTable
}

var fixedPairs pairTable

// refill loads bits until at least 56 are held. Past the padding, the
// stream has overrun the data: an error.
func (f *inflater) refill() bool {
	if f.pos+8 > len(f.in) {
		return false
	}
	f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nb
	f.pos += int(63-f.nb) >> 3
	f.nb |= 56
	return true
}

// take consumes n ≤ 32 bits; refill must have run.
func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nb -= n
	return v
}

// sym decodes one symbol of h; refill must have run (56 bits ≥ 15).
func (f *inflater) sym(h *huffman) (int, bool) {
	s, n := decodeSym(h, f.bits)
	if n == 0 {
		return 0, false
	}
	f.bits >>= n
	f.nb -= n
	return s, true
}

// decodeSym decodes the symbol at the bottom of bits (which must hold at
// least maxCodeLen valid bits) and returns it and its code's length, or
// length 0 for a code that is not in h.
func decodeSym(h *huffman, bits uint64) (sym int, n uint) {
	e := h.table[bits&(1<<huffBits-1)]
	if n := uint(e & 15); n != 0 {
		return int(e >> 4), n
	}
	return slowSym(h, bits)
}

// slowSym walks the canonical code bit by bit, for codes longer than
// huffBits.
func slowSym(h *huffman, bits uint64) (sym int, n uint) {
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		code |= int(bits & 1)
		bits >>= 1
		count := int(h.count[l])
		if code-first < count {
			return int(h.symbols[index+code-first]), uint(l)
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, 0
}

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtr = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// The order in which code length code lengths are sent.
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

var fixedLit, fixedDist huffman

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	fixedLit.build(l[:])
	// 32 five-bit codes; symbols 30 and 31 decode and are then refused, as
	// compress/flate refuses them.
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	fixedDist.build(d[:])
	fixedPairs.build(&fixedLit)
}

// inflate decodes a raw DEFLATE stream from in[:n] into out, which it must
// fill exactly; len(in) ≥ n+inflatePad. It returns the number of bytes the
// stream used.
func inflate(in []byte, n int, out []byte) (int, error) {
	if len(in) < n+inflatePad {
		return 0, errInflate
	}
	f := &inflater{in: in[:n+inflatePad], out: out}
	dataLen := n
	for {
		if !f.refill() {
			return 0, errInflate
		}
		final := f.take(1)
		var err error
		switch f.take(2) {
		case 0:
			err = f.stored()
		case 1:
			err = f.block(&fixedLit, &fixedPairs, &fixedDist)
		case 2:
			if err = f.dynamicCodes(); err == nil {
				f.pairs.build(&f.lit)
				err = f.block(&f.lit, &f.pairs, &f.dist)
			}
		default:
			err = errInflate
		}
		if err != nil {
			return 0, err
		}
		if final == 1 {
			break
		}
	}
	used := f.pos - int(f.nb>>3)
	if used > dataLen || f.op != len(f.out) {
		return 0, errInflate
	}
	return used, nil
}

// stored copies a stored block.
func (f *inflater) stored() error {
	f.take(f.nb & 7) // to a byte boundary
	if !f.refill() {
		return errInflate
	}
	n, nn := f.take(16), f.take(16)
	if n != ^nn&0xffff {
		return errInflate
	}
	// Return the unconsumed whole bytes to the input, then copy.
	f.pos -= int(f.nb >> 3)
	f.bits, f.nb = 0, 0
	end := f.pos + int(n)
	if end > len(f.in)-inflatePad || f.op+int(n) > len(f.out) {
		return errInflate
	}
	f.op += copy(f.out[f.op:], f.in[f.pos:end])
	f.pos = end
	return nil
}

// dynamicCodes reads a dynamic block's code definitions into f.lit, f.dist.
func (f *inflater) dynamicCodes() error {
	if !f.refill() {
		return errInflate
	}
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errInflate
	}
	var cl [19]uint8
	for i := range nclen {
		if f.nb < 3 && !f.refill() {
			return errInflate
		}
		cl[clOrder[i]] = uint8(f.take(3))
	}
	var clh huffman
	if !clh.build(cl[:]) {
		return errInflate
	}
	var lengths [286 + 30]uint8
	n := nlit + ndist
	for i := 0; i < n; {
		if !f.refill() {
			return errInflate
		}
		s, ok := f.sym(&clh)
		if !ok {
			return errInflate
		}
		if s < 16 {
			lengths[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var v uint8
		switch s {
		case 16:
			if i == 0 {
				return errInflate
			}
			v, rep = lengths[i-1], 3+int(f.take(2))
		case 17:
			rep = 3 + int(f.take(3))
		default:
			rep = 11 + int(f.take(7))
		}
		if i+rep > n {
			return errInflate
		}
		for ; rep > 0; rep-- {
			lengths[i] = v
			i++
		}
	}
	if lengths[256] == 0 { // no end-of-block code: compress/flate refuses too
		return errInflate
	}
	if !f.lit.build(lengths[:nlit]) || !f.dist.build(lengths[nlit:n]) {
		return errInflate
	}
	return nil
}

// block decodes compressed data up to the end-of-block code. The bit
// reader's state lives in locals here (the hot loop), saved on return.
func (f *inflater) block(lit *huffman, pairs *pairTable, dist *huffman) error {
	in, out := f.in, f.out
	bits, nb, pos, op := f.bits, f.nb, f.pos, f.op
	defer func() { f.bits, f.nb, f.pos, f.op = bits, nb, pos, op }()
	for {
		if pos+8 > len(in) {
			return errInflate
		}
		bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
		pos += int(63-nb) >> 3
		nb |= 56
		// Literals until fewer than 15 bits (the longest code) are left.
		s := 0
		for {
			e := pairs[bits&(1<<huffBits-1)]
			n := uint(e & 15)
			if e&16 != 0 && op+1 < len(out) {
				bits >>= n
				nb -= n
				out[op] = byte(e >> 8)
				out[op+1] = byte(e >> 17)
				op += 2
				if nb < maxCodeLen {
					break
				}
				continue
			}
			switch {
			case e&16 != 0: // a pair with room for one: take the first alone
				n = uint(lit.table[bits&(1<<huffBits-1)] & 15)
				s = int(e>>8) & 0x1ff
			case n != 0:
				s = int(e>>8) & 0x1ff
			default:
				if s, n = slowSym(lit, bits); n == 0 {
					return errInflate
				}
			}
			bits >>= n
			nb -= n
			if s >= 256 {
				break
			}
			if op >= len(out) {
				return errInflate // more data than the image holds
			}
			out[op] = byte(s)
			op++
			if nb < maxCodeLen {
				break
			}
		}
		if s < 256 {
			continue // refill
		}
		if s == 256 {
			return nil
		}
		s -= 257
		if s >= len(lenBase) {
			return errInflate
		}
		if nb < 5+maxCodeLen {
			if pos+8 > len(in) {
				return errInflate
			}
			bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
			pos += int(63-nb) >> 3
			nb |= 56
		}
		eb := uint(lenExtra[s])
		length := int(lenBase[s]) + int(bits&(1<<eb-1))
		bits >>= eb
		nb -= eb
		d, n := decodeSym(dist, bits)
		if n == 0 || d >= len(distBase) {
			return errInflate
		}
		bits >>= n
		nb -= n
		if nb < 13 {
			if pos+8 > len(in) {
				return errInflate
			}
			bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
			pos += int(63-nb) >> 3
			nb |= 56
		}
		eb = uint(distExtr[d])
		distance := int(distBase[d]) + int(bits&(1<<eb-1))
		bits >>= eb
		nb -= eb
		if distance > op || length > len(out)-op {
			return errInflate
		}
		src := op - distance
		if distance >= length {
			copy(out[op:op+length], out[src:src+length])
		} else {
			// Overlapping: the copy repeats the last distance bytes. Each
			// copy doubles the repeated run, so this takes log(length)
			// calls instead of a byte loop.
			end := op + length
			for done := op; done < end; {
				done += copy(out[done:end], out[src:done])
			}
		}
		op += length
	}
}
