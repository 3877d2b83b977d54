package math

import (
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/vector"
)

// float32 fast paths through the SIMD kernels of ops/vector (AVX-512 or
// AVX2 assembly, or their portable Go twins, chosen once at start-up).

// vecBin is a binary op's float32 kernels: element-wise, with the second
// operand a scalar, and with the first one a scalar.
type vecBin struct {
	vv func(dst, a, b []float32)
	vs func(dst, a []float32, s float32) // a[i] op s
	sv func(dst, b []float32, s float32) // s op b[i]
}

var (
	vecAdd = &vecBin{vector.Add, vector.AddScalar, vector.AddScalar}
	vecSub = &vecBin{vector.Sub, vector.SubScalar, vector.ScalarSub}
	vecMul = &vecBin{vector.Mul, vector.MulScalar, vector.MulScalar}
	vecDiv = &vecBin{vector.Div, vector.DivScalar, vector.ScalarDiv}
)

// minVecSpan is the shortest span worth a kernel call; shorter spans (odd
// broadcasts such as [N,2]+[N,1]) take the plain loop.
const minVecSpan = 8

// applyVec2 is apply2 for float32 with k's kernels on each span: equal
// shapes are one span, a scalar operand or a per-channel one ([N,C,H,W] op
// [C,1,1]) gives spans with a stride-0 side, row broadcasting ([N,C] op [C])
// spans with both sides contiguous.
func applyVec2(p *plan, a, b []float32, k *vecBin, f func(a, b float32) float32) []float32 {
	dst := make([]float32, p.n)
	applyVec2Into(dst, p, a, b, k, f)
	return dst
}

// applyVec2Into is applyVec2 writing every element of dst (len p.n).
func applyVec2Into(dst []float32, p *plan, a, b []float32, k *vecBin, f func(a, b float32) float32) {
	ia, ib := p.inner(0), p.inner(1)
	p.spans(func(o, m int, off [planInputs]int) {
		d := dst[o : o+m]
		x, y := a[off[0]:], b[off[1]:]
		switch {
		case m < minVecSpan || ia == 0 && ib == 0:
			for i := range d {
				d[i] = f(x[i*ia], y[i*ib])
			}
		case ia == 1 && ib == 1:
			k.vv(d, x[:m], y[:m])
		case ia == 1:
			k.vs(d, x[:m], y[0])
		default:
			k.sv(d, y[:m], x[0])
		}
	})
}

// applyVec1 runs a float32 kernel into a new slice.
func applyVec1(src []float32, k func(dst, src []float32)) []float32 {
	dst := make([]float32, len(src))
	k(dst, src)
	return dst
}

// newF32 is a float32 output of the given shape from rc's recycled
// buffers (contents unspecified: the caller writes every element). rc may
// be nil.
func newF32(rc *ops.RunContext, shape []int) (*tensor.Tensor, []float32, error) {
	t, err := rc.NewFloat32(shape, false) // the tensor copies shape
	if err != nil {
		return nil, nil, err
	}
	return t, tensor.Data[float32](t), nil
}
