package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/gonyx/gonyx/ops/cpu"
)

func cmdVersion(args []string) int {
	fmt.Printf("gonyx %s\n", version)
	fmt.Printf("go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("cpu: %s (%d logical cores)\n", strings.TrimSpace(cpuid.CPU.BrandName), runtime.NumCPU())
	var feats []string
	for _, f := range []struct {
		id   cpuid.FeatureID
		name string
	}{
		{cpuid.SSE4, "sse4.1"}, {cpuid.AVX, "avx"}, {cpuid.AVX2, "avx2"}, {cpuid.FMA3, "fma"},
		{cpuid.F16C, "f16c"}, {cpuid.AVX512F, "avx512f"}, {cpuid.AVX512BW, "avx512bw"},
		{cpuid.AVX512DQ, "avx512dq"}, {cpuid.AVX512VL, "avx512vl"}, {cpuid.AVX512VNNI, "avx512vnni"},
		{cpuid.AVX512BF16, "avx512bf16"}, {cpuid.AVXVNNI, "avxvnni"}, {cpuid.ASIMD, "neon"},
	} {
		if cpuid.CPU.Supports(f.id) {
			feats = append(feats, f.name)
		}
	}
	fmt.Printf("cpu features: %s\n", strings.Join(feats, " "))
	fmt.Printf("kernels: %v (detected %v; GONYX_CPU=generic|avx2|avx512 lowers it)\n", cpu.Active, cpu.Detected)
	if cpu.ForceError != nil {
		fmt.Printf("warning: %v\n", cpu.ForceError)
	}
	return 0
}
