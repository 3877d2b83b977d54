package fused

import (
	"fmt"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

// matmulKernel runs FusedMatMul(A, B, bias?, Z?) = act(MatMul(A, B) + bias + Z).
//
// Fast path (the transformer case): float32 A, a constant 2-D float32 B
// packed once at load, a constant bias of shape [], [1] or [N], and Z
// absent or of the output's shape. One packed GEMM then computes the product
// with bias, residual and Relu/Clip in its tile epilogue; other activations
// run in place on the output afterwards (GELU, Sigmoid, ... with the SIMD
// kernels of ops/vector where they exist).
//
// A Z that broadcasts is added by the general Add after the packed GEMM.
// Otherwise (B or bias not constant, other types) the composed path runs:
// the ai.onnx MatMul kernel, then the Adds with full broadcasting, then the
// activation.
type matmulKernel struct {
	node *ops.Node
	act  activation
	hasZ bool

	// fast path, nil pb: none
	pb   *linalg.PackedB
	k, n int
	bias []float32

	once   sync.Once
	slow   *fusedKernel // MatMul + bias, no activation
	addZ   ops.Kernel
	errBld error
}

// serialGemmWork is the multiply-add count below which the fast path runs
// its GEMM on the caller's goroutine only.
// (bert_small's 32×256×256 projections stay serial, its FFN splits).
const serialGemmWork = 1 << 22

func newMatMulKernel(n *ops.Node) (ops.Kernel, error) {
	const op = "FusedMatMul"
	act, err := parseActivation(n, op)
	if err != nil {
		return nil, err
	}
	k := &matmulKernel{node: n, act: act, hasZ: n.HasInput(3)}
	if b := n.Const(1); b != nil && b.DType() == tensor.Float32 && b.Rank() == 2 {
		kk, nn := b.Shape()[0], b.Shape()[1]
		bias, ok := constRowBias(n, nn)
		if ok {
			k.k, k.n, k.bias = kk, nn, bias
			k.pb = linalg.NewPackedB(false, kk, nn, tensor.Data[float32](b), nn)
			if k.hasZ {
				if k.addZ, err = addKernel(op); err != nil {
					return nil, err
				}
			}
			// Every run uses the packed copy only (see fast).
			n.ConsumeConst(1)
		}
	}
	if k.pb == nil {
		// Build the composed path now, so that attribute and input errors
		// surface at load time.
		if err := k.build(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// constRowBias returns the bias input as n float32 values (nil when the
// node has no bias), or false when it is not a load-time constant of shape
// [], [1] or [n].
func constRowBias(n *ops.Node, cols int) ([]float32, bool) {
	if !n.HasInput(2) {
		return nil, true
	}
	c := n.Const(2)
	if c == nil || c.DType() != tensor.Float32 {
		return nil, false
	}
	v := tensor.Data[float32](c)
	switch {
	case c.Rank() == 0 || (c.Rank() == 1 && c.Len() == 1):
		out := make([]float32, cols)
		for i := range out {
			out[i] = v[0]
		}
		return out, true
	case c.Rank() == 1 && c.Len() == cols:
		return v, true
	}
	return nil, false
}

// build makes the composed path.
func (k *matmulKernel) build() error {
	k.once.Do(func() {
		const op = "FusedMatMul"
		inner, nIn, err := buildInner(k.node, op, "MatMul", matmulOpset, 2)
		if err != nil {
			k.errBld = err
			return
		}
		s := &fusedKernel{op: op, inner: inner, nIn: nIn, addIdx: -1, bias: true}
		if k.node.HasInput(2) {
			s.addIdx, s.addWhat = 2, "bias"
			if s.add, err = addKernel(op); err != nil {
				k.errBld = err
				return
			}
		}
		if k.hasZ {
			if k.addZ, err = addKernel(op); err != nil {
				k.errBld = err
				return
			}
		}
		k.slow = s
	})
	return k.errBld
}

func (k *matmulKernel) Run(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	const op = "FusedMatMul"
	if len(in) < 2 {
		return nil, fmt.Errorf("%s: want at least 2 inputs (A, B), got %d", op, len(in))
	}
	if k.pb != nil {
		return k.fast(rc, in)
	}
	return k.composed(rc, in)
}

// fast runs the packed path. A broadcasting Z is added after the GEMM by
// the general Add; the packed B serves every valid input, so B's original
// data is never read at run time.
func (k *matmulKernel) fast(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	const op = "FusedMatMul"
	a, ok := in[0].(*tensor.Tensor)
	if !ok || a == nil {
		return nil, fmt.Errorf("%s: input A must be a tensor, got %T", op, in[0])
	}
	if a.DType() != tensor.Float32 {
		return nil, fmt.Errorf("%s: A must be float32 like B, got %v", op, a.DType())
	}
	as := a.Shape()
	if len(as) == 0 || as[len(as)-1] != k.k {
		return nil, fmt.Errorf("%s: shapes %v and [%d %d]: A's last dimension must be B's row count %d", op, as, k.k, k.n, k.k)
	}
	out := make([]int, 0, len(as))
	out = append(out, as[:len(as)-1]...)
	out = append(out, k.n)
	var z []float32
	var zt *tensor.Tensor
	if k.hasZ && len(in) > 3 && in[3] != nil {
		if zt, ok = in[3].(*tensor.Tensor); !ok {
			return nil, fmt.Errorf("%s: input Z must be a tensor, got %T", op, in[3])
		}
		if zt.DType() == tensor.Float32 && ops.ShapeEqual(zt.Shape(), out) {
			z, zt = tensor.Data[float32](zt), nil
		}
	}
	y, err := rc.NewFloat32(out, false)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", op, err) // err names the shape
	}
	rows := 1
	for _, d := range as[:len(as)-1] {
		rows *= d
	}
	yd := tensor.Data[float32](y)
	epi := linalg.Epilogue{Bias: k.bias, Residual: z}
	post := zt != nil
	if zt == nil {
		switch k.act.kind {
		case actNone:
		case actRelu:
			epi.Act = linalg.ActRelu
		case actClip:
			epi.Act, epi.Alpha, epi.Beta = linalg.ActClip, k.act.p0, k.act.p1
		default:
			post = true
		}
	}
	threads := rc.ThreadCount()
	if float64(rows)*float64(k.n)*float64(k.k) < serialGemmWork {
		// Waking a worker and packing A twice costs more than it saves.
		threads = 1
	}
	if rows > 0 && k.n > 0 {
		linalg.SgemmPacked(threads, false, rows, 1, tensor.Data[float32](a), k.k, k.pb, 0, yd, k.n, epi)
	}
	if zt != nil {
		// Z broadcasts (or has another type): the general Add, with its
		// result shape and errors, then the activation on its output.
		r, err := k.addZ.Run(rc, []tensor.Value{y, zt})
		if err != nil {
			return nil, fmt.Errorf("%s: adding Z: %w", op, err)
		}
		if y, err = firstTensor(op, r); err != nil {
			return nil, err
		}
		if k.act.kind == actNone {
			return rc.Results(y), nil
		}
		y = owned(y, in)
		if err := epilogue(threads, k.act, y, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return rc.Results(y), nil
	}
	if post {
		if len(yd) < 1<<17 {
			threads = 1 // a few µs of SIMD work: not worth a goroutine
		}
		if serial(threads, len(yd)) {
			actChunks(k.act, yd)
		} else {
			parallelFor(threads, len(yd), func(lo, hi int) { actChunks(k.act, yd[lo:hi]) })
		}
	}
	return rc.Results(y), nil
}

// composed is MatMul, + bias, + Z (broadcasting as Add does), activation.
func (k *matmulKernel) composed(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	const op = "FusedMatMul"
	if err := k.build(); err != nil {
		return nil, err
	}
	base := in
	if len(base) > 3 {
		base = base[:3]
	}
	outs, err := k.slow.Run(rc, base)
	if err != nil {
		return nil, err
	}
	y, err := firstTensor(op, outs)
	if err != nil {
		return nil, err
	}
	if k.hasZ && len(in) > 3 && in[3] != nil {
		r, err := k.addZ.Run(rc, []tensor.Value{y, in[3]})
		if err != nil {
			return nil, fmt.Errorf("%s: adding Z: %w", op, err)
		}
		if y, err = firstTensor(op, r); err != nil {
			return nil, err
		}
	}
	if k.act.kind == actNone {
		return rc.Results(y), nil
	}
	if !floatOut(y.DType()) {
		return nil, fmt.Errorf("%s: activation %s needs a float output (float16, bfloat16, float32, float64), got %v", op, k.act.name, y.DType())
	}
	y = owned(y, in)
	if err := epilogue(rc.ThreadCount(), k.act, y, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return rc.Results(y), nil
}

// actChunks applies a to y in cache-sized chunks.
func actChunks(a activation, y []float32) {
	for c := 0; c < len(y); c += chunk {
		actLoop(a, y[c:min(c+chunk, len(y))])
	}
}
