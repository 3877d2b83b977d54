// Package cpu chooses, once at start-up, which instruction-set level the
// kernels use: AVX-512 (F, BW, DQ, VL), AVX2 with FMA, or portable Go.
//
// GONYX_CPU=generic|avx2|avx512 forces a level (never above what the CPU
// has); the build tag `purego` removes the assembly, so Level is Generic.
package cpu

import (
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Level is an instruction-set level, ordered: a higher level implies the lower ones.
type Level int

// Levels.
const (
	Generic Level = iota
	AVX2          // AVX2 + FMA3
	AVX512        // AVX-512 F, BW, DQ, VL
)

func (l Level) String() string {
	switch l {
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return "generic"
}

// Detected is the best level this CPU (and build) supports.
var Detected = detect()

// Active is the level kernels use: Detected, lowered by GONYX_CPU.
var Active = Detected

// ForceError is set when GONYX_CPU names a level this CPU lacks or an
// unknown level; Active then stays at Detected. `gonyx version` prints it.
var ForceError error

func init() {
	if v := os.Getenv("GONYX_CPU"); v != "" {
		l, err := Parse(v)
		switch {
		case err != nil:
			ForceError = err
		case l > Detected:
			ForceError = fmt.Errorf("GONYX_CPU=%s: this CPU (or build) supports at most %v", v, Detected)
		default:
			Active = l
		}
	}
}

// Parse reads a level name.
func Parse(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "generic", "go", "purego":
		return Generic, nil
	case "avx2":
		return AVX2, nil
	case "avx512":
		return AVX512, nil
	}
	return Generic, fmt.Errorf("unknown CPU level %q (want generic, avx2 or avx512)", s)
}

func detect() Level {
	if !asmAvailable {
		return Generic
	}
	c := cpuid.CPU
	if c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL) {
		return AVX512
	}
	if c.Supports(cpuid.AVX2, cpuid.FMA3) {
		return AVX2
	}
	return Generic
}

// Levels lists the levels this machine can run, lowest first; tests run
// every kernel at each of them.
func Levels() []Level {
	var out []Level
	for l := Generic; l <= Detected; l++ {
		out = append(out, l)
	}
	return out
}
