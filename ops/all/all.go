// Package all registers every operator family; import it for its side effect.
package all

import (
	_ "github.com/gonyx/gonyx/ops/control"
	_ "github.com/gonyx/gonyx/ops/conv"
	_ "github.com/gonyx/gonyx/ops/fused"
	_ "github.com/gonyx/gonyx/ops/math"
	_ "github.com/gonyx/gonyx/ops/matmul"
	_ "github.com/gonyx/gonyx/ops/nn"
	_ "github.com/gonyx/gonyx/ops/quant"
	_ "github.com/gonyx/gonyx/ops/reduce"
	_ "github.com/gonyx/gonyx/ops/rnn"
	_ "github.com/gonyx/gonyx/ops/shape"
	_ "github.com/gonyx/gonyx/ops/signal"
	_ "github.com/gonyx/gonyx/ops/text"
)
