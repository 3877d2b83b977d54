package math

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// kernelOf builds one kernel instance, so that successive runs share its
// plan cache (opstest.Run builds a fresh kernel every call).
func kernelOf(t testing.TB, typ string, opset, inputs int) ops.Kernel {
	t.Helper()
	g := &graph.Node{Name: "cache", OpType: typ, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for i := range inputs {
		g.Inputs = append(g.Inputs, fmt.Sprintf("in%d", i))
	}
	b, ok := ops.Lookup("", typ, opset)
	if !ok {
		t.Fatalf("no kernel for %s opset %d", typ, opset)
	}
	k, err := b(&ops.Node{Node: g, Opset: opset, Consts: make([]*tensor.Tensor, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func runKernel(k ops.Kernel, in ...*tensor.Tensor) (*tensor.Tensor, error) {
	vals := make([]tensor.Value, len(in))
	for i, x := range in {
		vals[i] = x
	}
	out, err := k.Run(&ops.RunContext{Ctx: context.Background(), Threads: 1}, vals)
	if err != nil {
		return nil, err
	}
	return out[0].(*tensor.Tensor), nil
}

// refBroadcast is numpy broadcasting written from the definition: the
// output shape, and for each output element the flat index it reads in
// each input.
func refBroadcast(shapes ...[]int) (out []int, index func(k, o int) int) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out = make([]int, rank)
	for i := range out {
		out[i] = 1
		for _, s := range shapes {
			if j := i - (rank - len(s)); j >= 0 && s[j] != 1 {
				out[i] = s[j]
			}
		}
	}
	index = func(k, o int) int {
		s := shapes[k]
		// Unravel o over out (row-major), then ravel over s with size-1
		// and missing leading dimensions pinned to 0.
		idx := make([]int, rank)
		for i := rank - 1; i >= 0; i-- {
			idx[i] = o % out[i]
			o /= out[i]
		}
		flat := 0
		for j, d := range s {
			c := idx[j+rank-len(s)]
			if d == 1 {
				c = 0
			}
			flat = flat*d + c
		}
		return flat
	}
	return out, index
}

func count(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// seq is a float32 tensor of shape s holding base, base+1, ...
func seq(s []int, base float32) *tensor.Tensor {
	v := make([]float32, count(s))
	for i := range v {
		v[i] = base + float32(i)
	}
	return tensor.New(s, v)
}

// checkAdd runs k (an Add) on a, b of the given shapes and compares with
// the reference broadcast.
func checkAdd(k ops.Kernel, as, bs []int) error {
	a, b := seq(as, 1), seq(bs, 1000)
	got, err := runKernel(k, a, b)
	if err != nil {
		return err
	}
	out, index := refBroadcast(as, bs)
	if !ops.ShapeEqual(got.Shape(), out) {
		return fmt.Errorf("%v + %v: shape %v, want %v", as, bs, got.Shape(), out)
	}
	av, bv, gv := tensor.Data[float32](a), tensor.Data[float32](b), tensor.Data[float32](got)
	for o := range count(out) {
		want := float64(av[index(0, o)]) + float64(bv[index(1, o)])
		if float64(gv[o]) != want {
			return fmt.Errorf("%v + %v: element %d is %v, want %v", as, bs, o, gv[o], want)
		}
	}
	return nil
}

// A kernel whose input shapes change between runs never reuses a plan
// built for other shapes, including shapes with the same element count
// or the same dimensions at another rank.
func TestPlanCacheShapeChange(t *testing.T) {
	k := kernelOf(t, "Add", 14, 2)
	for _, c := range [][2][]int{
		{sh(2, 3), sh(3)},
		{sh(2, 3), sh(3)}, // hit
		{sh(2, 3), sh(2, 1)},
		{sh(6), sh(6)},
		{sh(2, 3), sh(2, 3)},
		{sh(3), sh(2, 3)},
		{sh(1, 2, 3), sh(3)},
		{sh(2, 3), sh(1)},
		{sh(2, 3), sh()},
		{sh(4, 1, 3), sh(2, 3)},
		{sh(2, 3), sh(3)}, // back to the first shapes
		{sh(2, 1, 2, 1, 2, 1, 2, 1, 2), sh(2, 1, 2, 1, 2, 1, 2, 1)}, // rank 9: not cached
		{sh(2, 3), sh(3)},
	} {
		if err := checkAdd(k, c[0], c[1]); err != nil {
			t.Fatal(err)
		}
	}
}

// Where keys its cache by all three shapes.
func TestPlanCacheWhere(t *testing.T) {
	k := kernelOf(t, "Where", 16, 3)
	for _, c := range [][3][]int{
		{sh(2, 3), sh(3), sh(1)},
		{sh(2, 3), sh(3), sh(1)},
		{sh(2, 3), sh(3), sh(2, 1)},
		{sh(3), sh(2, 3), sh(1)},
		{sh(2, 3), sh(3), sh(1)},
	} {
		cs, xs, ys := c[0], c[1], c[2]
		cv := make([]bool, count(cs))
		for i := range cv {
			cv[i] = i%2 == 0
		}
		x, y := seq(xs, 1), seq(ys, 100)
		got, err := runKernel(k, tensor.New(cs, cv), x, y)
		if err != nil {
			t.Fatal(err)
		}
		out, index := refBroadcast(cs, xs, ys)
		if !ops.ShapeEqual(got.Shape(), out) {
			t.Fatalf("%v: shape %v, want %v", c, got.Shape(), out)
		}
		gv := tensor.Data[float32](got)
		for o := range count(out) {
			want := tensor.Data[float32](y)[index(2, o)]
			if cv[index(0, o)] {
				want = tensor.Data[float32](x)[index(1, o)]
			}
			if gv[o] != want {
				t.Fatalf("%v: element %d is %v, want %v", c, o, gv[o], want)
			}
		}
	}
}

// Concurrent runs of one kernel with different shapes each get the
// right answer (run with -race: a shared plan must never be written).
func TestPlanCacheConcurrent(t *testing.T) {
	k := kernelOf(t, "Add", 14, 2)
	pairs := [][2][]int{
		{sh(2, 3), sh(3)},
		{sh(2, 3), sh(2, 1)},
		{sh(4, 1, 3), sh(2, 3)},
		{sh(8, 16), sh(16)},
		{sh(1, 4, 4, 4), sh(4, 1, 1)},
		{sh(5), sh()},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(pairs))
	for g := range 2 * len(pairs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := pairs[g%len(pairs)]
			for range 100 {
				if err := checkAdd(k, c[0], c[1]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A cached plan keeps copies of the shapes it was keyed and built with:
// the caller's shape slices belong to tensor headers the engine recycles.
func TestPlanCacheOwnsShapes(t *testing.T) {
	for _, lb := range []legacyBroadcast{{}, {enabled: true, bcast: true}} {
		var c planCache
		a, b := []int{2, 3}, []int{1}
		p, err := c.get(func(p *plan) error { return lb.planInto(p, a, b) }, a, b)
		if err != nil {
			t.Fatal(err)
		}
		a[0], b[0] = 7, 7
		if !ops.ShapeEqual(p.out, sh(2, 3)) {
			t.Fatalf("%+v: plan output shape followed the caller's slice: %v", lb, p.out)
		}
		if c.lookup(a, b) != nil {
			t.Fatalf("%+v: lookup hit for shapes %v, %v the plan was not built for", lb, a, b)
		}
		if c.lookup(sh(2, 3), sh(1)) != p {
			t.Fatalf("%+v: lookup missed the cached shapes", lb)
		}
		if c.lookup(sh(2, 3), sh(1), sh(1)) != nil || c.lookup(sh(2, 3)) != nil {
			t.Fatalf("%+v: lookup hit with another number of inputs", lb)
		}
	}
}

// A build error caches nothing and is returned.
func TestPlanCacheError(t *testing.T) {
	k := kernelOf(t, "Add", 14, 2)
	if _, err := runKernel(k, seq(sh(2, 3), 0), seq(sh(4), 0)); err == nil {
		t.Fatal("[2,3] + [4]: no error")
	}
	if err := checkAdd(k, sh(2, 3), sh(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := runKernel(k, seq(sh(2, 3), 0), seq(sh(4), 0)); err == nil {
		t.Fatal("[2,3] + [4] after a good run: no error")
	}
}

// Steady-state runs with the same shapes build no new plan.
func TestPlanCacheAllocs(t *testing.T) {
	var c planCache
	a, b := sh(1, 64, 32, 32), sh(64, 1, 1)
	build := func(p *plan) error { return p.build([][]int{a, b}) }
	if _, err := c.get(build, a, b); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(10, func() {
		if _, err := c.get(build, a, b); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per cached lookup, want 0", n)
	}
}
