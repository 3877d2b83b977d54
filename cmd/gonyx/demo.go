package main

import (
	"math/rand/v2"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/tensor"
)

// demoInputs makes seeded N(0,1) inputs of batch 1 for the demo model.
func demoInputs(m *engine.Model) map[string]tensor.Value {
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return map[string]tensor.Value{"features": tensor.New([]int{1, 64}, x)}
}
