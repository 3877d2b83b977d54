package fused

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/nchwc"
	"github.com/gonyx/gonyx/ops/vector"
)

// The NCHWc ops: the graph pass engine/optimize/layout.go rewrites CNNs to
// run on channel-blocked values (logical [N, C, H, W] stored as
// [N, ceil(C/16), H, W, 16], see ops/nchwc) with these.
//
//	NchwcConv(X, W, B?, Z?, S?) 2-D Conv (dense or depthwise) + Z + activation; X, Z, Y blocked;
//	                           Conv's attributes plus FusedConv's activation, activation_params;
//	                           input_layout "nchw": X is plain NCHW [N, C, H, W] (dense only: a
//	                           first layer on an RGB image), Z and Y still blocked;
//	                           S (dense, blocked X only): a channel scale [N or 1, CB, 1, 1, 16]
//	                           applied to X first, conv(X ⊙ S) (a squeeze-excite Mul folded in)
//	ReorderInput(X)            NCHW → blocked (optional attribute channels: X's C, checked)
//	ReorderOutput(X)           blocked → NCHW (attribute channels: the real C)
//	NchwcMaxPool(X)            2-D MaxPool (no indices), blocked in and out
//	NchwcAveragePool(X)        2-D AveragePool, blocked in and out
//	NchwcGlobalAveragePool(X)  blocked [N, CB, H, W, 16] → [N, CB, 1, 1, 16]
//	NchwcMul(A, B)             ai.onnx Mul, fast when one blocked operand scales the channels of
//	                           the other ([N, CB, 1, 1, 16] · [N, CB, H, W, 16], squeeze-excite)
func init() {
	ops.Register(Domain, "NchwcConv", 1, buildNchwcConv)
	ops.Register(Domain, "ReorderInput", 1, buildReorderInput)
	ops.Register(Domain, "ReorderOutput", 1, buildReorderOutput)
	ops.Register(Domain, "NchwcMaxPool", 1, buildNchwcPool(true))
	ops.Register(Domain, "NchwcAveragePool", 1, buildNchwcPool(false))
	ops.Register(Domain, "NchwcGlobalAveragePool", 1, buildNchwcGlobalAveragePool)
	ops.Register(Domain, "NchwcMul", 1, buildNchwcMul)
}

// blockedInput checks that input i is a float32 blocked tensor
// [N, CB, H, W, 16] (with CB == Blocks(channels) when channels > 0) and
// returns it with its shape.
func blockedInput(op, what string, in []tensor.Value, i, channels int) ([]float32, []int, error) {
	t, err := optTensor(op, what, in, i)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, fmt.Errorf("%s: input %s is missing", op, what)
	}
	if t.DType() != tensor.Float32 {
		return nil, nil, fmt.Errorf("%s: input %s must be float32, got %v", op, what, t.DType())
	}
	s := t.Shape()
	if len(s) != 5 || s[4] != nchwc.Block {
		return nil, nil, fmt.Errorf("%s: input %s must be blocked [N, C/16, H, W, 16], got shape %v", op, what, s)
	}
	if channels > 0 && s[1] != nchwc.Blocks(channels) {
		return nil, nil, fmt.Errorf("%s: input %s has %d channel blocks (shape %v), want %d for %d channels", op, what, s[1], s, nchwc.Blocks(channels), channels)
	}
	return tensor.Data[float32](t), s, nil
}

func oneInput(n *ops.Node, op string) error {
	if len(n.Inputs) != 1 || n.Inputs[0] == "" {
		return fmt.Errorf("%s takes one input, got %d", op, len(n.Inputs))
	}
	return checkOutputs(n, op)
}

// onlyAttrs rejects attributes other than the named ones: an attribute the
// kernel would ignore could change the meaning.
func onlyAttrs(n *ops.Node, op string, names ...string) error {
	for k := range n.Attrs {
		found := false
		for _, nm := range names {
			found = found || k == nm
		}
		if !found {
			return fmt.Errorf("%s: unsupported attribute %q", op, k)
		}
	}
	return nil
}

// pairAttr reads an optional 2-value positive list (strides, dilations,
// kernel_shape); def when absent.
func pairAttr(n *ops.Node, op, name string, def int) ([2]int, bool, error) {
	v, err := n.AttrInts(name, nil)
	if err != nil {
		return [2]int{}, false, fmt.Errorf("%s: %w", op, err)
	}
	if v == nil {
		return [2]int{def, def}, false, nil
	}
	if len(v) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1<<20 || v[1] > 1<<20 {
		return [2]int{}, false, fmt.Errorf("%s: %s must be 2 positive values, got %v", op, name, v)
	}
	return [2]int{int(v[0]), int(v[1])}, true, nil
}

// spatialAttrs are the 2-D window attributes Conv and the pools share.
type spatialAttrs struct {
	kernel, strides, dilations [2]int
	pads                       [4]int // top, left, bottom, right
	autoPad                    string
}

func parseSpatial(n *ops.Node, op string) (spatialAttrs, error) {
	var a spatialAttrs
	var err error
	if a.strides, _, err = pairAttr(n, op, "strides", 1); err != nil {
		return a, err
	}
	if a.dilations, _, err = pairAttr(n, op, "dilations", 1); err != nil {
		return a, err
	}
	if a.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return a, fmt.Errorf("%s: %w", op, err)
	}
	switch a.autoPad {
	case "", "NOTSET":
		a.autoPad = "NOTSET"
	case "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return a, fmt.Errorf("%s: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got %q", op, a.autoPad)
	}
	pads, err := n.AttrInts("pads", nil)
	if err != nil {
		return a, fmt.Errorf("%s: %w", op, err)
	}
	if pads != nil {
		if len(pads) != 4 {
			return a, fmt.Errorf("%s: pads must have 4 values (2-D begins then ends), got %v", op, pads)
		}
		for i, p := range pads {
			if p < 0 || p > 1<<20 {
				return a, fmt.Errorf("%s: pads must be >= 0, got %v", op, pads)
			}
			a.pads[i] = int(p)
		}
		// ONNX pads are [top, left, bottom, right] for 2-D: begins then ends.
	}
	if a.autoPad != "NOTSET" {
		a.pads = [4]int{}
	}
	return a, nil
}

// samePads resolves SAME_UPPER/SAME_LOWER for one dimension, as ops/conv
// and ops/nn do: the output is ceil(in/stride) and the extra pad goes at
// the end (UPPER) or the beginning (LOWER).
func samePads(autoPad string, in, k, s, d int) (begin, end, out int) {
	ext := (k-1)*d + 1
	out = (in + s - 1) / s
	total := max(0, (out-1)*s+ext-in)
	small := total / 2
	if autoPad == "SAME_UPPER" {
		return small, total - small, out
	}
	return total - small, small, out
}

// ---- NchwcConv ----

type nchwcConvKernel struct {
	op      string
	params  nchwc.ConvParams // pads unresolved for SAME_* with stride > 1
	autoPad string
	// nchwIn: X is plain NCHW (input_layout "nchw").
	nchwIn bool
	// scaled: input S scales X's channels before the convolution.
	scaled bool
	// conv is built at load when the pads do not depend on the input size;
	// otherwise one Conv per pad combination is built on first use from w
	// and bias (kept for that).
	conv    *nchwc.Conv
	w, bias []float32
	mu      sync.Mutex
	byPads  map[[4]int]*nchwc.Conv
}

// buildNchwcConv: NchwcConv(X, W, B?, Z?, S?) with X, Z and Y blocked.
func buildNchwcConv(n *ops.Node) (ops.Kernel, error) {
	const op = "NchwcConv"
	if len(n.Inputs) < 2 || len(n.Inputs) > 5 || n.Inputs[0] == "" || n.Inputs[1] == "" {
		return nil, fmt.Errorf("%s takes 2 to 5 inputs (X, W, B, Z, S), got %d", op, len(n.Inputs))
	}
	if err := checkOutputs(n, op); err != nil {
		return nil, err
	}
	if err := onlyAttrs(n, op, "kernel_shape", "strides", "dilations", "pads", "auto_pad", "group", "activation", "activation_params", "input_layout"); err != nil {
		return nil, err
	}
	layout, err := n.AttrString("input_layout", "nchwc")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if layout != "nchwc" && layout != "nchw" {
		return nil, fmt.Errorf("%s: input_layout must be \"nchwc\" (blocked) or \"nchw\", got %q", op, layout)
	}
	act, err := parseActivation(n, op)
	if err != nil {
		return nil, err
	}
	sp, err := parseSpatial(n, op)
	if err != nil {
		return nil, err
	}
	w := n.Const(1)
	if w == nil || w.DType() != tensor.Float32 || w.Rank() != 4 {
		return nil, fmt.Errorf("%s: W must be a constant float32 tensor [M, C/group, KH, KW]", op)
	}
	ws := w.Shape()
	if ks, given, err := pairAttr(n, op, "kernel_shape", 0); err != nil {
		return nil, err
	} else if given && (ks[0] != ws[2] || ks[1] != ws[3]) {
		return nil, fmt.Errorf("%s: kernel_shape %v does not match W's spatial shape %v", op, ks, ws[2:])
	}
	group, err := n.AttrInt("group", 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	p := nchwc.ConvParams{
		OutC: ws[0], Group: int(group), KH: ws[2], KW: ws[3],
		SH: sp.strides[0], SW: sp.strides[1], DH: sp.dilations[0], DW: sp.dilations[1],
		PadT: sp.pads[0], PadL: sp.pads[1], PadB: sp.pads[2], PadR: sp.pads[3],
		Act: linalgAct[act.kind], Alpha: act.p0, Beta: act.p1, Residual: n.HasInput(3),
	}
	switch {
	case group == 1:
		p.InC = ws[1]
	case group == int64(ws[0]) && ws[1] == 1:
		p.InC = ws[0]
	default:
		return nil, fmt.Errorf("%s: group %d with W of shape %v is neither dense (group 1) nor depthwise (group = channels, one filter each)", op, group, ws)
	}
	var bias []float32
	if n.HasInput(2) {
		b := n.Const(2)
		if b == nil || b.DType() != tensor.Float32 || b.Rank() != 1 || b.Len() != ws[0] {
			return nil, fmt.Errorf("%s: B must be a constant float32 tensor [%d]", op, ws[0])
		}
		bias = tensor.Data[float32](b)
	}
	k := &nchwcConvKernel{op: op, params: p, autoPad: sp.autoPad, nchwIn: layout == "nchw", scaled: n.HasInput(4)}
	if k.nchwIn && group != 1 {
		return nil, fmt.Errorf("%s: input_layout \"nchw\" needs a dense convolution (group 1), got group %d", op, group)
	}
	if k.scaled && (k.nchwIn || group != 1) {
		return nil, fmt.Errorf("%s: a channel scale S needs a dense convolution (group 1) on blocked input", op)
	}
	wd := tensor.Data[float32](w)
	if k.padsFixed() {
		if sp.autoPad == "SAME_UPPER" || sp.autoPad == "SAME_LOWER" {
			// Stride 1: the pads do not depend on the input size.
			k.params.PadT, k.params.PadB, _ = samePads(sp.autoPad, 1, p.KH, 1, p.DH)
			k.params.PadL, k.params.PadR, _ = samePads(sp.autoPad, 1, p.KW, 1, p.DW)
		}
		if k.conv, err = k.newConv(k.params, wd, bias); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		// The packed copy is all Run reads.
		n.ConsumeConst(1)
		n.ConsumeConst(2)
		return k, nil
	}
	if _, err := k.newConv(k.params, wd, bias); err != nil { // validates now, not on first run
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	k.w, k.bias, k.byPads = wd, bias, map[[4]int]*nchwc.Conv{}
	return k, nil
}

// newConv prepares the convolution p for the kernel's input layout.
func (k *nchwcConvKernel) newConv(p nchwc.ConvParams, w, bias []float32) (*nchwc.Conv, error) {
	if k.nchwIn {
		return nchwc.NewConvNCHW(p, w, bias)
	}
	return nchwc.NewConv(p, w, bias)
}

// padsFixed reports whether the pads are known at load time.
func (k *nchwcConvKernel) padsFixed() bool {
	same := k.autoPad == "SAME_UPPER" || k.autoPad == "SAME_LOWER"
	return !same || (k.params.SH == 1 && k.params.SW == 1)
}

// convFor returns the Conv for an h×w input.
func (k *nchwcConvKernel) convFor(h, w int) (*nchwc.Conv, error) {
	if k.conv != nil {
		return k.conv, nil
	}
	p := k.params
	p.PadT, p.PadB, _ = samePads(k.autoPad, h, p.KH, p.SH, p.DH)
	p.PadL, p.PadR, _ = samePads(k.autoPad, w, p.KW, p.SW, p.DW)
	key := [4]int{p.PadT, p.PadL, p.PadB, p.PadR}
	k.mu.Lock()
	defer k.mu.Unlock()
	if c := k.byPads[key]; c != nil {
		return c, nil
	}
	c, err := k.newConv(p, k.w, k.bias)
	if err != nil {
		return nil, err
	}
	k.byPads[key] = c
	return c, nil
}

func (k *nchwcConvKernel) Run(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	p := k.params
	var x []float32
	var xs []int
	var err error
	if k.nchwIn {
		x, xs, err = nchwInput(k.op, in, p.InC)
	} else {
		x, xs, err = blockedInput(k.op, "X", in, 0, p.InC)
	}
	if err != nil {
		return nil, err
	}
	conv, err := k.convFor(xs[2], xs[3])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	oh, ow, err := conv.Params().OutSize(xs[2], xs[3])
	if err != nil {
		return nil, fmt.Errorf("%s: input shape %v: %w", k.op, xs, err)
	}
	ys := []int{xs[0], nchwc.Blocks(p.OutC), oh, ow, nchwc.Block}
	y, err := rc.NewFloat32(ys, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	var z []float32
	if p.Residual {
		zd, zs, err := blockedInput(k.op, "Z", in, 3, p.OutC)
		if err != nil {
			return nil, err
		}
		if z, err = k.residual(rc, zd, zs, ys); err != nil {
			return nil, err
		}
	}
	var scale []float32
	scaleImages := 0
	if k.scaled {
		if scale, scaleImages, err = k.channelScale(in, xs); err != nil {
			return nil, err
		}
	}
	if xs[0] == 0 {
		return rc.Results(y), nil
	}
	if k.scaled {
		err = conv.RunScaled(x, xs[0], xs[2], xs[3], scale, scaleImages, z, tensor.Data[float32](y), rc.ThreadCount())
	} else {
		err = conv.Run(x, xs[0], xs[2], xs[3], z, tensor.Data[float32](y), rc.ThreadCount())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	return rc.Results(y), nil
}

// channelScale checks input S: blocked [N or 1, CB, 1, 1, 16] for X of
// shape xs. It returns S's data and how many images it covers.
func (k *nchwcConvKernel) channelScale(in []tensor.Value, xs []int) ([]float32, int, error) {
	s, ss, err := blockedInput(k.op, "S", in, 4, k.params.InC)
	if err != nil {
		return nil, 0, err
	}
	if ss[2] != 1 || ss[3] != 1 || (ss[0] != xs[0] && ss[0] != 1) {
		return nil, 0, fmt.Errorf("%s: channel scale S must have shape [%d or 1, %d, 1, 1, %d], got %v", k.op, xs[0], ss[1], nchwc.Block, ss)
	}
	return s, ss[0], nil
}

// nchwInput checks that input X is a float32 NCHW tensor [N, channels, H,
// W] and returns it with its shape.
func nchwInput(op string, in []tensor.Value, channels int) ([]float32, []int, error) {
	t, err := optTensor(op, "X", in, 0)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, fmt.Errorf("%s: input X is missing", op)
	}
	if t.DType() != tensor.Float32 {
		return nil, nil, fmt.Errorf("%s: input X must be float32, got %v", op, t.DType())
	}
	s := t.Shape()
	if len(s) != 4 || s[1] != channels {
		return nil, nil, fmt.Errorf("%s: input X must be NCHW [N, %d, H, W] (input_layout \"nchw\"), got shape %v", op, channels, s)
	}
	return tensor.Data[float32](t), s, nil
}

// residual returns Z in the output's shape: as is, or broadcast (a Z of
// shape [N, CB, 1, 1, 16] say, which the unfused Add accepts too).
func (k *nchwcConvKernel) residual(rc *ops.RunContext, z []float32, zs, ys []int) ([]float32, error) {
	if ops.ShapeEqual(zs, ys) {
		return z, nil
	}
	for i := range ys {
		if zs[i] != ys[i] && zs[i] != 1 {
			// Copies in the message keep zs and ys off the heap on the
			// success path (fmt would make them escape).
			return nil, fmt.Errorf("%s: residual Z of shape %v does not broadcast to the output shape %v", k.op, slices.Clone(zs), slices.Clone(ys))
		}
	}
	t, err := rc.NewFloat32(ys, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	out := tensor.Data[float32](t)
	broadcastBlocked(z, zs, ys, out)
	return out, nil
}

// broadcastBlocked expands z (shape zs, each dim 1 or ys's, last dim 16)
// to shape ys in out.
func broadcastBlocked(z []float32, zs, ys []int, out []float32) {
	// Strides of z over ys's index space (0 along broadcast dims).
	var st [4]int
	s := nchwc.Block
	for i := 3; i >= 0; i-- {
		if zs[i] != 1 {
			st[i] = s
		}
		s *= zs[i]
	}
	o := 0
	for a := 0; a < ys[0]; a++ {
		for b := 0; b < ys[1]; b++ {
			for c := 0; c < ys[2]; c++ {
				for d := 0; d < ys[3]; d++ {
					src := a*st[0] + b*st[1] + c*st[2] + d*st[3]
					copy(out[o:o+nchwc.Block], z[src:src+nchwc.Block])
					o += nchwc.Block
				}
			}
		}
	}
}

// ---- Reorders ----

// buildReorderInput: NCHW [N, C, H, W] float32 → blocked.
func buildReorderInput(n *ops.Node) (ops.Kernel, error) {
	const op = "ReorderInput"
	if err := oneInput(n, op); err != nil {
		return nil, err
	}
	if err := onlyAttrs(n, op, "channels"); err != nil {
		return nil, err
	}
	ch, err := n.AttrInt("channels", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if ch < 0 || ch > 1<<30 {
		return nil, fmt.Errorf("%s: channels must be positive, got %d", op, ch)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := ops.Input(in, 0)
		if x == nil {
			return nil, fmt.Errorf("%s: input X is missing", op)
		}
		s := x.Shape()
		if x.DType() != tensor.Float32 || len(s) != 4 {
			return nil, fmt.Errorf("%s: X must be a float32 [N, C, H, W] tensor, got %v%v", op, x.DType(), s)
		}
		if ch > 0 && s[1] != int(ch) {
			return nil, fmt.Errorf("%s: X has %d channels (shape %v), want %d", op, s[1], s, ch)
		}
		y, err := rc.NewFloat32([]int{s[0], nchwc.Blocks(s[1]), s[2], s[3], nchwc.Block}, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		nchwc.ReorderIn(tensor.Data[float32](x), s[0], s[1], s[2]*s[3], tensor.Data[float32](y), rc.ThreadCount())
		return rc.TensorResults(y), nil
	}), nil
}

// buildReorderOutput: blocked → NCHW [N, channels, H, W].
func buildReorderOutput(n *ops.Node) (ops.Kernel, error) {
	const op = "ReorderOutput"
	if err := oneInput(n, op); err != nil {
		return nil, err
	}
	if err := onlyAttrs(n, op, "channels"); err != nil {
		return nil, err
	}
	ch64, err := n.AttrInt("channels", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if ch64 < 1 || ch64 > 1<<30 {
		return nil, fmt.Errorf("%s: attribute channels must be positive, got %d", op, ch64)
	}
	ch := int(ch64)
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		x, s, err := blockedInput(op, "X", in, 0, ch)
		if err != nil {
			return nil, err
		}
		y, err := rc.NewFloat32([]int{s[0], ch, s[2], s[3]}, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		nchwc.ReorderOut(x, s[0], ch, s[2]*s[3], tensor.Data[float32](y), rc.ThreadCount())
		return rc.Results(y), nil
	}), nil
}

// ---- Pools ----

type nchwcPoolAttrs struct {
	spatialAttrs
	max, ceil, countIncludePad bool
}

// buildNchwcPool: NchwcMaxPool / NchwcAveragePool with the ONNX pool
// attributes (2-D), blocked in and out.
func buildNchwcPool(isMax bool) ops.Builder {
	op := "NchwcAveragePool"
	known := []string{"kernel_shape", "strides", "dilations", "pads", "auto_pad", "ceil_mode", "count_include_pad"}
	if isMax {
		op = "NchwcMaxPool"
		known = []string{"kernel_shape", "strides", "dilations", "pads", "auto_pad", "ceil_mode", "storage_order"}
	}
	return func(n *ops.Node) (ops.Kernel, error) {
		if err := oneInput(n, op); err != nil {
			return nil, err
		}
		if err := onlyAttrs(n, op, known...); err != nil {
			return nil, err
		}
		pa := &nchwcPoolAttrs{max: isMax}
		var err error
		if pa.spatialAttrs, err = parseSpatial(n, op); err != nil {
			return nil, err
		}
		ks, given, err := pairAttr(n, op, "kernel_shape", 0)
		if err != nil {
			return nil, err
		}
		if !given {
			return nil, fmt.Errorf("%s: attribute kernel_shape is required", op)
		}
		pa.kernel = ks
		c, err := n.AttrInt("ceil_mode", 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		pa.ceil = c != 0
		cip, err := n.AttrInt("count_include_pad", 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		pa.countIncludePad = cip != 0
		return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
			x, s, err := blockedInput(op, "X", in, 0, 0)
			if err != nil {
				return nil, err
			}
			p, err := pa.params(s[2], s[3])
			if err != nil {
				return nil, fmt.Errorf("%s: input shape %v: %w", op, s, err)
			}
			y, err := rc.NewFloat32([]int{s[0], s[1], p.OH, p.OW, nchwc.Block}, false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			nchwc.Pool(p, x, s[0], s[1], s[2], s[3], tensor.Data[float32](y), rc.ThreadCount())
			return rc.Results(y), nil
		}), nil
	}
}

// params resolves the pool's geometry for an h×w input as ops/nn does
// (auto_pad, ceil_mode: a last window must start inside the input or the
// begin pad).
func (pa *nchwcPoolAttrs) params(h, w int) (nchwc.PoolParams, error) {
	p := nchwc.PoolParams{
		Max: pa.max, KH: pa.kernel[0], KW: pa.kernel[1], SH: pa.strides[0], SW: pa.strides[1],
		DH: pa.dilations[0], DW: pa.dilations[1], CountIncludePad: pa.countIncludePad,
	}
	var err error
	p.PadT, p.PadB, p.OH, err = pa.dim(h, 0)
	if err != nil {
		return p, err
	}
	p.PadL, p.PadR, p.OW, err = pa.dim(w, 1)
	return p, err
}

func (pa *nchwcPoolAttrs) dim(in, i int) (begin, end, out int, err error) {
	k, s, d := pa.kernel[i], pa.strides[i], pa.dilations[i]
	ext := (k-1)*d + 1
	switch pa.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		begin, end, out = samePads(pa.autoPad, in, k, s, d)
	case "VALID":
		if pa.ceil {
			out = ceilDivInt(in-ext+1, s)
		} else if in >= ext {
			out = (in-ext)/s + 1
		}
	default:
		begin, end = pa.pads[i], pa.pads[i+2]
		span := in + begin + end - ext
		if span >= 0 {
			if pa.ceil {
				out = ceilDivInt(span, s) + 1
				if (out-1)*s >= in+begin {
					out--
				}
			} else {
				out = span/s + 1
			}
		}
	}
	if out <= 0 || in <= 0 {
		return 0, 0, 0, fmt.Errorf("kernel %v (dilations %v) does not fit spatial size %d with pads %d+%d", pa.kernel, pa.dilations, in, begin, end)
	}
	return begin, end, out, nil
}

func ceilDivInt(a, b int) int {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a) / b)
}

// buildNchwcGlobalAveragePool: blocked [N, CB, H, W, 16] → [N, CB, 1, 1, 16].
func buildNchwcGlobalAveragePool(n *ops.Node) (ops.Kernel, error) {
	const op = "NchwcGlobalAveragePool"
	if err := oneInput(n, op); err != nil {
		return nil, err
	}
	if err := onlyAttrs(n, op); err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		x, s, err := blockedInput(op, "X", in, 0, 0)
		if err != nil {
			return nil, err
		}
		if s[2]*s[3] == 0 {
			return nil, fmt.Errorf("%s: input shape %v has no pixels to average", op, s)
		}
		y, err := rc.NewFloat32([]int{s[0], s[1], 1, 1, nchwc.Block}, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		nchwc.GlobalAveragePool(x, s[0], s[1], s[2]*s[3], tensor.Data[float32](y), rc.ThreadCount())
		return rc.Results(y), nil
	}), nil
}

// ---- NchwcMul ----

// mulOpset is the ai.onnx Mul NchwcMul falls back to.
const mulOpset = 14

// buildNchwcMul: NchwcMul(A, B) computes ai.onnx Mul. The general
// broadcast walks the blocked channel scaling of squeeze-excite blocks
// ([N, CB, H, W, 16] · [N, CB, 1, 1, 16]) in spans of 16 values; here it
// runs as whole-block vector multiplies. Every other case is the ai.onnx
// kernel itself.
func buildNchwcMul(n *ops.Node) (ops.Kernel, error) {
	const op = "NchwcMul"
	if len(n.Inputs) != 2 || n.Inputs[0] == "" || n.Inputs[1] == "" {
		return nil, fmt.Errorf("%s takes two inputs, got %d", op, len(n.Inputs))
	}
	if err := checkOutputs(n, op); err != nil {
		return nil, err
	}
	if err := onlyAttrs(n, op); err != nil {
		return nil, err
	}
	b, ok := ops.Lookup("", "Mul", mulOpset)
	if !ok {
		return nil, fmt.Errorf("%s needs the ai.onnx Mul kernel, which is not registered", op)
	}
	g := &graph.Node{Name: n.Name, OpType: "Mul", Inputs: n.Inputs, Outputs: n.Outputs}
	mul, err := b(&ops.Node{Node: g, Opset: mulOpset, Consts: []*tensor.Tensor{n.Const(0), n.Const(1)}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		if len(in) == 2 {
			a, _ := in[0].(*tensor.Tensor)
			s, _ := in[1].(*tensor.Tensor)
			if channelScale(s, a) {
				return scaleChannels(rc, a, s)
			}
			if channelScale(a, s) {
				return scaleChannels(rc, s, a)
			}
		}
		return mul.Run(rc, in)
	}), nil
}

// channelScale reports whether s is a blocked [N or 1, CB, 1, 1, 16]
// float32 tensor that broadcasts over the blocked float32 x without
// changing x's shape.
func channelScale(s, x *tensor.Tensor) bool {
	if s == nil || x == nil || s.DType() != tensor.Float32 || x.DType() != tensor.Float32 || s.Rank() != 5 || x.Rank() != 5 {
		return false
	}
	ss, xs := s.Shape(), x.Shape()
	return ss[4] == nchwc.Block && xs[4] == nchwc.Block && ss[2] == 1 && ss[3] == 1 && ss[1] == xs[1] &&
		(ss[0] == xs[0] || ss[0] == 1)
}

// scaleTile bounds the repeated scale vector: 256 pixels of 16 lanes.
const scaleTile = 256 * nchwc.Block

// scaleChannels computes y = x · s for a channel scale s (see channelScale).
func scaleChannels(rc *ops.RunContext, x, s *tensor.Tensor) ([]tensor.Value, error) {
	xs := x.Shape()
	y, err := rc.NewFloat32(xs, false)
	if err != nil {
		return nil, err
	}
	xd, sd, yd := tensor.Data[float32](x), tensor.Data[float32](s), tensor.Data[float32](y)
	blocks, plane := xs[0]*xs[1], xs[2]*xs[3]*nchwc.Block
	if blocks == 0 || plane == 0 {
		return rc.Results(y), nil
	}
	sBatch := s.Shape()[0] > 1
	linalg.ParallelN(rc.ThreadCount(), blocks, max(1, (1<<15)/plane), func(lo, hi int) {
		// The block's 16 scales repeated over up to scaleTile values, so
		// each vector multiply covers many pixels.
		var rep [scaleTile]float32
		tile := min(plane, scaleTile)
		for bi := lo; bi < hi; bi++ {
			si := bi % xs[1]
			if sBatch {
				si = bi
			}
			v := sd[si*nchwc.Block : (si+1)*nchwc.Block]
			copy(rep[:nchwc.Block], v)
			for o := nchwc.Block; o < tile; o *= 2 {
				copy(rep[o:tile], rep[:o]) // doubling: few, long copies
			}
			xb, yb := xd[bi*plane:(bi+1)*plane], yd[bi*plane:(bi+1)*plane]
			for o := 0; o < plane; o += tile {
				e := min(plane, o+tile)
				vector.Mul(yb[o:e], xb[o:e], rep[:e-o])
			}
		}
	})
	return rc.Results(y), nil
}
