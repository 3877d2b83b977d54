package imageops

import (
	"math/rand"
	"testing"
)

// randomCompleteLengths gives code lengths (≤ 15) for n of the symbols
// 0..len-1, always including 256, forming a complete code: a random binary
// tree grown by splitting random leaves.
func randomCompleteLengths(rng *rand.Rand, symbols, n int) []uint8 {
	leaves := []uint8{0}
	for len(leaves) < n {
		i := rng.Intn(len(leaves))
		if leaves[i] == maxCodeLen {
			continue
		}
		// Splitting shallow leaves more often keeps some codes short.
		if rng.Intn(int(leaves[i])+1) > 2 {
			continue
		}
		leaves[i]++
		leaves = append(leaves, leaves[i])
	}
	lengths := make([]uint8, symbols)
	perm := rng.Perm(symbols)
	for i, l := range leaves {
		lengths[perm[i]] = l
	}
	if lengths[256] == 0 { // swap 256 in
		for s, l := range lengths {
			if l != 0 {
				lengths[256], lengths[s] = l, 0
				break
			}
		}
	}
	return lengths
}

// codeAt finds, by brute force over the canonical codes (computed here from
// RFC 1951's definition), the symbol whose code the low bits of v begin
// with, among codes of at most maxLen bits.
func codeAt(lengths []uint8, v, maxLen int) (sym, n int, ok bool) {
	var count [maxCodeLen + 1]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [maxCodeLen + 2]int
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		if int(l) > maxLen {
			continue
		}
		rev := 0
		for b := 0; b < int(l); b++ {
			rev |= (c >> (int(l) - 1 - b) & 1) << b
		}
		if v&(1<<l-1) == rev {
			return s, int(l), true
		}
	}
	return 0, 0, false
}

// TestPairTable: the code-by-code construction of the pair table, and the
// doubling construction of the lookup table, against entry-by-entry
// decoding by brute force, for the fixed code, random complete codes and
// the lone 1-bit code.
func TestPairTable(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var fixed [288]uint8
	for i := range fixed {
		fixed[i] = [4]uint8{8, 9, 7, 8}[b2i(i >= 144)+b2i(i >= 256)+b2i(i >= 280)]
	}
	codes := [][]uint8{fixed[:], make([]uint8, 257)}
	codes[1][256] = 1
	for range 12 {
		codes = append(codes, randomCompleteLengths(rng, 286, 257+rng.Intn(30)))
	}
	var h huffman
	var p pairTable
	var scratch pairScratch
	for ci, lengths := range codes {
		if !h.build(lengths) {
			t.Fatalf("code %d: not built", ci)
		}
		p.build(&h, &scratch)
		for i := range 1 << huffBits {
			var want uint32
			if s1, n1, ok := codeAt(lengths, i, huffBits); ok {
				switch {
				case s1 > 256 && s1 < 286:
					base, extra := rfcLength(s1)
					want = uint32(1<<30 | base<<16 | n1<<8 | (n1 + extra))
				case s1 >= 256:
					want = uint32(s1<<8 | n1)
				default:
					want = uint32(n1<<26|1<<24|s1<<8|n1) | pairLiteral
					if s2, n2, ok := codeAt(lengths, i>>n1, huffBits-n1); ok && s2 < 256 {
						want = uint32(n1<<26|2<<24|s2<<16|s1<<8|(n1+n2)) | pairLiteral
					}
				}
			}
			if p[i] != want {
				t.Fatalf("code %d, bits %012b: entry %08x, want %08x", ci, i, p[i], want)
			}
			if i <= int(h.mask) {
				want := uint16(0)
				if s, n, ok := codeAt(lengths, i, huffBits); ok {
					want = uint16(s<<4 | n)
				}
				if h.table[i] != want {
					t.Fatalf("code %d, bits %012b: table entry %04x, want %04x", ci, i, h.table[i], want)
				}
			}
		}
	}
}

// rfcLength and rfcDistance are RFC 1951's tables (section 3.2.5) as the
// text gives them: the code's base value and extra bits.
func rfcLength(sym int) (base, extra int) {
	base = 3
	for s := 257; s < sym; s++ {
		base += 1 << rfcLengthExtra(s)
	}
	if sym == 285 {
		return 258, 0
	}
	return base, rfcLengthExtra(sym)
}

func rfcLengthExtra(sym int) int {
	if sym < 265 || sym == 285 {
		return 0
	}
	return (sym - 261) / 4
}

func rfcDistance(sym int) (base, extra int) {
	base = 1
	for s := 0; s < sym; s++ {
		base += 1 << rfcDistanceExtra(s)
	}
	return base, rfcDistanceExtra(sym)
}

func rfcDistanceExtra(sym int) int {
	if sym < 4 {
		return 0
	}
	return sym/2 - 1
}

// TestDistTable: the packed distance table against brute-force decoding
// and the RFC's distance bases, for the fixed code (whose symbols 30 and 31
// must go to the checked slow path), random complete codes (some with codes
// longer than distBits, which must go there too), the lone 1-bit code and
// the empty code.
func TestDistTable(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	fixed := make([]uint8, 32)
	for i := range fixed {
		fixed[i] = 5
	}
	lone := make([]uint8, 30)
	lone[rng.Intn(30)] = 1
	codes := [][]uint8{fixed, lone, make([]uint8, 30)}
	for range 20 {
		// A complete code's lengths, moved to random distance symbols.
		l := make([]uint8, 30)
		perm := rng.Perm(30)
		for _, n := range randomCompleteLengths(rng, 257, 2+rng.Intn(29)) {
			if n != 0 {
				l[perm[0]], perm = n, perm[1:]
			}
		}
		codes = append(codes, l)
	}
	var h huffman
	var d distTable
	for ci, lengths := range codes {
		if !h.build(lengths) {
			t.Fatalf("code %d: not built", ci)
		}
		d.build(&h)
		for i := range 1 << distBits {
			var want uint32
			if s, n, ok := codeAt(lengths, i, distBits); ok && s < 30 {
				base, extra := rfcDistance(s)
				want = uint32(base<<16 | n<<8 | (n + extra))
			}
			if d[i] != want {
				t.Fatalf("code %d, bits %012b: entry %08x, want %08x", ci, i, d[i], want)
			}
		}
	}
}
