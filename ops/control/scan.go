package control

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// scanAttrs holds the parsed, validated attributes shared by both Scan forms.
type scanAttrs struct {
	body      ops.Subgraph
	nState    int
	nScanIn   int
	nScanOut  int
	inAxes    []int64 // Scan-9+: per scan input (unnormalised)
	inDirs    []int64 // per scan input: 0 forward, 1 reverse
	outAxes   []int64 // Scan-9+: per scan output (unnormalised)
	outDirs   []int64 // Scan-9+: per scan output: 0 append, 1 prepend
	outTypes  []*graph.Type
	wantedOut []bool
}

func flagList(n *ops.Node, name string, count int, what string) ([]int64, error) {
	v, err := n.AttrInts(name, nil)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return make([]int64, count), nil
	}
	if len(v) != count {
		return nil, n.Errorf("Scan: attribute %s has %d entries, want one per %s (%d)", name, len(v), what, count)
	}
	return v, nil
}

func checkDirections(n *ops.Node, name string, dirs []int64) error {
	for i, d := range dirs {
		if d != 0 && d != 1 {
			return n.Errorf("Scan: attribute %s[%d] = %d; want 0 (forward) or 1 (reverse)", name, i, d)
		}
	}
	return nil
}

// parseScan reads the attributes; nLead is the number of leading
// non-variadic inputs (1 for Scan-8's sequence_lens, 0 afterwards).
func parseScan(n *ops.Node, nLead int) (*scanAttrs, error) {
	body, g, err := compileBody(n, "body")
	if err != nil {
		return nil, err
	}
	if !n.HasAttr("num_scan_inputs") {
		return nil, n.Errorf("Scan: required attribute num_scan_inputs is missing")
	}
	m, err := n.AttrInt("num_scan_inputs", 0)
	if err != nil {
		return nil, err
	}
	nVar := len(n.Inputs) - nLead
	if m < 1 || m > int64(nVar) {
		return nil, n.Errorf("Scan: num_scan_inputs = %d, want between 1 and the number of state and scan inputs (%d)", m, nVar)
	}
	s := &scanAttrs{body: body, nScanIn: int(m), nState: nVar - int(m)}
	s.nScanOut = len(n.Outputs) - s.nState
	if s.nScanOut < 0 {
		return nil, n.Errorf("Scan: %d state variables but only %d outputs", s.nState, len(n.Outputs))
	}
	if k := len(body.InputNames()); k != s.nState+s.nScanIn {
		return nil, n.Errorf("Scan: body has %d inputs, want %d (%d state variables + %d scan inputs)", k, s.nState+s.nScanIn, s.nState, s.nScanIn)
	}
	if k := len(body.OutputNames()); k != s.nState+s.nScanOut {
		return nil, n.Errorf("Scan: body has %d outputs, want %d (%d state variables + %d scan outputs)", k, s.nState+s.nScanOut, s.nState, s.nScanOut)
	}
	s.outTypes = make([]*graph.Type, s.nScanOut)
	for k := range s.outTypes {
		s.outTypes[k] = outputType(g, s.nState+k)
	}
	s.wantedOut = make([]bool, len(n.Outputs))
	for i := range s.wantedOut {
		s.wantedOut[i] = n.HasOutput(i)
	}
	return s, nil
}

// buildScan is Scan-9 and later: no batch axis; per-input scan axes and
// directions; per-output axes and directions.
func buildScan(n *ops.Node) (ops.Kernel, error) {
	s, err := parseScan(n, 0)
	if err != nil {
		return nil, err
	}
	if s.inAxes, err = flagList(n, "scan_input_axes", s.nScanIn, "scan input"); err != nil {
		return nil, err
	}
	if s.inDirs, err = flagList(n, "scan_input_directions", s.nScanIn, "scan input"); err != nil {
		return nil, err
	}
	if s.outAxes, err = flagList(n, "scan_output_axes", s.nScanOut, "scan output"); err != nil {
		return nil, err
	}
	if s.outDirs, err = flagList(n, "scan_output_directions", s.nScanOut, "scan output"); err != nil {
		return nil, err
	}
	if err := checkDirections(n, "scan_input_directions", s.inDirs); err != nil {
		return nil, err
	}
	if err := checkDirections(n, "scan_output_directions", s.outDirs); err != nil {
		return nil, err
	}
	return ops.KernelFunc(s.run9), nil
}

func (s *scanAttrs) run9(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	if len(in) != s.nState+s.nScanIn {
		return nil, fmt.Errorf("Scan: got %d inputs, want %d", len(in), s.nState+s.nScanIn)
	}
	states := make([]tensor.Value, s.nState)
	for i := range states {
		if in[i] == nil {
			return nil, fmt.Errorf("Scan: initial state %d is missing", i)
		}
		states[i] = in[i]
	}
	scanIn := make([]*tensor.Tensor, s.nScanIn)
	axes := make([]int, s.nScanIn)
	seqLen := -1
	for j := range scanIn {
		t, err := asTensor(in[s.nState+j], fmt.Sprintf("Scan scan input %d", j))
		if err != nil {
			return nil, err
		}
		if t.Rank() < 1 {
			return nil, fmt.Errorf("Scan: scan input %d is a scalar; scan inputs need rank >= 1", j)
		}
		ax, err := ops.NormAxis(int(s.inAxes[j]), t.Rank())
		if err != nil {
			return nil, fmt.Errorf("Scan: scan_input_axes[%d]: %w", j, err)
		}
		l := t.Shape()[ax]
		if seqLen >= 0 && l != seqLen {
			return nil, fmt.Errorf("Scan: scan input %d has length %d along axis %d but scan input 0 has %d; all must match", j, l, ax, seqLen)
		}
		seqLen = l
		scanIn[j], axes[j] = t, ax
	}
	scanOut := make([][]*tensor.Tensor, s.nScanOut)
	for t := 0; t < seqLen; t++ {
		if err := ctxErr(rc); err != nil {
			return nil, fmt.Errorf("Scan: iteration %d: %w", t, err)
		}
		feeds := make([]tensor.Value, s.nState+s.nScanIn)
		copy(feeds, states)
		for j, x := range scanIn {
			idx := t
			if s.inDirs[j] == 1 {
				idx = seqLen - 1 - t
			}
			e, err := takeAxis(x, axes[j], idx)
			if err != nil {
				return nil, fmt.Errorf("Scan: scan input %d: %w", j, err)
			}
			feeds[s.nState+j] = e
		}
		what := fmt.Sprintf("Scan body (iteration %d)", t)
		outs, err := runBody(rc, s.body, feeds, s.nState+s.nScanOut, what)
		if err != nil {
			return nil, err
		}
		for i := range states {
			if outs[i] == nil {
				return nil, fmt.Errorf("%s: state output %d is missing", what, i)
			}
			states[i] = outs[i]
		}
		for k := range scanOut {
			if !s.wantedOut[s.nState+k] {
				continue
			}
			o, err := asTensor(outs[s.nState+k], fmt.Sprintf("%s: scan output %d", what, k))
			if err != nil {
				return nil, err
			}
			scanOut[k] = append(scanOut[k], o)
		}
	}
	res := make([]tensor.Value, s.nState+s.nScanOut)
	for i, v := range states {
		if s.wantedOut[i] {
			res[i] = v
		}
	}
	for k, ts := range scanOut {
		if !s.wantedOut[s.nState+k] {
			continue
		}
		what := fmt.Sprintf("Scan scan output %d", k)
		var out *tensor.Tensor
		var err error
		if len(ts) == 0 {
			out, err = emptyStacked(s.outTypes[k], int(s.outAxes[k]), what)
		} else {
			r := ts[0].Rank()
			var ax int
			ax, err = ops.NormAxis(int(s.outAxes[k]), r+1)
			if err != nil {
				return nil, fmt.Errorf("Scan: scan_output_axes[%d]: %w", k, err)
			}
			out, err = stackAlong(ts, ax, s.outDirs[k] == 1, what)
		}
		if err != nil {
			return nil, err
		}
		res[s.nState+k] = out
	}
	return res, nil
}

// buildScan8 is Scan-8: inputs (sequence_lens?, states..., scans...), axis 0
// of every state and scan input is the batch axis and axis 1 of scan inputs
// the sequence axis; scan outputs are [batch, max_seq_len, ...], zero padded
// past each batch entry's sequence length.
func buildScan8(n *ops.Node) (ops.Kernel, error) {
	if len(n.Inputs) < 1 {
		return nil, n.Errorf("Scan-8: missing inputs; the first input is sequence_lens (may be empty)")
	}
	s, err := parseScan(n, 1)
	if err != nil {
		return nil, err
	}
	if s.inDirs, err = flagList(n, "directions", s.nScanIn, "scan input"); err != nil {
		return nil, err
	}
	if err := checkDirections(n, "directions", s.inDirs); err != nil {
		return nil, err
	}
	return ops.KernelFunc(s.run8), nil
}

func (s *scanAttrs) run8(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
	if len(in) != 1+s.nState+s.nScanIn {
		return nil, fmt.Errorf("Scan: got %d inputs, want %d", len(in), 1+s.nState+s.nScanIn)
	}
	states := make([]*tensor.Tensor, s.nState)
	for i := range states {
		t, err := asTensor(in[1+i], fmt.Sprintf("Scan initial state %d", i))
		if err != nil {
			return nil, err
		}
		if t.Rank() < 1 {
			return nil, fmt.Errorf("Scan: initial state %d is a scalar; Scan-8 states need a leading batch axis", i)
		}
		states[i] = t
	}
	scanIn := make([]*tensor.Tensor, s.nScanIn)
	batch, maxLen := -1, -1
	for j := range scanIn {
		t, err := asTensor(in[1+s.nState+j], fmt.Sprintf("Scan scan input %d", j))
		if err != nil {
			return nil, err
		}
		if t.Rank() < 2 {
			return nil, fmt.Errorf("Scan: scan input %d has shape %v; Scan-8 scan inputs need rank >= 2 (batch, sequence, ...)", j, t.Shape())
		}
		if batch >= 0 && (t.Shape()[0] != batch || t.Shape()[1] != maxLen) {
			return nil, fmt.Errorf("Scan: scan input %d has shape %v but scan input 0 has batch %d and sequence length %d", j, t.Shape(), batch, maxLen)
		}
		batch, maxLen = t.Shape()[0], t.Shape()[1]
		scanIn[j] = t
	}
	for i, t := range states {
		if t.Shape()[0] != batch {
			return nil, fmt.Errorf("Scan: initial state %d has shape %v; its first (batch) axis must be %d like the scan inputs", i, t.Shape(), batch)
		}
	}
	lens := make([]int, batch)
	if in[0] != nil {
		lt, err := asTensor(in[0], "Scan input sequence_lens")
		if err != nil {
			return nil, err
		}
		if lt.Rank() != 1 || lt.Shape()[0] != batch || (lt.DType() != tensor.Int64 && lt.DType() != tensor.Int32) {
			return nil, fmt.Errorf("Scan: sequence_lens is %v%v; want int64 of shape [%d]", lt.DType(), lt.Shape(), batch)
		}
		for b, v := range lt.Int64s() {
			if v < 0 || v > int64(maxLen) {
				return nil, fmt.Errorf("Scan: sequence_lens[%d] = %d, want 0..%d", b, v, maxLen)
			}
			lens[b] = int(v)
		}
	} else {
		for b := range lens {
			lens[b] = maxLen
		}
	}

	finalStates := make([][]*tensor.Tensor, s.nState) // [state][batch]
	for i := range finalStates {
		finalStates[i] = make([]*tensor.Tensor, batch)
	}
	scanOut := make([][][]*tensor.Tensor, s.nScanOut) // [output][batch][t]
	for k := range scanOut {
		scanOut[k] = make([][]*tensor.Tensor, batch)
	}
	for b := 0; b < batch; b++ {
		cur := make([]tensor.Value, s.nState)
		for i, st := range states {
			e, err := takeAxis(st, 0, b)
			if err != nil {
				return nil, fmt.Errorf("Scan: initial state %d: %w", i, err)
			}
			cur[i] = e
		}
		rows := make([]*tensor.Tensor, s.nScanIn)
		for j, x := range scanIn {
			r, err := takeAxis(x, 0, b)
			if err != nil {
				return nil, fmt.Errorf("Scan: scan input %d: %w", j, err)
			}
			rows[j] = r
		}
		n := lens[b]
		for t := 0; t < n; t++ {
			if err := ctxErr(rc); err != nil {
				return nil, fmt.Errorf("Scan: batch %d iteration %d: %w", b, t, err)
			}
			feeds := make([]tensor.Value, s.nState+s.nScanIn)
			copy(feeds, cur)
			for j, r := range rows {
				idx := t
				if s.inDirs[j] == 1 {
					idx = n - 1 - t
				}
				e, err := takeAxis(r, 0, idx)
				if err != nil {
					return nil, fmt.Errorf("Scan: scan input %d: %w", j, err)
				}
				feeds[s.nState+j] = e
			}
			what := fmt.Sprintf("Scan body (batch %d, iteration %d)", b, t)
			outs, err := runBody(rc, s.body, feeds, s.nState+s.nScanOut, what)
			if err != nil {
				return nil, err
			}
			for i := range cur {
				if outs[i] == nil {
					return nil, fmt.Errorf("%s: state output %d is missing", what, i)
				}
				cur[i] = outs[i]
			}
			for k := range scanOut {
				if !s.wantedOut[s.nState+k] {
					continue
				}
				o, err := asTensor(outs[s.nState+k], fmt.Sprintf("%s: scan output %d", what, k))
				if err != nil {
					return nil, err
				}
				scanOut[k][b] = append(scanOut[k][b], o)
			}
		}
		for i, v := range cur {
			t, err := asTensor(v, fmt.Sprintf("Scan: final state %d of batch %d", i, b))
			if err != nil {
				return nil, err
			}
			finalStates[i][b] = t
		}
	}

	res := make([]tensor.Value, s.nState+s.nScanOut)
	for i, ts := range finalStates {
		if !s.wantedOut[i] {
			continue
		}
		what := fmt.Sprintf("Scan state output %d", i)
		var out *tensor.Tensor
		var err error
		if batch == 0 {
			dt := states[i].DType()
			shape := append([]int{}, states[i].Shape()...)
			out, err = newTensor(dt, shape)
		} else {
			out, err = stackAlong(ts, 0, false, what)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		res[i] = out
	}
	for k, perBatch := range scanOut {
		if !s.wantedOut[s.nState+k] {
			continue
		}
		out, err := padScan8(perBatch, batch, maxLen, s.outTypes[k], k)
		if err != nil {
			return nil, err
		}
		res[s.nState+k] = out
	}
	return res, nil
}

// padScan8 assembles a Scan-8 scan output [batch, maxLen, elem...] from the
// per-batch, per-iteration values, leaving zeros past each sequence's end.
func padScan8(perBatch [][]*tensor.Tensor, batch, maxLen int, decl *graph.Type, k int) (*tensor.Tensor, error) {
	var ref *tensor.Tensor
	for _, ts := range perBatch {
		if len(ts) > 0 {
			ref = ts[0]
			break
		}
	}
	var dt tensor.DType
	var elem []int
	if ref != nil {
		dt, elem = ref.DType(), ref.Shape()
	} else {
		dt, elem = declaredTensor(decl)
	}
	shape := append([]int{batch, maxLen}, elem...)
	out, err := newTensor(dt, shape)
	if err != nil {
		return nil, fmt.Errorf("Scan scan output %d: %w", k, err)
	}
	per := ops.Product(elem)
	for b, ts := range perBatch {
		for t, x := range ts {
			if x.DType() != dt || !ops.ShapeEqual(x.Shape(), elem) {
				return nil, fmt.Errorf("Scan scan output %d: batch %d iteration %d produced %v%v, earlier iterations %v%v; all must match",
					k, b, t, x.DType(), x.Shape(), dt, elem)
			}
			moveBlocks(out.Data(), x.Data(), 1, per, (b*maxLen+t)*per, 0, 0, 0)
		}
	}
	return out, nil
}
