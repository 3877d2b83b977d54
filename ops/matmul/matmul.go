package matmul

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "MatMul", []int{1, 9, 13}, buildMatMul)
}

var matmulTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int32, tensor.Int64, tensor.Uint32, tensor.Uint64}

type matmulKernel struct {
	packed      *linalg.PackedB // constant 2-D B, pre-packed
	packedDT    tensor.DType
	packedShape []int
}

func buildMatMul(n *ops.Node) (ops.Kernel, error) {
	if len(n.Inputs) != 2 {
		return nil, fmt.Errorf("MatMul needs 2 inputs, got %d", len(n.Inputs))
	}
	k := &matmulKernel{}
	if b := n.Const(1); b != nil && viaF32(b.DType()) && b.Rank() == 2 {
		bd, err := asF32(b)
		if err != nil {
			return nil, err
		}
		k.packed = linalg.NewPackedB(false, b.Shape()[0], b.Shape()[1], bd, b.Shape()[1])
		n.ConsumeConst(1) // runs with this B use the packed copy only
		k.packedDT = b.DType()
		k.packedShape = append([]int(nil), b.Shape()...)
	}
	return ops.TensorsRC(k.run), nil
}

// mmShape is the numpy matmul shape analysis of two operands.
type mmShape struct {
	m, n, k        int
	batchA, batchB []int
	outBatch       []int
	out            []int // final output shape
}

func matmulShapes(op string, as, bs []int) (*mmShape, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("%s: inputs must have rank >= 1, got shapes %v and %v", op, as, bs)
	}
	a2, b2 := as, bs
	if len(as) == 1 {
		a2 = []int{1, as[0]}
	}
	if len(bs) == 1 {
		b2 = []int{bs[0], 1}
	}
	s := &mmShape{
		m: a2[len(a2)-2], k: a2[len(a2)-1], n: b2[len(b2)-1],
		batchA: a2[:len(a2)-2], batchB: b2[:len(b2)-2],
	}
	if kb := b2[len(b2)-2]; kb != s.k {
		return nil, fmt.Errorf("%s: shapes %v and %v: inner dimensions %d and %d differ", op, as, bs, s.k, kb)
	}
	ob, err := ops.BroadcastShapes(s.batchA, s.batchB)
	if err != nil {
		return nil, fmt.Errorf("%s: batch dimensions of %v and %v do not broadcast", op, as, bs)
	}
	s.outBatch = ob
	s.out = append([]int(nil), ob...)
	if len(as) > 1 {
		s.out = append(s.out, s.m)
	}
	if len(bs) > 1 {
		s.out = append(s.out, s.n)
	}
	if _, err := tensor.NumElements(s.out); err != nil {
		return nil, fmt.Errorf("%s: output shape: %w", op, err)
	}
	return s, nil
}

// batchIndex gives, per output batch, the batch index into A and into B.
func (s *mmShape) batchIndex() (batches int, ai, bi []int) {
	idx := ops.BroadcastIndex(s.outBatch, s.batchA, s.batchB)
	return ops.Product(s.outBatch), idx[0], idx[1]
}

func (mk *matmulKernel) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b := ops.Input(in, 0), ops.Input(in, 1)
	if a == nil || b == nil {
		return nil, fmt.Errorf("MatMul: both inputs are required")
	}
	if err := sameType("MatMul", a, b); err != nil {
		return nil, err
	}
	if err := checkType("MatMul", a.DType(), matmulTypes...); err != nil {
		return nil, err
	}
	s, err := matmulShapes("MatMul", a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	dt := a.DType()
	switch {
	case viaF32(dt):
		ad, err := asF32(a)
		if err != nil {
			return nil, err
		}
		var y []float32
		if dt == tensor.Float32 {
			// Every element is written: no clearing needed.
			yt, err := rc.NewFloat32(s.out, false)
			if err != nil {
				return nil, err
			}
			y = tensor.Data[float32](yt)
		} else {
			y = make([]float32, ops.Product(s.out))
		}
		if mk.packed != nil && dt == mk.packedDT && ops.ShapeEqual(b.Shape(), mk.packedShape) {
			// B is 2-D: fold A's batch into its rows.
			rows := ops.Product(s.batchA) * s.m
			linalg.SgemmPacked(rc.ThreadCount(), false, rows, 1, ad, s.k, mk.packed, 0, y, s.n)
		} else {
			bd, err := asF32(b)
			if err != nil {
				return nil, err
			}
			batchedMatMul(s, ad, bd, y, func(threads, m, n, k int, a, b, c []float32) {
				linalg.SgemmN(threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			})
		}
		t, err := fromF32(dt, s.out, y)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(t), nil
	case dt == tensor.Float64:
		y := make([]float64, ops.Product(s.out))
		batchedMatMul(s, tensor.Data[float64](a), tensor.Data[float64](b), y, func(threads, m, n, k int, a, b, c []float64) {
			linalg.DgemmN(threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		return rc.TensorResults(tensor.New(s.out, y)), nil
	case dt == tensor.Int32:
		return matmulInt[int32](s, a, b), nil
	case dt == tensor.Int64:
		return matmulInt[int64](s, a, b), nil
	case dt == tensor.Uint32:
		return matmulInt[uint32](s, a, b), nil
	case dt == tensor.Uint64:
		return matmulInt[uint64](s, a, b), nil
	}
	return nil, fmt.Errorf("MatMul: unsupported element type %v", dt)
}

func matmulInt[T ops.Integer](s *mmShape, a, b *tensor.Tensor) []*tensor.Tensor {
	y := make([]T, ops.Product(s.out))
	batchedMatMul(s, tensor.Data[T](a), tensor.Data[T](b), y, func(_, m, n, k int, a, b, c []T) {
		intGemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	})
	return []*tensor.Tensor{tensor.New(s.out, y)}
}

// batchedMatMul runs f (C = A·B for contiguous row-major m×k and k×n
// matrices) over every output batch. When B has no batch dimensions the
// batches of A are folded into one tall product. Small per-batch products
// run in parallel over batches; large ones use threads inside f.
func batchedMatMul[T any](s *mmShape, a, b, c []T, f func(threads, m, n, k int, a, b, c []T)) {
	m, n, k := s.m, s.n, s.k
	if len(c) == 0 {
		return
	}
	if len(s.batchB) == 0 {
		rows := ops.Product(s.batchA) * m
		f(0, rows, n, k, a, b, c)
		return
	}
	batches, ai, bi := s.batchIndex()
	per := m * n * max(k, 1)
	one := func(threads, i int) {
		f(threads, m, n, k, a[ai[i]*m*k:(ai[i]+1)*m*k], b[bi[i]*k*n:(bi[i]+1)*k*n], c[i*m*n:(i+1)*m*n])
	}
	if batches > 1 && per < 1<<18 {
		grain := max(1, (1<<16)/per)
		linalg.ParallelN(0, batches, grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				one(1, i)
			}
		})
		return
	}
	for i := 0; i < batches; i++ {
		one(0, i)
	}
}
