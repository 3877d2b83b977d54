//go:build !amd64 || purego

package conv

import "unsafe"

const dwAsm = false

func dwRow512(y, x, w unsafe.Pointer, nb, kh, kw, rs, cs, s, m1, m2, m3 int, b float32) {
	panic("conv: no assembly in this build")
}

func dwRow256(y, x, w unsafe.Pointer, nb, kh, kw, rs, cs, s int, b float32) {
	panic("conv: no assembly in this build")
}
