//go:build !amd64 || purego

package imageops

// Without the assembly, decodeBlock's Go loop does all the work.
var (
	inflateAsmOK = false
	inflateAsm   = false
)

// decodeFast is never called while inflateAsm is false; it leaves the
// state as it is.
func decodeFast(in, out []byte, bits uint64, nb uint, pos, op int, c *codes) (uint64, uint, int, int) {
	return bits, nb, pos, op
}
