package control

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Optional wraps its input (a tensor or a sequence) in an optional, or makes
// an empty optional of the type given by the type attribute.
func buildOptional(n *ops.Node) (ops.Kernel, error) {
	a, hasType := n.Attrs["type"]
	if hasType && a.Type != graph.AttrTypeProto {
		return nil, n.Errorf("Optional: attribute type must be a type proto, got attribute type %d", a.Type)
	}
	hasInput := n.HasInput(0)
	if !hasInput && !hasType {
		return nil, n.Errorf("Optional: without an input the type attribute is required to describe the empty optional")
	}
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		v := input(in, 0)
		switch x := v.(type) {
		case nil:
			if hasInput {
				return nil, fmt.Errorf("Optional: input is missing")
			}
			return &tensor.Optional{}, nil
		case *tensor.Tensor:
			if x == nil {
				return nil, fmt.Errorf("Optional: input is missing")
			}
		case *tensor.Sequence:
			if x == nil {
				return nil, fmt.Errorf("Optional: input is missing")
			}
		default:
			return nil, fmt.Errorf("Optional: input must be a tensor or a sequence, got %s", valueKind(v))
		}
		return &tensor.Optional{Value: v}, nil
	}), nil
}

// OptionalHasElement reports whether an optional holds a value. From opset
// 18 the input may be absent (false) or a plain tensor or sequence (true);
// plain values are accepted at opset 15 too.
func buildOptionalHasElement(n *ops.Node) (ops.Kernel, error) {
	if n.Opset < 18 && !n.HasInput(0) {
		return nil, n.Errorf("OptionalHasElement: the input is required before opset 18 (model imports opset %d)", n.Opset)
	}
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		has := false
		switch x := input(in, 0).(type) {
		case nil:
		case *tensor.Optional:
			has = x != nil && x.Value != nil
		case *tensor.Tensor:
			has = x != nil
		case *tensor.Sequence:
			has = x != nil
		}
		return tensor.Scalar(has), nil
	}), nil
}

// OptionalGetElement unwraps an optional; it is an error if it is empty.
// Plain tensors and sequences (allowed from opset 18) pass through.
func buildOptionalGetElement(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		v := input(in, 0)
		switch x := v.(type) {
		case *tensor.Optional:
			if x == nil || x.Value == nil {
				return nil, fmt.Errorf("OptionalGetElement: the optional is empty")
			}
			return x.Value, nil
		case *tensor.Tensor:
			if x != nil {
				return x, nil
			}
		case *tensor.Sequence:
			if x != nil {
				return x, nil
			}
		}
		return nil, fmt.Errorf("OptionalGetElement: the input is missing (an empty optional)")
	}), nil
}
