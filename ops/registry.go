// Package ops is the operator registry and the contract between the engine
// and its kernels. Kernels live in sub-packages by family (ops/math,
// ops/shape, ops/nn, ...) and register themselves in init; ops/all imports
// every family.
//
// A kernel is built once per node at load time (attributes parsed and checked
// then) and run many times, possibly concurrently: a Kernel must not keep
// per-run state.
package ops

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Domain names as ONNX spells them; the default domain is "" in files.
const (
	DomainONNX = "ai.onnx"
	DomainML   = "ai.onnx.ml"
)

// Kernel runs one node.
type Kernel interface {
	// Run computes the node's outputs. inputs has one entry per node input;
	// an absent optional input is nil. It returns one entry per node output;
	// nil marks an optional output the kernel does not produce.
	Run(rc *RunContext, inputs []tensor.Value) ([]tensor.Value, error)
}

// KernelFunc adapts a function to Kernel.
type KernelFunc func(rc *RunContext, inputs []tensor.Value) ([]tensor.Value, error)

// Run calls f.
func (f KernelFunc) Run(rc *RunContext, in []tensor.Value) ([]tensor.Value, error) {
	return f(rc, in)
}

// TensorFunc is the common kernel shape: tensors in, tensors out. Absent
// optional inputs are nil.
type TensorFunc func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error)

// Tensors adapts a TensorFunc to Kernel, rejecting sequence or optional inputs
// with a clear error.
func Tensors(f TensorFunc) Kernel {
	return TensorsRC(func(_ *RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) { return f(in) })
}

// TensorFuncRC is TensorFunc for kernels that need the RunContext (its
// thread budget or its buffer allocator).
type TensorFuncRC func(rc *RunContext, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)

// TensorsRC adapts a TensorFuncRC to Kernel, like Tensors. The input and
// result lists it converts live in rc's scratch (see Results), so the
// adapter allocates nothing per run.
func TensorsRC(f TensorFuncRC) Kernel {
	return KernelFunc(func(rc *RunContext, in []tensor.Value) ([]tensor.Value, error) {
		ts, mark := rc.pushArgs(len(in))
		for i, v := range in {
			switch x := v.(type) {
			case nil:
			case *tensor.Tensor:
				ts[i] = x
			default:
				rc.popArgs(mark)
				return nil, fmt.Errorf("input %d: want a tensor, got %T", i, v)
			}
		}
		outs, err := f(rc, ts)
		if err != nil {
			rc.popArgs(mark)
			return nil, err
		}
		// Converted before the arguments are cleared: a kernel may return
		// (part of) its input list.
		vs := rc.resultList(len(outs))
		for i, o := range outs {
			if o != nil {
				vs[i] = o
			} else {
				vs[i] = nil
			}
		}
		rc.popArgs(mark)
		return vs, nil
	})
}

// ThreadCount is rc's thread budget, or 1 for a nil rc.
func (rc *RunContext) ThreadCount() int {
	if rc == nil || rc.Threads < 1 {
		return 1
	}
	return rc.Threads
}

// RunContext carries per-run state to kernels. The engine gives each frame
// (the main graph, each run of a subgraph body) its own RunContext and runs
// that frame's nodes one at a time, so its scratch lists need no lock; a
// kernel must call the methods below only from the goroutine it was run on.
// Make a new RunContext rather than copying one: a copy would share the
// scratch.
type RunContext struct {
	Ctx context.Context
	// Threads bounds the goroutines a kernel may keep busy (≥ 1).
	Threads int
	// Alloc, when the engine sets it, recycles float32 buffers freed by
	// earlier nodes (and earlier runs); use NewFloat32 rather than calling it.
	Alloc Allocator
	// Headers, when the engine sets it, hands out tensor headers that stay
	// valid until the end of the run (the engine copies those that leave
	// it); use NewFloat32 and View rather than calling it.
	Headers HeaderAllocator
	// Frame is the executor's state for the graph being run; control-flow
	// kernels hand it to Subgraph.Run so bodies can read outer-scope values.
	Frame any

	// Scratch reused node after node instead of allocated per node.
	args    []*tensor.Tensor // stack of the adapters' input lists (kernels nest)
	results []tensor.Value   // the last result list handed out
	tensors []*tensor.Tensor // the last tensor result list handed out
}

// Allocator hands out float32 buffers of exactly n elements with
// unspecified contents.
type Allocator interface {
	Float32(n int) []float32
}

// HeaderAllocator hands out blank tensor headers for one run's values.
type HeaderAllocator interface {
	Header() *tensor.Tensor
}

// NewFloat32 makes a float32 output tensor. When zero is false its contents
// are unspecified, for kernels that write every element; recycled memory is
// then handed out without clearing. rc may be nil (tests, constant folding).
func (rc *RunContext) NewFloat32(shape []int, zero bool) (*tensor.Tensor, error) {
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if rc == nil || rc.Alloc == nil {
		return tensor.New(shape, make([]float32, n)), nil
	}
	buf := rc.Alloc.Float32(n)
	if zero {
		clear(buf)
	}
	if rc.Headers == nil {
		return tensor.New(shape, buf), nil
	}
	return tensor.Place(rc.Headers.Header(), shape, buf)
}

// View is x.Reshape(shape...) with the view's header from rc's run
// (allocation-free under the engine). rc may be nil.
func (rc *RunContext) View(x *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	if rc == nil || rc.Headers == nil {
		return x.Reshape(shape...)
	}
	return x.ReshapeInto(rc.Headers.Header(), shape)
}

// Results returns vs as a kernel's result list, in rc's scratch: valid
// until the next kernel runs on rc (the engine copies it at once). A kernel
// that runs another kernel on rc must take what it needs from that
// kernel's results before its next call on rc. rc may be nil.
func (rc *RunContext) Results(vs ...tensor.Value) []tensor.Value {
	out := rc.resultList(len(vs))
	copy(out, vs)
	return out
}

// TensorResults is Results for TensorFuncRC kernels.
func (rc *RunContext) TensorResults(ts ...*tensor.Tensor) []*tensor.Tensor {
	if rc == nil {
		return append([]*tensor.Tensor(nil), ts...)
	}
	if cap(rc.tensors) < len(ts) {
		rc.tensors = make([]*tensor.Tensor, len(ts), max(len(ts), 4))
	}
	out := rc.tensors[:len(ts)]
	copy(out, ts)
	return out
}

// ReleaseScratch drops the references rc's scratch lists hold, so values
// of a finished run are not kept alive; the engine calls it when a run ends.
func (rc *RunContext) ReleaseScratch() {
	clear(rc.args[:cap(rc.args)])
	rc.args = rc.args[:0]
	clear(rc.results[:cap(rc.results)])
	clear(rc.tensors[:cap(rc.tensors)])
}

func (rc *RunContext) resultList(n int) []tensor.Value {
	if rc == nil {
		return make([]tensor.Value, n)
	}
	if cap(rc.results) < n {
		rc.results = make([]tensor.Value, n, max(n, 4))
	}
	return rc.results[:n]
}

// pushArgs reserves n entries on the argument stack; popArgs(mark)
// releases them. Growing the stack leaves outer lists in the old array,
// which stays valid for them.
func (rc *RunContext) pushArgs(n int) ([]*tensor.Tensor, int) {
	if rc == nil {
		return make([]*tensor.Tensor, n), 0
	}
	mark := len(rc.args)
	if cap(rc.args)-mark < n {
		grown := make([]*tensor.Tensor, mark, max(2*cap(rc.args), mark+n, 16))
		copy(grown, rc.args)
		rc.args = grown
	}
	rc.args = rc.args[:mark+n]
	return rc.args[mark : mark+n : mark+n], mark
}

func (rc *RunContext) popArgs(mark int) {
	if rc == nil {
		return
	}
	clear(rc.args[mark:])
	rc.args = rc.args[:mark]
}

// Subgraph is a compiled If/Loop/Scan body.
type Subgraph interface {
	// Run executes the body with the given formal inputs (in graph-input
	// order) and returns its outputs in graph-output order. rc must be the
	// RunContext of the calling kernel.
	Run(rc *RunContext, inputs []tensor.Value) ([]tensor.Value, error)
	// InputNames and OutputNames are the body's formal parameters.
	InputNames() []string
	OutputNames() []string
	// InputTypes are the declared types of the body's inputs (nil entries where unknown).
	InputTypes() []*graph.Type
}

// Node is what a Builder sees of the node it builds a kernel for.
type Node struct {
	*graph.Node
	// Opset is the version of Node.Domain that the model imports.
	Opset int
	// Consts holds, per input, its value when it is a constant known at
	// load time (an initializer that callers cannot override, or a folded
	// constant); nil otherwise.
	Consts []*tensor.Tensor
	// InputTypes holds, per input, the statically known type (may be nil).
	InputTypes []*graph.Type
	// CompileGraph compiles a graph-valued attribute into a runnable body.
	CompileGraph func(g *graph.Graph) (Subgraph, error)
	// Consumed marks constant inputs the kernel has copied into its own
	// form (e.g. packed GEMM weights): see ConsumeConst.
	Consumed []bool
}

// ConsumeConst declares that the kernel will never read constant input i's
// data at run time (it keeps its own copy, such as packed weights). The
// engine may then release the original's memory once no other node reads
// it; the input still arrives with its dtype and shape. Only call it when
// every run-time path of the kernel ignores the input's data.
func (n *Node) ConsumeConst(i int) {
	if n.Const(i) == nil {
		return
	}
	if n.Consumed == nil {
		n.Consumed = make([]bool, len(n.Inputs))
	}
	if i < len(n.Consumed) {
		n.Consumed[i] = true
	}
}

// Const returns input i's load-time constant value, or nil.
func (n *Node) Const(i int) *tensor.Tensor {
	if i < len(n.Consts) {
		return n.Consts[i]
	}
	return nil
}

// HasInput reports whether optional input i is present.
func (n *Node) HasInput(i int) bool { return i < len(n.Inputs) && n.Inputs[i] != "" }

// HasOutput reports whether optional output i is wanted.
func (n *Node) HasOutput(i int) bool { return i < len(n.Outputs) && n.Outputs[i] != "" }

// Builder makes a kernel for a node, parsing and validating attributes.
type Builder func(n *Node) (Kernel, error)

type entry struct {
	since   int
	builder Builder
}

var (
	mu       sync.RWMutex
	registry = map[string][]entry{} // key: domain + "::" + op
)

func canonicalDomain(d string) string {
	if d == "" || d == DomainONNX {
		return DomainONNX
	}
	return d
}

// Register adds a builder for op in domain, valid from opset version since
// until the next registered version. Registering the same (domain, op,
// since) twice panics: it is a programming error caught by any test.
func Register(domain, op string, since int, b Builder) {
	mu.Lock()
	defer mu.Unlock()
	key := canonicalDomain(domain) + "::" + op
	for _, e := range registry[key] {
		if e.since == since {
			panic(fmt.Sprintf("ops: %s %s version %d registered twice", domain, op, since))
		}
	}
	es := append(registry[key], entry{since, b})
	sort.Slice(es, func(i, j int) bool { return es[i].since < es[j].since })
	registry[key] = es
}

// RegisterVersions registers the same builder at several since-versions;
// the builder reads Node.Opset for differences between versions.
func RegisterVersions(domain, op string, since []int, b Builder) {
	for _, v := range since {
		Register(domain, op, v, b)
	}
}

// Lookup finds the builder for op at the given domain opset version: the
// registration with the highest since ≤ opset.
func Lookup(domain, op string, opset int) (Builder, bool) {
	mu.RLock()
	defer mu.RUnlock()
	es := registry[canonicalDomain(domain)+"::"+op]
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].since <= opset {
			return es[i].builder, true
		}
	}
	return nil, false
}

// Registered lists "domain::op" keys, sorted; for `gonyx version` and tests.
func Registered() []string {
	mu.RLock()
	defer mu.RUnlock()
	keys := make([]string, 0, len(registry))
	for k := range registry {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
