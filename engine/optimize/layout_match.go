package optimize

import (
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/nchwc"
)

// minDenseChannels: a dense conv reading fewer input channels from an NCHW
// value does not block its input. Blocking would pad it to 16 channels (a
// first layer on RGB would do 5x the multiplications) and cost a reorder;
// such a first layer becomes NchwcConv with input_layout "nchw" instead,
// reading the NCHW input as it is, when it has at least minDenseChannels
// outputs. A conv whose input is already blocked converts whatever its
// channel count.
const minDenseChannels = 8

// convertible decides whether n runs on blocked values, given the values
// the plan has blocked so far; nil when it stays as it is.
func convertible(c *ctx, s *scope, p *layoutPlan, n *graph.Node) *conversion {
	if len(n.Outputs) != 1 || n.Outputs[0] == "" || len(subgraphs(n)) > 0 {
		// MaxPool may list an empty indices output.
		if !(isOp(n, "MaxPool") && len(n.Outputs) == 2 && n.Outputs[0] != "" && n.Outputs[1] == "" && len(subgraphs(n)) == 0) {
			return nil
		}
	}
	switch {
	case isOp(n, "Conv") || isGonyx(n, "FusedConv"):
		return convConversion(s, p, n)
	case isOp(n, "MaxPool") || isOp(n, "AveragePool"):
		if !c.canGonyx("Nchwc" + n.OpType) {
			return nil
		}
		return poolConversion(p, n)
	case isOp(n, "GlobalAveragePool"):
		if !c.canGonyx("NchwcGlobalAveragePool") || len(n.Inputs) != 1 || len(n.Attrs) != 0 {
			return nil
		}
		ch, ok := p.channels[n.Inputs[0]]
		if !ok {
			return nil
		}
		return blockedCopy(n, "NchwcGlobalAveragePool", GonyxDomain, n.Attrs, ch, 1)
	case isOp(n, "Concat"):
		return concatConversion(p, n)
	case isONNX(n) && blockedUnary[n.OpType]:
		if len(n.Inputs) != 1 {
			return nil
		}
		ch, ok := p.channels[n.Inputs[0]]
		if !ok {
			return nil
		}
		return blockedCopy(n, n.OpType, n.Domain, n.Attrs, ch, 1)
	case isOp(n, "Clip"):
		return clipConversion(c, s, p, n)
	case isOp(n, "Add") || isOp(n, "Sub") || isOp(n, "Mul") || isOp(n, "Div"):
		cv := binaryConversion(s, p, n)
		if cv != nil && n.OpType == "Mul" && cv.blocked[0] && cv.blocked[1] && c.canGonyx("NchwcMul") {
			// ai.onnx Mul broadcasts a squeeze-excite scale over blocked
			// pixels 16 values at a time; NchwcMul does it block-wise.
			cv.node.OpType, cv.node.Domain = "NchwcMul", GonyxDomain
			c.emittedGonyx = true
		}
		return cv
	}
	return nil
}

// blockedUnary lists elementwise ops that keep every lane in its own lane
// and map finite values to finite ones, so padding channels stay harmless.
var blockedUnary = map[string]bool{
	"Relu": true, "Sigmoid": true, "Tanh": true, "LeakyRelu": true, "HardSigmoid": true, "HardSwish": true,
}

// blockedCopy is the conversion of n to op with its inputs and output
// renamed later; the first nBlocked inputs are blocked.
func blockedCopy(n *graph.Node, op, domain string, attrs map[string]*graph.Attribute, ch, nBlocked int) *conversion {
	nd := &graph.Node{
		Name: n.Name, OpType: op, Domain: domain, DocString: n.DocString,
		Inputs: append([]string(nil), n.Inputs...), Outputs: []string{n.Outputs[0]},
		Attrs: attrs,
	}
	if nd.Attrs == nil {
		nd.Attrs = map[string]*graph.Attribute{}
	}
	cv := &conversion{node: nd, blocked: make([]bool, len(n.Inputs)), reorderChannels: make([]int, len(n.Inputs)), channels: ch}
	for i := 0; i < nBlocked && i < len(n.Inputs); i++ {
		cv.blocked[i] = true
	}
	return cv
}

// convConversion: a 2-D Conv or FusedConv with constant float32 weights,
// dense or depthwise, becomes NchwcConv.
func convConversion(s *scope, p *layoutPlan, n *graph.Node) *conversion {
	maxIn := 3
	if isGonyx(n, "FusedConv") {
		maxIn = 4
	}
	if len(n.Inputs) < 2 || len(n.Inputs) > maxIn || n.Inputs[0] == "" || s.constant(n.Inputs[0]) != nil {
		return nil
	}
	w := s.constant(n.Inputs[1])
	if w == nil || w.DType() != tensor.Float32 || w.Rank() != 4 || w.Len() == 0 {
		return nil
	}
	ws := w.Shape()
	oc := ws[0]
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		b := s.constant(n.Inputs[2])
		if b == nil || b.DType() != tensor.Float32 || b.Rank() != 1 || b.Len() != oc {
			return nil
		}
	}
	if !convAttrsOK(n, ws) {
		return nil
	}
	group, _ := intAttr(n, "group", 1)
	var ic int
	switch {
	case group == 1:
		ic = ws[1]
	case group == int64(oc) && ws[1] == 1:
		ic = oc // depthwise
	default:
		return nil
	}
	x := n.Inputs[0]
	firstLayer := false
	if xc, blocked := p.channels[x]; blocked {
		if xc != ic {
			return nil // an invalid model: left for the Conv kernel to report
		}
	} else if group == 1 && ic < minDenseChannels {
		// A first layer with few outputs would hand its readers mostly
		// padding channels to compute on.
		if p.keepNCHW[n] || oc < minDenseChannels {
			return nil
		}
		firstLayer = true
	}
	cv := blockedCopy(n, "NchwcConv", GonyxDomain, copyAttrs(n), oc, 1)
	cv.reorderChannels[0] = ic
	cv.isConv = true
	if firstLayer {
		cv.blocked[0], cv.reorderChannels[0] = false, 0
		cv.nchwInput = true
		cv.node.Attrs["input_layout"] = &graph.Attribute{Name: "input_layout", Type: graph.AttrString, S: []byte("nchw")}
	}
	if len(n.Inputs) == 4 && n.Inputs[3] != "" {
		// FusedConv adds any Z that broadcasts; blocked, Z needs all OC
		// channels (known for a blocked value, else from its declared type).
		z := n.Inputs[3]
		if zc, blocked := p.channels[z]; blocked && zc != oc || !blocked && declaredChannels(s, z) != oc {
			return nil
		}
		cv.blocked[3] = true
		cv.reorderChannels[3] = oc
	}
	return cv
}

// convAttrsOK reports whether n's attributes are Conv's (and FusedConv's
// activation) with 2-D shapes, so that NchwcConv reads them the same way.
func convAttrsOK(n *graph.Node, ws []int) bool {
	for k, a := range n.Attrs {
		if a == nil {
			return false
		}
		switch k {
		case "kernel_shape":
			if a.Type != graph.AttrInts || len(a.Ints) != 2 || a.Ints[0] != int64(ws[2]) || a.Ints[1] != int64(ws[3]) {
				return false
			}
		case "strides", "dilations":
			if !positiveInts(a, 2) {
				return false
			}
		case "pads":
			if a.Type != graph.AttrInts || len(a.Ints) != 4 {
				return false
			}
			for _, v := range a.Ints {
				if v < 0 || v > 1<<20 {
					return false
				}
			}
		case "group":
			if a.Type != graph.AttrInt {
				return false
			}
		case "auto_pad":
			if !autoPadOK(a) {
				return false
			}
		case "activation", "activation_params":
			if !isGonyx(n, "FusedConv") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func positiveInts(a *graph.Attribute, n int) bool {
	if a.Type != graph.AttrInts || len(a.Ints) != n {
		return false
	}
	for _, v := range a.Ints {
		if v < 1 || v > 1<<20 {
			return false
		}
	}
	return true
}

func autoPadOK(a *graph.Attribute) bool {
	if a.Type != graph.AttrString {
		return false
	}
	switch string(a.S) {
	case "", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
		return true
	}
	return false
}

// poolConversion: a 2-D MaxPool (without indices) or AveragePool of a
// blocked value.
func poolConversion(p *layoutPlan, n *graph.Node) *conversion {
	if len(n.Inputs) != 1 {
		return nil
	}
	ch, ok := p.channels[n.Inputs[0]]
	if !ok {
		return nil
	}
	ks := n.Attrs["kernel_shape"]
	if ks == nil || !positiveInts(ks, 2) {
		return nil
	}
	for k, a := range n.Attrs {
		if a == nil {
			return nil
		}
		switch k {
		case "kernel_shape":
		case "strides", "dilations":
			if !positiveInts(a, 2) {
				return nil
			}
		case "pads":
			if a.Type != graph.AttrInts || len(a.Ints) != 4 {
				return nil
			}
			for _, v := range a.Ints {
				if v < 0 || v > 1<<20 {
					return nil
				}
			}
		case "auto_pad":
			if !autoPadOK(a) {
				return nil
			}
		case "ceil_mode":
			if a.Type != graph.AttrInt {
				return nil
			}
		case "count_include_pad":
			if a.Type != graph.AttrInt || n.OpType != "AveragePool" {
				return nil
			}
		case "storage_order": // only shapes the indices output, which is absent
			if a.Type != graph.AttrInt || n.OpType != "MaxPool" {
				return nil
			}
		default:
			return nil
		}
	}
	attrs := copyAttrs(n)
	delete(attrs, "storage_order")
	return blockedCopy(&graph.Node{Name: n.Name, DocString: n.DocString, Inputs: n.Inputs, Outputs: n.Outputs[:1]},
		"Nchwc"+n.OpType, GonyxDomain, attrs, ch, 1)
}

// concatConversion: a Concat on the channel axis of blocked values is a
// Concat of the blocked tensors when every block but the last is full.
func concatConversion(p *layoutPlan, n *graph.Node) *conversion {
	if len(n.Inputs) == 0 || len(n.Attrs) != 1 {
		return nil
	}
	axis := n.Attrs["axis"]
	if axis == nil || axis.Type != graph.AttrInt || (axis.I != 1 && axis.I != -3) {
		return nil
	}
	total := 0
	for i, in := range n.Inputs {
		ch, ok := p.channels[in]
		if !ok || (i < len(n.Inputs)-1 && ch%nchwc.Block != 0) {
			return nil
		}
		total += ch
	}
	// Axis 1 of the 5-D blocked tensors (-3 would name another axis there).
	attrs := map[string]*graph.Attribute{"axis": intAttribute("axis", 1)}
	return blockedCopy(n, "Concat", n.Domain, attrs, total, len(n.Inputs))
}

// clipConversion: Clip of a blocked value with constant (or attribute)
// bounds.
func clipConversion(c *ctx, s *scope, p *layoutPlan, n *graph.Node) *conversion {
	if len(n.Inputs) == 0 || len(n.Inputs) > 3 {
		return nil
	}
	ch, ok := p.channels[n.Inputs[0]]
	if !ok {
		return nil
	}
	for _, b := range n.Inputs[1:] {
		if b == "" {
			continue
		}
		if _, ok := finiteScalar(s, b); !ok {
			return nil
		}
	}
	return blockedCopy(n, "Clip", n.Domain, n.Attrs, ch, 1)
}

// binaryConversion: Add/Sub/Mul/Div of blocked values with one channel
// count, or of a blocked value and a finite constant scalar. Div only
// divides a blocked value by a nonzero scalar: padding channels may be 0,
// and 0/0 would put a NaN where convolutions multiply by zero weights.
func binaryConversion(s *scope, p *layoutPlan, n *graph.Node) *conversion {
	if len(n.Inputs) != 2 || len(n.Attrs) != 0 || n.Inputs[0] == "" || n.Inputs[1] == "" {
		return nil
	}
	ch := -1
	blocked := []bool{false, false}
	for i, in := range n.Inputs {
		if c, ok := p.channels[in]; ok {
			if (ch >= 0 && c != ch) || (n.OpType == "Div" && i == 1) {
				return nil
			}
			ch, blocked[i] = c, true
			continue
		}
		v, ok := finiteScalar(s, in)
		if !ok || (n.OpType == "Div" && (i == 0 || v == 0)) {
			return nil
		}
	}
	if ch < 0 {
		return nil
	}
	cv := blockedCopy(n, n.OpType, n.Domain, n.Attrs, ch, 0)
	cv.blocked = blocked
	return cv
}

// finiteScalar returns the value of a float32 constant with one element
// and rank ≤ 4 (so that it broadcasts over a 4-D value and its 5-D blocked
// form alike, without changing the result's rank).
func finiteScalar(s *scope, name string) (float64, bool) {
	t := s.constant(name)
	if t == nil || t.DType() != tensor.Float32 || t.Len() != 1 || t.Rank() > 4 {
		return 0, false
	}
	v := t.Float64s()[0]
	return v, !math.IsInf(v, 0) && !math.IsNaN(v)
}

// declaredChannels is dimension 1 of a value's declared 4-D type, or -1.
func declaredChannels(s *scope, v string) int {
	t := s.declType(v)
	if t == nil || t.Kind != graph.KindTensor || len(t.Shape) != 4 || t.Shape[1].Value < 1 {
		return -1
	}
	return int(t.Shape[1].Value)
}

// foldChannelScales folds squeeze-excite scales into the convolution after
// them, on the blocked graph emit wrote: NchwcMul(s, x) whose only reader
// is a dense NchwcConv on blocked input becomes that conv's input S,
// NchwcConv(x, W, B, Z, S), which scales its filter (or its input, when
// that is cheaper) instead of writing x ⊙ s. s must provably be a channel
// scale of x, [N, CB, 1, 1, 16] (see channelScaleOf). It returns the
// number of folds; s is reindexed when there were any.
func foldChannelScales(s *scope) int {
	drop := map[*graph.Node]bool{}
	for _, n := range s.g.Nodes {
		if !isGonyx(n, "NchwcMul") || len(n.Inputs) != 2 || len(n.Outputs) != 1 {
			continue
		}
		conv := scaledConvReader(s, n.Outputs[0])
		if conv == nil {
			continue
		}
		for i := 0; i < 2; i++ {
			sc, x := n.Inputs[i], n.Inputs[1-i]
			if sc == "" || x == "" || sc == x || !channelScaleOf(s, sc, x, 0) {
				continue
			}
			in := append(conv.Inputs, make([]string, 5-len(conv.Inputs))...)
			in[0], in[4] = x, sc
			conv.Inputs = in
			drop[n] = true
			break
		}
	}
	if len(drop) == 0 {
		return 0
	}
	out := s.g.Nodes[:0]
	for _, n := range s.g.Nodes {
		if !drop[n] {
			out = append(out, n)
		}
	}
	s.g.Nodes = out
	s.reindex()
	return len(drop)
}

// scaledConvReader returns the NchwcConv that can take a channel scale in
// place of value v: v's only reader, reading it as X only, dense, on
// blocked input, with no scale yet; v is no graph output and no subgraph
// reads it.
func scaledConvReader(s *scope, v string) *graph.Node {
	uses := s.uses[v]
	if len(uses) != 1 || s.isOutput[v] || len(s.subUses[v]) > 0 {
		return nil
	}
	conv := uses[0]
	if !isGonyx(conv, "NchwcConv") || len(conv.Inputs) < 2 || len(conv.Inputs) > 4 || conv.Inputs[0] != v {
		return nil
	}
	for _, in := range conv.Inputs[1:] {
		if in == v {
			return nil
		}
	}
	if g, ok := intAttr(conv, "group", 1); !ok || g != 1 {
		return nil
	}
	if a := conv.Attrs["input_layout"]; a != nil && (a.Type != graph.AttrString || string(a.S) != "nchwc") {
		return nil
	}
	return conv
}

// maxScaleDepth bounds the walk up a scale's producers.
const maxScaleDepth = 16

// channelScaleOf reports whether blocked value v is provably a channel
// scale of blocked value x: shape [N, CB, 1, 1, 16] with x's N. It is if
// it comes from NchwcGlobalAveragePool(x) through 1×1 unpadded
// convolutions, the lane-wise unary ops, Clip, and Add/Sub/Mul/Div with
// other such scales or constant scalars, none of which changes the shape.
func channelScaleOf(s *scope, v, x string, depth int) bool {
	p := s.producer[v]
	if p == nil || depth > maxScaleDepth || len(p.Outputs) != 1 || len(p.Inputs) == 0 {
		return false
	}
	switch {
	case isGonyx(p, "NchwcGlobalAveragePool"):
		return p.Inputs[0] == x
	case isGonyx(p, "NchwcConv"):
		if len(p.Inputs) > 4 || !pointConv(s, p) {
			return false
		}
		if len(p.Inputs) == 4 && p.Inputs[3] != "" && !channelScaleOf(s, p.Inputs[3], x, depth+1) {
			return false
		}
		return channelScaleOf(s, p.Inputs[0], x, depth+1)
	case isONNX(p) && (blockedUnary[p.OpType] || p.OpType == "Clip"):
		return channelScaleOf(s, p.Inputs[0], x, depth+1)
	case isGonyx(p, "NchwcMul") || isOp(p, "Add") || isOp(p, "Sub") || isOp(p, "Mul") || isOp(p, "Div"):
		if len(p.Inputs) != 2 {
			return false
		}
		scales := 0
		for _, in := range p.Inputs {
			if _, ok := finiteScalar(s, in); ok {
				continue
			}
			if !channelScaleOf(s, in, x, depth+1) {
				return false
			}
			scales++
		}
		return scales > 0
	}
	return false
}

// pointConv reports whether NchwcConv n keeps a 1×1 input 1×1: a 1×1
// kernel, no explicit pads (auto_pad then pads nothing), blocked input.
func pointConv(s *scope, n *graph.Node) bool {
	w := s.constant(n.Inputs[1])
	if w == nil || w.Rank() != 4 || w.Shape()[2] != 1 || w.Shape()[3] != 1 {
		return false
	}
	pads, ok := intsAttr(n, "pads")
	if !ok {
		return false
	}
	for _, p := range pads {
		if p != 0 {
			return false
		}
	}
	a := n.Attrs["input_layout"]
	return a == nil || (a.Type == graph.AttrString && string(a.S) == "nchwc")
}
