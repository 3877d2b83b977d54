package rnn

import (
	"fmt"
	"math"
	"strings"
)

// actKind is one of the activation functions the recurrent operators accept.
type actKind int

const (
	actRelu actKind = iota
	actTanh
	actSigmoid
	actAffine
	actLeakyRelu
	actThresholdedRelu
	actScaledTanh
	actHardSigmoid
	actElu
	actSoftsign
	actSoftplus
)

// actInfo describes an activation: its canonical name, whether it reads
// alpha and beta, and their defaults (those of the ONNX operator of the same
// name).
type actInfo struct {
	kind                actKind
	name                string
	usesAlpha, usesBeta bool
	alpha, beta         float64
}

var actTable = []actInfo{
	{actRelu, "Relu", false, false, 0, 0},
	{actTanh, "Tanh", false, false, 0, 0},
	{actSigmoid, "Sigmoid", false, false, 0, 0},
	{actAffine, "Affine", true, true, 1, 0},
	{actLeakyRelu, "LeakyRelu", true, false, 0.01, 0},
	{actThresholdedRelu, "ThresholdedRelu", true, false, 1, 0},
	{actScaledTanh, "ScaledTanh", true, true, 1, 1},
	{actHardSigmoid, "HardSigmoid", true, true, 0.2, 0.5},
	{actElu, "Elu", true, false, 1, 0},
	{actSoftsign, "Softsign", false, false, 0, 0},
	{actSoftplus, "Softplus", false, false, 0, 0},
}

// activation is a resolved activation function with its parameters.
type activation struct {
	kind        actKind
	alpha, beta float64
}

func actNames() string {
	names := make([]string, len(actTable))
	for i, a := range actTable {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

// parseActivations resolves activation names (case-insensitive) and hands out
// activation_alpha / activation_beta values in order to the functions that
// take them, as ONNX Runtime does; a function whose value list is exhausted
// gets its operator's default.
func parseActivations(names []string, alphas, betas []float32) ([]activation, error) {
	out := make([]activation, len(names))
	ai, bi := 0, 0
	for i, name := range names {
		var info *actInfo
		for j := range actTable {
			if strings.EqualFold(actTable[j].name, name) {
				info = &actTable[j]
				break
			}
		}
		if info == nil {
			return nil, fmt.Errorf("activations[%d]: unknown activation %q; want one of %s", i, name, actNames())
		}
		a := activation{kind: info.kind, alpha: info.alpha, beta: info.beta}
		if info.usesAlpha && ai < len(alphas) {
			a.alpha = float64(alphas[ai])
			ai++
		}
		if info.usesBeta && bi < len(betas) {
			a.beta = float64(betas[bi])
			bi++
		}
		out[i] = a
	}
	return out, nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// apply computes the activation of x.
func (a activation) apply(x float64) float64 {
	switch a.kind {
	case actRelu:
		if x > 0 {
			return x
		}
		return 0
	case actTanh:
		return math.Tanh(x)
	case actSigmoid:
		return sigmoid(x)
	case actAffine:
		return a.alpha*x + a.beta
	case actLeakyRelu:
		if x >= 0 {
			return x
		}
		return a.alpha * x
	case actThresholdedRelu:
		if x >= a.alpha {
			return x
		}
		return 0
	case actScaledTanh:
		return a.alpha * math.Tanh(a.beta*x)
	case actHardSigmoid:
		return math.Min(math.Max(a.alpha*x+a.beta, 0), 1)
	case actElu:
		if x >= 0 {
			return x
		}
		return a.alpha * (math.Exp(x) - 1)
	case actSoftsign:
		return x / (1 + math.Abs(x))
	case actSoftplus:
		if x > 0 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	}
	return x
}
