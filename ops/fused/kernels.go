package fused

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/conv"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.Register(Domain, "FusedConv", 1, buildFusedConv)
	ops.Register(Domain, "FusedGemm", 1, buildFusedGemm)
	ops.Register(Domain, "FusedMatMul", 1, buildFusedMatMul)
	ops.Register(Domain, "Gelu", 1, wrapONNX("Gelu", 20, 1, 1))
	ops.Register(Domain, "LayerNormalization", 1, wrapONNX("LayerNormalization", 17, 2, 3))
}

// Versions of the ai.onnx kernels the fused ones are built from.
const (
	convOpset   = 11
	gemmOpset   = 13
	matmulOpset = 13
	addOpset    = 14
)

// innerNode is a copy of n as the ai.onnx op (opType at opset) with its
// first nIn inputs and first output, without the epilogue attributes.
func innerNode(n *ops.Node, opType string, opset, nIn int) *ops.Node {
	g := &graph.Node{Name: n.Name, OpType: opType, Attrs: map[string]*graph.Attribute{}}
	for k, a := range n.Attrs {
		if k != "activation" && k != "activation_params" {
			g.Attrs[k] = a
		}
	}
	nIn = min(nIn, len(n.Inputs))
	g.Inputs = append([]string(nil), n.Inputs[:nIn]...)
	// Trailing absent inputs are dropped, as a file would write them.
	for len(g.Inputs) > 0 && g.Inputs[len(g.Inputs)-1] == "" {
		g.Inputs = g.Inputs[:len(g.Inputs)-1]
	}
	if len(n.Outputs) > 0 {
		g.Outputs = []string{n.Outputs[0]}
	}
	in := &ops.Node{Node: g, Opset: opset, CompileGraph: n.CompileGraph}
	in.Consts = make([]*tensor.Tensor, len(g.Inputs))
	for i := range in.Consts {
		in.Consts[i] = n.Const(i)
	}
	if len(n.InputTypes) > 0 {
		in.InputTypes = make([]*graph.Type, len(g.Inputs))
		for i := range in.InputTypes {
			if i < len(n.InputTypes) {
				in.InputTypes[i] = n.InputTypes[i]
			}
		}
	}
	return in
}

// buildInner looks up and builds the ai.onnx kernel a fused op starts from.
// It returns the kernel and how many of the node's inputs it takes.
func buildInner(n *ops.Node, op, opType string, opset, nIn int) (ops.Kernel, int, error) {
	b, ok := ops.Lookup("", opType, opset)
	if !ok {
		return nil, 0, fmt.Errorf("%s needs the ai.onnx %s kernel (opset %d), which is not registered", op, opType, opset)
	}
	in := innerNode(n, opType, opset, nIn)
	k, err := b(in)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	if opType == "Gemm" {
		adoptConsumed(n, in) // FusedGemm always runs the inner Gemm
	}
	return k, len(in.Inputs), nil
}

// addKernel builds a general (broadcasting) ai.onnx Add, the fallback for
// addends whose shape is not the output's.
func addKernel(op string) (ops.Kernel, error) {
	b, ok := ops.Lookup("", "Add", addOpset)
	if !ok {
		return nil, fmt.Errorf("%s needs the ai.onnx Add kernel, which is not registered", op)
	}
	g := &graph.Node{Name: op + "/add", OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"y"}}
	return b(&ops.Node{Node: g, Opset: addOpset, Consts: make([]*tensor.Tensor, 2)})
}

func checkOutputs(n *ops.Node, op string) error {
	if len(n.Outputs) != 1 || n.Outputs[0] == "" {
		return fmt.Errorf("%s has exactly one output, got %d", op, len(n.Outputs))
	}
	return nil
}

// firstTensor takes the single tensor output of an inner kernel.
func firstTensor(op string, outs []tensor.Value) (*tensor.Tensor, error) {
	if len(outs) == 0 || outs[0] == nil {
		return nil, fmt.Errorf("%s: the inner kernel produced no output", op)
	}
	t, ok := outs[0].(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: the inner kernel produced a %T, want a tensor", op, outs[0])
	}
	return t, nil
}

// optTensor returns input i as a tensor, nil when absent.
func optTensor(op, what string, in []tensor.Value, i int) (*tensor.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, nil
	}
	t, ok := in[i].(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: input %d (%s) must be a tensor, got %T", op, i, what, in[i])
	}
	return t, nil
}

// fusedKernel runs inner on the first nIn inputs, adds the optional addend
// at input index addIdx (residual or bias), then applies the activation.
type fusedKernel struct {
	op      string
	inner   ops.Kernel
	nIn     int
	addIdx  int // -1: no addend input
	addWhat string
	bias    bool // the addend is a MatMul bias: fast path broadcasts it over rows
	add     ops.Kernel
	act     activation
}

func (k *fusedKernel) Run(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	innerIn := in
	if len(innerIn) > k.nIn {
		innerIn = innerIn[:k.nIn]
	}
	outs, err := k.inner.Run(rc, innerIn)
	if err != nil {
		return nil, err
	}
	y, err := firstTensor(k.op, outs)
	if err != nil {
		return nil, err
	}
	var z *tensor.Tensor
	if k.addIdx >= 0 {
		if z, err = optTensor(k.op, k.addWhat, in, k.addIdx); err != nil {
			return nil, err
		}
	}
	if z == nil && k.act.kind == actNone {
		return rc.Results(y), nil
	}
	y = owned(y, in)
	if z != nil {
		switch {
		case z.DType() == y.DType() && floatOut(y.DType()) && ops.ShapeEqual(z.Shape(), y.Shape()):
			// Fast path: same shape, added in the epilogue.
		case k.bias && z.DType() == y.DType() && floatOut(y.DType()) && rowBias(y.Shape(), z.Shape()):
			if err := addRowBias(y, z); err != nil {
				return nil, err
			}
			z = nil
		default:
			// Broadcasting addend: the general Add gives exactly the
			// unfused result (and its errors), into fresh memory.
			r, err := k.add.Run(rc, []tensor.Value{y, z})
			if err != nil {
				return nil, fmt.Errorf("%s: adding %s: %w", k.op, k.addWhat, err)
			}
			if y, err = firstTensor(k.op, r); err != nil {
				return nil, err
			}
			y = owned(y, in)
			z = nil
		}
	}
	if k.act.kind != actNone && !floatOut(y.DType()) {
		return nil, fmt.Errorf("%s: activation %s needs a float output (float16, bfloat16, float32, float64), got %v", k.op, k.act.name, y.DType())
	}
	threads := 1
	if rc != nil {
		threads = rc.Threads
	}
	if err := epilogue(threads, k.act, y, z); err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	return rc.Results(y), nil
}

// rowBias reports whether a bias of shape bs adds along the last axis of
// y (shape ys) without changing y's shape: rank ≤ 1 with one value or
// ys[-1] values, and y of rank ≥ the bias's.
func rowBias(ys, bs []int) bool {
	if len(bs) > 1 || len(ys) < len(bs) {
		return false
	}
	n := 1
	if len(bs) == 1 {
		n = bs[0]
	}
	if n == 1 {
		return true
	}
	return len(ys) > 0 && ys[len(ys)-1] == n
}

// addRowBias adds a row bias (see rowBias) to y in place, rounding as Add
// would.
func addRowBias(y, b *tensor.Tensor) error {
	switch yd := y.Data().(type) {
	case []float32:
		addRows(yd, tensor.Data[float32](b))
	case []float64:
		addRows(yd, tensor.Data[float64](b))
	case []tensor.F16:
		addRowsHalf(yd, tensor.Data[tensor.F16](b))
	case []tensor.BF16:
		addRowsHalf(yd, tensor.Data[tensor.BF16](b))
	default:
		return fmt.Errorf("internal: bias on %v", y.DType())
	}
	return nil
}

func addRows[T float32 | float64](y, b []T) {
	if len(b) == 1 {
		v := b[0]
		for i := range y {
			y[i] += v
		}
		return
	}
	n := len(b)
	for r := 0; r+n <= len(y); r += n {
		row := y[r : r+n]
		for j := range row {
			row[j] += b[j]
		}
	}
}

func addRowsHalf[H half](y, b []H) {
	n := len(b)
	for i, v := range y {
		y[i] = narrow[H](float64(widen(v)) + float64(widen(b[i%n])))
	}
}

// buildFusedConv: FusedConv(X, W, B?, Z?) = act(Conv(X, W, B) + Z).
func buildFusedConv(n *ops.Node) (ops.Kernel, error) {
	const op = "FusedConv"
	if len(n.Inputs) < 2 || len(n.Inputs) > 4 {
		return nil, fmt.Errorf("%s takes 2 to 4 inputs (X, W, B, Z), got %d", op, len(n.Inputs))
	}
	if err := checkOutputs(n, op); err != nil {
		return nil, err
	}
	act, err := parseActivation(n, op)
	if err != nil {
		return nil, err
	}
	// The convolution applies bias, residual and activation in its GEMM
	// epilogue (or per plane for depthwise), while the output is in cache.
	in := innerNode(n, "Conv", convOpset, 4)
	k, err := conv.NewFused(in, conv.Fusion{Act: linalgAct[act.kind], Alpha: act.p0, Beta: act.p1, Residual: n.HasInput(3)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !n.HasInput(3) {
		adoptConsumed(n, in)
		return k, nil
	}
	// A residual that broadcasts the result up (rare; shapes unknown at
	// load) takes the composed path: Conv, then Add, then the activation.
	// It is built on first need (it packs W again), so W's original stays
	// (it is not marked consumed).
	var (
		once    sync.Once
		slow    ops.Kernel
		slowErr error
	)
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		out, err := k.Run(rc, in)
		if errors.Is(err, conv.ErrResidualShape) {
			once.Do(func() { slow, slowErr = buildFused(n, op, "Conv", convOpset, 3, 3, "Z", false) })
			if slowErr != nil {
				return nil, slowErr
			}
			return slow.Run(rc, in)
		}
		return out, err
	}), nil
}

// adoptConsumed copies the constant inputs an inner kernel consumed (packed)
// onto the fused node, so the engine may release the originals.
func adoptConsumed(n, inner *ops.Node) {
	for i, c := range inner.Consumed {
		if c {
			n.ConsumeConst(i)
		}
	}
}

// linalgAct maps fused activations to the GEMM epilogue's.
var linalgAct = map[actKind]linalg.Activation{
	actNone: linalg.ActNone, actRelu: linalg.ActRelu, actLeakyRelu: linalg.ActLeakyRelu,
	actClip: linalg.ActClip, actSigmoid: linalg.ActSigmoid, actTanh: linalg.ActTanh,
	actHardSigmoid: linalg.ActHardSigmoid, actHardSwish: linalg.ActHardSwish, actSiLU: linalg.ActSiLU,
	actGelu: linalg.ActGelu,
}

// buildFusedGemm: FusedGemm(A, B, C?) = act(Gemm(A, B, C)).
func buildFusedGemm(n *ops.Node) (ops.Kernel, error) {
	const op = "FusedGemm"
	if len(n.Inputs) < 2 || len(n.Inputs) > 3 {
		return nil, fmt.Errorf("%s takes 2 or 3 inputs (A, B, C), got %d", op, len(n.Inputs))
	}
	if err := checkOutputs(n, op); err != nil {
		return nil, err
	}
	return buildFused(n, op, "Gemm", gemmOpset, 3, -1, "", false)
}

// buildFusedMatMul: FusedMatMul(A, B, bias?, Z?) = act(MatMul(A, B) + bias + Z).
func buildFusedMatMul(n *ops.Node) (ops.Kernel, error) {
	const op = "FusedMatMul"
	if len(n.Inputs) < 2 || len(n.Inputs) > 4 {
		return nil, fmt.Errorf("%s takes 2 to 4 inputs (A, B, bias, Z), got %d", op, len(n.Inputs))
	}
	if err := checkOutputs(n, op); err != nil {
		return nil, err
	}
	for k := range n.Attrs {
		if k != "activation" && k != "activation_params" {
			return nil, fmt.Errorf("%s: unknown attribute %q (it takes activation and activation_params)", op, k)
		}
	}
	return newMatMulKernel(n)
}

func buildFused(n *ops.Node, op, opType string, opset, nIn, addIdx int, addWhat string, bias bool) (ops.Kernel, error) {
	act, err := parseActivation(n, op)
	if err != nil {
		return nil, err
	}
	inner, nIn, err := buildInner(n, op, opType, opset, nIn)
	if err != nil {
		return nil, err
	}
	k := &fusedKernel{op: op, inner: inner, nIn: nIn, addIdx: -1, act: act, bias: bias}
	if addIdx >= 0 && n.HasInput(addIdx) {
		k.addIdx, k.addWhat = addIdx, addWhat
		if k.add, err = addKernel(op); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// wrapONNX registers a gonyx op that is exactly an ai.onnx op at a given
// version (so models importing an older ai.onnx opset can use it).
func wrapONNX(opType string, opset, minIn, maxIn int) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		op := Domain + "." + opType
		if len(n.Inputs) < minIn || len(n.Inputs) > maxIn {
			want := fmt.Sprint(minIn)
			if maxIn != minIn {
				want = fmt.Sprintf("%d to %d", minIn, maxIn)
			}
			return nil, fmt.Errorf("%s takes %s inputs, got %d", op, want, len(n.Inputs))
		}
		b, ok := ops.Lookup("", opType, opset)
		if !ok {
			return nil, fmt.Errorf("%s needs the ai.onnx %s kernel (opset %d), which is not registered", op, opType, opset)
		}
		c := *n.Node
		c.Domain = ""
		inner := *n
		inner.Node = &c
		inner.Opset = opset
		k, err := b(&inner)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return k, nil
	}
}
