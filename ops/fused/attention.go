package fused

import (
	"fmt"
	"math"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

func init() {
	ops.Register(Domain, "Attention", 1, buildAttention)
}

// attentionKernel is gonyx.Attention(Q, K, V, mask?) with attribute scale:
//
//	Q [B, Sq, H, D], K [B, Sk, H, D], V [B, Sk, H, Dv] (heads not yet
//	transposed out, as a Reshape of the projections leaves them)
//	P[b,h] = Softmax(scale · Q[b,:,h,:] · K[b,:,h,:]ᵀ + mask[b,h], last axis)
//	Y[b,:,h,:] = P[b,h] · V[b,:,h,:]      Y: [B, Sq, H, Dv]
//
// which is the exported BERT score path Transpose(Q), Transpose(K),
// MatMul, Div/Mul, Add(mask), Softmax, MatMul(·, Transpose(V)),
// Transpose. The mask (float32) must broadcast to [B, H, Sq, Sk] without
// enlarging it. Each (batch, head) pair reads Q, K and V in place with
// strided GEMMs: no transposed copies are made; the scores live in a
// per-worker Sq×Sk scratch.
type attentionKernel struct {
	scale float32
}

func buildAttention(n *ops.Node) (ops.Kernel, error) {
	const op = "gonyx.Attention"
	if len(n.Inputs) < 3 || len(n.Inputs) > 4 {
		return nil, fmt.Errorf("%s takes 3 or 4 inputs (Q, K, V, mask), got %d", op, len(n.Inputs))
	}
	for i := 0; i < 3; i++ {
		if !n.HasInput(i) {
			return nil, fmt.Errorf("%s: input %d (Q, K, V) is required", op, i)
		}
	}
	if len(n.Outputs) != 1 || n.Outputs[0] == "" {
		return nil, fmt.Errorf("%s has exactly one output, got %d", op, len(n.Outputs))
	}
	for k := range n.Attrs {
		if k != "scale" {
			return nil, fmt.Errorf("%s: unknown attribute %q (it takes scale)", op, k)
		}
	}
	scale, err := n.AttrFloat("scale", 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
		return nil, fmt.Errorf("%s: scale must be finite, got %v", op, scale)
	}
	k := &attentionKernel{scale: scale}
	return ops.TensorsRC(k.run), nil
}

func (k *attentionKernel) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	const op = "gonyx.Attention"
	names := [...]string{"Q", "K", "V", "mask"}
	for i := 0; i < len(in) && i < 4; i++ {
		t := in[i]
		if t == nil {
			if i < 3 {
				return nil, fmt.Errorf("%s: input %s is required", op, names[i])
			}
			continue
		}
		if t.DType() != tensor.Float32 {
			return nil, fmt.Errorf("%s: input %s must be float32, got %v", op, names[i], t.DType())
		}
		if i < 3 && t.Rank() != 4 {
			return nil, fmt.Errorf("%s: input %s must have rank 4 [batch, seq, heads, head size], got shape %v", op, names[i], t.Shape())
		}
	}
	q, kk, v := in[0], in[1], in[2]
	qs, ks, vs := q.Shape(), kk.Shape(), v.Shape()
	b, sq, h, d := qs[0], qs[1], qs[2], qs[3]
	sk, dv := ks[1], vs[3]
	if ks[0] != b || ks[2] != h || ks[3] != d {
		return nil, fmt.Errorf("%s: K shape %v does not match Q shape %v (want [%d, Sk, %d, %d])", op, ks, qs, b, h, d)
	}
	if vs[0] != b || vs[1] != sk || vs[2] != h {
		return nil, fmt.Errorf("%s: V shape %v does not match K shape %v (want [%d, %d, %d, Dv])", op, vs, ks, b, sk, h)
	}
	var mask []float32
	var mst [4]int
	if len(in) > 3 && in[3] != nil {
		ms := in[3].Shape()
		full := [4]int{b, h, sq, sk}
		if len(ms) > 4 {
			return nil, fmt.Errorf("%s: mask shape %v has rank > 4; it must broadcast to the scores [%d, %d, %d, %d]", op, ms, b, h, sq, sk)
		}
		stride := 1
		for i := len(ms) - 1; i >= 0; i-- {
			j := 4 - len(ms) + i
			switch ms[i] {
			case full[j]:
				if full[j] != 1 {
					mst[j] = stride
				}
			case 1:
			default:
				return nil, fmt.Errorf("%s: mask shape %v does not broadcast to the scores [%d, %d, %d, %d]", op, ms, b, h, sq, sk)
			}
			stride *= ms[i]
		}
		mask = tensor.Data[float32](in[3])
	}
	y, err := rc.NewFloat32([]int{b, sq, h, dv}, sk == 0)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", op, err)
	}
	scratch, err := tensor.NumElements([]int{sq, sk})
	if err != nil {
		return nil, fmt.Errorf("%s: scores: %w", op, err)
	}
	units := b * h
	if units == 0 || sq == 0 || sk == 0 || dv == 0 {
		return rc.TensorResults(y), nil
	}
	job := attnJob{
		h: h, sq: sq, sk: sk, d: d, dv: dv, ldq: h * d, ldv: h * dv, scratch: scratch, scale: k.scale,
		qd: tensor.Data[float32](q), kd: tensor.Data[float32](kk), vd: tensor.Data[float32](v), yd: tensor.Data[float32](y),
		mask: mask, mst: mst,
	}
	threads := rc.ThreadCount()
	if float64(units)*float64(sq)*float64(sk)*float64(d+dv) < attnSerialWork || threads <= 1 {
		// Called directly: a closure passed to ParallelN is allocated.
		job.units(0, units)
	} else {
		shared := new(attnJob) // the workers' copy, on the heap
		*shared = job
		linalg.ParallelN(threads, units, 1, shared.units)
	}
	return rc.TensorResults(y), nil
}

// attnJob is one Attention node's work, split by (batch, head) unit.
type attnJob struct {
	h, sq, sk, d, dv, ldq, ldv, scratch int
	scale                               float32
	qd, kd, vd, yd, mask                []float32
	mst                                 [4]int
}

// attnScratch recycles the per-worker score buffers across runs.
var attnScratch sync.Pool

// units computes units [lo, hi) with one score buffer.
func (j *attnJob) units(lo, hi int) {
	p, _ := attnScratch.Get().(*[]float32)
	if p == nil || cap(*p) < j.scratch {
		p = new([]float32)
		*p = make([]float32, j.scratch)
	}
	sc := (*p)[:j.scratch]
	for u := lo; u < hi; u++ {
		j.one(u, sc)
	}
	attnScratch.Put(p)
}

// one computes unit u (batch u/h, head u%h) using the score buffer sc.
func (j *attnJob) one(u int, sc []float32) {
	h, sq, sk, d, dv, ldq, ldv := j.h, j.sq, j.sk, j.d, j.dv, j.ldq, j.ldv
	qd, kd, vd, yd, mask, mst := j.qd, j.kd, j.vd, j.yd, j.mask, j.mst
	bi, hi := u/h, u%h
	// scores = scale · Q_bh · K_bhᵀ (row strides H·D: heads read in place)
	linalg.SgemmN(1, false, true, sq, sk, d, j.scale,
		qd[bi*sq*ldq+hi*d:], ldq, kd[bi*sk*ldq+hi*d:], ldq, 0, sc, sk)
	for i := 0; i < sq; i++ {
		row := sc[i*sk : (i+1)*sk]
		if mask != nil {
			off := bi*mst[0] + hi*mst[1] + i*mst[2]
			if mst[3] == 1 {
				vector.Add(row, row, mask[off:off+sk])
			} else {
				vector.AddScalar(row, row, mask[off])
			}
		}
		vector.Softmax(row, row)
	}
	linalg.SgemmN(1, false, false, sq, dv, sk, 1,
		sc, sk, vd[bi*sk*ldv+hi*dv:], ldv, 0, yd[bi*sq*ldv+hi*dv:], ldv)
}

// attnSerialWork is the multiply-add count below which the heads run on the
// caller's goroutine (bert_small at batch 1: four heads of 32×32×64, a few
// µs each, less than a worker's wake-up).
const attnSerialWork = 1 << 20
