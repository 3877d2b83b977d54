package fused

import (
	"math"
	"testing"
)

// ulps is |got − want| in units of the float32 spacing at want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	sp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1))) - w))
	if sp == 0 || math.IsInf(sp, 0) {
		sp = math.SmallestNonzeroFloat32
	}
	return math.Abs(float64(got)-want) / sp
}

// TestFastLogistic compares the float32 sigmoid and SiLU with the float64
// formulas over [-100, 100] and special values.
func TestFastLogistic(t *testing.T) {
	var xs []float32
	for x := -100.0; x <= 100; x += 0.0137 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 80, -80, -80.001, 88.7, -88.7, -104, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	sig := append([]float32(nil), xs...)
	silu := append([]float32(nil), xs...)
	sigmoid32s(sig)
	silu32s(silu)
	worstSig, worstSiLU := 0.0, 0.0
	for i, x := range xs {
		ws := sigmoid(float64(x))
		wl := float64(x) * float64(float32(ws))
		if math.IsNaN(float64(x)) {
			if !math.IsNaN(float64(sig[i])) || !math.IsNaN(float64(silu[i])) {
				t.Errorf("NaN in: sigmoid %v, SiLU %v", sig[i], silu[i])
			}
			continue
		}
		if math.IsInf(float64(x), 0) {
			if float64(sig[i]) != ws || (float64(silu[i]) != wl && !(math.IsNaN(wl) && math.IsNaN(float64(silu[i])))) {
				t.Errorf("x = %v: sigmoid %v, SiLU %v; want %v, %v", x, sig[i], silu[i], ws, wl)
			}
			continue
		}
		worstSig = max(worstSig, ulps(sig[i], ws))
		worstSiLU = max(worstSiLU, ulps(silu[i], wl)) // as Sigmoid then Mul round
	}
	if worstSig > 4 || worstSiLU > 4 {
		t.Errorf("worst error: sigmoid %.1f ulp, SiLU %.1f ulp; want ≤ 4", worstSig, worstSiLU)
	}
	t.Logf("worst error: sigmoid %.2f ulp, SiLU %.2f ulp", worstSig, worstSiLU)
}
