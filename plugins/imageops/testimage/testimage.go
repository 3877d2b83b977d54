// Package testimage makes the synthetic photograph the preprocessing
// benchmarks decode: `make bench-plugins` (benchmarks/cmd/bench-plugins)
// and plugins/imageops's BenchmarkPreprocess320x240NoisyPNG must time the
// same picture, so both draw it here.
package testimage

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// Noisy is a w×h picture of smooth colour gradients in a 40-pixel
// checkerboard plus ±12 of uniform noise on every pixel, as a camera's
// sensor adds: noise is what makes a PNG of a photo inflate slowly (it
// leaves zlib thousands of short matches). The same size always gives the
// same pixels.
func Noisy(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 128 + 100*math.Sin(6*fx+3*fy)
			g := 128 + 100*math.Cos(5*fy-2*fx)
			bl := 128 + 100*math.Sin(9*fx*fy)
			if (x/40+y/40)%2 == 0 {
				r, g = g, r
			}
			n := rng.Float64()*24 - 12
			img.Set(x, y, color.RGBA{clamp(r + n), clamp(g + n), clamp(bl + n), 255})
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }
