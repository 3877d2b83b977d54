package conv

import (
	"errors"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// Fusion is work fused into a Conv kernel's output stores:
//
//	Y = Act(Conv(X, W, B) + Z)
//
// where Z (input 3, present only when Residual) is any tensor of X's type
// that broadcasts to Y's shape. Act and its parameters are as in
// linalg.Epilogue (Alpha, Beta: LeakyRelu alpha, Clip min/max, HardSigmoid
// alpha/beta). On float32 data the GEMM epilogue (or the depthwise kernel,
// plane by plane) applies it while the output is in cache.
type Fusion struct {
	Act         linalg.Activation
	Alpha, Beta float32
	Residual    bool
}

// NewFused builds the kernel of a convolution node with ai.onnx Conv
// attributes and inputs (X, W, B?, and Z when f.Residual; B may be the
// empty name) whose output is Act(Conv(X, W, B) + Z). It is what a fused
// operator such as gonyx FusedConv can build on.
func NewFused(n *ops.Node, f Fusion) (ops.Kernel, error) {
	if f.Act < linalg.ActNone || f.Act > linalg.ActGelu {
		return nil, fmt.Errorf("Conv: unknown fused activation %d", f.Act)
	}
	if f.Residual && !n.HasInput(3) {
		return nil, fmt.Errorf("Conv: a fused residual needs input 3 (Z), the node has inputs %q", n.Inputs)
	}
	return newConv(n, &f)
}

// f32Fusion is a Fusion with its residual resolved to Y's shape in float32.
type f32Fusion struct {
	f   *Fusion
	res []float32 // len(Y) or nil
}

// apply runs the fusion on c, the part of Y starting at element off.
func (fu *f32Fusion) apply(c []float32, off int) {
	if len(c) == 0 || fu.f.Act == linalg.ActNone && fu.res == nil {
		return
	}
	// Directly through ops/vector (the kernels the GEMM epilogue uses), in
	// place: no per-plane Epilogue value to allocate.
	if fu.res != nil {
		vector.Add(c, c, fu.res[off:off+len(c)])
	}
	alpha, beta := fu.f.Alpha, fu.f.Beta
	switch fu.f.Act {
	case linalg.ActRelu:
		vector.Relu(c, c)
	case linalg.ActClip:
		vector.Clip(c, c, alpha, beta)
	case linalg.ActLeakyRelu:
		for i, v := range c {
			if v < 0 {
				c[i] = alpha * v
			}
		}
	case linalg.ActSigmoid:
		vector.Sigmoid(c, c)
	case linalg.ActSiLU:
		vector.SiLU(c, c)
	case linalg.ActHardSigmoid:
		for i, v := range c {
			c[i] = max(0, min(1, alpha*v+beta))
		}
	case linalg.ActHardSwish:
		vector.HardSwish(c, c)
	case linalg.ActTanh:
		vector.Tanh(c, c)
	case linalg.ActGelu:
		vector.Gelu(c, c)
	}
}

// ErrResidualShape: a fused residual would change the output's shape (it
// broadcasts the other way); callers fall back to a separate Add.
var ErrResidualShape = errors.New("the fused residual does not broadcast to the convolution's output shape")

// residualF32 returns Z as float32 data of Y's shape (broadcasting it if
// needed).
func residualF32(z *tensor.Tensor, yShape []int) ([]float32, error) {
	zd, err := asF32(z)
	if err != nil {
		return nil, err
	}
	return broadcastTo(zd, z.Shape(), yShape)
}

func broadcastTo[T any](zd []T, zs, ys []int) ([]T, error) {
	if ops.ShapeEqual(zs, ys) {
		return zd, nil
	}
	if bs, err := ops.BroadcastShapes(zs, ys); err != nil || !ops.ShapeEqual(bs, ys) {
		return nil, fmt.Errorf("Conv: %w: Z of shape %v, output shape %v", ErrResidualShape, zs, ys)
	}
	n, err := tensor.NumElements(ys)
	if err != nil {
		return nil, err
	}
	idx := ops.BroadcastIndex(ys, zs)[0]
	out := make([]T, n)
	for i := range out {
		out[i] = zd[idx[i]]
	}
	return out, nil
}

// fuse64 applies f to float64 output y (computing in float64).
func fuse64(f *Fusion, y []float64, yShape []int, z *tensor.Tensor) error {
	if z != nil {
		zd, err := broadcastTo(tensor.Data[float64](z), z.Shape(), yShape)
		if err != nil {
			return err
		}
		for i := range y {
			y[i] += zd[i]
		}
	}
	a, b := float64(f.Alpha), float64(f.Beta)
	for i, v := range y {
		switch f.Act {
		case linalg.ActRelu:
			v = max(v, 0)
		case linalg.ActClip:
			v = min(max(v, a), b)
		case linalg.ActLeakyRelu:
			if v < 0 {
				v *= a
			}
		case linalg.ActSigmoid:
			v = sigmoid64(v)
		case linalg.ActSiLU:
			v *= sigmoid64(v)
		case linalg.ActHardSigmoid:
			v = max(0, min(1, a*v+b))
		case linalg.ActHardSwish:
			v *= max(0, min(1, v/6+0.5))
		case linalg.ActTanh:
			v = math.Tanh(v)
		case linalg.ActGelu:
			v = v * (1 + math.Erf(v/math.Sqrt2)) / 2
		}
		y[i] = v
	}
	return nil
}

func sigmoid64(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}
