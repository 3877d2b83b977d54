package rnn

import "github.com/gonyx/gonyx/ops"

// problem holds one run's inputs (read-only views of the input tensors) and
// output buffers. It lives for one kernel call only.
type problem[T ops.Float] struct {
	cfg     *config
	d       dims
	x, w, r []T
	b       []T // nil: zero bias
	h0, c0  []T // nil: zero initial state
	peep    []T // LSTM peepholes, nil: none
	seqLens []int

	y, yh, yc []T // outputs (y nil when not requested)
}

// xRow is the row of X (and of the input projection) for step t, item b.
func (p *problem[T]) xRow(t, b int) int {
	if p.cfg.layout == 0 {
		return t*p.d.batch + b
	}
	return b*p.d.seq + t
}

// stateOff is the offset of (direction, item) in initial_h / Y_h.
func (p *problem[T]) stateOff(dir, b int) int {
	if p.cfg.layout == 0 {
		return (dir*p.d.batch + b) * p.d.hidden
	}
	return (b*p.cfg.dirs + dir) * p.d.hidden
}

// yOff is the offset of (step, direction, item) in Y.
func (p *problem[T]) yOff(t, dir, b int) int {
	D := p.cfg.dirs
	if p.cfg.layout == 0 {
		return ((t*D+dir)*p.d.batch + b) * p.d.hidden
	}
	return ((b*p.d.seq+t)*D + dir) * p.d.hidden
}

func (p *problem[T]) length(b int) int {
	if p.seqLens == nil {
		return p.d.seq
	}
	return p.seqLens[b]
}

func (p *problem[T]) clip(v T) T {
	c := T(p.cfg.clip)
	if c > 0 {
		if v > c {
			return c
		}
		if v < -c {
			return -c
		}
	}
	return v
}

func act[T ops.Float](a activation, v T) T { return T(a.apply(float64(v))) }

// direction runs one direction (0 forward or the only one, 1 the backward
// half of a bidirectional node) and fills its part of Y, Y_h and Y_c.
func (p *problem[T]) direction(dir int) {
	cfg, d := p.cfg, p.d
	H, G, in, batch := d.hidden, cfg.kind.gates(), d.input, d.batch
	GH := G * H
	wd := p.w[dir*GH*in : (dir+1)*GH*in]
	rd := p.r[dir*GH*H : (dir+1)*GH*H]
	var wb, rb []T
	if p.b != nil {
		wb = p.b[dir*2*GH : dir*2*GH+GH]
		rb = p.b[dir*2*GH+GH : (dir+1)*2*GH]
	}
	gruLBR := cfg.kind == cellGRU && cfg.lbr
	gruPlain := cfg.kind == cellGRU && !cfg.lbr

	// Input projection for every step: xw = X·Wᵀ + Wb + Rb (for a GRU with
	// linear_before_reset, Rbh stays out: it is added inside rt ⊙ (...)).
	rows := d.seq * batch
	xw := make([]T, rows*GH)
	gemmNT(rows, GH, in, p.x, in, wd, in, xw, GH)
	if wb != nil {
		bias := make([]T, GH)
		for g := range bias {
			bias[g] = wb[g]
			if !(gruLBR && g >= 2*H) {
				bias[g] += rb[g]
			}
		}
		for i := 0; i < rows; i++ {
			row := xw[i*GH : (i+1)*GH]
			for g, v := range bias {
				row[g] += v
			}
		}
	}

	// State, initialised from initial_h / initial_c.
	hPrev := make([]T, batch*H)
	var cPrev []T
	if cfg.kind == cellLSTM {
		cPrev = make([]T, batch*H)
	}
	for b := 0; b < batch; b++ {
		off := p.stateOff(dir, b)
		if p.h0 != nil {
			copy(hPrev[b*H:(b+1)*H], p.h0[off:off+H])
		}
		if cPrev != nil && p.c0 != nil {
			copy(cPrev[b*H:(b+1)*H], p.c0[off:off+H])
		}
	}

	maxLen := 0
	for b := 0; b < batch; b++ {
		maxLen = max(maxLen, p.length(b))
	}
	reverse := cfg.dir == dirReverse || dir == 1
	acts := cfg.acts[dir]
	hr := make([]T, batch*GH)
	var zbuf, rh, hrh []T
	if gruPlain {
		zbuf = make([]T, batch*H)
		rh = make([]T, batch*H)
		hrh = make([]T, batch*H)
	}
	var rbh []T
	if gruLBR && rb != nil {
		rbh = rb[2*H : 3*H]
	}
	var pi, po, pf []T
	if cfg.kind == cellLSTM && p.peep != nil {
		pp := p.peep[dir*3*H : (dir+1)*3*H]
		pi, po, pf = pp[:H], pp[H:2*H], pp[2*H:]
	}

	// Recurrent weights: a plain GRU multiplies by its Rh rows separately,
	// after the reset gate is known.
	var rAll, rh2 *weights[T]
	if gruPlain {
		rAll = newWeights(rd[:2*H*H], 2*H, H, batch)
		rh2 = newWeights(rd[2*H*H:], H, H, batch)
	} else {
		rAll = newWeights(rd, GH, H, batch)
	}

	for s := 0; s < maxLen; s++ {
		// Recurrent product hr = H_{t-1}·Rᵀ for the whole batch (items
		// already finished are computed and ignored).
		rAll.mul(batch, hPrev, H, hr, GH)
		for b := 0; b < batch; b++ {
			n := p.length(b)
			if s >= n {
				continue
			}
			t := s
			if reverse {
				t = n - 1 - s
			}
			xr := xw[p.xRow(t, b)*GH : (p.xRow(t, b)+1)*GH]
			hrr := hr[b*GH : (b+1)*GH]
			h := hPrev[b*H : (b+1)*H]
			switch cfg.kind {
			case cellRNN:
				f := acts[0]
				for j := range h {
					h[j] = act(f, p.clip(xr[j]+hrr[j]))
				}
			case cellLSTM:
				f, g, hf := acts[0], acts[1], acts[2]
				c := cPrev[b*H : (b+1)*H]
				for j := range h {
					gi := xr[j] + hrr[j]
					gout := xr[H+j] + hrr[H+j]
					gf := xr[2*H+j] + hrr[2*H+j]
					gc := xr[3*H+j] + hrr[3*H+j]
					cp := c[j]
					if pi != nil {
						gi += pi[j] * cp
						gf += pf[j] * cp
					}
					it := act(f, p.clip(gi))
					var ft T
					if cfg.inputForget {
						ft = 1 - it
					} else {
						ft = act(f, p.clip(gf))
					}
					ct := act(g, p.clip(gc))
					cn := ft*cp + it*ct
					if po != nil {
						gout += po[j] * cn
					}
					ot := act(f, p.clip(gout))
					c[j] = cn
					h[j] = ot * act(hf, cn)
				}
			case cellGRU:
				f, g := acts[0], acts[1]
				if gruPlain {
					// Phase 1: z and r; the candidate needs (r ⊙ H)·Rhᵀ,
					// computed for the batch below.
					z := zbuf[b*H : (b+1)*H]
					rhb := rh[b*H : (b+1)*H]
					for j := range h {
						z[j] = act(f, p.clip(xr[j]+hrr[j]))
						rt := act(f, p.clip(xr[H+j]+hrr[H+j]))
						rhb[j] = rt * h[j]
					}
					continue
				}
				for j := range h {
					zt := act(f, p.clip(xr[j]+hrr[j]))
					rt := act(f, p.clip(xr[H+j]+hrr[H+j]))
					lin := hrr[2*H+j]
					if rbh != nil {
						lin += rbh[j]
					}
					ht := act(g, p.clip(xr[2*H+j]+rt*lin))
					h[j] = (1-zt)*ht + zt*h[j]
				}
			}
			if p.y != nil {
				off := p.yOff(t, dir, b)
				copy(p.y[off:off+H], h)
			}
		}
		if gruPlain {
			rh2.mul(batch, rh, H, hrh, H)
			g := acts[1]
			for b := 0; b < batch; b++ {
				n := p.length(b)
				if s >= n {
					continue
				}
				t := s
				if reverse {
					t = n - 1 - s
				}
				xr := xw[p.xRow(t, b)*GH : (p.xRow(t, b)+1)*GH]
				h := hPrev[b*H : (b+1)*H]
				z := zbuf[b*H : (b+1)*H]
				hh := hrh[b*H : (b+1)*H]
				for j := range h {
					ht := act(g, p.clip(xr[2*H+j]+hh[j]))
					h[j] = (1-z[j])*ht + z[j]*h[j]
				}
				if p.y != nil {
					off := p.yOff(t, dir, b)
					copy(p.y[off:off+H], h)
				}
			}
		}
	}

	for b := 0; b < batch; b++ {
		if p.length(b) == 0 {
			continue // Y_h / Y_c stay zero
		}
		off := p.stateOff(dir, b)
		copy(p.yh[off:off+H], hPrev[b*H:(b+1)*H])
		if p.yc != nil {
			copy(p.yc[off:off+H], cPrev[b*H:(b+1)*H])
		}
	}
}
