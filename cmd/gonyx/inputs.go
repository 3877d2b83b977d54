package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// syntheticInputs builds inputs from a model's metadata the way
// shared/anchors/ort_bench.js does, so timings compare like for like: the
// first symbolic dimension is batch, any other symbolic one is seq; floats
// are seeded N(0,1), integer inputs named like "mask" are ones, other
// integers are uniform in [0, idRange), bools are true.
func syntheticInputs(m *engine.Model, batch, seq int, idRange int64, seed uint64) (map[string]tensor.Value, error) {
	rng := rand.New(rand.NewPCG(seed, seed))
	feeds := map[string]tensor.Value{}
	for _, in := range m.Inputs() {
		if in.Type == nil || in.Type.Kind != graph.KindTensor {
			return nil, fmt.Errorf("input %q is not a tensor; give it with --input", in.Name)
		}
		if in.Shape == nil {
			return nil, fmt.Errorf("input %q has no declared shape; give it with --input", in.Name)
		}
		shape := make([]int, len(in.Shape))
		for i, d := range in.Shape {
			switch {
			case d.Size >= 0:
				shape[i] = int(d.Size)
			case i == 0:
				shape[i] = batch
			default:
				shape[i] = seq
			}
		}
		n, err := tensor.NumElements(shape)
		if err != nil {
			return nil, err
		}
		vals := make([]float64, n)
		isMask := strings.Contains(strings.ToLower(in.Name), "mask")
		for i := range vals {
			switch {
			case in.DType.IsFloat():
				vals[i] = rng.NormFloat64()
			case in.DType == tensor.Bool:
				vals[i] = 1
			case isMask:
				vals[i] = 1
			default:
				vals[i] = float64(rng.Int64N(idRange))
			}
		}
		t, err := tensor.FromFloat64s(in.DType, shape, vals)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
		feeds[in.Name] = t
	}
	return feeds, nil
}
