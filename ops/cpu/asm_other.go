//go:build !amd64 || purego

package cpu

// asmAvailable: no assembly kernels on this platform or with -tags purego.
const asmAvailable = false
