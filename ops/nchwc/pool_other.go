//go:build !amd64 || purego

package nchwc

func poolSegment(a *poolSegArgs) { poolSegGo(a) }

func gapBlock(x []float32, hw int, scale float32, y []float32) { gapBlockGo(x, hw, scale, y) }
