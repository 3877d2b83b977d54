package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Attention (23): scaled dot-product attention with optional mask, causal
// masking, KV cache, grouped-query heads and softcap, following the ONNX
// reference: scores = (Q·√scale)(K·√scale)ᵀ, softcap, + bias, softmax (a
// row whose bias is entirely -inf gives zeros), times V.

func init() {
	ops.Register("", "Attention", 23, buildAttention)
}

type attention struct {
	causal          bool
	qHeads, kvHeads int
	qkMode          int64
	scale           float64
	hasScale        bool
	softcap         float64
	wantPresent     bool
	wantQK          bool
}

func buildAttention(n *ops.Node) (ops.Kernel, error) {
	a := &attention{}
	c, err := n.AttrInt("is_causal", 0)
	if err != nil {
		return nil, err
	}
	a.causal = c != 0
	qh, err := n.AttrInt("q_num_heads", 0)
	if err != nil {
		return nil, err
	}
	kh, err := n.AttrInt("kv_num_heads", 0)
	if err != nil {
		return nil, err
	}
	if qh < 0 || kh < 0 {
		return nil, fmt.Errorf("Attention: q_num_heads and kv_num_heads must be positive, got %d and %d", qh, kh)
	}
	a.qHeads, a.kvHeads = int(qh), int(kh)
	if a.qkMode, err = n.AttrInt("qk_matmul_output_mode", 0); err != nil {
		return nil, err
	}
	if a.qkMode < 0 || a.qkMode > 3 {
		return nil, fmt.Errorf("Attention: qk_matmul_output_mode must be 0..3, got %d", a.qkMode)
	}
	if n.HasAttr("scale") {
		s, err := n.AttrFloat("scale", 0)
		if err != nil {
			return nil, err
		}
		a.scale, a.hasScale = float64(s), true
	}
	sc, err := n.AttrFloat("softcap", 0)
	if err != nil {
		return nil, err
	}
	a.softcap = float64(sc)
	if _, err := n.AttrInt("softmax_precision", 1); err != nil {
		return nil, err
	}
	a.wantPresent = n.HasOutput(1) || n.HasOutput(2)
	a.wantQK = n.HasOutput(3)
	return ops.Tensors(a.run), nil
}

// heads4 is a [b, h, s, d] float64 view of Q, K or V.
type heads4 struct {
	b, h, s, d int
	v          []float64
}

func (x *heads4) at(b, h, s int) []float64 {
	o := ((b*x.h+h)*x.s + s) * x.d
	return x.v[o : o+x.d]
}

// toHeads converts a 4-D [b, h, s, d] or 3-D [b, s, h*d] tensor to heads4.
func toHeads(name string, t *tensor.Tensor, heads int) (*heads4, error) {
	sh := t.Shape()
	v := t.Float64s()
	switch len(sh) {
	case 4:
		return &heads4{sh[0], sh[1], sh[2], sh[3], v}, nil
	case 3:
		if heads <= 0 {
			return nil, fmt.Errorf("Attention: 3-D inputs need the q_num_heads and kv_num_heads attributes")
		}
		if sh[2]%heads != 0 {
			return nil, fmt.Errorf("Attention: %s hidden size %d is not a multiple of %d heads", name, sh[2], heads)
		}
		d := sh[2] / heads
		out := &heads4{sh[0], heads, sh[1], d, make([]float64, len(v))}
		for b := 0; b < sh[0]; b++ {
			for s := 0; s < sh[1]; s++ {
				for h := 0; h < heads; h++ {
					copy(out.at(b, h, s), v[(b*sh[1]+s)*sh[2]+h*d:][:d])
				}
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("Attention: %s must be 3-D or 4-D, got shape %v", name, sh)
}

func (a *attention) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	q, k, v := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	for i, t := range []*tensor.Tensor{q, k, v} {
		if err := checkFloat("Attention", []string{"Q", "K", "V"}[i], t); err != nil {
			return nil, err
		}
	}
	if q.Rank() != k.Rank() || q.Rank() != v.Rank() {
		return nil, fmt.Errorf("Attention: Q, K and V must have the same rank, got %v, %v, %v", q.Shape(), k.Shape(), v.Shape())
	}
	rank3 := q.Rank() == 3
	Q, err := toHeads("Q", q, a.qHeads)
	if err != nil {
		return nil, err
	}
	K, err := toHeads("K", k, a.kvHeads)
	if err != nil {
		return nil, err
	}
	V, err := toHeads("V", v, a.kvHeads)
	if err != nil {
		return nil, err
	}
	if K.b != Q.b || V.b != Q.b || K.h != V.h || K.s != V.s || K.d != Q.d {
		return nil, fmt.Errorf("Attention: inconsistent shapes Q %v, K %v, V %v", q.Shape(), k.Shape(), v.Shape())
	}
	if K.h == 0 || Q.h%K.h != 0 {
		return nil, fmt.Errorf("Attention: q heads (%d) must be a multiple of kv heads (%d)", Q.h, K.h)
	}
	pk, pv := ops.Input(in, 4), ops.Input(in, 5)
	if (pk == nil) != (pv == nil) {
		return nil, fmt.Errorf("Attention: past_key and past_value must be given together")
	}
	past := 0
	if pk != nil {
		ps, vs := pk.Shape(), pv.Shape()
		if len(ps) != 4 || len(vs) != 4 || ps[0] != Q.b || ps[1] != K.h || ps[3] != K.d ||
			vs[0] != Q.b || vs[1] != K.h || vs[2] != ps[2] || vs[3] != V.d {
			return nil, fmt.Errorf("Attention: past_key %v / past_value %v must be [batch=%d, kv_heads=%d, past, head_size]", ps, vs, Q.b, K.h)
		}
		past = ps[2]
		K = concatSeq(&heads4{ps[0], ps[1], ps[2], ps[3], pk.Float64s()}, K)
		V = concatSeq(&heads4{vs[0], vs[1], vs[2], vs[3], pv.Float64s()}, V)
	}
	B, Hq, Sq, D, T, Dv := Q.b, Q.h, Q.s, Q.d, K.s, V.d
	if _, err := allocLen([]int{B, Hq, Sq, T}); err != nil {
		return nil, err
	}
	// Additive bias, broadcast to [B, Hq, Sq, T]; nil when there is none.
	bias, bst, err := a.bias(ops.Input(in, 3), B, Hq, Sq, T)
	if err != nil {
		return nil, err
	}
	scale := a.scale
	if !a.hasScale {
		scale = 1 / math.Sqrt(float64(D))
	}
	rs := math.Sqrt(scale)
	rs2 := rs * rs
	y := make([]float64, B*Hq*Sq*Dv)
	var qk []float64
	if a.wantQK {
		qk = make([]float64, B*Hq*Sq*T)
	}
	rep := Hq / K.h
	scores := make([]float64, T)
	biasRow := make([]float64, T)
	for b := 0; b < B; b++ {
		for h := 0; h < Hq; h++ {
			kh := h / rep
			for i := 0; i < Sq; i++ {
				qi := Q.at(b, h, i)
				allMasked := true
				for j := 0; j < T; j++ {
					kj := K.at(b, kh, j)
					var s float64
					for d, qv := range qi {
						s += qv * kj[d]
					}
					s *= rs2
					if a.qkMode == 0 && qk != nil {
						qk[((b*Hq+h)*Sq+i)*T+j] = s
					}
					if a.softcap > 0 {
						s = a.softcap * math.Tanh(s/a.softcap)
					}
					if a.qkMode == 1 && qk != nil {
						qk[((b*Hq+h)*Sq+i)*T+j] = s
					}
					bv := 0.0
					if bias != nil {
						bv = bias[b*bst[0]+h*bst[1]+i*bst[2]+j*bst[3]]
					}
					if a.causal && j > i+past {
						bv = math.Inf(-1)
					}
					biasRow[j] = bv
					if !math.IsInf(bv, -1) {
						allMasked = false
					}
					scores[j] = s + bv
					if a.qkMode == 2 && qk != nil {
						qk[((b*Hq+h)*Sq+i)*T+j] = scores[j]
					}
				}
				if allMasked || T == 0 {
					for j := range scores {
						scores[j] = 0
					}
				} else {
					m := math.Inf(-1)
					for _, s := range scores {
						m = max(m, s)
					}
					var sum float64
					for j, s := range scores {
						e := 0.0
						if !math.IsInf(s, -1) {
							e = math.Exp(s - m)
						}
						scores[j] = e
						sum += e
					}
					for j := range scores {
						scores[j] /= sum
					}
				}
				if a.qkMode == 3 && qk != nil {
					copy(qk[((b*Hq+h)*Sq+i)*T:][:T], scores)
				}
				yo := y[((b*Hq+h)*Sq+i)*Dv:][:Dv]
				for j, p := range scores {
					if p == 0 {
						continue
					}
					vj := V.at(b, kh, j)
					for d := range yo {
						yo[d] += p * vj[d]
					}
				}
			}
		}
	}
	dt := q.DType()
	var yt *tensor.Tensor
	if rank3 {
		// Back to [B, Sq, Hq*Dv].
		y3 := make([]float64, len(y))
		for b := 0; b < B; b++ {
			for h := 0; h < Hq; h++ {
				for i := 0; i < Sq; i++ {
					copy(y3[(b*Sq+i)*Hq*Dv+h*Dv:][:Dv], y[((b*Hq+h)*Sq+i)*Dv:][:Dv])
				}
			}
		}
		yt, err = fromFloat64s(dt, []int{B, Sq, Hq * Dv}, y3)
	} else {
		yt, err = fromFloat64s(dt, []int{B, Hq, Sq, Dv}, y)
	}
	if err != nil {
		return nil, err
	}
	outs := []*tensor.Tensor{yt, nil, nil, nil}
	if a.wantPresent {
		if outs[1], err = fromFloat64s(k.DType(), []int{B, K.h, T, D}, K.v); err != nil {
			return nil, err
		}
		if outs[2], err = fromFloat64s(v.DType(), []int{B, V.h, T, Dv}, V.v); err != nil {
			return nil, err
		}
	}
	if qk != nil {
		if outs[3], err = fromFloat64s(dt, []int{B, Hq, Sq, T}, qk); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// concatSeq joins two [b, h, s, d] blocks along s.
func concatSeq(p, x *heads4) *heads4 {
	out := &heads4{x.b, x.h, p.s + x.s, x.d, make([]float64, x.b*x.h*(p.s+x.s)*x.d)}
	for b := 0; b < x.b; b++ {
		for h := 0; h < x.h; h++ {
			dst := out.v[((b*x.h+h)*out.s)*x.d:]
			n := copy(dst, p.v[((b*p.h+h)*p.s)*p.d:][:p.s*p.d])
			copy(dst[n:], x.v[((b*x.h+h)*x.s)*x.d:][:x.s*x.d])
		}
	}
	return out
}

// bias converts attn_mask into an additive float64 bias with strides for
// [B, Hq, Sq, T] (0 on broadcast dims). A boolean mask gives 0 (attend) or
// -inf; a mask shorter than T in its last dim is padded with -inf.
func (a *attention) bias(m *tensor.Tensor, B, H, S, T int) ([]float64, []int, error) {
	if m == nil {
		return nil, nil, nil
	}
	ms := m.Shape()
	if len(ms) == 0 || len(ms) > 4 {
		return nil, nil, fmt.Errorf("Attention: attn_mask must have rank 1..4, got shape %v", ms)
	}
	if m.DType() != tensor.Bool && !isFloatType(m.DType()) {
		return nil, nil, fmt.Errorf("Attention: attn_mask must be bool or float, got %v", m.DType())
	}
	last := ms[len(ms)-1]
	if last > T {
		return nil, nil, fmt.Errorf("Attention: attn_mask last dim %d exceeds the total sequence length %d", last, T)
	}
	shape4 := []int{1, 1, 1, 1}
	copy(shape4[4-len(ms):], ms)
	shape4[3] = T
	target := []int{B, H, S, T}
	for i := 0; i < 3; i++ {
		if shape4[i] != 1 && shape4[i] != target[i] {
			return nil, nil, fmt.Errorf("Attention: attn_mask shape %v does not broadcast to %v", ms, target)
		}
	}
	rows := len(m.Float64s()) / max(last, 1)
	src := m.Float64s()
	isBool := m.DType() == tensor.Bool
	out := make([]float64, rows*T)
	for r := 0; r < rows; r++ {
		for j := 0; j < T; j++ {
			v := math.Inf(-1)
			if j < last {
				v = src[r*last+j]
				if isBool {
					if v != 0 {
						v = 0
					} else {
						v = math.Inf(-1)
					}
				}
			}
			out[r*T+j] = v
		}
	}
	return out, ops.BroadcastStrides(shape4, target), nil
}
