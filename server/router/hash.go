package router

// Hash domains keep the primary choice and each shadow's coin independent
// even though both hash the same key and variant name.
const (
	primaryDomain byte = 'p'
	shadowDomain  byte = 's'
)

// hash is a stable 64-bit hash of (domain, key, name): FNV-1a over the key's
// length, the key and the name (the length keeps "ab"+"c" apart from
// "a"+"bc"), then a murmur3 finalizer so that similar keys spread evenly.
// It must never change: sticky assignments would move on upgrade.
func hash(domain byte, key, name string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	h = (h ^ uint64(domain)) * prime
	n := uint64(len(key))
	for range 8 {
		h = (h ^ (n & 0xff)) * prime
		n >>= 8
	}
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * prime
	}
	return fmix64(h)
}

// fmix64 is murmur3's 64-bit finalizer: every input bit affects every
// output bit.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// unit maps a hash to a uniform float64 in the open interval (0,1), so that
// -ln(unit) is always finite. It keeps 52 bits: with 53, the largest value
// (2^53-0.5)/2^53 would round up to exactly 1.
func unit(h uint64) float64 {
	return (float64(h>>12) + 0.5) / (1 << 52)
}
