//go:build !amd64 || purego

package nchwc

// Without assembly every level runs nchwRun.segmentGo; these are never
// called (haveConvAsm guards every call).

func convKernelNCHW512(nb, s, r int, a *kArgs) { panic("nchwc: no assembly in this build") }

func convKernelNCHW256(ow, s, r int, a *kArgs) { panic("nchwc: no assembly in this build") }
