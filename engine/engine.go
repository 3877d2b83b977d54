// Package engine loads ONNX models and runs them.
//
//	m, err := engine.Load("model.onnx")
//	out, err := m.Run(ctx, map[string]*engine.Tensor{"input": x})
//
// A Model is immutable after Load and safe for concurrent Run calls from any
// number of goroutines: kernels keep no per-run state, and each Run has its
// own frame of intermediate values.
package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/engine/shapeinfer"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	_ "github.com/gonyx/gonyx/ops/all" // register every operator
)

// Tensor is the engine's tensor type (see package engine/tensor).
type Tensor = tensor.Tensor

// Errors callers can test for with errors.Is.
var (
	// ErrUnsupportedOp: the model uses an operator (or version) with no kernel.
	ErrUnsupportedOp = errors.New("unsupported operator")
	// ErrInvalidModel: the model file is malformed or inconsistent.
	ErrInvalidModel = errors.New("invalid model")
	// ErrInvalidInput: Run got a missing, unknown or mistyped input.
	ErrInvalidInput = errors.New("invalid input")
)

// Options tune loading and execution. The zero value is usable.
type Options struct {
	// Threads bounds intra-op parallelism; 0 means GOMAXPROCS.
	Threads int
	// DisableConstantFolding keeps every node as a run-time step (for
	// debugging the optimiser).
	DisableConstantFolding bool
	// DisableBufferReuse makes every kernel output a fresh allocation.
	DisableBufferReuse bool
	// DisableOptimizations skips the graph rewriting passes (engine/optimize).
	DisableOptimizations bool
	// DisableBlockedLayout keeps convolutions in the NCHW layout instead
	// of running CNN bodies channel-blocked (NCHW16c, package ops/nchwc);
	// for measuring the layout's gain and for debugging.
	DisableBlockedLayout bool
}

// Option changes Options.
type Option func(*Options)

// WithThreads sets the intra-op thread count.
func WithThreads(n int) Option { return func(o *Options) { o.Threads = n } }

// WithoutOptimizations turns the graph optimisation passes off.
func WithoutOptimizations() Option { return func(o *Options) { o.DisableOptimizations = true } }

// WithoutBlockedLayout keeps convolutions in NCHW (see
// Options.DisableBlockedLayout).
func WithoutBlockedLayout() Option { return func(o *Options) { o.DisableBlockedLayout = true } }

// WithoutBufferReuse turns recycling of intermediate buffers off.
func WithoutBufferReuse() Option { return func(o *Options) { o.DisableBufferReuse = true } }

// WithoutConstantFolding turns load-time constant folding off.
func WithoutConstantFolding() Option { return func(o *Options) { o.DisableConstantFolding = true } }

// Model is a loaded, ready-to-run ONNX model.
type Model struct {
	pool    *bufferPool // nil when buffer recycling is off
	shapes  *shapeinfer.Result
	file    *modelFile // the mapped model file the weights alias, if any
	ir      *graph.Model
	main    *plan
	opts    Options
	inputs  []ValueInfo
	outputs []ValueInfo
}

// ValueInfo describes a model input or output.
type ValueInfo struct {
	Name string
	// DType is the element type of a tensor value (or of a sequence's tensors).
	DType tensor.DType
	// Shape has one entry per dimension; nil when the rank is unknown.
	Shape []Dim
	// Type is the full declared type (tensor, sequence, optional).
	Type *graph.Type
}

// Dim is a declared dimension: Size ≥ 0 when fixed, -1 when dynamic (Name
// then holds the symbolic name if the model gives one).
type Dim struct {
	Size int64
	Name string
}

func (d Dim) String() string {
	if d.Size >= 0 {
		return fmt.Sprint(d.Size)
	}
	if d.Name != "" {
		return d.Name
	}
	return "?"
}

// Load reads and prepares the model at path. External data files are
// resolved relative to the model's folder.
//
// The file is memory-mapped copy-on-write where the platform allows, and
// weights alias it; once a kernel has packed a weight into its own layout,
// the original's pages are returned to the OS. So a model is held in memory
// about once, not twice.
func Load(path string, opts ...Option) (*Model, error) {
	mf, err := mapModel(path)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	m, err := load(mf.data, onnxpb.Options{Dir: filepath.Dir(path), OwnBuffer: true}, mf, opts)
	if err != nil {
		mf.unmap()
		return nil, err
	}
	return m, nil
}

// LoadBytes prepares a model from its serialized bytes. The engine may keep
// references into buf (weights are not copied), so the caller must not modify
// buf afterwards. Models with external data need Load.
func LoadBytes(buf []byte, opts ...Option) (*Model, error) {
	return load(buf, onnxpb.Options{}, nil, opts)
}

func load(buf []byte, popts onnxpb.Options, file *modelFile, opts []Option) (m *Model, err error) {
	defer func() {
		// A bug in the decoder or a kernel builder must not take the
		// caller down: report it as an error.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("engine: internal error while loading: %v", r)
		}
	}()
	ir, err := onnxpb.DecodeModel(buf, popts)
	if err != nil {
		return nil, fmt.Errorf("engine: %w: %w", ErrInvalidModel, err)
	}
	m, err = fromIR(ir, file, opts)
	if err == nil && file != nil && file.mapped {
		// The mapping lives as long as the decoded model: kernels hold
		// slices into it, and IR() hands out tensors that alias it.
		runtime.AddCleanup(ir, func(f *modelFile) { f.unmap() }, file)
	}
	return m, err
}

// FromIR prepares an already decoded model. The optimisation passes rewrite
// ir in place.
func FromIR(ir *graph.Model, opts ...Option) (*Model, error) {
	return fromIR(ir, nil, opts)
}

func fromIR(ir *graph.Model, file *modelFile, opts []Option) (m *Model, err error) {
	defer func() {
		// A bug in shape inference, a pass or a kernel builder must not
		// take the caller down: report it as an error.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("engine: internal error while loading: %v", r)
		}
	}()
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if ir.Graph == nil {
		return nil, fmt.Errorf("engine: %w: model has no graph", ErrInvalidModel)
	}
	// Shape inference proves inconsistencies (a Gemm whose fixed inner dims
	// differ, an Add of [2,3] and [2,4]) at load, naming the node.
	shapes, err := shapeinfer.Infer(ir)
	if err != nil {
		return nil, fmt.Errorf("engine: %w: %w", ErrInvalidModel, err)
	}
	if !o.DisableOptimizations {
		// The passes rewrite ir in place (fusions, folding BatchNorm into
		// Conv, dead code); IR() then shows the optimised graph.
		if _, err := optimize.Optimize(ir, func(domain, op string, opset int) bool {
			if o.DisableBlockedLayout && domain == optimize.GonyxDomain && blockedLayoutOps[op] {
				return false // the layout pass emits nothing it cannot build
			}
			_, ok := ops.Lookup(domain, op, opset)
			return ok
		}); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	c := &compiler{model: ir, opts: o, file: file}
	p, err := c.compileMain(ir.Graph)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	m = &Model{ir: ir, main: p, opts: o, shapes: shapes, file: file}
	if !o.DisableBufferReuse {
		m.pool = newBufferPool()
	}
	for _, in := range p.inputs {
		if in.hasDefault {
			continue
		}
		m.inputs = append(m.inputs, toValueInfo(in.info))
	}
	for _, out := range ir.Graph.Outputs {
		m.outputs = append(m.outputs, toValueInfo(out))
	}
	return m, nil
}

// blockedLayoutOps are the gonyx ops only the layout pass emits.
var blockedLayoutOps = map[string]bool{
	"NchwcConv": true, "ReorderInput": true, "ReorderOutput": true,
	"NchwcMaxPool": true, "NchwcAveragePool": true, "NchwcGlobalAveragePool": true,
}

func toValueInfo(v graph.ValueInfo) ValueInfo {
	vi := ValueInfo{Name: v.Name, Type: v.Type}
	t := v.Type
	for t != nil && (t.Kind == graph.KindSequence || t.Kind == graph.KindOptional) {
		t = t.Inner
	}
	if t != nil {
		vi.DType = t.Elem
		if t.Shape != nil {
			vi.Shape = make([]Dim, len(t.Shape))
			for i, d := range t.Shape {
				vi.Shape[i] = Dim{Size: d.Value, Name: d.Param}
			}
		}
	}
	return vi
}

// Inputs are the values a caller must (or may) feed: graph inputs that have
// no initializer.
func (m *Model) Inputs() []ValueInfo { return m.inputs }

// Outputs are the graph outputs, in graph order.
func (m *Model) Outputs() []ValueInfo { return m.outputs }

// ValueType is the load-time inferred type of any value in the main graph
// (dtype and symbolic shape), or nil when inference could not tell.
func (m *Model) ValueType(name string) *graph.Type {
	if m.shapes == nil {
		return nil
	}
	return m.shapes.Types[name]
}

// IR returns the decoded model (read-only).
func (m *Model) IR() *graph.Model { return m.ir }

// Run computes every graph output from the named inputs. Outputs that are
// not tensors (sequences, optionals) are rejected: use RunValues.
func (m *Model) Run(ctx context.Context, inputs map[string]*Tensor) (map[string]*Tensor, error) {
	vals := make(map[string]tensor.Value, len(inputs))
	for k, v := range inputs {
		vals[k] = v
	}
	outs, err := m.RunValues(ctx, vals)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*Tensor, len(outs))
	for k, v := range outs {
		t, ok := v.(*Tensor)
		if !ok {
			return nil, fmt.Errorf("engine: output %q is a %T, not a tensor; use RunValues", k, v)
		}
		res[k] = t
	}
	return res, nil
}

// RunInto is Run writing the outputs into the caller's map: an output
// whose tensor in outputs already has its dtype and shape is copied into
// that tensor; any other is stored there as a new tensor. Reusing the map
// and its tensors from one run to the next, as a server loop or a
// benchmark does, keeps a steady-state run from allocating (ONNX Runtime
// offers the same through preallocated output bindings). outputs must not
// be nil; entries for names that are not outputs are left alone.
func (m *Model) RunInto(ctx context.Context, inputs map[string]tensor.Value, outputs map[string]*Tensor) error {
	if outputs == nil {
		return fmt.Errorf("engine: RunInto needs a non-nil outputs map")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	_, err := m.main.runMain(ctx, inputs, m.opts.Threads, m.pool, nil, outputs)
	return err
}

// RunValues is Run for models whose inputs or outputs are sequences or
// optionals.
func (m *Model) RunValues(ctx context.Context, inputs map[string]tensor.Value) (map[string]tensor.Value, error) {
	return m.run(ctx, inputs, nil)
}

// NodeHook observes a traced run: it is called after each top-level node
// with the node and its input and output values (which it must not modify).
type NodeHook func(n *graph.Node, inputs, outputs []tensor.Value)

// Trace is RunValues that calls hook after every node of the main graph;
// for profilers, FLOP counters and debugging tools.
func (m *Model) Trace(ctx context.Context, inputs map[string]tensor.Value, hook NodeHook) (map[string]tensor.Value, error) {
	return m.run(ctx, inputs, hook)
}

func (m *Model) run(ctx context.Context, inputs map[string]tensor.Value, hook NodeHook) (map[string]tensor.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	outs, err := m.main.runMain(ctx, inputs, m.opts.Threads, m.pool, hook, nil)
	if err != nil {
		return nil, err
	}
	res := make(map[string]tensor.Value, len(outs))
	for i, o := range m.outputs {
		res[o.Name] = m.file.detach(outs[i])
	}
	return res, nil
}
