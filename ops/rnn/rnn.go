package rnn

import (
	"fmt"
	"slices"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "RNN", []int{1, 7, 14}, builder(cellRNN))
	ops.RegisterVersions("", "GRU", []int{1, 3, 7, 14}, builder(cellGRU))
	ops.RegisterVersions("", "LSTM", []int{1, 7, 14}, builder(cellLSTM))
}

type cellKind int

const (
	cellRNN cellKind = iota
	cellGRU
	cellLSTM
)

func (k cellKind) String() string {
	return [...]string{"RNN", "GRU", "LSTM"}[k]
}

// gates is the number of gate blocks stacked in W and R.
func (k cellKind) gates() int { return [...]int{1, 3, 4}[k] }

// numActs is the number of activation functions per direction.
func (k cellKind) numActs() int { return [...]int{1, 2, 3}[k] }

func (k cellKind) defaultActs() []string {
	switch k {
	case cellRNN:
		return []string{"Tanh"}
	case cellGRU:
		return []string{"Sigmoid", "Tanh"}
	}
	return []string{"Sigmoid", "Tanh", "Tanh"}
}

type direction int

const (
	dirForward direction = iota
	dirReverse
	dirBidirectional
)

// config is the node's parsed attributes; read-only after build.
type config struct {
	kind        cellKind
	hidden      int // 0 when the attribute is absent: taken from R's shape
	dir         direction
	dirs        int
	acts        [][]activation // per direction
	clip        float64        // 0 when absent
	layout      int
	lbr         bool // GRU linear_before_reset
	inputForget bool // LSTM input_forget
	nOut        int
	want        [3]bool   // requested outputs Y, Y_h, Y_c
	pre         *prepared // float32 weights packed at load time, or nil
}

func builder(kind cellKind) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		c, err := parseConfig(n, kind)
		if err != nil {
			return nil, err
		}
		if c.pre = c.prepare(n); c.pre != nil {
			// Runs with these weights use the packed copies only.
			n.ConsumeConst(1)
			n.ConsumeConst(2)
			n.ConsumeConst(3)
		}
		return ops.TensorsRC(c.run), nil
	}
}

func parseConfig(n *ops.Node, kind cellKind) (*config, error) {
	c := &config{kind: kind}
	hs, err := n.AttrInt("hidden_size", 0)
	if err != nil {
		return nil, err
	}
	if n.HasAttr("hidden_size") && hs <= 0 {
		return nil, fmt.Errorf("%s: hidden_size must be positive, got %d", kind, hs)
	}
	if hs > 1<<30 {
		return nil, fmt.Errorf("%s: hidden_size %d is too large", kind, hs)
	}
	c.hidden = int(hs)

	d, err := n.AttrString("direction", "forward")
	if err != nil {
		return nil, err
	}
	switch d {
	case "forward", "foward": // "foward" was the opset-1 schema's misspelt default
		c.dir, c.dirs = dirForward, 1
	case "reverse":
		c.dir, c.dirs = dirReverse, 1
	case "bidirectional":
		c.dir, c.dirs = dirBidirectional, 2
	default:
		return nil, fmt.Errorf("%s: direction must be forward, reverse or bidirectional, got %q", kind, d)
	}

	names, err := n.AttrStrings("activations", nil)
	if err != nil {
		return nil, err
	}
	alphas, err := n.AttrFloats("activation_alpha", nil)
	if err != nil {
		return nil, err
	}
	betas, err := n.AttrFloats("activation_beta", nil)
	if err != nil {
		return nil, err
	}
	per := kind.numActs()
	if len(names) == 0 {
		names = kind.defaultActs()
		if c.dirs == 2 {
			names = append(names, names...)
		}
	}
	acts, err := parseActivations(names, alphas, betas)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	switch {
	case len(acts) == per*c.dirs:
	case len(acts) == per && c.dirs == 2:
		// One set given for both directions.
		acts = append(acts, acts...)
	case len(acts) == 2*per && c.dirs == 1:
		// The RNN schema's default lists two functions even for one
		// direction; use the first set.
		acts = acts[:per]
	default:
		return nil, fmt.Errorf("%s: activations: want %d functions (%d per direction × %d directions), got %d",
			kind, per*c.dirs, per, c.dirs, len(acts))
	}
	for d := 0; d < c.dirs; d++ {
		c.acts = append(c.acts, acts[d*per:(d+1)*per])
	}

	if n.HasAttr("clip") {
		cl, err := n.AttrFloat("clip", 0)
		if err != nil {
			return nil, err
		}
		if !(cl > 0) {
			return nil, fmt.Errorf("%s: clip must be a positive threshold, got %v", kind, cl)
		}
		c.clip = float64(cl)
	}

	layout, err := n.AttrInt("layout", 0)
	if err != nil {
		return nil, err
	}
	if layout != 0 && layout != 1 {
		return nil, fmt.Errorf("%s: layout must be 0 or 1, got %d", kind, layout)
	}
	if layout != 0 && n.Opset < 14 {
		return nil, fmt.Errorf("%s: layout=%d needs opset 14 or later, model imports opset %d", kind, layout, n.Opset)
	}
	c.layout = int(layout)

	if kind == cellGRU {
		lbr, err := n.AttrInt("linear_before_reset", 0)
		if err != nil {
			return nil, err
		}
		if lbr != 0 && n.Opset < 3 {
			return nil, fmt.Errorf("GRU: linear_before_reset needs opset 3 or later, model imports opset %d", n.Opset)
		}
		c.lbr = lbr != 0
	}
	if kind == cellLSTM {
		f, err := n.AttrInt("input_forget", 0)
		if err != nil {
			return nil, err
		}
		c.inputForget = f != 0
	}

	c.nOut = len(n.Outputs)
	maxOut := 2
	if kind == cellLSTM {
		maxOut = 3
	}
	if c.nOut > maxOut {
		return nil, fmt.Errorf("%s: at most %d outputs, node has %d", kind, maxOut, c.nOut)
	}
	for i := 0; i < c.nOut; i++ {
		c.want[i] = n.HasOutput(i)
	}
	return c, nil
}

// dims are the run-time sizes.
type dims struct {
	seq, batch, input, hidden int
}

// shapeErr formats a shape mismatch for input name.
func shapeErr(kind cellKind, name string, want []int, got []int) error {
	// A copy of want in the message keeps the callers' want lists off the
	// heap on the success path.
	return fmt.Errorf("%s: input %s must have shape %v, got %v", kind, name, slices.Clone(want), got)
}

func (c *config) checkInputs(in []*tensor.Tensor) (dims, error) {
	var d dims
	k := c.kind
	if len(in) < 3 || in[0] == nil || in[1] == nil || in[2] == nil {
		return d, fmt.Errorf("%s: inputs X, W and R are required", k)
	}
	x, w, r := in[0], in[1], in[2]
	dt := x.DType()
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
	default:
		return d, fmt.Errorf("%s: X must be float16, bfloat16, float32 or float64, got %v", k, dt)
	}
	maxIn := 6
	if k == cellLSTM {
		maxIn = 8
	}
	if len(in) > maxIn {
		return d, fmt.Errorf("%s: at most %d inputs, got %d", k, maxIn, len(in))
	}
	names := []string{"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"}
	for i, t := range in {
		if t == nil || i == 4 {
			continue
		}
		if t.DType() != dt {
			return d, fmt.Errorf("%s: input %s has dtype %v, want %v like X", k, names[i], t.DType(), dt)
		}
	}
	if x.Rank() != 3 {
		return d, fmt.Errorf("%s: input X must be 3-D, got shape %v", k, x.Shape())
	}
	xs := x.Shape()
	if c.layout == 0 {
		d.seq, d.batch = xs[0], xs[1]
	} else {
		d.batch, d.seq = xs[0], xs[1]
	}
	d.input = xs[2]
	if r.Rank() != 3 {
		return d, fmt.Errorf("%s: input R must be 3-D [num_directions, %d*hidden_size, hidden_size], got shape %v", k, k.gates(), r.Shape())
	}
	d.hidden = c.hidden
	if d.hidden == 0 {
		d.hidden = r.Shape()[2]
		if d.hidden == 0 {
			return d, fmt.Errorf("%s: hidden size is 0 (R has shape %v); set a positive hidden_size", k, r.Shape())
		}
	}
	G, H, D := k.gates(), d.hidden, c.dirs
	if want := []int{D, G * H, H}; !ops.ShapeEqual(r.Shape(), want) {
		return d, shapeErr(k, "R", want, r.Shape())
	}
	if want := []int{D, G * H, d.input}; !ops.ShapeEqual(w.Shape(), want) {
		return d, shapeErr(k, "W", want, w.Shape())
	}
	if b := ops.Input(in, 3); b != nil {
		if want := []int{D, 2 * G * H}; !ops.ShapeEqual(b.Shape(), want) {
			return d, shapeErr(k, "B", want, b.Shape())
		}
	}
	if sl := ops.Input(in, 4); sl != nil {
		if sl.DType() != tensor.Int32 && sl.DType() != tensor.Int64 {
			return d, fmt.Errorf("%s: sequence_lens must be int32, got %v", k, sl.DType())
		}
		if want := []int{d.batch}; !ops.ShapeEqual(sl.Shape(), want) {
			return d, shapeErr(k, "sequence_lens", want, sl.Shape())
		}
		for i, v := range sl.Int64s() {
			if v < 0 || v > int64(d.seq) {
				return d, fmt.Errorf("%s: sequence_lens[%d] = %d is outside [0, seq_length=%d]", k, i, v, d.seq)
			}
		}
	}
	stateShape := []int{D, d.batch, H}
	if c.layout == 1 {
		stateShape = []int{d.batch, D, H}
	}
	if h := ops.Input(in, 5); h != nil && !ops.ShapeEqual(h.Shape(), stateShape) {
		return d, shapeErr(k, "initial_h", stateShape, h.Shape())
	}
	if k == cellLSTM {
		if cc := ops.Input(in, 6); cc != nil && !ops.ShapeEqual(cc.Shape(), stateShape) {
			return d, shapeErr(k, "initial_c", stateShape, cc.Shape())
		}
		if p := ops.Input(in, 7); p != nil {
			if want := []int{D, 3 * H}; !ops.ShapeEqual(p.Shape(), want) {
				return d, shapeErr(k, "P", want, p.Shape())
			}
		}
	}
	// Output sizes: Y has seq·D·batch·H elements.
	if _, err := tensor.NumElements([]int{d.seq, D, d.batch, H}); err != nil {
		return d, fmt.Errorf("%s: output Y: %w", k, err)
	}
	if _, err := tensor.NumElements([]int{d.seq, d.batch, G * H}); err != nil {
		return d, fmt.Errorf("%s: input projection: %w", k, err)
	}
	return d, nil
}

// run is the kernel.
func (c *config) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	d, err := c.checkInputs(in)
	if err != nil {
		return nil, err
	}
	var seqLens []int
	if sl := ops.Input(in, 4); sl != nil {
		for _, v := range sl.Int64s() {
			seqLens = append(seqLens, int(v))
		}
	}
	dt := in[0].DType()
	var outs []*tensor.Tensor
	switch dt {
	case tensor.Float64:
		outs, err = runTyped[float64](c, d, in, seqLens)
	case tensor.Float32:
		outs, err = c.runF32(rc, rc, d, in, seqLens)
	default: // float16, bfloat16: widen, compute, round back
		wide := make([]*tensor.Tensor, len(in))
		for i, t := range in {
			if t == nil || i == 4 {
				wide[i] = t
				continue
			}
			if wide[i], err = tensor.Convert(t, tensor.Float32); err != nil {
				return nil, err
			}
		}
		outs, err = c.runF32(rc, nil, d, wide, seqLens)
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			if o != nil {
				if outs[i], err = tensor.Convert(o, dt); err != nil {
					return nil, err
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return outs, nil
}

func runTyped[T ops.Float](c *config, d dims, in []*tensor.Tensor, seqLens []int) ([]*tensor.Tensor, error) {
	data := func(i int) []T {
		if t := ops.Input(in, i); t != nil {
			return tensor.Data[T](t)
		}
		return nil
	}
	p := &problem[T]{
		cfg: c, d: d,
		x: data(0), w: data(1), r: data(2), b: data(3),
		h0: data(5), seqLens: seqLens,
	}
	if c.kind == cellLSTM {
		p.c0, p.peep = data(6), data(7)
	}
	H, D := d.hidden, c.dirs
	// Y is always computed into a buffer when requested; the states always.
	if c.want[0] {
		p.y = make([]T, d.seq*D*d.batch*H)
	}
	p.yh = make([]T, D*d.batch*H)
	if c.kind == cellLSTM {
		p.yc = make([]T, D*d.batch*H)
	}
	for dir := 0; dir < D; dir++ {
		p.direction(dir)
	}
	outs := make([]*tensor.Tensor, c.nOut)
	stateShape := []int{D, d.batch, H}
	yShape := []int{d.seq, D, d.batch, H}
	if c.layout == 1 {
		stateShape = []int{d.batch, D, H}
		yShape = []int{d.batch, d.seq, D, H}
	}
	if c.want[0] {
		outs[0] = tensor.New(yShape, p.y)
	}
	if c.nOut > 1 && c.want[1] {
		outs[1] = tensor.New(stateShape, p.yh)
	}
	if c.nOut > 2 && c.want[2] {
		outs[2] = tensor.New(stateShape, p.yc)
	}
	return outs, nil
}
