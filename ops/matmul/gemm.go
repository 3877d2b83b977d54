package matmul

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "Gemm", []int{1, 6, 7, 9, 11, 13}, buildGemm)
}

var gemmTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64}

type gemmKernel struct {
	transA, transB bool
	alpha, beta    float32
	cRequired      bool
	packed         *linalg.PackedB // B pre-packed when constant float32/16
	packedDT       tensor.DType
	packedShape    []int
}

func buildGemm(n *ops.Node) (ops.Kernel, error) {
	ta, err := n.AttrInt("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.AttrInt("transB", 0)
	if err != nil {
		return nil, err
	}
	alpha, err := n.AttrFloat("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 1)
	if err != nil {
		return nil, err
	}
	// opset < 7: "broadcast" says whether C may broadcast. C is broadcast
	// unidirectionally either way (what every runtime does), so the
	// attribute is only type-checked.
	if _, err := n.AttrInt("broadcast", 0); err != nil {
		return nil, err
	}
	if len(n.Inputs) < 2 {
		return nil, fmt.Errorf("Gemm needs inputs A and B, got %d inputs", len(n.Inputs))
	}
	k := &gemmKernel{transA: ta != 0, transB: tb != 0, alpha: alpha, beta: beta, cRequired: n.Opset < 11}
	if b := n.Const(1); b != nil && viaF32(b.DType()) && b.Rank() == 2 {
		bd, err := asF32(b)
		if err != nil {
			return nil, err
		}
		s := b.Shape()
		kk, nn := s[0], s[1]
		if k.transB {
			kk, nn = nn, kk
		}
		k.packed = linalg.NewPackedB(k.transB, kk, nn, bd, s[1])
		n.ConsumeConst(1) // runs with this B use the packed copy only
		k.packedDT = b.DType()
		k.packedShape = append([]int(nil), s...)
	}
	return ops.TensorsRC(k.run), nil
}

func (g *gemmKernel) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b, c := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if a == nil || b == nil {
		return nil, fmt.Errorf("Gemm: inputs A and B are required")
	}
	if c == nil && g.cRequired {
		return nil, fmt.Errorf("Gemm: input C is required before opset 11")
	}
	if err := sameType("Gemm", a, b, c); err != nil {
		return nil, err
	}
	if err := checkType("Gemm", a.DType(), gemmTypes...); err != nil {
		return nil, err
	}
	if a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("Gemm: A and B must be 2-D, got shapes %v and %v", a.Shape(), b.Shape())
	}
	m, ka := a.Shape()[0], a.Shape()[1]
	if g.transA {
		m, ka = ka, m
	}
	kb, n := b.Shape()[0], b.Shape()[1]
	if g.transB {
		kb, n = n, kb
	}
	if ka != kb {
		return nil, fmt.Errorf("Gemm: inner dimensions differ: op(A) is %d×%d, op(B) is %d×%d (A %v transA=%v, B %v transB=%v)",
			m, ka, kb, n, a.Shape(), g.transA, b.Shape(), g.transB)
	}
	k := ka
	if c != nil {
		if err := checkUnidirectional(c.Shape(), m, n); err != nil {
			return nil, err
		}
	}
	dt := a.DType()
	out := []int{m, n}
	if _, err := tensor.NumElements(out); err != nil {
		return nil, err
	}
	lda, ldb := a.Shape()[1], b.Shape()[1]
	switch {
	case viaF32(dt):
		ad, err := asF32(a)
		if err != nil {
			return nil, err
		}
		// Every element of y is written (beta = 0 overwrites), so a
		// recycled buffer needs no clearing.
		var (
			y  []float32
			yt *tensor.Tensor
		)
		if dt == tensor.Float32 {
			if yt, err = rc.NewFloat32(out, false); err != nil {
				return nil, err
			}
			y = tensor.Data[float32](yt)
		} else {
			y = make([]float32, m*n)
		}
		beta := g.beta
		var epi []linalg.Epilogue
		if c == nil || beta == 0 {
			beta = 0
		} else {
			cd, err := asF32(c)
			if err != nil {
				return nil, err
			}
			if e, ok := cEpilogue(cd, c.Shape(), m, n); ok && beta == 1 {
				// C is added in the GEMM's epilogue instead of a
				// broadcast pass over y.
				epi, beta = []linalg.Epilogue{e}, 0
			} else {
				broadcastInto(y, cd, c.Shape(), m, n)
			}
		}
		if g.packed != nil && b.DType() == g.packedDT && ops.ShapeEqual(b.Shape(), g.packedShape) {
			linalg.SgemmPacked(rc.ThreadCount(), g.transA, m, g.alpha, ad, lda, g.packed, beta, y, n, epi...)
		} else {
			bd, err := asF32(b)
			if err != nil {
				return nil, err
			}
			linalg.SgemmN(rc.ThreadCount(), g.transA, g.transB, m, n, k, g.alpha, ad, lda, bd, ldb, beta, y, n, epi...)
		}
		if yt != nil {
			return rc.TensorResults(yt), nil
		}
		t, err := fromF32(dt, out, y)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(t), nil
	case dt == tensor.Float64:
		y := make([]float64, m*n)
		beta := float64(g.beta)
		if c == nil || beta == 0 {
			beta = 0
		} else {
			broadcastInto(y, tensor.Data[float64](c), c.Shape(), m, n)
		}
		linalg.Dgemm(g.transA, g.transB, m, n, k, float64(g.alpha), tensor.Data[float64](a), lda, tensor.Data[float64](b), ldb, beta, y, n)
		return rc.TensorResults(tensor.New(out, y)), nil
	case dt == tensor.Int32:
		return gemmInt[int32](g, a, b, c, m, n, k)
	case dt == tensor.Int64:
		return gemmInt[int64](g, a, b, c, m, n, k)
	case dt == tensor.Uint32:
		return gemmInt[uint32](g, a, b, c, m, n, k)
	case dt == tensor.Uint64:
		return gemmInt[uint64](g, a, b, c, m, n, k)
	}
	return nil, fmt.Errorf("Gemm: unsupported element type %v", dt)
}

func gemmInt[T ops.Integer](g *gemmKernel, a, b, c *tensor.Tensor, m, n, k int) ([]*tensor.Tensor, error) {
	y := make([]T, m*n)
	// alpha and beta are float attributes; integer Gemm uses their integer
	// values (ONNX Runtime does the same).
	alpha, beta := T(int64(g.alpha)), T(int64(g.beta))
	if c != nil && beta != 0 {
		broadcastInto(y, tensor.Data[T](c), c.Shape(), m, n)
	} else {
		beta = 0
	}
	intGemm(g.transA, g.transB, m, n, k, alpha, tensor.Data[T](a), a.Shape()[1], tensor.Data[T](b), b.Shape()[1], beta, y, n)
	return []*tensor.Tensor{tensor.New([]int{m, n}, y)}, nil
}

// checkUnidirectional checks that shape broadcasts to (m, n) without
// changing the target.
func checkUnidirectional(shape []int, m, n int) error {
	if len(shape) > 2 {
		return fmt.Errorf("Gemm: C has shape %v, which does not broadcast to [%d %d]", shape, m, n)
	}
	target := []int{m, n}
	off := 2 - len(shape)
	for i, d := range shape {
		if d != 1 && d != target[off+i] {
			return fmt.Errorf("Gemm: C has shape %v, which does not broadcast to [%d %d]", shape, m, n)
		}
	}
	return nil
}

// cEpilogue expresses adding C (shape broadcastable to (m, n), already
// checked) as a GEMM epilogue: a column bias for [n] / [1, n], a row bias
// for [m, 1], a residual for [m, n]. ok is false for a scalar C (and for
// ambiguous 1×1 outputs), which broadcastInto handles.
func cEpilogue(cd []float32, shape []int, m, n int) (e linalg.Epilogue, ok bool) {
	rows, cols := 1, 1
	switch len(shape) {
	case 1:
		cols = shape[0]
	case 2:
		rows, cols = shape[0], shape[1]
	}
	switch {
	case rows == m && cols == n && m > 1 && n > 1:
		return linalg.Epilogue{Residual: cd[:m*n], LdResidual: n}, true
	case rows == 1 && cols == n && n > 1:
		return linalg.Epilogue{Bias: cd[:n]}, true
	case rows == m && cols == 1 && m > 1:
		return linalg.Epilogue{Bias: cd[:m], BiasPerRow: true}, true
	}
	return e, false
}

// broadcastInto fills the m×n matrix y with src (shape broadcastable to
// (m, n)).
func broadcastInto[T any](y, src []T, shape []int, m, n int) {
	rows, cols := 1, 1
	switch len(shape) {
	case 1:
		cols = shape[0]
	case 2:
		rows, cols = shape[0], shape[1]
	}
	for i := 0; i < m; i++ {
		r := 0
		if rows != 1 {
			r = i
		}
		row := y[i*n : i*n+n]
		if cols == 1 {
			v := src[r]
			for j := range row {
				row[j] = v
			}
		} else {
			copy(row, src[r*cols:r*cols+n])
		}
	}
}
