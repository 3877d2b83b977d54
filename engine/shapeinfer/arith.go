package shapeinfer

// Symbolic integer arithmetic: exact when both sides are known, a few
// identities (x+0, x*1, x-x, x/x, x/1) otherwise, unknown else.

const bigV = int64(1) << 50

func addSd(a, b sd) sd {
	switch {
	case a.known && b.known:
		if a.v > bigV || b.v > bigV || a.v < -bigV || b.v < -bigV {
			return sd{}
		}
		return fixed(a.v + b.v)
	case a.is(0):
		return b
	case b.is(0):
		return a
	}
	return sd{}
}

func subSd(a, b sd) sd {
	switch {
	case a.known && b.known:
		if a.v > bigV || b.v > bigV || a.v < -bigV || b.v < -bigV {
			return sd{}
		}
		return fixed(a.v - b.v)
	case b.is(0):
		return a
	case !a.known && a.p != "" && a.p == b.p:
		return fixed(0)
	}
	return sd{}
}

func mulSd(a, b sd) sd {
	switch {
	case a.known && b.known:
		if a.v > bigV || b.v > bigV || a.v < -bigV || b.v < -bigV {
			return sd{}
		}
		return fixed(a.v * b.v)
	case a.is(1):
		return b
	case b.is(1):
		return a
	case a.is(0) || b.is(0):
		return fixed(0)
	}
	return sd{}
}

// divSd is integer division of non-negative values.
func divSd(a, b sd) sd {
	switch {
	case a.known && b.known:
		// Negative operands: kernels differ (truncate vs floor); unknown.
		if b.v <= 0 || a.v < 0 {
			return sd{}
		}
		return fixed(a.v / b.v)
	case b.is(1):
		return a
	case !a.known && a.p != "" && a.p == b.p:
		return fixed(1)
	}
	return sd{}
}

// prodSd is the product of dims: known, or a single symbol times 1, else
// unknown.
func prodSd(ds []sd) sd {
	r := fixed(1)
	for _, d := range ds {
		if d.is(0) {
			return fixed(0)
		}
	}
	for _, d := range ds {
		r = mulSd(r, d)
	}
	return r
}

// quotient computes prod(num)/prod(den) by cancelling symbols. ok=false
// means a proven non-integer quotient (all known and not divisible); an
// unprovable one is returned as unknown with ok=true.
func quotient(num, den []sd) (sd, bool) {
	syms := map[string]int{}
	nk := int64(1)
	for _, d := range num {
		switch {
		case d.known:
			if d.v == 0 {
				return sd{}, true
			}
			nk *= d.v
			if nk > bigV || nk < -bigV {
				return sd{}, true
			}
		case d.p != "":
			syms[d.p]++
		default:
			return sd{}, true
		}
	}
	dk := int64(1)
	for _, d := range den {
		switch {
		case d.known:
			if d.v == 0 {
				return sd{}, true
			}
			dk *= d.v
			if dk > bigV || dk < -bigV {
				return sd{}, true
			}
		case d.p != "":
			if syms[d.p] == 0 {
				return sd{}, true
			}
			syms[d.p]--
		default:
			return sd{}, true
		}
	}
	left := ""
	cnt := 0
	for p, k := range syms {
		cnt += k
		if k > 0 {
			left = p
		}
	}
	switch cnt {
	case 0:
		if nk%dk != 0 {
			return sd{}, false
		}
		return fixed(nk / dk), true
	case 1:
		if nk == dk {
			return sym(left), true
		}
	}
	return sd{}, true
}

// bdim broadcasts two dims (numpy rules); ok=false on two fixed sizes that
// differ and are not 1.
func bdim(a, b sd) (sd, bool) {
	switch {
	case a.known && b.known:
		if a.v == b.v || b.v == 1 {
			return a, true
		}
		if a.v == 1 {
			return b, true
		}
		return sd{}, false
	case a.is(1):
		return b, true
	case b.is(1):
		return a, true
	case a.known:
		return a, true
	case b.known:
		return b, true
	case a.p != "" && a.p == b.p:
		return a, true
	case a.p != "" && b.mn == a.p:
		// min(P,k) against P: either they are equal or the smaller one
		// is 1 (then P is 1 too); any other case fails at run time.
		return a, true
	case b.p != "" && a.mn == b.p:
		return b, true
	case a.mn != "" && a.same(b):
		return a, true
	}
	return sd{}, true
}

// bshape broadcasts shapes; bad is the index pair of the first mismatch.
func bshape(shapes ...[]sd) ([]sd, bool) {
	r := 0
	for _, s := range shapes {
		if len(s) > r {
			r = len(s)
		}
	}
	out := make([]sd, r)
	for i := range out {
		out[i] = fixed(1)
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			x, ok := bdim(out[off+i], d)
			if !ok {
				return nil, false
			}
			out[off+i] = x
		}
	}
	return out, true
}

// knownInts returns the shape as ints when fully known and small.
func knownInts(sh []sd) ([]int64, int64, bool) {
	out := make([]int64, len(sh))
	n := int64(1)
	for i, d := range sh {
		if !d.known || d.v < 0 {
			return nil, 0, false
		}
		out[i] = d.v
		n *= d.v
		if n > maxVals {
			return nil, 0, false
		}
	}
	return out, n, true
}

// bcastVals computes the tracked contents of an elementwise op's output from
// its inputs' contents, with broadcasting. nil when anything is missing.
func bcastVals(out []sd, ins []*val, f func(xs []sd) sd) []sd {
	oshape, total, ok := knownInts(out)
	if !ok {
		return nil
	}
	type src struct {
		vals    []sd
		strides []int64
	}
	srcs := make([]src, len(ins))
	for k, v := range ins {
		if v == nil || v.vals == nil || !v.ranked {
			return nil
		}
		sh, n, ok := knownInts(v.shape)
		if !ok || n != int64(len(v.vals)) || len(sh) > len(oshape) {
			return nil
		}
		st := make([]int64, len(oshape))
		acc := int64(1)
		off := len(oshape) - len(sh)
		for i := len(sh) - 1; i >= 0; i-- {
			if sh[i] != 1 {
				st[off+i] = acc
			}
			acc *= sh[i]
		}
		srcs[k] = src{v.vals, st}
	}
	res := make([]sd, total)
	idx := make([]int64, len(oshape))
	xs := make([]sd, len(ins))
	for flat := int64(0); flat < total; flat++ {
		for k, s := range srcs {
			p := int64(0)
			for i, x := range idx {
				p += x * s.strides[i]
			}
			xs[k] = s.vals[p]
		}
		res[flat] = f(xs)
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < oshape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return res
}
