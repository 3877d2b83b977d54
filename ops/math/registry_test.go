package math

import (
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// versions lists, per op, the since-versions up to opset 23 that the ONNX
// operator changelog defines.
var versions = map[string][]int{
	"Abs": {1, 6, 13}, "Acos": {7, 22}, "Acosh": {9, 22}, "Add": {1, 6, 7, 13, 14},
	"And": {1, 7}, "Asin": {7, 22}, "Asinh": {9, 22}, "Atan": {7, 22}, "Atanh": {9, 22},
	"BitShift": {11}, "BitwiseAnd": {18}, "BitwiseOr": {18}, "BitwiseXor": {18}, "BitwiseNot": {18},
	"Cast": {1, 6, 9, 13, 19, 21, 23}, "CastLike": {15, 19, 21, 23}, "Ceil": {1, 6, 13},
	"Celu": {12}, "Clip": {1, 6, 11, 12, 13}, "Cos": {7, 22}, "Cosh": {9, 22},
	"Div": {1, 6, 7, 13, 14}, "Elu": {1, 6, 22}, "Equal": {1, 7, 11, 13, 19}, "Erf": {9, 13},
	"Exp": {1, 6, 13}, "Floor": {1, 6, 13}, "Gelu": {20}, "Greater": {1, 7, 9, 13},
	"GreaterOrEqual": {12, 16}, "HardSigmoid": {1, 6, 22}, "HardSwish": {14, 22},
	"IsInf": {10, 20}, "IsNaN": {9, 13, 20}, "LeakyRelu": {1, 6, 16}, "Less": {1, 7, 9, 13},
	"LessOrEqual": {12, 16}, "Log": {1, 6, 13}, "Max": {1, 6, 8, 12, 13}, "Mean": {1, 6, 8, 13},
	"Min": {1, 6, 8, 12, 13}, "Mish": {18, 22}, "Mod": {10, 13}, "Mul": {1, 6, 7, 13, 14},
	"Neg": {1, 6, 13}, "Not": {1}, "Or": {1, 7}, "PRelu": {1, 6, 7, 9, 16},
	"Pow": {1, 7, 12, 13, 15}, "Reciprocal": {1, 6, 13}, "Relu": {1, 6, 13, 14},
	"Round": {11, 22}, "Selu": {1, 6, 22}, "Shrink": {9}, "Sigmoid": {1, 6, 13},
	"Sign": {9, 13}, "Sin": {7, 22}, "Sinh": {9, 22}, "Softplus": {1, 22}, "Softsign": {1, 22},
	"Sqrt": {1, 6, 13}, "Sub": {1, 6, 7, 13, 14}, "Sum": {1, 6, 8, 13}, "Tan": {7, 22},
	"Tanh": {1, 6, 13}, "ThresholdedRelu": {10, 22}, "Where": {9, 16}, "Xor": {1, 7},
}

func TestRegistered(t *testing.T) {
	for name, vs := range versions {
		if vs[0] > 1 {
			if _, ok := ops.Lookup("", name, vs[0]-1); ok {
				t.Errorf("%s: registered below its first version %d", name, vs[0])
			}
		}
		for _, v := range vs {
			if _, ok := ops.Lookup("", name, v); !ok {
				t.Errorf("%s: not registered at opset %d", name, v)
			}
			if _, ok := ops.Lookup("ai.onnx", name, v); !ok {
				t.Errorf("%s: not found in domain ai.onnx at opset %d", name, v)
			}
		}
	}
}

// TestNoPanics feeds every op, at every version, a spread of awkward inputs:
// all dtypes, rank 0, empty, mismatched shapes, missing inputs. Errors are
// fine; panics are not.
func TestNoPanics(t *testing.T) {
	var samples []*tensor.Tensor
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Uint8, tensor.Uint16,
		tensor.Uint32, tensor.Uint64, tensor.Bool, tensor.String} {
		for _, shape := range [][]int{{}, {0}, {3}, {2, 3}, {2, 1}} {
			x := tensor.Zeros(dt, shape...)
			if dt == tensor.String {
				for i := range tensor.Data[string](x) {
					tensor.Data[string](x)[i] = "1"
				}
			}
			samples = append(samples, x)
		}
	}
	pick := func(i int) *tensor.Tensor {
		if i%17 == 16 {
			return nil
		}
		return samples[i%len(samples)]
	}
	attrSets := []opstest.Op{{}, {Attrs: nil}}
	attrSets[1].Attrs = append(attrSets[1].Attrs, opstest.Int("to", int64(tensor.Float32)),
		opstest.String("direction", "LEFT"), opstest.Int("broadcast", 1))
	for name, vs := range versions {
		for _, v := range vs {
			for _, as := range attrSets {
				o := opstest.Op{Type: name, Opset: v, Attrs: as.Attrs}
				for i := 0; i < len(samples); i += 3 {
					for _, args := range [][]*tensor.Tensor{
						{pick(i)},
						{pick(i), pick(i + 7)},
						{pick(i), pick(i + 5), pick(i + 11)},
						{},
					} {
						func() {
							defer func() {
								if r := recover(); r != nil {
									t.Fatalf("%s opset %d with %v: panic: %v", name, v, describe(args), r)
								}
							}()
							_, _ = opstest.Run(o, args...)
						}()
					}
				}
			}
		}
	}
}

func describe(ts []*tensor.Tensor) string {
	s := ""
	for _, t := range ts {
		if t == nil {
			s += " <nil>"
			continue
		}
		s += fmt.Sprintf(" %v%v", t.DType(), t.Shape())
	}
	return s
}
