package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// frame holds one execution's values for one plan.
type frame struct {
	vals   []tensor.Value
	parent *frame
	alloc  *runAlloc
	// args backs every step's input list (one allocation per run, not per
	// node); a step's arguments are cleared after it runs.
	args []tensor.Value
	memo *memoRun // the main graph's shape-chain memo for this run, if any
	// memoBuf holds memo's state on a memo hit, so that a run replaying
	// a memo (every steady-state run of a model with shape chains)
	// allocates nothing for it; the frame is reused run after run.
	memoBuf memoRun
}

func (p *plan) newFrame(parent *frame, alloc *runAlloc) *frame {
	f := &frame{}
	p.initFrame(f, parent, alloc)
	return f
}

// initFrame readies f for a run of p, reusing f's slots when they suffice.
func (p *plan) initFrame(f *frame, parent *frame, alloc *runAlloc) {
	n := p.nslots + p.nargs
	vals := f.vals[:cap(f.vals)]
	if len(vals) < n {
		vals = make([]tensor.Value, n)
	}
	*f = frame{vals: vals[:p.nslots], args: vals[p.nslots:n], parent: parent, alloc: alloc}
	for _, c := range p.consts {
		f.vals[c.slot] = c.val
	}
	for _, c := range p.captures {
		q := parent
		for i := 1; i < c.up && q != nil; i++ {
			q = q.parent
		}
		if q != nil {
			f.set(c.local, q.vals[c.slot])
		}
	}
}

// runState is one main-graph run's executor state, kept by the model's
// buffer pool between runs so that steady-state runs reuse it.
type runState struct {
	alloc runAlloc
	rc    ops.RunContext
	f     frame
}

// reset drops every reference to the finished run's values.
func (st *runState) reset() {
	clear(st.f.vals[:cap(st.f.vals)])
	st.f = frame{vals: st.f.vals[:0]}
	st.rc.ReleaseScratch() // keeps the scratch lists' memory for the next run
	st.rc.Ctx, st.rc.Alloc, st.rc.Headers, st.rc.Frame = nil, nil, nil, nil
	st.alloc.endRun()
}

// set stores a value in a slot, counting the buffer it refers to.
func (f *frame) set(slot int, v tensor.Value) {
	f.vals[slot] = v
	if f.alloc != nil && v != nil {
		f.alloc.retain(v)
	}
}

// drop clears a slot whose last reader has run.
func (f *frame) drop(slot int) {
	if v := f.vals[slot]; v != nil && f.alloc != nil {
		f.alloc.release(v)
	}
	f.vals[slot] = nil
}

// runMain runs the main graph. With into == nil it returns the outputs
// detached from the run; otherwise it copies them into the caller's
// tensors (see Model.RunInto) and returns nil.
func (p *plan) runMain(ctx context.Context, inputs map[string]tensor.Value, threads int, pool *bufferPool, hook NodeHook, into map[string]*tensor.Tensor) ([]tensor.Value, error) {
	var (
		st    *runState
		alloc *runAlloc
	)
	if pool != nil {
		st = pool.takeState()
		alloc = &st.alloc
		// A hook may keep the values it is shown: nothing from the slabs.
		alloc.fresh = hook != nil
		defer func() {
			st.reset()
			pool.putState(st)
		}()
	} else {
		st = &runState{}
	}
	f := &st.f
	p.initFrame(f, nil, alloc)
	used := 0
	for _, in := range p.inputs {
		v, ok := inputs[in.info.Name]
		if !ok || v == nil {
			if in.hasDefault {
				continue
			}
			if in.info.Type != nil && in.info.Type.Kind == graph.KindOptional {
				f.vals[in.slot] = &tensor.Optional{}
				continue
			}
			return nil, fmt.Errorf("engine: %w: missing input %q", ErrInvalidInput, in.info.Name)
		}
		used++
		if err := checkValue(in.info, v); err != nil {
			return nil, fmt.Errorf("engine: %w: input %q: %w", ErrInvalidInput, in.info.Name, err)
		}
		f.vals[in.slot] = v
	}
	if used != len(inputs) {
		for name := range inputs {
			if _, ok := p.slotOf[name]; !ok || !p.isInput(name) {
				return nil, fmt.Errorf("engine: %w: unknown input %q (inputs are %s)", ErrInvalidInput, name, p.inputNames())
			}
		}
	}
	st.rc.Ctx, st.rc.Threads, st.rc.Frame = ctx, threads, f
	if alloc != nil {
		st.rc.Alloc, st.rc.Headers = alloc, alloc
	}
	if p.memo != nil {
		f.memo = p.memo.begin(p, f)
	}
	if err := p.exec(&st.rc, f, hook); err != nil {
		return nil, err
	}
	if f.memo != nil {
		p.memo.finish(f.memo)
	}
	if into != nil {
		err := p.copyOut(f, into)
		// The caller has copies: the outputs' buffers go back to the pool
		// like any other value's, or the next run misses them there.
		for _, s := range p.outputs {
			f.drop(s)
		}
		return nil, err
	}
	return p.collect(f, true)
}

// copyOut copies each graph output into into[name] when that tensor has
// the output's dtype and shape, and otherwise stores a fresh copy there.
// A caller that reuses its map and tensors run after run (as ONNX
// Runtime's preallocated output bindings do) makes the run allocate
// nothing for its outputs.
func (p *plan) copyOut(f *frame, into map[string]*tensor.Tensor) error {
	for i, s := range p.outputs {
		name := p.graph.Outputs[i].Name
		v, ok := f.vals[s].(*tensor.Tensor)
		if !ok {
			if f.vals[s] == nil {
				return fmt.Errorf("engine: graph output %q was not produced", name)
			}
			return fmt.Errorf("engine: output %q is a %T, not a tensor; use RunValues", name, f.vals[s])
		}
		if d := into[name]; d != nil && d.DType() == v.DType() && slices.Equal(d.Shape(), v.Shape()) {
			tensor.CopyData(d.Data(), v.Data())
			continue
		}
		into[name] = v.Clone()
	}
	return nil
}

func (p *plan) isInput(name string) bool {
	for _, in := range p.inputs {
		if in.info.Name == name {
			return true
		}
	}
	return false
}

func (p *plan) inputNames() string {
	var names []string
	for _, in := range p.inputs {
		if !in.hasDefault {
			names = append(names, fmt.Sprintf("%q", in.info.Name))
		}
	}
	return strings.Join(names, ", ")
}

// collect gathers the graph outputs. For the main graph (detach) they
// leave the run, so they are copied out of the run's slabs.
func (p *plan) collect(f *frame, detach bool) ([]tensor.Value, error) {
	var (
		outs []tensor.Value
		hdrs []tensor.Tensor
	)
	switch {
	case detach && f.alloc != nil && len(p.outputs) == 1:
		// The usual case: the list and the output's new header in one
		// allocation.
		o := new(struct {
			v [1]tensor.Value
			h [1]tensor.Tensor
		})
		outs, hdrs = o.v[:], o.h[:]
	case detach && f.alloc != nil && len(p.outputs) == 2:
		o := new(struct {
			v [2]tensor.Value
			h [2]tensor.Tensor
		})
		outs, hdrs = o.v[:], o.h[:]
	default:
		outs = make([]tensor.Value, len(p.outputs))
	}
	for i, s := range p.outputs {
		v := f.vals[s]
		if v == nil {
			return nil, fmt.Errorf("engine: graph output %q was not produced", p.graph.Outputs[i].Name)
		}
		if f.memo != nil {
			v = f.memo.detach(v) // the caller must not share the memo's copy
		}
		if detach && f.alloc != nil {
			v = f.alloc.detach(v, &hdrs, len(p.outputs)-i)
		}
		outs[i] = v
	}
	return outs, nil
}

// exec runs the plan's steps on f, calling hook (if any) after each step.
// rc is the frame's own RunContext (its Frame is f): kernels use its
// scratch one node at a time.
func (p *plan) exec(rc *ops.RunContext, f *frame, hook NodeHook) error {
	args := f.args
	for i, st := range p.steps {
		if err := rc.Ctx.Err(); err != nil {
			return fmt.Errorf("engine: run stopped before %s: %w", st.describe(), err)
		}
		in := args[:len(st.in):len(st.in)]
		args = args[len(st.in):]
		for j, s := range st.in {
			if s >= 0 {
				in[j] = f.vals[s]
				if in[j] == nil {
					return fmt.Errorf("engine: %s: input %q has no value", st.describe(), st.node.Inputs[j])
				}
			}
		}
		memo := f.memo
		if memo != nil && memo.use && p.static[i] {
			if !p.probe[i] || memo.probeAgrees(i, in) {
				// Outputs were prefilled from the memo.
				clear(in)
				for _, s := range p.release[i] {
					f.drop(s)
				}
				continue
			}
			memo.use = false // shapes differ from the recording: compute from here on
		}
		// Values a memo records are kept across runs: plain memory, from
		// neither the slabs nor the pool.
		recording := memo != nil && memo.fill && p.static[i] && f.alloc != nil
		if recording {
			f.alloc.setKeep(true)
		}
		outs, err := runKernel(st, rc, in)
		if recording {
			f.alloc.setKeep(false)
		}
		if err != nil {
			return err
		}
		if memo != nil && memo.fill && p.static[i] {
			memo.record(f, i, p.probe[i], st, in, outs)
		}
		for j, s := range st.out {
			if s < 0 {
				continue
			}
			if j >= len(outs) || outs[j] == nil {
				return fmt.Errorf("engine: %s: output %q was not produced", st.describe(), st.node.Outputs[j])
			}
			f.set(s, outs[j])
		}
		if hook != nil {
			hook(st.node, in, outs)
		}
		clear(in)
		for _, s := range p.release[i] {
			f.drop(s)
		}
	}
	return nil
}

func runKernel(st *step, rc *ops.RunContext, in []tensor.Value) (outs []tensor.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine: %s: internal error: %v\n%s", st.describe(), r, debug.Stack())
		}
	}()
	outs, err = st.kernel.Run(rc, in)
	if err != nil {
		if ce := rc.Ctx.Err(); ce != nil {
			return nil, fmt.Errorf("engine: %s: %w", st.describe(), ce)
		}
		return nil, fmt.Errorf("engine: %s: %w", st.describe(), err)
	}
	return outs, nil
}

// checkValue checks a caller's value against a declared type: kind, dtype,
// rank and fixed dimensions. Symbolic dimensions accept any size.
func checkValue(info graph.ValueInfo, v tensor.Value) error {
	t := info.Type
	if t == nil {
		return nil
	}
	switch t.Kind {
	case graph.KindTensor:
		x, ok := v.(*tensor.Tensor)
		if !ok {
			return fmt.Errorf("want a tensor, got %T", v)
		}
		if t.Elem != tensor.Undefined && x.DType() != t.Elem {
			return fmt.Errorf("dtype %v, want %v", x.DType(), t.Elem)
		}
		if t.Shape != nil {
			if x.Rank() != len(t.Shape) {
				return fmt.Errorf("shape %v has rank %d, want rank %d (%s)", x.Shape(), x.Rank(), len(t.Shape), shapeString(t.Shape))
			}
			for i, d := range t.Shape {
				if d.Value >= 0 && d.Param == "" && int64(x.Shape()[i]) != d.Value {
					return fmt.Errorf("shape %v, want %s", x.Shape(), shapeString(t.Shape))
				}
			}
		}
	case graph.KindSequence:
		if _, ok := v.(*tensor.Sequence); !ok {
			return fmt.Errorf("want a sequence, got %T", v)
		}
	}
	return nil
}

func shapeString(s []graph.Dim) string {
	parts := make([]string, len(s))
	for i, d := range s {
		switch {
		case d.Param != "":
			parts[i] = d.Param
		case d.Value >= 0:
			parts[i] = fmt.Sprint(d.Value)
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// subgraph adapts a plan to ops.Subgraph for control-flow kernels.
type subgraph struct{ plan *plan }

func (s *subgraph) Run(rc *ops.RunContext, inputs []tensor.Value) ([]tensor.Value, error) {
	p := s.plan
	parent, _ := rc.Frame.(*frame)
	if parent == nil {
		return nil, fmt.Errorf("engine: subgraph run without an enclosing frame")
	}
	if len(inputs) != len(p.inputs) {
		return nil, fmt.Errorf("engine: subgraph %q takes %d inputs, got %d", p.graph.Name, len(p.inputs), len(inputs))
	}
	f := p.newFrame(parent, parent.alloc)
	for i, in := range p.inputs {
		if inputs[i] != nil {
			f.set(in.slot, inputs[i])
		}
	}
	sub := &ops.RunContext{Ctx: rc.Ctx, Threads: rc.Threads, Alloc: rc.Alloc, Headers: rc.Headers, Frame: f}
	if err := p.exec(sub, f, nil); err != nil {
		return nil, err
	}
	return p.collect(f, false)
}

func (s *subgraph) InputNames() []string {
	names := make([]string, len(s.plan.inputs))
	for i, in := range s.plan.inputs {
		names[i] = in.info.Name
	}
	return names
}

func (s *subgraph) OutputNames() []string {
	names := make([]string, len(s.plan.graph.Outputs))
	for i, o := range s.plan.graph.Outputs {
		names[i] = o.Name
	}
	return names
}

func (s *subgraph) InputTypes() []*graph.Type {
	ts := make([]*graph.Type, len(s.plan.inputs))
	for i, in := range s.plan.inputs {
		ts[i] = in.info.Type
	}
	return ts
}
