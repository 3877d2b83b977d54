//go:build !race

package onnxpb

const raceEnabled = false
