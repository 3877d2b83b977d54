//go:build !amd64 || purego

package nchwc

// Without assembly every level runs segmentGo; the kernels below are never
// called (haveConvAsm guards every call).
const haveConvAsm = false

func convKernel512(nb, s, r int, a *kArgs) { panic("nchwc: no assembly in this build") }

func convKernel256(ow, s, r int, a *kArgs) { panic("nchwc: no assembly in this build") }
