//go:build !amd64 || purego

package imageops

// Without the assembly, adler32Sum's Go loop does all the work.
var (
	adlerAVX2   = false
	adlerAVX2OK = false
)

const adlerMaxBlocks = 4096

// adler32BlocksAVX2 is never called while adlerAVX2 is false.
func adler32BlocksAVX2(p *byte, blocks int) (sum, prefix, weighted uint64) { return 0, 0, 0 }
