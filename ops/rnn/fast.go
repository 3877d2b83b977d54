package rnn

import (
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// The float32 path (float16/bfloat16 widen to it). Per direction:
//
//   - the input projection of every step, X·Wᵀ plus the biases that do not
//     depend on the state, is one GEMM with W pre-packed and the bias in
//     its epilogue;
//   - each step multiplies the batch's states by R, pre-packed (at load
//     time when W, R and B are constants), on the small-M GEMM path;
//   - gate activations run over whole gate vectors with ops/vector's SIMD
//     kernels;
//   - no allocation per step; bidirectional nodes run their two directions
//     concurrently when the run has two threads or more.

// dirWeights is one direction's float32 operands in GEMM form.
type dirWeights struct {
	w     *linalg.PackedB // k = input, n = G·H: X·Wᵀ
	r     *linalg.PackedB // k = H, n = G·H (plain GRU: 2·H, the z and r rows)
	rh    *linalg.PackedB // plain GRU: k = H, n = H, the h rows of R
	biasX []float32       // G·H: Wb + Rb (GRU with linear_before_reset: Wb only for h), nil: none
	// rEpi adds Rbh to the h block of the recurrent product (GRU with
	// linear_before_reset and a bias), nil: none.
	rEpi []linalg.Epilogue
}

// prepared holds the weights packed at load time; read-only afterwards.
type prepared struct {
	input, hidden int
	wShape        []int
	rShape        []int
	bShape        []int // nil: B absent
	dirs          []dirWeights
}

// prepare packs constant float32 W, R (and B, constant or absent) at load
// time. It returns nil when they are not constant or their shapes do not
// fit (the run-time checks then report the problem).
func (c *config) prepare(n *ops.Node) *prepared {
	w, r := n.Const(1), n.Const(2)
	if w == nil || r == nil || w.DType() != tensor.Float32 || r.DType() != tensor.Float32 {
		return nil
	}
	var b *tensor.Tensor
	if n.HasInput(3) {
		if b = n.Const(3); b == nil || b.DType() != tensor.Float32 {
			return nil
		}
	}
	if w.Rank() != 3 || r.Rank() != 3 {
		return nil
	}
	G, D := c.kind.gates(), c.dirs
	H := c.hidden
	if H == 0 {
		H = r.Shape()[2]
	}
	in := w.Shape()[2]
	if H <= 0 || !ops.ShapeEqual(r.Shape(), []int{D, G * H, H}) || !ops.ShapeEqual(w.Shape(), []int{D, G * H, in}) {
		return nil
	}
	if b != nil && !ops.ShapeEqual(b.Shape(), []int{D, 2 * G * H}) {
		return nil
	}
	p := &prepared{input: in, hidden: H, wShape: w.Shape(), rShape: r.Shape()}
	var bd []float32
	if b != nil {
		p.bShape = b.Shape()
		bd = tensor.Data[float32](b)
	}
	for d := 0; d < D; d++ {
		p.dirs = append(p.dirs, c.packDir(d, in, H, tensor.Data[float32](w), tensor.Data[float32](r), bd))
	}
	return p
}

// matches reports whether the run's W, R and B are the ones prepared.
func (p *prepared) matches(in []*tensor.Tensor) bool {
	if p == nil || in[1].DType() != tensor.Float32 || in[2].DType() != tensor.Float32 ||
		!ops.ShapeEqual(in[1].Shape(), p.wShape) || !ops.ShapeEqual(in[2].Shape(), p.rShape) {
		return false
	}
	b := ops.Input(in, 3)
	if b == nil {
		return p.bShape == nil
	}
	return b.DType() == tensor.Float32 && ops.ShapeEqual(b.Shape(), p.bShape)
}

// packDir builds direction d's operands from W, R and B (b may be nil).
func (c *config) packDir(d, in, H int, w, r, b []float32) dirWeights {
	G := c.kind.gates()
	GH := G * H
	wd := w[d*GH*in : (d+1)*GH*in]
	rd := r[d*GH*H : (d+1)*GH*H]
	var dw dirWeights
	dw.w = linalg.NewPackedB(true, in, GH, wd, in)
	if c.kind == cellGRU && !c.lbr {
		dw.r = linalg.NewPackedB(true, H, 2*H, rd[:2*H*H], H)
		dw.rh = linalg.NewPackedB(true, H, H, rd[2*H*H:], H)
	} else {
		dw.r = linalg.NewPackedB(true, H, GH, rd, H)
	}
	if b != nil {
		wb := b[d*2*GH : d*2*GH+GH]
		rb := b[d*2*GH+GH : (d+1)*2*GH]
		lbr := c.kind == cellGRU && c.lbr
		dw.biasX = make([]float32, GH)
		for g := range dw.biasX {
			dw.biasX[g] = wb[g]
			if !(lbr && g >= 2*H) {
				dw.biasX[g] += rb[g]
			}
		}
		if lbr {
			rbias := make([]float32, GH)
			copy(rbias[2*H:], rb[2*H:3*H])
			dw.rEpi = []linalg.Epilogue{{Bias: rbias}}
		}
	}
	return dw
}

// runF32 computes the node for float32 inputs (already checked). Its
// outputs are made by out.NewFloat32: out is rc (the engine's buffers), or
// nil for plain memory (outputs converted to another type afterwards).
func (c *config) runF32(rc, out *ops.RunContext, d dims, in []*tensor.Tensor, seqLens []int) ([]*tensor.Tensor, error) {
	data := func(i int) []float32 {
		if t := ops.Input(in, i); t != nil {
			return tensor.Data[float32](t)
		}
		return nil
	}
	H, D := d.hidden, c.dirs
	var t rnnTasks
	p := &t.p
	*p = problem[float32]{
		cfg: c, d: d,
		x: data(0), w: data(1), r: data(2), b: data(3),
		h0: data(5), seqLens: seqLens,
	}
	if c.kind == cellLSTM {
		p.c0, p.peep = data(6), data(7)
	}
	stateShape := [3]int{D, d.batch, H}
	yShape := [4]int{d.seq, D, d.batch, H}
	if c.layout == 1 {
		stateShape = [3]int{d.batch, D, H}
		yShape = [4]int{d.batch, d.seq, D, H}
	}
	// With sequence_lens some elements are never written and stay zero.
	zero := seqLens != nil
	var y, yh, yc *tensor.Tensor
	var err error
	if c.want[0] {
		if y, err = out.NewFloat32(yShape[:], zero); err != nil {
			return nil, err
		}
		p.y = tensor.Data[float32](y)
	}
	if yh, err = out.NewFloat32(stateShape[:], zero); err != nil {
		return nil, err
	}
	p.yh = tensor.Data[float32](yh)
	if c.kind == cellLSTM {
		if yc, err = out.NewFloat32(stateShape[:], zero); err != nil {
			return nil, err
		}
		p.yc = tensor.Data[float32](yc)
	}
	if c.pre.matches(in) {
		t.dws = c.pre.dirs
	} else {
		for dir := 0; dir < D; dir++ {
			t.dws = append(t.dws, c.packDir(dir, d.input, H, p.w, p.r, p.b))
		}
	}
	// The input projections, then the recurrences: the directions, and
	// chunks of the batch (its items are independent), run concurrently up
	// to the thread budget. With one task per direction, each task projects
	// its own direction first (no hand-off between the two phases);
	// otherwise the projections use all threads inside the GEMM.
	threads := rc.ThreadCount()
	GH := c.kind.gates() * H
	rows := d.seq * d.batch
	xwBuf := getScratch(D * rows * GH)
	defer putScratch(xwBuf)
	for dir := 0; dir < D; dir++ {
		t.xws[dir] = (*xwBuf)[dir*rows*GH : (dir+1)*rows*GH]
	}
	t.chunks = 1
	if threads > D && d.batch > 1 {
		t.chunks = min(threads/D, d.batch)
	}
	tasks := D * t.chunks
	parallel := tasks > 1 && threads > 1
	t.ownProjection = parallel && t.chunks == 1
	t.projThreads = max(1, threads/D)
	if !t.ownProjection {
		for dir := 0; dir < D; dir++ {
			p.project(&t.dws[dir], t.xws[dir], threads)
		}
	}
	if !parallel {
		t.run(0, tasks) // t stays on the stack
	} else {
		shared := new(rnnTasks) // the workers' copy
		*shared = t
		linalg.ParallelN(min(threads, tasks), tasks, 1, shared.run)
	}
	outs := [3]*tensor.Tensor{y, yh, yc}
	for i := range c.nOut {
		if !c.want[i] {
			outs[i] = nil
		}
	}
	return rc.TensorResults(outs[:c.nOut]...), nil
}

// rnnTasks is runF32's recurrences: task i runs direction i/chunks on
// chunk i%chunks of the batch.
type rnnTasks struct {
	p             problem[float32]
	dws           []dirWeights
	xws           [2][]float32 // each direction's input projection
	chunks        int
	ownProjection bool // each task projects its direction first
	projThreads   int  // threads of that projection
}

// run runs tasks [lo, hi).
func (t *rnnTasks) run(lo, hi int) {
	d := t.p.d
	for i := lo; i < hi; i++ {
		dir, ch := i/t.chunks, i%t.chunks
		if t.ownProjection {
			t.p.project(&t.dws[dir], t.xws[dir], t.projThreads)
		}
		b0, b1 := ch*d.batch/t.chunks, (ch+1)*d.batch/t.chunks
		t.p.recurF32(dir, &t.dws[dir], t.xws[dir], b0, b1)
	}
}

// applyAct applies a in place to x.
func applyAct(a activation, x []float32) {
	switch a.kind {
	case actSigmoid:
		vector.Sigmoid(x, x)
	case actTanh:
		vector.Tanh(x, x)
	case actRelu:
		vector.Relu(x, x)
	default:
		for i, v := range x {
			x[i] = float32(a.apply(float64(v)))
		}
	}
}

// clipF32 clamps x to [-clip, clip] in place when clip is set.
func (p *problem[T]) clipF32(x []float32) {
	if c := float32(p.cfg.clip); c > 0 {
		vector.Clip(x, x, -c, c)
	}
}

// project computes xw = X·Wᵀ + biasX for every (step, item) row of X, in
// X's row order, on up to threads workers.
func (p *problem[T]) project(dw *dirWeights, xw []float32, threads int) {
	rows := p.d.seq * p.d.batch
	if rows == 0 {
		return
	}
	var epi []linalg.Epilogue
	if dw.biasX != nil {
		epi = []linalg.Epilogue{{Bias: dw.biasX}}
	}
	linalg.SgemmPacked(threads, false, rows, 1, any(p.x).([]float32), p.d.input, dw.w, 0, xw, dw.w.N(), epi...)
}

// recurF32 runs direction dir's recurrence for batch items [b0, b1) on the
// caller's goroutine, from the input projection xw, and fills their parts
// of Y, Y_h and Y_c.
func (p *problem[T]) recurF32(dir int, dw *dirWeights, xw []float32, b0, b1 int) {
	cfg, d := p.cfg, p.d
	H, batch := d.hidden, b1-b0
	GH := cfg.kind.gates() * H
	y := any(p.y).([]float32)
	yh := any(p.yh).([]float32)
	yc := any(p.yc).([]float32)
	h0 := any(p.h0).([]float32)
	c0 := any(p.c0).([]float32)
	peep := any(p.peep).([]float32)
	gruPlain := cfg.kind == cellGRU && !cfg.lbr
	lstm := cfg.kind == cellLSTM

	// One scratch buffer: recurrent product, state and the per-kind
	// temporaries. Local item i is item b0+i of the batch.
	size := batch*GH + batch*H + H
	if lstm {
		size += batch * H
	}
	if gruPlain {
		size += 3 * batch * H
	}
	sb := getScratch(size)
	defer putScratch(sb)
	buf := *sb
	take := func(n int) []float32 {
		s := buf[:n:n]
		buf = buf[n:]
		return s
	}
	hr := take(batch * GH)
	hPrev := take(batch * H)
	tmp := take(H)
	var cPrev, zbuf, rh, hrh []float32
	if lstm {
		cPrev = take(batch * H)
	}
	if gruPlain {
		zbuf, rh, hrh = take(batch*H), take(batch*H), take(batch*H)
	}
	clear(hPrev)
	clear(cPrev)

	for b := 0; b < batch; b++ {
		off := p.stateOff(dir, b0+b)
		if h0 != nil {
			copy(hPrev[b*H:(b+1)*H], h0[off:off+H])
		}
		if cPrev != nil && c0 != nil {
			copy(cPrev[b*H:(b+1)*H], c0[off:off+H])
		}
	}
	maxLen := 0
	for b := 0; b < batch; b++ {
		maxLen = max(maxLen, p.length(b0+b))
	}
	reverse := cfg.dir == dirReverse || dir == 1
	acts := cfg.acts[dir]
	var pi, po, pf []float32
	if lstm && peep != nil {
		pp := peep[dir*3*H : (dir+1)*3*H]
		pi, po, pf = pp[:H], pp[H:2*H], pp[2*H:]
	}

	// For RNN and LSTM, when every item reads the same step t of xw, the
	// recurrent product is accumulated straight into those xw rows
	// (beta = 1): they are read once, by this step. A GRU keeps the
	// product apart (its h block is not a plain sum).
	fused := cfg.kind != cellGRU
	if fused && reverse {
		for b := b0; b < b1; b++ {
			fused = fused && p.length(b) == p.length(b0)
		}
	}
	lstmPlain := lstm && pi == nil && !cfg.inputForget && cfg.clip == 0 && acts[0].kind == actSigmoid
	ldr := dw.r.N()
	for s := 0; s < maxLen; s++ {
		if fused {
			t := s
			if reverse {
				t = p.length(b0) - 1 - s
			}
			off := p.xRow(t, b0) * GH
			ldc := GH
			if batch > 1 {
				ldc = p.xRow(t, b0+1)*GH - off
			}
			linalg.SgemmPacked(1, false, batch, 1, hPrev, H, dw.r, 1, xw[off:], ldc)
		} else {
			// hr = H_{t-1}·Rᵀ for the whole batch (finished items are
			// computed and ignored).
			linalg.SgemmPacked(1, false, batch, 1, hPrev, H, dw.r, 0, hr, ldr, dw.rEpi...)
		}
		for b := 0; b < batch; b++ {
			n := p.length(b0 + b)
			if s >= n {
				continue
			}
			t := s
			if reverse {
				t = n - 1 - s
			}
			xr := xw[p.xRow(t, b0+b)*GH : (p.xRow(t, b0+b)+1)*GH]
			g := xr
			if !fused {
				g = hr[b*ldr : (b+1)*ldr]
				if cfg.kind != cellGRU {
					vector.Add(g, g, xr)
				}
			}
			h := hPrev[b*H : (b+1)*H]
			switch cfg.kind {
			case cellRNN:
				copy(h, g) // g = xr + hr
				p.clipF32(h)
				applyAct(acts[0], h)
			case cellLSTM:
				// g = xr + hr, gate blocks i, o, f, c.
				f, gc, hf := acts[0], acts[1], acts[2]
				c := cPrev[b*H : (b+1)*H]
				gi, gout, gf, gg := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:]
				if lstmPlain {
					vector.Sigmoid(g[:3*H], g[:3*H]) // i, o, f at once
				} else {
					if pi != nil {
						for j, cp := range c {
							gi[j] += pi[j] * cp
							gf[j] += pf[j] * cp
						}
					}
					p.clipF32(gi)
					applyAct(f, gi)
					if cfg.inputForget {
						vector.ScalarSub(gf, gi, 1)
					} else {
						p.clipF32(gf)
						applyAct(f, gf)
					}
				}
				p.clipF32(gg)
				applyAct(gc, gg)
				gg = gg[:len(c)]
				gi = gi[:len(c)]
				gf = gf[:len(c)]
				for j, cp := range c {
					c[j] = gf[j]*cp + gi[j]*gg[j]
				}
				if po != nil {
					for j, cn := range c {
						gout[j] += po[j] * cn
					}
				}
				if !lstmPlain {
					p.clipF32(gout)
					applyAct(f, gout)
				}
				copy(tmp, c)
				applyAct(hf, tmp)
				vector.Mul(h, gout, tmp)
			case cellGRU:
				zr := g[:2*H]
				vector.Add(zr, zr, xr[:2*H])
				p.clipF32(zr)
				applyAct(acts[0], zr)
				z, r := zr[:H], zr[H:2*H]
				if gruPlain {
					// The candidate needs (r ⊙ H)·Rhᵀ, computed for the
					// batch below.
					copy(zbuf[b*H:(b+1)*H], z)
					vector.Mul(rh[b*H:(b+1)*H], r, h)
					continue
				}
				lin := g[2*H : 3*H] // Rh·h + Rbh
				vector.Mul(lin, lin, r)
				vector.Add(lin, lin, xr[2*H:])
				p.clipF32(lin)
				applyAct(acts[1], lin)
				blend(h, lin, z)
			}
			if y != nil {
				off := p.yOff(t, dir, b0+b)
				copy(y[off:off+H], h)
			}
		}
		if gruPlain {
			linalg.SgemmPacked(1, false, batch, 1, rh, H, dw.rh, 0, hrh, H)
			for b := 0; b < batch; b++ {
				n := p.length(b0 + b)
				if s >= n {
					continue
				}
				t := s
				if reverse {
					t = n - 1 - s
				}
				xr := xw[p.xRow(t, b0+b)*GH : (p.xRow(t, b0+b)+1)*GH]
				h := hPrev[b*H : (b+1)*H]
				hh := hrh[b*H : (b+1)*H]
				vector.Add(hh, hh, xr[2*H:])
				p.clipF32(hh)
				applyAct(acts[1], hh)
				blend(h, hh, zbuf[b*H:(b+1)*H])
				if y != nil {
					off := p.yOff(t, dir, b0+b)
					copy(y[off:off+H], h)
				}
			}
		}
	}

	for b := 0; b < batch; b++ {
		if p.length(b0+b) == 0 {
			continue // Y_h / Y_c stay zero
		}
		off := p.stateOff(dir, b0+b)
		copy(yh[off:off+H], hPrev[b*H:(b+1)*H])
		if yc != nil {
			copy(yc[off:off+H], cPrev[b*H:(b+1)*H])
		}
	}
}

// blend sets h = (1-z)·ht + z·h, the GRU state update.
func blend(h, ht, z []float32) {
	ht = ht[:len(h)]
	z = z[:len(h)]
	for j, hv := range h {
		h[j] = ht[j] + z[j]*(hv-ht[j])
	}
}

// Scratch buffers are recycled between runs (their contents are
// unspecified: every user initialises what it reads).
var scratchPool sync.Pool

func getScratch(n int) *[]float32 {
	if v, ok := scratchPool.Get().(*[]float32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	b := make([]float32, n)
	return &b
}

func putScratch(b *[]float32) { scratchPool.Put(b) }
