package nn

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "MaxUnpool", []int{9, 11, 22}, buildMaxUnpool)
}

type maxUnpool struct {
	kernel, strides, pads []int
}

func buildMaxUnpool(n *ops.Node) (ops.Kernel, error) {
	ks, err := intsAttr(n, "kernel_shape", 0, 1)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("MaxUnpool: attribute kernel_shape is required")
	}
	nd := len(ks)
	st, err := intsAttr(n, "strides", nd, 1)
	if err != nil {
		return nil, err
	}
	pads, err := intsAttr(n, "pads", 2*nd, 0)
	if err != nil {
		return nil, err
	}
	mu := &maxUnpool{kernel: toInts(ks), strides: onesOr(st, nd), pads: make([]int, 2*nd)}
	if pads != nil {
		mu.pads = toInts(pads)
	}
	return ops.Tensors(mu.run), nil
}

func (mu *maxUnpool) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, I := ops.Input(in, 0), ops.Input(in, 1)
	if err := checkFloat("MaxUnpool", "X", x); err != nil {
		return nil, err
	}
	if I == nil || I.DType() != tensor.Int64 {
		return nil, fmt.Errorf("MaxUnpool: input I must be an int64 tensor")
	}
	nd := len(mu.kernel)
	if x.Rank() != nd+2 {
		return nil, fmt.Errorf("MaxUnpool: input X must have rank %d for kernel_shape %v, got shape %v", nd+2, mu.kernel, x.Shape())
	}
	if !ops.ShapeEqual(x.Shape(), I.Shape()) {
		return nil, fmt.Errorf("MaxUnpool: I must have X's shape %v, got %v", x.Shape(), I.Shape())
	}
	// Indices address the shape MaxPool's input had (inferred from the
	// attributes); an explicit output_shape places that block at the
	// origin of a larger, zero-filled output.
	inferred := append([]int{}, x.Shape()...)
	for i := 0; i < nd; i++ {
		inferred[i+2] = (x.Shape()[i+2]-1)*mu.strides[i] + mu.kernel[i] - mu.pads[i] - mu.pads[i+nd]
		if inferred[i+2] <= 0 {
			return nil, fmt.Errorf("MaxUnpool: inferred output shape %v is not positive", inferred)
		}
	}
	outShape := inferred
	if os := ops.Input(in, 2); os != nil {
		v := os.Int64s()
		if len(v) != x.Rank() {
			return nil, fmt.Errorf("MaxUnpool: output_shape must have %d values, got %v", x.Rank(), v)
		}
		outShape = toInts(v)
		for i := range outShape {
			if outShape[i] < inferred[i] {
				return nil, fmt.Errorf("MaxUnpool: output_shape %v is smaller than the unpooled shape %v", v, inferred)
			}
		}
	}
	if _, err := allocLen(inferred); err != nil {
		return nil, err
	}
	total := int64(ops.Product(inferred))
	idx := tensor.Data[int64](I)
	var remap func(int64) int64
	if !ops.ShapeEqual(inferred, outShape) {
		inSt, outSt := tensor.Strides(inferred), tensor.Strides(outShape)
		remap = func(j int64) int64 {
			var r int64
			for d := range inSt {
				q := j / int64(inSt[d])
				j -= q * int64(inSt[d])
				r += q * int64(outSt[d])
			}
			return r
		}
	}
	return one(runFloat(x, outShape,
		func(x, y []float32) error { return scatterUnpool(x, y, idx, total, remap) },
		func(x, y []float64) error { return scatterUnpool(x, y, idx, total, remap) }))
}

func scatterUnpool[T ops.Float](x, y []T, idx []int64, total int64, remap func(int64) int64) error {
	for i, v := range x {
		j := idx[i]
		if j < 0 || j >= total {
			return fmt.Errorf("MaxUnpool: index %d at position %d is outside the unpooled tensor (%d elements)", j, i, total)
		}
		if remap != nil {
			j = remap(j)
		}
		y[j] = v
	}
	return nil
}
