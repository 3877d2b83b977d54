//go:build amd64 && !purego

package conv

import "unsafe"

const dwAsm = true

// dwRow512 writes 16·nb outputs plus a last block masked by m1 (m1 = 0: none):
// y[i] = b + Σ_{r<kh} Σ_{c<kw} w[r·kw+c]·x[i·s + r·rs + c·cs] with rs, cs in
// bytes and s = 1 or 2. With s = 2, m2 and m3 mask the last block's loads
// of its first and second 16 inputs.
//
//go:noescape
func dwRow512(y, x, w unsafe.Pointer, nb, kh, kw, rs, cs, s, m1, m2, m3 int, b float32)

// dwRow256 writes 8·nb outputs (same formula, AVX2 + FMA).
//
//go:noescape
func dwRow256(y, x, w unsafe.Pointer, nb, kh, kw, rs, cs, s int, b float32)
