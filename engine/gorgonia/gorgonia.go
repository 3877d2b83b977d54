// Package gorgonia converts between gonyx tensors and gorgonia.org/tensor's
// *tensor.Dense without copying: both sides share the backing slice.
//
// It is a module of its own so that gonyx's engine, server and wasm build
// never carry gorgonia's weight (10.7 MB of binary, as the issue measured it); only programs
// that import this package do.
package gorgonia

import (
	"fmt"

	gt "gorgonia.org/tensor"

	"github.com/gonyx/gonyx/engine/tensor"
)

// ToDense wraps t's data as a *tensor.Dense (shared, not copied). float16
// and bfloat16 have no gorgonia dtype and are rejected.
func ToDense(t *tensor.Tensor) (*gt.Dense, error) {
	switch t.DType() {
	case tensor.Float16, tensor.BFloat16:
		return nil, fmt.Errorf("gorgonia: %v has no gorgonia dtype; convert with tensor.Convert(t, tensor.Float32) first", t.DType())
	}
	shape := t.Shape()
	if len(shape) == 0 {
		// gorgonia represents scalars as shape () with one backing element.
		return gt.New(gt.FromScalar(t.At(0))), nil
	}
	return gt.New(gt.WithShape(shape...), gt.WithBacking(t.Data())), nil
}

// FromDense wraps d's data as a gonyx tensor (shared, not copied). d must be
// contiguous, row-major and not a view with its own strides.
func FromDense(d *gt.Dense) (*tensor.Tensor, error) {
	if !d.IsNativelyAccessible() {
		return nil, fmt.Errorf("gorgonia: dense tensor is not natively accessible")
	}
	if d.IsView() || !d.DataOrder().IsRowMajor() {
		return nil, fmt.Errorf("gorgonia: only contiguous row-major tensors convert without copying; call d.Materialize() first")
	}
	shape := []int(d.Shape().Clone())
	if d.IsScalar() {
		shape = []int{}
	}
	data := d.Data()
	switch v := data.(type) {
	case []int:
		return nil, fmt.Errorf("gorgonia: Go int tensors have no ONNX dtype; use int64 or int32")
	case int, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, string:
		return scalarOf(v)
	}
	return tensor.FromAny(shape, data)
}

func scalarOf(v any) (*tensor.Tensor, error) {
	switch x := v.(type) {
	case float32:
		return tensor.Scalar(x), nil
	case float64:
		return tensor.Scalar(x), nil
	case int8:
		return tensor.Scalar(x), nil
	case int16:
		return tensor.Scalar(x), nil
	case int32:
		return tensor.Scalar(x), nil
	case int64:
		return tensor.Scalar(x), nil
	case uint8:
		return tensor.Scalar(x), nil
	case uint16:
		return tensor.Scalar(x), nil
	case uint32:
		return tensor.Scalar(x), nil
	case uint64:
		return tensor.Scalar(x), nil
	case bool:
		return tensor.Scalar(x), nil
	case string:
		return tensor.Scalar(x), nil
	}
	return nil, fmt.Errorf("gorgonia: unsupported scalar %T", v)
}
