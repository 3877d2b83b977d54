package matmul

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.Register("", "MatMulInteger", 10, func(n *ops.Node) (ops.Kernel, error) {
		if len(n.Inputs) < 2 || len(n.Inputs) > 4 {
			return nil, fmt.Errorf("MatMulInteger takes 2 to 4 inputs, got %d", len(n.Inputs))
		}
		return ops.Tensors(runMatMulInteger), nil
	})
	ops.RegisterVersions("", "QLinearMatMul", []int{10, 21}, func(n *ops.Node) (ops.Kernel, error) {
		if len(n.Inputs) != 8 {
			return nil, fmt.Errorf("QLinearMatMul takes 8 inputs, got %d", len(n.Inputs))
		}
		return ops.Tensors(runQLinearMatMul), nil
	})
}

func is8bit(dt tensor.DType) bool { return dt == tensor.Uint8 || dt == tensor.Int8 }

// qvec is a quantisation parameter (scale or zero point) that is a scalar,
// or one value per row of A / per column of B, possibly per batch.
type qvec struct {
	vals     []float64
	per      int   // 1 or the row/column count
	batchIdx []int // per output batch: which block of per values; nil: block 0
}

func (q *qvec) at(b int) []float64 {
	if q == nil {
		return nil
	}
	i := 0
	if q.batchIdx != nil {
		i = q.batchIdx[b]
	}
	return q.vals[i*q.per : (i+1)*q.per]
}

// resolveQ interprets t as a scalar, a vector of length n, or an N-D
// tensor [..., n, 1] (rowWise) / [..., 1, n] (column-wise) whose leading
// dimensions broadcast to outBatch.
func resolveQ(op, name string, t *tensor.Tensor, outBatch []int, n int, rowWise bool) (*qvec, error) {
	if t == nil {
		return nil, nil
	}
	s := t.Shape()
	q := &qvec{vals: t.Float64s()}
	switch {
	case t.Len() == 1:
		q.per = 1
		return q, nil
	case len(s) == 1 && s[0] == n:
		q.per = n
		return q, nil
	case len(s) >= 2:
		r, c := s[len(s)-2], s[len(s)-1]
		if (rowWise && r == n && c == 1) || (!rowWise && r == 1 && c == n) {
			batch := s[:len(s)-2]
			ob, err := ops.BroadcastShapes(batch, outBatch)
			if err == nil && ops.ShapeEqual(ob, outBatch) {
				q.per = n
				q.batchIdx = ops.BroadcastIndex(outBatch, batch)[0]
				return q, nil
			}
		}
	}
	want := fmt.Sprintf("a scalar, [%d] or [..., 1, %d]", n, n)
	if rowWise {
		want = fmt.Sprintf("a scalar, [%d] or [..., %d, 1]", n, n)
	}
	return nil, fmt.Errorf("%s: %s has shape %v, want %s", op, name, s, want)
}

func toInt32(v []float64) []int32 {
	if v == nil {
		return nil
	}
	o := make([]int32, len(v))
	for i, x := range v {
		o[i] = int32(x)
	}
	return o
}

// intProduct computes the int32 matmul with zero points for every output
// batch into y.
func intProduct(op string, s *mmShape, a, b *tensor.Tensor, za, zb *qvec, y []int32) error {
	switch {
	case a.DType() == tensor.Uint8 && b.DType() == tensor.Uint8:
		intProductT(s, tensor.Data[uint8](a), tensor.Data[uint8](b), za, zb, y)
	case a.DType() == tensor.Uint8 && b.DType() == tensor.Int8:
		intProductT(s, tensor.Data[uint8](a), tensor.Data[int8](b), za, zb, y)
	case a.DType() == tensor.Int8 && b.DType() == tensor.Uint8:
		intProductT(s, tensor.Data[int8](a), tensor.Data[uint8](b), za, zb, y)
	case a.DType() == tensor.Int8 && b.DType() == tensor.Int8:
		intProductT(s, tensor.Data[int8](a), tensor.Data[int8](b), za, zb, y)
	default:
		return fmt.Errorf("%s: inputs must be int8 or uint8, got %v and %v", op, a.DType(), b.DType())
	}
	return nil
}

func intProductT[TA, TB linalg.Int8](s *mmShape, a []TA, b []TB, za, zb *qvec, y []int32) {
	m, n, k := s.m, s.n, s.k
	batches, ai, bi := s.batchIndex()
	if len(y) == 0 {
		return
	}
	one := func(threads, i int) {
		linalg.IGemm(threads, m, n, k,
			a[ai[i]*m*k:(ai[i]+1)*m*k], k, toInt32(za.at(i)),
			b[bi[i]*k*n:(bi[i]+1)*k*n], n, toInt32(zb.at(i)),
			y[i*m*n:(i+1)*m*n], n)
	}
	per := m * n * max(k, 1)
	if batches > 1 && per < 1<<18 {
		linalg.ParallelN(0, batches, max(1, (1<<16)/per), func(lo, hi int) {
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

func runMatMulInteger(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b := ops.Input(in, 0), ops.Input(in, 1)
	if a == nil || b == nil {
		return nil, fmt.Errorf("MatMulInteger: inputs A and B are required")
	}
	if !is8bit(a.DType()) || !is8bit(b.DType()) {
		return nil, fmt.Errorf("MatMulInteger: A and B must be int8 or uint8, got %v and %v", a.DType(), b.DType())
	}
	azp, bzp := ops.Input(in, 2), ops.Input(in, 3)
	if azp != nil && azp.DType() != a.DType() {
		return nil, fmt.Errorf("MatMulInteger: a_zero_point has type %v, want %v like A", azp.DType(), a.DType())
	}
	if bzp != nil && bzp.DType() != b.DType() {
		return nil, fmt.Errorf("MatMulInteger: b_zero_point has type %v, want %v like B", bzp.DType(), b.DType())
	}
	s, err := matmulShapes("MatMulInteger", a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	za, err := resolveQ("MatMulInteger", "a_zero_point", azp, s.outBatch, s.m, true)
	if err != nil {
		return nil, err
	}
	zb, err := resolveQ("MatMulInteger", "b_zero_point", bzp, s.outBatch, s.n, false)
	if err != nil {
		return nil, err
	}
	y := make([]int32, ops.Product(s.out))
	if err := intProduct("MatMulInteger", s, a, b, za, zb, y); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{tensor.New(s.out, y)}, nil
}

func runQLinearMatMul(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	names := []string{"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "y_scale", "y_zero_point"}
	for i, nm := range names {
		if ops.Input(in, i) == nil {
			return nil, fmt.Errorf("QLinearMatMul: input %s is required", nm)
		}
	}
	a, as, azp, b, bs, bzp, ys, yzp := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	if !is8bit(a.DType()) || !is8bit(b.DType()) || !is8bit(yzp.DType()) {
		return nil, fmt.Errorf("QLinearMatMul: a, b and y_zero_point must be int8 or uint8, got %v, %v, %v", a.DType(), b.DType(), yzp.DType())
	}
	if azp.DType() != a.DType() || bzp.DType() != b.DType() {
		return nil, fmt.Errorf("QLinearMatMul: zero points must have the types of their inputs (a %v/%v, b %v/%v)", a.DType(), azp.DType(), b.DType(), bzp.DType())
	}
	for _, sc := range []*tensor.Tensor{as, bs, ys} {
		if !sc.DType().IsFloat() || sc.DType() == tensor.Float64 {
			return nil, fmt.Errorf("QLinearMatMul: scales must be float32, float16 or bfloat16, got %v", sc.DType())
		}
	}
	if ys.Len() != 1 || yzp.Len() != 1 {
		return nil, fmt.Errorf("QLinearMatMul: y_scale and y_zero_point must be scalars, got shapes %v and %v", ys.Shape(), yzp.Shape())
	}
	s, err := matmulShapes("QLinearMatMul", a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	za, err := resolveQ("QLinearMatMul", "a_zero_point", azp, s.outBatch, s.m, true)
	if err != nil {
		return nil, err
	}
	zb, err := resolveQ("QLinearMatMul", "b_zero_point", bzp, s.outBatch, s.n, false)
	if err != nil {
		return nil, err
	}
	sa, err := resolveQ("QLinearMatMul", "a_scale", as, s.outBatch, s.m, true)
	if err != nil {
		return nil, err
	}
	sb, err := resolveQ("QLinearMatMul", "b_scale", bs, s.outBatch, s.n, false)
	if err != nil {
		return nil, err
	}
	acc := make([]int32, ops.Product(s.out))
	if err := intProduct("QLinearMatMul", s, a, b, za, zb, acc); err != nil {
		return nil, err
	}
	yScale := float32(ys.Float64s()[0])
	yZero := yzp.Float64s()[0]
	m, n := s.m, s.n
	batches := ops.Product(s.outBatch)
	// Requantise: the multiplier a_scale·b_scale/y_scale is formed in
	// float32, applied to the int32 sum in float64, then rounded half to
	// even, shifted by y_zero_point and saturated (the ONNX reference).
	requant := func(set func(i int, v float64)) {
		for bt := 0; bt < batches; bt++ {
			av, bv := sa.at(bt), sb.at(bt)
			for i := 0; i < m; i++ {
				ai := float32(av[0])
				if len(av) > 1 {
					ai = float32(av[i])
				}
				for j := 0; j < n; j++ {
					bj := float32(bv[0])
					if len(bv) > 1 {
						bj = float32(bv[j])
					}
					mult := ai * bj / yScale
					idx := (bt*m+i)*n + j
					set(idx, float64(acc[idx])*float64(mult)+yZero)
				}
			}
		}
	}
	if yzp.DType() == tensor.Uint8 {
		y := make([]uint8, len(acc))
		requant(func(i int, v float64) { y[i] = linalg.Saturate[uint8](v) })
		return []*tensor.Tensor{tensor.New(s.out, y)}, nil
	}
	y := make([]int8, len(acc))
	requant(func(i int, v float64) { y[i] = linalg.Saturate[int8](v) })
	return []*tensor.Tensor{tensor.New(s.out, y)}, nil
}
