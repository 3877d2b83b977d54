package ops

import (
	"errors"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

// The adapter converts into rc's scratch: results are right even when a
// kernel returns its own input list, when kernels nest on one rc, and with
// a nil rc; and a steady-state call allocates nothing.
func TestTensorsRCScratch(t *testing.T) {
	a := tensor.New([]int{1}, []float32{1})
	b := tensor.New([]int{1}, []float32{2})
	// swap returns its inputs reversed, reusing the input list itself.
	swap := TensorsRC(func(rc *RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		in[0], in[1] = in[1], in[0]
		return in, nil
	})
	// outer runs swap on the same rc, then returns swap's first result and
	// its own first input.
	outer := TensorsRC(func(rc *RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		r, err := swap.Run(rc, []tensor.Value{in[0], in[1]})
		if err != nil {
			return nil, err
		}
		first := r[0].(*tensor.Tensor)
		return rc.TensorResults(first, in[0]), nil
	})
	for _, rc := range []*RunContext{nil, {Threads: 1}} {
		got, err := swap.Run(rc, []tensor.Value{a, b})
		if err != nil || len(got) != 2 || got[0] != tensor.Value(b) || got[1] != tensor.Value(a) {
			t.Fatalf("swap: %v %v", got, err)
		}
		got, err = outer.Run(rc, []tensor.Value{a, b})
		if err != nil || len(got) != 2 || got[0] != tensor.Value(b) || got[1] != tensor.Value(a) {
			t.Fatalf("outer: %v %v", got, err)
		}
		// An absent optional input arrives as nil, and a nil output
		// stays nil.
		opt := TensorsRC(func(rc *RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if in[1] != nil {
				return nil, errors.New("absent input not nil")
			}
			return rc.TensorResults(in[0], nil), nil
		})
		got, err = opt.Run(rc, []tensor.Value{a, nil})
		if err != nil || len(got) != 2 || got[0] != tensor.Value(a) || got[1] != nil {
			t.Fatalf("optional: %v %v", got, err)
		}
		if _, err := swap.Run(rc, []tensor.Value{a, &tensor.Sequence{}}); err == nil {
			t.Fatal("a sequence input was accepted")
		}
	}
	rc := &RunContext{Threads: 1}
	in := []tensor.Value{a, b}
	if n := testing.AllocsPerRun(100, func() { _, _ = swap.Run(rc, in) }); n != 0 {
		t.Fatalf("swap kernel: %v allocations per call, want 0", n)
	}
	if _, err := outer.Run(rc, in); err != nil {
		t.Fatal(err)
	}
	if len(rc.args) != 0 {
		t.Fatalf("argument stack holds %d entries after the calls", len(rc.args))
	}
	rc.ReleaseScratch()
	for _, v := range rc.results[:cap(rc.results)] {
		if v != nil {
			t.Fatal("ReleaseScratch kept a result")
		}
	}
}

// Results copies its arguments: the caller's list may change afterwards.
func TestResultsCopies(t *testing.T) {
	a := tensor.New([]int{1}, []float32{1})
	rc := &RunContext{}
	vs := []tensor.Value{a}
	r := rc.Results(vs...)
	vs[0] = nil
	if len(r) != 1 || r[0] != tensor.Value(a) {
		t.Fatalf("Results: %v", r)
	}
	if r := (*RunContext)(nil).Results(a, nil); len(r) != 2 || r[0] != tensor.Value(a) || r[1] != nil {
		t.Fatalf("nil rc Results: %v", r)
	}
}

type countingHeaders struct{ n int }

func (c *countingHeaders) Header() *tensor.Tensor { c.n++; return new(tensor.Tensor) }

type plainAlloc struct{}

func (plainAlloc) Float32(n int) []float32 { return make([]float32, n) }

// NewFloat32 and View take their headers from rc.Headers when set.
func TestHeadersFromRunContext(t *testing.T) {
	h := &countingHeaders{}
	rc := &RunContext{Alloc: plainAlloc{}, Headers: h}
	y, err := rc.NewFloat32([]int{2, 3}, true)
	if err != nil || y.Len() != 6 || y.Rank() != 2 {
		t.Fatalf("NewFloat32: %v %v", y, err)
	}
	v, err := rc.View(y, []int{3, 2})
	if err != nil || v.Shape()[0] != 3 || &tensor.Data[float32](v)[0] != &tensor.Data[float32](y)[0] {
		t.Fatalf("View: %v %v", v, err)
	}
	if h.n != 2 {
		t.Fatalf("%d headers taken, want 2", h.n)
	}
	if _, err := rc.View(y, []int{4}); err == nil {
		t.Fatal("View to a wrong element count succeeded")
	}
	if v, err := (*RunContext)(nil).View(y, []int{6}); err != nil || v.Rank() != 1 {
		t.Fatalf("nil rc View: %v %v", v, err)
	}
}
