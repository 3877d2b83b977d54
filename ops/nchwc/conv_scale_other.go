//go:build !amd64 || purego

package nchwc

func scaleRows(dst, src []float32, s *[Block]float32, reps, width int) {
	scaleRowsGo(dst, src, s, reps, width)
}

func scalePixels(dst, src []float32, s *[Block]float32) { scalePixelsGo(dst, src, s) }
