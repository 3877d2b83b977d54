//go:build race

package onnxpb

// raceEnabled: the race detector's shadow memory inflates RSS, so the memory
// test does not assert under -race.
const raceEnabled = true
