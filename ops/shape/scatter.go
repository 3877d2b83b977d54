package shape

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Index-driven writes into a copy of data: Scatter (deprecated alias of
// ScatterElements), ScatterElements, ScatterND, with optional reductions.

func init() {
	ops.RegisterVersions("", "Scatter", []int{9, 11}, buildScatterElements)
	ops.RegisterVersions("", "ScatterElements", []int{11, 13, 16, 18}, buildScatterElements)
	ops.RegisterVersions("", "ScatterND", []int{11, 13, 16, 18}, buildScatterND)
}

func reductionAttr(n *ops.Node) (string, error) {
	red, err := n.AttrString("reduction", "none")
	if err != nil {
		return "", err
	}
	if n.OpType == "Scatter" || n.Opset < 16 {
		return "none", nil
	}
	switch red {
	case "none", "add", "mul":
	case "max", "min":
		if n.Opset < 18 {
			return "", fmt.Errorf("attribute \"reduction\" %q needs opset 18, the model imports opset %d", red, n.Opset)
		}
	default:
		return "", fmt.Errorf("attribute \"reduction\" is %q, want none, add, mul, max or min", red)
	}
	return red, nil
}

func buildScatterElements(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	red, err := reductionAttr(n)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, it, up, err := scatterInputs(in)
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		if r == 0 || it.Rank() != r {
			return nil, fmt.Errorf("data %v and indices %v must have the same rank >= 1", x.Shape(), it.Shape())
		}
		if !ops.ShapeEqual(it.Shape(), up.Shape()) {
			return nil, fmt.Errorf("updates shape %v must equal indices shape %v", up.Shape(), it.Shape())
		}
		a, err := ops.NormAxis(int(axis), r)
		if err != nil {
			return nil, err
		}
		offs, err := elementOffsets(x.Shape(), it, a)
		if err != nil {
			return nil, err
		}
		out := x.Clone()
		if err := scatterApply(out, up, offs, 1, red); err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

func scatterInputs(in []*tensor.Tensor) (x, it, up *tensor.Tensor, err error) {
	if x, err = need(in, 0, "data"); err != nil {
		return
	}
	if it, err = need(in, 1, "indices"); err != nil {
		return
	}
	if up, err = need(in, 2, "updates"); err != nil {
		return
	}
	if up.DType() != x.DType() {
		err = fmt.Errorf("updates have type %v, data %v: they must match", up.DType(), x.DType())
	}
	if raw(x) == nil {
		err = fmt.Errorf("unsupported element type %v", x.DType())
	}
	return
}

func buildScatterND(n *ops.Node) (ops.Kernel, error) {
	red, err := reductionAttr(n)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, it, up, err := scatterInputs(in)
		if err != nil {
			return nil, err
		}
		if it.DType() != tensor.Int64 && it.DType() != tensor.Int32 {
			return nil, fmt.Errorf("indices: want int64, got %v", it.DType())
		}
		r, q := x.Rank(), it.Rank()
		if r < 1 || q < 1 {
			return nil, fmt.Errorf("data %v and indices %v must have rank >= 1", x.Shape(), it.Shape())
		}
		k := it.Shape()[q-1]
		if k < 1 || k > r {
			return nil, fmt.Errorf("indices last dimension is %d, want 1..%d for data %v", k, r, x.Shape())
		}
		want := append(append([]int{}, it.Shape()[:q-1]...), x.Shape()[k:]...)
		if !ops.ShapeEqual(up.Shape(), want) {
			return nil, fmt.Errorf("updates shape %v, want %v (indices %v, data %v)", up.Shape(), want, it.Shape(), x.Shape())
		}
		offs, err := ndOffsets(x.Shape(), it, 0)
		if err != nil {
			return nil, err
		}
		out := x.Clone()
		if err := scatterApply(out, up, offs, ops.Product(x.Shape()[k:]), red); err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

// scatterApply writes (or combines) run i of updates (inner elements) into
// out at offs[i].
func scatterApply(out, up *tensor.Tensor, offs []int, inner int, red string) error {
	if inner == 0 {
		return nil
	}
	if red == "none" {
		dst, src := raw(out), raw(up)
		for i, o := range offs {
			copyRun(dst, src, o, i*inner, inner)
		}
		return nil
	}
	switch d := out.Data().(type) {
	case []float32:
		reduceRuns(d, up.Data().([]float32), offs, inner, red)
	case []float64:
		reduceRuns(d, up.Data().([]float64), offs, inner, red)
	case []int8:
		reduceRuns(d, up.Data().([]int8), offs, inner, red)
	case []int16:
		reduceRuns(d, up.Data().([]int16), offs, inner, red)
	case []int32:
		reduceRuns(d, up.Data().([]int32), offs, inner, red)
	case []int64:
		reduceRuns(d, up.Data().([]int64), offs, inner, red)
	case []uint8:
		reduceRuns(d, up.Data().([]uint8), offs, inner, red)
	case []uint16:
		reduceRuns(d, up.Data().([]uint16), offs, inner, red)
	case []uint32:
		reduceRuns(d, up.Data().([]uint32), offs, inner, red)
	case []uint64:
		reduceRuns(d, up.Data().([]uint64), offs, inner, red)
	case []tensor.F16:
		reduceHalf(d, up.Data().([]tensor.F16), offs, inner, red, tensor.F16.Float32, tensor.NewF16)
	case []tensor.BF16:
		reduceHalf(d, up.Data().([]tensor.BF16), offs, inner, red, tensor.BF16.Float32, tensor.NewBF16)
	case []bool:
		u := up.Data().([]bool)
		for i, o := range offs {
			for j := 0; j < inner; j++ {
				if red == "add" || red == "max" {
					d[o+j] = d[o+j] || u[i*inner+j]
				} else {
					d[o+j] = d[o+j] && u[i*inner+j]
				}
			}
		}
	default:
		return fmt.Errorf("reduction %q is not defined for %v tensors", red, out.DType())
	}
	return nil
}

func combine[T ops.Number](a, b T, red string) T {
	switch red {
	case "add":
		return a + b
	case "mul":
		return a * b
	case "max":
		if b > a {
			return b
		}
		return a
	default: // min
		if b < a {
			return b
		}
		return a
	}
}

func reduceRuns[T ops.Number](d, u []T, offs []int, inner int, red string) {
	for i, o := range offs {
		dr, ur := d[o:o+inner], u[i*inner:(i+1)*inner]
		for j := range dr {
			dr[j] = combine(dr[j], ur[j], red)
		}
	}
}

func reduceHalf[T any](d, u []T, offs []int, inner int, red string, to func(T) float32, from func(float32) T) {
	for i, o := range offs {
		dr, ur := d[o:o+inner], u[i*inner:(i+1)*inner]
		for j := range dr {
			dr[j] = from(combine(to(dr[j]), to(ur[j]), red))
		}
	}
}
