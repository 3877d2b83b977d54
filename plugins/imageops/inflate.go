package imageops

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"sync"
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
	// first and index are slowSym's walk state after the first huffBits
	// lengths: the first code of length huffBits+1 and how many symbols
	// have shorter codes.
	first, index int
	// incomplete: the code is the lone 1-bit code compress/flate allows,
	// which leaves half of the table empty.
	incomplete bool
	// mask selects the bits the table resolves: the longest code's length,
	// at most huffBits. Only table[:mask+1] is built, so a short code (the
	// code length code, most distance codes) costs a small table, not 4096
	// entries.
	mask uint64
}

// build makes the code for lengths (0 = unused symbol), with compress/flate's
// rules: an over-subscribed code is an error, an incomplete one too unless
// it is a single code of length 1; an empty code is accepted (using it
// fails).
func (h *huffman) build(lengths []uint8) bool { return h.make(lengths, true) }

// make is build; without table, h.table is left as it was: a block's
// literal/length code is decoded through its pairTable and slowSym, which
// read only the counts and symbols, and building a table nobody reads took
// 2–3% of inflating.
func (h *huffman) make(lengths []uint8, table bool) bool {
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
	h.first, h.index = 0, 0
	for l := 1; l <= huffBits; l++ {
		h.index += int(h.count[l])
		h.first = (h.first + int(h.count[l])) << 1
	}
	h.mask = 0
	if maxLen == 0 {
		h.table[0] = 0 // every lookup fails
		return true
	}
	if left > 0 && !(total == 1 && maxLen == 1) {
		return false
	}
	tb := min(maxLen, huffBits)
	h.mask = uint64(1<<tb - 1)
	h.incomplete = left > 0
	if h.incomplete && table {
		clear(h.table[:2]) // the lone 1-bit code fills only half
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
	if !table {
		return true
	}
	// Canonical codes, assigned in order of length then symbol (the order
	// of h.symbols), first bit highest; the table is indexed by the bits as
	// they arrive, first bit lowest, so a code of length l fills every
	// 2^l-th entry from its reversal. The table is built length by length:
	// once the entries below 2^l hold every code up to length l, doubling
	// (copying them above) repeats those codes correctly for length l+1,
	// and the codes of length l+1 then take one entry each. Entries that
	// are still prefixes of longer codes hold leftovers until a longer code
	// or, past huffBits, the 0 that sends it to slowSym overwrites them:
	// a complete code leaves none.
	code, i := 0, 0
	for l := 1; l <= maxLen; l++ {
		if l > 1 && l <= tb {
			copy(h.table[1<<(l-1):1<<l], h.table[:1<<(l-1)])
		}
		for range h.count[l] {
			if l <= tb {
				h.table[reverseBits(code, l)] = h.symbols[i]<<4 | uint16(l)
			} else {
				h.table[reverseBits(code>>(l-huffBits), huffBits)] = 0 // to slowSym
			}
			code++
			i++
		}
		code <<= 1
	}
	return true
}

// reverseBits reverses the low n bits of v: codes are defined first bit
// highest, and the stream sends them first bit lowest.
func reverseBits(v, n int) int {
	return int(bits.Reverse16(uint16(v)) >> (16 - n))
}

// inflater holds the bit reader and the output.
type inflater struct {
	in   []byte // the data, then at least inflatePad more bytes
	pos  int    // next byte of in to load
	bits uint64 // loaded, unconsumed bits, LSB first
	nb   uint   // how many
	out  []byte
	op   int
	// dyn is the current dynamic block's code.
	dyn         codes
	pairScratch pairScratch
}

// codes is a block's literal/length and distance codes, with their packed
// tables (which decodeBlock's fast paths read; the codes themselves serve
// the rare long codes); fixedCodes is the fixed code's.
type codes struct {
	pairs     pairTable
	dists     distTable
	lit, dist huffman
}

var fixedCodes codes

// inflaters are reused: an inflater's code tables are tens of kilobytes,
// which would otherwise be allocated and cleared for every image.
var inflaters = sync.Pool{New: func() any { return new(inflater) }}

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
	e := h.table[bits&h.mask]
	if n := uint(e & 15); n != 0 {
		return int(e >> 4), n
	}
	return slowSym(h, bits)
}

// slowSym decodes a code longer than huffBits, walking the canonical code
// one bit at a time from length huffBits+1 on (the walk up to there, which
// cannot have ended, is summed up by h.first and h.index).
func slowSym(h *huffman, b uint64) (sym int, n uint) {
	code := int(bits.Reverse16(uint16(b))>>(16-huffBits)) << 1 // the first huffBits bits, first bit highest
	b >>= huffBits
	first, index := h.first, h.index
	for l := huffBits + 1; l <= maxCodeLen; l++ {
		code |= int(b & 1)
		b >>= 1
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
	fixedCodes.lit.build(l[:])
	// 32 five-bit codes; symbols 30 and 31 decode and are then refused, as
	// compress/flate refuses them.
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	fixedCodes.dist.build(d[:])
	fixedCodes.pairs.build(&fixedCodes.lit, new(pairScratch))
	fixedCodes.dists.build(&fixedCodes.dist)
}

// inflate decodes a raw DEFLATE stream from in[:n] into out, which it must
// fill exactly; len(in) ≥ n+inflatePad. It returns the number of bytes the
// stream used.
func inflate(in []byte, n int, out []byte) (int, error) {
	return inflateWith(in, n, out, nil)
}

// inflateWith is inflate, calling progress (if not nil) after every block
// with the number of bytes of out that are final.
func inflateWith(in []byte, n int, out []byte, progress func(op int)) (int, error) {
	if len(in) < n+inflatePad {
		return 0, errInflate
	}
	f := inflaters.Get().(*inflater)
	defer func() {
		f.in, f.out = nil, nil // hold no caller memory while pooled
		inflaters.Put(f)
	}()
	f.in, f.pos, f.bits, f.nb, f.out, f.op = in[:n+inflatePad], 0, 0, 0, out, 0
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
			err = f.block(&fixedCodes)
		case 2:
			if err = f.dynamicCodes(); err == nil {
				f.dyn.pairs.build(&f.dyn.lit, &f.pairScratch)
				f.dyn.dists.build(&f.dyn.dist)
				err = f.block(&f.dyn)
			}
		default:
			err = errInflate
		}
		if err != nil {
			return 0, err
		}
		if progress != nil {
			progress(f.op)
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

// dynamicCodes reads a dynamic block's code definitions into f.dyn.lit and
// f.dyn.dist.
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
	if !f.dyn.lit.make(lengths[:nlit], false) || !f.dyn.dist.build(lengths[nlit:n]) {
		return errInflate
	}
	return nil
}

// block decodes compressed data up to the end-of-block code.
func (f *inflater) block(c *codes) error {
	var ok bool
	f.bits, f.nb, f.pos, f.op, ok = decodeBlock(f.in, f.out, f.bits, f.nb, f.pos, f.op, c)
	if !ok {
		return errInflate
	}
	return nil
}

// decodeBlock is block's loop, with the bit reader's state in arguments
// and results rather than in f or in variables a deferred closure saves:
// either would keep it in memory, and every step of the loop would wait on
// a store and a load. On failure the state returned is meaningless.
//
// Where inflateAsm is set (amd64 with BMI2), each step first lets the
// assembly (decodeFast, inflate_amd64.s) decode what it can; this loop is
// also the whole decoder everywhere else, and must stay right on its own
// (the tests run both).
func decodeBlock(in, out []byte, bits uint64, nb uint, pos, op int, c *codes) (uint64, uint, int, int, bool) {
	const mask = 1<<huffBits - 1
	asm := inflateAsm
	for {
		if asm {
			// The assembly takes the common symbols while the margins
			// last, and leaves the rest (long codes, the end of the
			// block, the last bytes, errors) to one step of this loop.
			bits, nb, pos, op = decodeFast(in, out, bits, nb, pos, op, c)
		}
		if pos+8 > len(in) {
			return 0, 0, 0, 0, false
		}
		// Only nb's low six bits count (the literal steps below subtract
		// whole entries, whose low byte is the bits consumed): masking
		// them also tells the compiler the shift is below 64, which it
		// would otherwise guard.
		nb &= 63
		bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
		pos += int(63-nb) >> 3
		nb |= 56
		var e uint32
		if len(out)-op >= 8 {
			// Up to three literal entries (≤ huffBits = 12 bits each) from
			// the 56 bits loaded, each storing two bytes, leaving ≥ 20 bits
			// for whatever ends the run. The stores go to w, the next 8
			// bytes of out: each entry advances by at most 3 (its count's
			// two bits), so the third entry's bytes are at most at 6 and 7,
			// which the compiler proves from the masks: no bounds checks.
			w := (*[8]byte)(out[op:])
			e = c.pairs[bits&mask]
			if e&pairLiteral != 0 {
				bits >>= e & 63
				nb -= uint(e)
				w[0], w[1] = byte(e>>8), byte(e>>16)
				o1 := uint(e >> 24 & 3)
				e = c.pairs[bits&mask]
				if e&pairLiteral == 0 {
					op += int(o1)
				} else {
					bits >>= e & 63
					nb -= uint(e)
					w[o1], w[o1+1] = byte(e>>8), byte(e>>16)
					o2 := o1 + uint(e>>24&3)
					e = c.pairs[bits&mask]
					if e&pairLiteral == 0 {
						op += int(o2)
					} else {
						bits >>= e & 63
						nb -= uint(e)
						w[o2], w[o2+1] = byte(e>>8), byte(e>>16)
						op += int(o2 + uint(e>>24&3))
						continue
					}
				}
			}
		} else {
			// Near the end of the output: one literal at a time.
			e = c.pairs[bits&mask]
			if e&pairLiteral != 0 {
				if op >= len(out) {
					return 0, 0, 0, 0, false // more data than the image holds
				}
				n := uint(e >> 26 & 15)
				bits >>= n
				nb -= n
				out[op] = byte(e >> 8)
				op++
				continue
			}
		}
		// Not a literal in the table: a length, the end of the block or a
		// code longer than huffBits. At least 20 bits are held: enough for
		// any length code (≤ 15 bits) and its extra bits (≤ 5).
		var length int
		if e&pairLength != 0 {
			// The entry holds the length's base, the code's length n and
			// n plus the extra bits' count: the extra bits are the ones
			// between n and that total.
			total, n := uint(e&63), uint(e>>8&15)
			length = int(e>>16&0x1ff) + int(bits&(1<<total-1)>>n)
			bits >>= total
			nb -= total
		} else {
			s, n := int(e>>8)&0x1ff, uint(e&15)
			if n == 0 {
				if s, n = slowSym(&c.lit, bits); n == 0 {
					return 0, 0, 0, 0, false
				}
			}
			bits >>= n
			nb -= n
			if s < 256 {
				if op >= len(out) {
					return 0, 0, 0, 0, false
				}
				out[op] = byte(s)
				op++
				continue
			}
			if s == 256 {
				return bits, nb & 63, pos, op, true
			}
			s -= 257
			if s >= len(lenBase) {
				return 0, 0, 0, 0, false
			}
			eb := uint(lenExtra[s])
			length = int(lenBase[s]) + int(bits&(1<<eb-1))
			bits >>= eb
			nb -= eb
		}
		// One refill for the distance: 56 bits cover its code (≤ 15) and
		// extra bits (≤ 13).
		if pos+8 > len(in) {
			return 0, 0, 0, 0, false
		}
		nb &= 63
		bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
		pos += int(63-nb) >> 3
		nb |= 56
		var distance int
		if d := c.dists[bits&(1<<distBits-1)]; d != 0 {
			total, n := uint(d&63), uint(d>>8&15)
			distance = int(d>>16) + int(bits&(1<<total-1)>>n)
			bits >>= total
			nb -= total
		} else {
			d, n := decodeSym(&c.dist, bits)
			if n == 0 || d >= len(distBase) {
				return 0, 0, 0, 0, false
			}
			bits >>= n
			nb -= n
			eb := uint(distExtr[d])
			distance = int(distBase[d]) + int(bits&(1<<eb-1))
			bits >>= eb
			nb -= eb
		}
		if distance > op || length > len(out)-op {
			return 0, 0, 0, 0, false
		}
		src := op - distance
		if distance >= 8 && length <= 32 && len(out)-op >= 40 {
			// Short matches dominate noisy images: copy 8-byte words, which
			// may write up to 7 bytes past the match (decoded over later).
			// distance ≥ 8 means every word read was written before.
			// Most are 4 to 8 bytes: one word, then a loop that rarely runs.
			binary.LittleEndian.PutUint64(out[op:], binary.LittleEndian.Uint64(out[src:]))
			for i := 8; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[op+i:], binary.LittleEndian.Uint64(out[src+i:]))
			}
		} else if distance >= length {
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
