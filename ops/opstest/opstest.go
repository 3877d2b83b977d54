// Package opstest builds and runs single kernels for unit tests.
package opstest

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Attr helpers build attributes for Node.
func Int(name string, v int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInt, I: v}
}

// Float builds a float attribute.
func Float(name string, v float32) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrFloat, F: v}
}

// String builds a string attribute.
func String(name, v string) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrString, S: []byte(v)}
}

// Ints builds an ints attribute.
func Ints(name string, v ...int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInts, Ints: v}
}

// Floats builds a floats attribute.
func Floats(name string, v ...float32) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrFloats, Floats: v}
}

// Strings builds a strings attribute.
func Strings(name string, v ...string) *graph.Attribute {
	a := &graph.Attribute{Name: name, Type: graph.AttrStrings}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

// TensorAttr builds a tensor attribute.
func TensorAttr(name string, t *tensor.Tensor) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrTensor, T: t}
}

// Op describes a single-node test.
type Op struct {
	Type    string
	Domain  string
	Opset   int
	Attrs   []*graph.Attribute
	Outputs int // number of outputs; default 1
	// Dirty runs the kernel with NaNAlloc and two threads, as the engine
	// runs it with recycled memory: an output element the kernel forgets
	// to write shows up as NaN.
	Dirty bool
}

// NaNAlloc is an ops.Allocator handing out buffers full of NaN, like the
// engine's recycled (unzeroed) memory.
type NaNAlloc struct{}

// Float32 implements ops.Allocator.
func (NaNAlloc) Float32(n int) []float32 {
	b := make([]float32, n)
	for i := range b {
		b[i] = float32(math.NaN())
	}
	return b
}

// Run builds the kernel for op and runs it on inputs (nil = absent optional
// input). Constant inputs are not marked as constants, so the kernel takes
// its general path.
func Run(op Op, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := op.node(inputs)
	b, ok := ops.Lookup(op.Domain, op.Type, n.Opset)
	if !ok {
		return nil, fmt.Errorf("no kernel for %s opset %d", op.Type, n.Opset)
	}
	k, err := b(n)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	vals := make([]tensor.Value, len(inputs))
	for i, t := range inputs {
		if t != nil {
			vals[i] = t
		}
	}
	rc := &ops.RunContext{Ctx: context.Background(), Threads: 1}
	if op.Dirty {
		rc.Threads, rc.Alloc = 2, NaNAlloc{}
	}
	outs, err := k.Run(rc, vals)
	if err != nil {
		return nil, err
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		if o == nil {
			continue
		}
		t, ok := o.(*tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("output %d is %T, not a tensor", i, o)
		}
		res[i] = t
	}
	return res, nil
}

func (op Op) node(inputs []*tensor.Tensor) *ops.Node {
	if op.Opset == 0 {
		op.Opset = 17
	}
	if op.Outputs == 0 {
		op.Outputs = 1
	}
	g := &graph.Node{Name: "test", OpType: op.Type, Domain: op.Domain, Attrs: map[string]*graph.Attribute{}}
	for _, a := range op.Attrs {
		g.Attrs[a.Name] = a
	}
	for i, t := range inputs {
		name := ""
		if t != nil {
			name = fmt.Sprintf("in%d", i)
		}
		g.Inputs = append(g.Inputs, name)
	}
	for i := 0; i < op.Outputs; i++ {
		g.Outputs = append(g.Outputs, fmt.Sprintf("out%d", i))
	}
	return &ops.Node{Node: g, Opset: op.Opset, Consts: make([]*tensor.Tensor, len(inputs))}
}

// MustRun is Run that fails the test on error.
func MustRun(t testing.TB, op Op, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := Run(op, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", op.Type, err)
	}
	return out
}

// Close reports whether got matches want in dtype, shape and values within
// atol + rtol·|want| (exact for non-floats; NaN equals NaN).
func Close(got, want *tensor.Tensor, rtol, atol float64) error {
	if got == nil {
		return fmt.Errorf("got no tensor, want %v", want)
	}
	if got.DType() != want.DType() {
		return fmt.Errorf("dtype %v, want %v", got.DType(), want.DType())
	}
	if !ops.ShapeEqual(got.Shape(), want.Shape()) {
		return fmt.Errorf("shape %v, want %v", got.Shape(), want.Shape())
	}
	if got.DType() == tensor.String {
		g, w := tensor.Data[string](got), tensor.Data[string](want)
		for i := range w {
			if g[i] != w[i] {
				return fmt.Errorf("element %d: %q, want %q", i, g[i], w[i])
			}
		}
		return nil
	}
	if !got.DType().IsFloat() {
		rtol, atol = 0, 0
	}
	g, w := got.Float64s(), want.Float64s()
	if got.DType() == tensor.Int64 || got.DType() == tensor.Uint64 {
		gi, wi := got.Int64s(), want.Int64s()
		for i := range wi {
			if gi[i] != wi[i] {
				return fmt.Errorf("element %d: %d, want %d", i, gi[i], wi[i])
			}
		}
		return nil
	}
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
			continue
		}
		if w[i] == g[i] {
			continue
		}
		if !(math.Abs(g[i]-w[i]) <= atol+rtol*math.Abs(w[i])) {
			return fmt.Errorf("element %d: %v, want %v", i, g[i], w[i])
		}
	}
	return nil
}

// Expect runs op and compares its outputs with want (nil entries skipped).
func Expect(t testing.TB, op Op, inputs []*tensor.Tensor, want ...*tensor.Tensor) {
	t.Helper()
	if op.Outputs == 0 {
		op.Outputs = len(want)
	}
	got := MustRun(t, op, inputs...)
	for i, w := range want {
		if w == nil {
			continue
		}
		if i >= len(got) {
			t.Fatalf("%s: %d outputs, want %d", op.Type, len(got), len(want))
		}
		if err := Close(got[i], w, 1e-5, 1e-6); err != nil {
			t.Errorf("%s output %d: %v", op.Type, i, err)
		}
	}
}

// SameWhenDirty runs op twice, with zeroed and with NaN-filled (recycled)
// output memory, and fails unless the float32 outputs agree bit for bit
// (NaN equal to NaN): a kernel that asks for unzeroed memory must write
// every element.
func SameWhenDirty(t testing.TB, op Op, inputs ...*tensor.Tensor) {
	t.Helper()
	op.Dirty = false
	want := MustRun(t, op, inputs...)[0]
	op.Dirty = true
	got := MustRun(t, op, inputs...)[0]
	if !ops.ShapeEqual(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v with recycled memory, %v without", op.Type, got.Shape(), want.Shape())
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	for i := range w {
		if g[i] != w[i] && !(math.IsNaN(float64(w[i])) && math.IsNaN(float64(g[i]))) {
			t.Fatalf("%s %v: y[%d] = %v with recycled memory, want %v", op.Type, op.Attrs, i, g[i], w[i])
		}
	}
}

// RandF32 makes a float32 tensor of small exact values (multiples of 1/4
// in [-2, 2]) so results compare exactly across kernels.
func RandF32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	v := make([]float32, ops.Product(shape))
	for i := range v {
		v[i] = float32(rng.Intn(17)-8) / 4
	}
	return tensor.New(shape, v)
}
