package imageops

// ToCHW converts an image to float32 planes [3][H][W] holding
// (v/255 − mean[c]) / std[c], as torchvision's ToTensor followed by
// Normalize(mean, std) computes it: each step in float32, rounded on its own.
// It returns nil for an invalid image (the kernels that make images never
// produce one).
func ToCHW(img RGB, mean, std [3]float32) []float32 {
	if img.check() != nil {
		return nil
	}
	// Only 256 inputs per channel: compute each value once. The explicit
	// float32 conversions force a rounding after every operation, which is
	// what torch does and what keeps a compiler from fusing them.
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			x := float32(float32(v) / 255)
			x = float32(x - mean[c])
			lut[c][v] = float32(x / std[c])
		}
	}
	n := img.W * img.H
	out := make([]float32, 3*n)
	r, g, b := out[:n], out[n:2*n], out[2*n:]
	pix := img.Pix[:3*n]
	for i := 0; i < n; i++ {
		p := pix[3*i : 3*i+3 : 3*i+3]
		r[i] = lut[0][p[0]]
		g[i] = lut[1][p[1]]
		b[i] = lut[2][p[2]]
	}
	return out
}
