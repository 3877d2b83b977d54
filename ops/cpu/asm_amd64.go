//go:build amd64 && !purego

package cpu

// asmAvailable: amd64 builds carry the assembly kernels.
const asmAvailable = true
