package signal

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "DFT", []int{17, 20}, buildDFT)
}

type dft struct {
	inverse, onesided bool
	axis              int64 // opset 17: attribute
	axisInput         bool  // opset 20: input 2
}

func buildDFT(n *ops.Node) (ops.Kernel, error) {
	inv, err := n.AttrInt("inverse", 0)
	if err != nil {
		return nil, err
	}
	one, err := n.AttrInt("onesided", 0)
	if err != nil {
		return nil, err
	}
	if inv != 0 && inv != 1 {
		return nil, fmt.Errorf("DFT: inverse must be 0 or 1, got %d", inv)
	}
	if one != 0 && one != 1 {
		return nil, fmt.Errorf("DFT: onesided must be 0 or 1, got %d", one)
	}
	d := &dft{inverse: inv == 1, onesided: one == 1, axisInput: n.Opset >= 20}
	if d.axisInput {
		d.axis = -2
	} else if d.axis, err = n.AttrInt("axis", 1); err != nil {
		return nil, err
	}
	return ops.Tensors(d.run), nil
}

// scalarInt reads a scalar (or one-element 1-D) int32/int64 input.
func scalarInt(op, name string, t *tensor.Tensor) (int64, error) {
	if t.DType() != tensor.Int64 && t.DType() != tensor.Int32 {
		return 0, fmt.Errorf("%s: input %s must be int32 or int64, got %v", op, name, t.DType())
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("%s: input %s must be a scalar, got shape %v", op, name, t.Shape())
	}
	return t.Int64s()[0], nil
}

// scalarFloat reads a scalar (or one-element 1-D) float input.
func scalarFloat(op, name string, t *tensor.Tensor) (float64, error) {
	if !t.DType().IsFloat() {
		return 0, fmt.Errorf("%s: input %s must be a float tensor, got %v", op, name, t.DType())
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("%s: input %s must be a scalar, got shape %v", op, name, t.Shape())
	}
	return t.Float64s()[0], nil
}

func checkFloatSignal(op, name string, t *tensor.Tensor) error {
	if !t.DType().IsFloat() {
		return fmt.Errorf("%s: input %s must be float16, bfloat16, float32 or float64, got %v", op, name, t.DType())
	}
	return nil
}

func (d *dft) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("DFT: input is missing")
	}
	if err := checkFloatSignal("DFT", "input", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	r := len(shape)
	if r < 2 {
		return nil, fmt.Errorf("DFT: input must have rank >= 2 ([..., signal, 1 or 2]), got shape %v", shape)
	}
	c := shape[r-1]
	if c != 1 && c != 2 {
		return nil, fmt.Errorf("DFT: last dimension must be 1 (real) or 2 (complex), got shape %v", shape)
	}
	axis := d.axis
	if at := ops.Input(in, 2); at != nil {
		if !d.axisInput {
			return nil, fmt.Errorf("DFT: axis is an attribute before opset 20, not an input")
		}
		a, err := scalarInt("DFT", "axis", at)
		if err != nil {
			return nil, err
		}
		axis = a
	}
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis > int64(r-2) {
		return nil, fmt.Errorf("DFT: axis %d out of range: want [-%d, -2] or [0, %d] for input rank %d", axis, r, r-2, r)
	}
	a := int(axis)
	nIn := shape[a]
	irfft := d.onesided && d.inverse
	var n int64
	if lt := ops.Input(in, 1); lt != nil {
		v, err := scalarInt("DFT", "dft_length", lt)
		if err != nil {
			return nil, err
		}
		if v <= 0 {
			return nil, fmt.Errorf("DFT: dft_length must be > 0, got %d", v)
		}
		n = v
	} else if irfft {
		n = 2 * int64(nIn-1)
		if n <= 0 {
			return nil, fmt.Errorf("DFT: inverse one-sided DFT of %d bins needs dft_length (the default 2*(bins-1) is 0)", nIn)
		}
	} else {
		n = int64(nIn)
	}
	if n > maxFFT {
		return nil, fmt.Errorf("DFT: dft_length %d is too large (at most %d)", n, maxFFT)
	}
	N := int(n)
	nOut, cOut := N, 2
	switch {
	case irfft:
		cOut = 1
	case d.onesided:
		nOut = N/2 + 1
	}
	outShape := append([]int{}, shape...)
	outShape[a] = nOut
	outShape[r-1] = cOut
	total, err := tensor.NumElements(outShape)
	if err != nil {
		return nil, fmt.Errorf("DFT: output %v: %v", outShape, err)
	}
	if total == 0 || N == 0 {
		out, err := tensor.FromFloat64s(x.DType(), outShape, make([]float64, total))
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}
	outer, inner := ops.Product(shape[:a]), ops.Product(shape[a+1:r-1])
	src := x.Float64s()
	dst := make([]float64, total)
	plan := newFFTPlan(N)
	buf := make([]complex128, N)
	scratch := make([]complex128, plan.scratchLen())
	at := func(o, j, i int) complex128 {
		p := ((o*nIn+j)*inner + i) * c
		if c == 1 {
			return complex(src[p], 0)
		}
		return complex(src[p], src[p+1])
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			if irfft {
				// Rebuild the full Hermitian spectrum from bins 0..N/2.
				for k := 0; k <= N/2; k++ {
					if k < nIn {
						buf[k] = at(o, k, i)
					} else {
						buf[k] = 0
					}
				}
				for k := N/2 + 1; k < N; k++ {
					buf[k] = conj(buf[N-k])
				}
				plan.inverse(buf, scratch)
				for j := 0; j < N; j++ {
					dst[(o*N+j)*inner+i] = real(buf[j])
				}
				continue
			}
			m := min(nIn, N)
			for j := 0; j < m; j++ {
				buf[j] = at(o, j, i)
			}
			for j := m; j < N; j++ {
				buf[j] = 0
			}
			if d.inverse {
				plan.inverse(buf, scratch)
			} else {
				plan.transform(buf, scratch)
			}
			for k := 0; k < nOut; k++ {
				p := ((o*nOut+k)*inner + i) * 2
				dst[p] = real(buf[k])
				dst[p+1] = imag(buf[k])
			}
		}
	}
	out, err := tensor.FromFloat64s(x.DType(), outShape, dst)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
