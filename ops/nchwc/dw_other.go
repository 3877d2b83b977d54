//go:build !amd64 || purego

package nchwc

func dwSegment(a *dwSegArgs) { dwSegGo(a) }
