package engine

import (
	"strconv"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Shape-chain memo. Exporters compute reshape targets at run time from the
// shapes of intermediate values (Shape → Gather → Unsqueeze → Concat →
// Reshape); with dynamic inputs these chains cannot be folded at load, yet
// for a given input shape they give the same values every run. The main plan
// marks "shape-static" steps — Shape and Size (probes), and deterministic
// nodes whose inputs are all constants or shape-static values — and the
// model caches their outputs per input-shape signature.
//
// Nothing is trusted blindly: on a cached run every probe still checks that
// the value it would measure has the shape recorded with the cache entry.
// If one differs (a model whose intermediate shapes depend on input values),
// the memo is abandoned for the rest of that run and the remaining
// shape-static steps run normally, so results are always those of a plain
// run.

// memoMax bounds the signatures remembered per model.
const memoMax = 16

// memoEntry is what one input-shape signature produced.
type memoEntry struct {
	vals   map[int]tensor.Value // shape-static slot → value
	probes map[int][]int        // probe step → shape of the value it measured
}

type memoCache struct {
	mu      sync.RWMutex
	entries map[string]*memoEntry
}

// memoRun is one run's use of the memo.
type memoRun struct {
	sig   string     // the run's input signature (a miss: the key it records)
	entry *memoEntry // the entry being used (hit) or filled (miss)
	use   bool       // skip shape-static steps (a hit whose probes agree so far)
	fill  bool       // record values into entry (a miss)
	ok    bool       // nothing seen makes the recorded entry unsafe to keep
}

// markStatic finds the plan's shape-static steps and slots.
func (p *plan) markStatic(constSlots map[int]bool) {
	static := map[int]bool{}
	p.static = make([]bool, len(p.steps))
	p.probe = make([]bool, len(p.steps))
	for i, st := range p.steps {
		n := st.node
		isProbe := (n.OpType == "Shape" || n.OpType == "Size") && (n.Domain == "" || n.Domain == ops.DomainONNX)
		if !isProbe {
			if nondeterministic[n.OpType] || len(n.Subgraphs()) > 0 {
				continue
			}
			anyStatic := false
			allKnown := true
			for _, s := range st.in {
				switch {
				case s < 0 || constSlots[s]:
				case static[s]:
					anyStatic = true
				default:
					allKnown = false
				}
			}
			if !allKnown || !anyStatic {
				continue
			}
		}
		p.static[i] = true
		p.probe[i] = isProbe
		for _, s := range st.out {
			if s >= 0 {
				static[s] = true
			}
		}
	}
	for s := range static {
		p.staticSlots = append(p.staticSlots, s)
	}
}

// signature appends to b the key of a run: the dtypes and shapes of its
// inputs. ok is false when an input has no signature (sequences and
// optionals: no memo).
func signature(b []byte, p *plan, f *frame) (sig []byte, ok bool) {
	for _, in := range p.inputs {
		switch v := f.vals[in.slot].(type) {
		case *tensor.Tensor:
			b = strconv.AppendInt(b, int64(v.DType()), 10)
			for _, d := range v.Shape() {
				b = append(b, ',')
				b = strconv.AppendInt(b, int64(d), 10)
			}
		case nil:
			b = append(b, '-')
		default:
			return nil, false
		}
		b = append(b, ';')
	}
	return b, true
}

// begin prepares the memo for a run: prefill on a hit, record on a miss.
func (c *memoCache) begin(p *plan, f *frame) *memoRun {
	if len(p.staticSlots) == 0 {
		return nil
	}
	// The signature is built on the stack and looked up without making
	// a string (the compiler does not allocate for m[string(b)]); only a
	// miss, which records a new entry, keeps it as a string.
	var buf [128]byte
	sig, ok := signature(buf[:0], p, f)
	if !ok {
		return nil
	}
	c.mu.RLock()
	e := c.entries[string(sig)]
	full := len(c.entries) >= memoMax
	c.mu.RUnlock()
	if e != nil {
		for s, v := range e.vals {
			f.set(s, v)
		}
		f.memoBuf = memoRun{entry: e, use: true}
		return &f.memoBuf
	}
	if full {
		return nil
	}
	return &memoRun{sig: string(sig), entry: &memoEntry{vals: map[int]tensor.Value{}, probes: map[int][]int{}}, fill: true, ok: true}
}

// finish stores a recorded entry.
func (c *memoCache) finish(m *memoRun) {
	if m == nil || !m.fill || !m.ok {
		return
	}
	sig := m.sig
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*memoEntry{}
	}
	if len(c.entries) < memoMax {
		c.entries[sig] = m.entry
	}
	c.mu.Unlock()
}

// probeAgrees reports whether probe step i would measure the recorded shape.
func (m *memoRun) probeAgrees(i int, in []tensor.Value) bool {
	want, ok := m.entry.probes[i]
	x, isT := in[0].(*tensor.Tensor)
	return ok && isT && ops.ShapeEqual(x.Shape(), want)
}

// record keeps a shape-static step's outputs (and a probe's measured shape).
// Values from the recycling pool are never kept: they would be reused.
func (m *memoRun) record(f *frame, i int, isProbe bool, st *step, in, outs []tensor.Value) {
	if isProbe {
		if x, ok := in[0].(*tensor.Tensor); ok {
			m.entry.probes[i] = append([]int(nil), x.Shape()...)
		} else {
			m.ok = false
		}
	}
	for j, s := range st.out {
		if s < 0 || j >= len(outs) {
			continue
		}
		if t, ok := outs[j].(*tensor.Tensor); ok && f.alloc != nil && f.alloc.owns(t) {
			m.ok = false
			continue
		}
		m.entry.vals[s] = outs[j]
	}
}

// detach copies v when it is one of the memo's values (a graph output that
// is shape-static), so callers never hold the cached tensor itself.
func (m *memoRun) detach(v tensor.Value) tensor.Value {
	for _, c := range m.entry.vals {
		if c == v {
			if t, ok := v.(*tensor.Tensor); ok {
				return t.Clone()
			}
		}
	}
	return v
}
