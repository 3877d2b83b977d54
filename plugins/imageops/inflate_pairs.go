package imageops

// pairTable resolves the next huffBits bits of a literal/length code into
// up to two literals at once: PNG image data is mostly literals with short
// codes, and each lookup waits for the one before, so two per lookup nearly
// halves the chain. A literal entry stores two bytes and says how many of
// them count, so the decoder stores both and advances by the count without
// branching on it (the spare byte is overwritten by what follows).
//
// Entry: for literals, bit 31 set, bits 0–3 the bits consumed, bits 4–7
// zero (so that the entry itself is the shift count: x86 uses its low 6
// bits, one step less on the chain from one lookup to the next), bits 8–15
// and 16–23 the literals, bits 24–25 how many (1 or 2), bits 26–29 the
// first literal's code length. For a length code, bit 30 set and all a
// match's length needs in the entry itself (no table of bases and extra
// bits to read on the way to the distance): bits 0–5 the code's length
// plus its extra bits', bits 8–11 the code's length, bits 16–24 the base
// length. Otherwise (end of block, or the fixed code's unused lengths 286
// and 287) bits 0–3 the code's length and bits 8–16 the symbol. 0 sends
// the decoder to slowSym.
type pairTable [1 << huffBits]uint32

const (
	pairLiteral = 1 << 31
	pairLength  = 1 << 30
)

// lengthEntry is the packed entry for length symbol s (257 ≤ s < 286) with
// a code of n bits; its layout is pairTable's and distTable's.
func lengthEntry(s, n int) uint32 {
	return pairLength | packedEntry(uint32(lenBase[s-257]), uint(n), uint(lenExtra[s-257]))
}

// packedEntry is base<<16 | n<<8 | n+extra: a code of n bits followed by
// extra bits to add to base.
func packedEntry(base uint32, n, extra uint) uint32 {
	return base<<16 | uint32(n)<<8 | uint32(n+extra)
}

// distTable resolves the next distBits bits of a distance code in one
// lookup into the distance's base and the bits the code and its extra bits
// take (packedEntry; the base, up to 24577, takes bits 16–31). 0 (a code
// longer than distBits, one of the unused symbols 30 and 31, or bits no
// code starts with) sends the decoder to decodeSym, which checks. The table
// is always whole, short codes repeated, so that the decoder indexes it
// with a constant mask: a register less in its loop.
type distTable [1 << distBits]uint32

// distBits: distance codes are short (30 symbols; image data rarely needs
// more than 10 bits), and a small table is quick to build for every block.
const distBits = 10

func (d *distTable) build(h *huffman) {
	clear(d[:])
	code, i := 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		for range h.count[l] {
			if s := h.symbols[i]; l <= distBits && int(s) < len(distBase) {
				e := packedEntry(distBase[s], uint(l), uint(distExtr[s]))
				// Masked: below len(d) anyway, and no bounds checks.
				for j := reverseBits(code, l); j < len(d); j += 1 << l {
					d[j&(len(d)-1)] = e
				}
			}
			code++
			i++
		}
		code <<= 1
	}
}

// pairScratch is build's table of second codes.
type pairScratch [1 << (huffBits - 1)]uint32

// build fills p for the literal/length code h (as made by huffman.build).
//
// Entry by entry, each would need two lookups and a choice between one and
// two literals; it is built instead code by code, in ascending order of
// the room a first code leaves (huffBits minus its length, R). second holds,
// for the next R bits, the literal a code of at most R bits decodes to
// there (symbol<<16 | 1<<24 | length: added to a one-literal entry it makes
// the two-literal one) or 0. second grows with R like huffman.build's table:
// doubled (codes up to R−1 bits repeat with that period), then the R-bit
// codes placed. A first code of length n (R = huffBits − n) then owns the
// entries whose low n bits are its reversal, and entry j of second gives
// the rest: 2^R stores of a sum each, for every code, 1<<huffBits in all.
func (p *pairTable) build(h *huffman, second *pairScratch) {
	if h.incomplete {
		clear(p[:]) // what no code covers fails
	}
	// Where each length's codes start, in h.symbols and as canonical codes.
	var index, first [maxCodeLen + 2]int
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		index[l+1] = index[l] + int(h.count[l])
		first[l] = code
		code = (code + int(h.count[l])) << 1
	}
	second[0] = 0
	for room := 0; room < huffBits; room++ {
		if room > 0 {
			copy(second[1<<(room-1):1<<room], second[:1<<(room-1)])
			for k := range int(h.count[room]) {
				e := uint32(0)
				if s := uint32(h.symbols[index[room]+k]); s < 256 {
					e = s<<16 | 1<<24 | uint32(room)
				}
				second[reverseBits(first[room]+k, room)] = e
			}
		}
		n := huffBits - room
		for k := range int(h.count[n]) {
			s := uint32(h.symbols[index[n]+k])
			r := reverseBits(first[n]+k, n)
			if s >= 256 {
				e := s<<8 | uint32(n)
				if s > 256 && s < 286 {
					e = lengthEntry(int(s), n)
				}
				for j := r; j < len(p); j += 1 << n {
					p[j] = e
				}
				continue
			}
			base := uint32(n)<<26 | 1<<24 | s<<8 | pairLiteral | uint32(n)
			fillPairs(p, second[:1<<room], r, n, base)
		}
	}
	// Codes longer than huffBits: their first huffBits bits send the
	// decoder to slowSym.
	for l := huffBits + 1; l <= maxCodeLen; l++ {
		for k := range int(h.count[l]) {
			p[reverseBits((first[l]+k)>>(l-huffBits), huffBits)] = 0
		}
	}
}

// fillPairs stores base+sec[j] at p[r + j<<n] for every j: the entries of
// one first code. Four at a time, with indices masked to the table's size
// (they stay below it: r < 1<<n and j < 1<<(huffBits-n)), so that the loop
// has no bounds checks: it runs 1<<huffBits times for every block.
func fillPairs(p *pairTable, sec []uint32, r, n int, base uint32) {
	const m = len(p) - 1
	step := 1 << n
	i := r
	for ; len(sec) >= 4; sec = sec[4:] {
		p[i&m] = base + sec[0]
		p[(i+step)&m] = base + sec[1]
		p[(i+2*step)&m] = base + sec[2]
		p[(i+3*step)&m] = base + sec[3]
		i += 4 * step
	}
	for _, v := range sec {
		p[i&m] = base + v
		i += step
	}
}
