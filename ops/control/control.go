package control

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "If", []int{1, 11, 13, 16, 19, 21}, buildIf)
	ops.RegisterVersions("", "Loop", []int{1, 11, 13, 16, 19, 21}, buildLoop)
	ops.Register("", "Scan", 8, buildScan8)
	ops.RegisterVersions("", "Scan", []int{9, 11, 16, 19, 21}, buildScan)

	ops.Register("", "SequenceConstruct", 11, buildSequenceConstruct)
	ops.Register("", "SequenceEmpty", 11, buildSequenceEmpty)
	ops.Register("", "SequenceAt", 11, buildSequenceAt)
	ops.Register("", "SequenceInsert", 11, buildSequenceInsert)
	ops.Register("", "SequenceErase", 11, buildSequenceErase)
	ops.Register("", "SequenceLength", 11, buildSequenceLength)
	ops.Register("", "SplitToSequence", 11, buildSplitToSequence)
	ops.Register("", "ConcatFromSequence", 11, buildConcatFromSequence)
	ops.Register("", "SequenceMap", 17, buildSequenceMap)

	ops.Register("", "Optional", 15, buildOptional)
	ops.RegisterVersions("", "OptionalHasElement", []int{15, 18}, buildOptionalHasElement)
	ops.RegisterVersions("", "OptionalGetElement", []int{15, 18}, buildOptionalGetElement)
}

// compileBody reads the graph attribute name and compiles it.
func compileBody(n *ops.Node, name string) (ops.Subgraph, *graph.Graph, error) {
	g, err := n.AttrGraph(name)
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, n.Errorf("required graph attribute %q is missing", name)
	}
	if n.CompileGraph == nil {
		return nil, nil, n.Errorf("cannot compile graph attribute %q: no subgraph compiler available in this context", name)
	}
	sg, err := n.CompileGraph(g)
	if err != nil {
		return nil, nil, fmt.Errorf("graph attribute %q: %w", name, err)
	}
	if sg == nil {
		return nil, nil, n.Errorf("graph attribute %q: compiler returned no subgraph", name)
	}
	return sg, g, nil
}

// ctxErr reports cancellation of the run, checked once per loop iteration.
func ctxErr(rc *ops.RunContext) error {
	if rc != nil && rc.Ctx != nil {
		if err := rc.Ctx.Err(); err != nil {
			return fmt.Errorf("cancelled: %w", err)
		}
	}
	return nil
}

// runBody runs a body and checks it returned want values.
func runBody(rc *ops.RunContext, body ops.Subgraph, feeds []tensor.Value, want int, what string) ([]tensor.Value, error) {
	outs, err := body.Run(rc, feeds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(outs) != want {
		return nil, fmt.Errorf("%s returned %d values, want %d", what, len(outs), want)
	}
	return outs, nil
}

func valueKind(v tensor.Value) string {
	switch x := v.(type) {
	case nil:
		return "nothing (absent value)"
	case *tensor.Tensor:
		if x == nil {
			return "nothing (nil tensor)"
		}
		return "a tensor"
	case *tensor.Sequence:
		return "a sequence"
	case *tensor.Optional:
		return "an optional"
	}
	return fmt.Sprintf("%T", v)
}

// asTensor checks that v is a (non-nil) tensor.
func asTensor(v tensor.Value, what string) (*tensor.Tensor, error) {
	t, ok := v.(*tensor.Tensor)
	if !ok || t == nil {
		return nil, fmt.Errorf("%s: want a tensor, got %s", what, valueKind(v))
	}
	return t, nil
}

// asSequence checks that v is a (non-nil) sequence.
func asSequence(v tensor.Value, what string) (*tensor.Sequence, error) {
	s, ok := v.(*tensor.Sequence)
	if !ok || s == nil {
		return nil, fmt.Errorf("%s: want a sequence, got %s", what, valueKind(v))
	}
	return s, nil
}

// scalarBool reads a one-element bool tensor.
func scalarBool(v tensor.Value, what string) (bool, error) {
	t, err := asTensor(v, what)
	if err != nil {
		return false, err
	}
	if t.DType() != tensor.Bool {
		return false, fmt.Errorf("%s: want a bool tensor, got %v", what, t.DType())
	}
	if t.Len() != 1 {
		return false, fmt.Errorf("%s: want a single element, got shape %v", what, t.Shape())
	}
	return tensor.Data[bool](t)[0], nil
}

// scalarInt reads a one-element int32/int64 tensor.
func scalarInt(v tensor.Value, what string) (int64, error) {
	t, err := asTensor(v, what)
	if err != nil {
		return 0, err
	}
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s: want a scalar, got shape %v", what, t.Shape())
	}
	switch t.DType() {
	case tensor.Int64:
		return tensor.Data[int64](t)[0], nil
	case tensor.Int32:
		return int64(tensor.Data[int32](t)[0]), nil
	}
	return 0, fmt.Errorf("%s: want an int32 or int64 tensor, got %v", what, t.DType())
}

// newTensor allocates a zeroed tensor, bounding the element count.
func newTensor(dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	data := tensor.MakeSlice(dt, n)
	if data == nil {
		return nil, fmt.Errorf("unsupported element type %v", dt)
	}
	return tensor.FromAny(shape, data)
}

// moveBlocks copies n blocks of blk elements from src to dst; block i starts
// at sOff+i*sStride in src and at dOff+i*dStride in dst. dst and src must be
// backing slices of the same type.
func moveBlocks(dst, src any, n, blk, dOff, dStride, sOff, sStride int) {
	if n == 0 || blk == 0 {
		return
	}
	switch d := dst.(type) {
	case []float32:
		mv(d, src.([]float32), n, blk, dOff, dStride, sOff, sStride)
	case []float64:
		mv(d, src.([]float64), n, blk, dOff, dStride, sOff, sStride)
	case []tensor.F16:
		mv(d, src.([]tensor.F16), n, blk, dOff, dStride, sOff, sStride)
	case []tensor.BF16:
		mv(d, src.([]tensor.BF16), n, blk, dOff, dStride, sOff, sStride)
	case []int8:
		mv(d, src.([]int8), n, blk, dOff, dStride, sOff, sStride)
	case []int16:
		mv(d, src.([]int16), n, blk, dOff, dStride, sOff, sStride)
	case []int32:
		mv(d, src.([]int32), n, blk, dOff, dStride, sOff, sStride)
	case []int64:
		mv(d, src.([]int64), n, blk, dOff, dStride, sOff, sStride)
	case []uint8:
		mv(d, src.([]uint8), n, blk, dOff, dStride, sOff, sStride)
	case []uint16:
		mv(d, src.([]uint16), n, blk, dOff, dStride, sOff, sStride)
	case []uint32:
		mv(d, src.([]uint32), n, blk, dOff, dStride, sOff, sStride)
	case []uint64:
		mv(d, src.([]uint64), n, blk, dOff, dStride, sOff, sStride)
	case []bool:
		mv(d, src.([]bool), n, blk, dOff, dStride, sOff, sStride)
	case []string:
		mv(d, src.([]string), n, blk, dOff, dStride, sOff, sStride)
	default:
		panic(fmt.Sprintf("control: moveBlocks on %T", dst))
	}
}

func mv[T any](d, s []T, n, blk, dOff, dStride, sOff, sStride int) {
	for i := 0; i < n; i++ {
		copy(d[dOff+i*dStride:dOff+i*dStride+blk], s[sOff+i*sStride:sOff+i*sStride+blk])
	}
}

// takeAxis copies the sub-tensor at index idx along axis (rank one less).
func takeAxis(t *tensor.Tensor, axis, idx int) (*tensor.Tensor, error) {
	shape := t.Shape()
	outShape := make([]int, 0, len(shape)-1)
	outShape = append(outShape, shape[:axis]...)
	outShape = append(outShape, shape[axis+1:]...)
	out, err := newTensor(t.DType(), outShape)
	if err != nil {
		return nil, err
	}
	outer := ops.Product(shape[:axis])
	inner := ops.Product(shape[axis+1:])
	moveBlocks(out.Data(), t.Data(), outer, inner, 0, inner, idx*inner, shape[axis]*inner)
	return out, nil
}

// concatAlong concatenates tensors along an existing axis. All must share
// dtype and rank and agree on every other dimension.
func concatAlong(ts []*tensor.Tensor, axis int, what string) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("%s: nothing to concatenate", what)
	}
	first := ts[0]
	rank := first.Rank()
	if axis < 0 || axis >= rank {
		return nil, fmt.Errorf("%s: axis %d out of range for rank %d", what, axis, rank)
	}
	total := 0
	for i, t := range ts {
		if t.DType() != first.DType() {
			return nil, fmt.Errorf("%s: element %d has dtype %v, element 0 has %v", what, i, t.DType(), first.DType())
		}
		if t.Rank() != rank {
			return nil, fmt.Errorf("%s: element %d has shape %v, element 0 has %v (ranks differ)", what, i, t.Shape(), first.Shape())
		}
		for d := 0; d < rank; d++ {
			if d != axis && t.Shape()[d] != first.Shape()[d] {
				return nil, fmt.Errorf("%s: element %d has shape %v, element 0 has %v (only axis %d may differ)", what, i, t.Shape(), first.Shape(), axis)
			}
		}
		total += t.Shape()[axis]
	}
	shape := append([]int{}, first.Shape()...)
	shape[axis] = total
	out, err := newTensor(first.DType(), shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	outer := ops.Product(shape[:axis])
	rest := ops.Product(shape[axis+1:])
	off := 0
	for _, t := range ts {
		d := t.Shape()[axis]
		moveBlocks(out.Data(), t.Data(), outer, d*rest, off*rest, total*rest, 0, d*rest)
		off += d
	}
	return out, nil
}

// stackAlong stacks same-shaped tensors along a new axis (0 ≤ axis ≤ rank),
// in reverse order when reverse is set.
func stackAlong(ts []*tensor.Tensor, axis int, reverse bool, what string) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("%s: nothing to stack", what)
	}
	first := ts[0]
	if axis < 0 || axis > first.Rank() {
		return nil, fmt.Errorf("%s: axis %d out of range for stacking rank-%d values", what, axis, first.Rank())
	}
	views := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		if t.DType() != first.DType() || !ops.ShapeEqual(t.Shape(), first.Shape()) {
			return nil, fmt.Errorf("%s: value %d is %v%v but value 0 is %v%v; all must have the same type and shape",
				what, i, t.DType(), t.Shape(), first.DType(), first.Shape())
		}
		s := make([]int, 0, t.Rank()+1)
		s = append(s, t.Shape()[:axis]...)
		s = append(s, 1)
		s = append(s, t.Shape()[axis:]...)
		v, err := t.Reshape(s...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		j := i
		if reverse {
			j = len(ts) - 1 - i
		}
		views[j] = v
	}
	return concatAlong(views, axis, what)
}

// declaredTensor returns the element type and (fixed, unknown dims as 0)
// shape declared by a body value's type, for outputs of loops that ran zero
// times. Unknown types give float32 and rank 0.
func declaredTensor(t *graph.Type) (tensor.DType, []int) {
	if t == nil || t.Kind != graph.KindTensor {
		return tensor.Float32, nil
	}
	dt := t.Elem
	if !dt.Supported() {
		dt = tensor.Float32
	}
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		if d.Value > 0 && d.Value <= math.MaxInt32 {
			shape[i] = int(d.Value)
		}
	}
	return dt, shape
}

// emptyStacked makes the output of stacking zero values of the declared
// per-iteration type along axis (a new axis of size 0).
func emptyStacked(t *graph.Type, axis int, what string) (*tensor.Tensor, error) {
	dt, shape := declaredTensor(t)
	if axis < 0 {
		axis += len(shape) + 1
	}
	if axis < 0 || axis > len(shape) {
		axis = 0
	}
	s := make([]int, 0, len(shape)+1)
	s = append(s, shape[:axis]...)
	s = append(s, 0)
	s = append(s, shape[axis:]...)
	out, err := newTensor(dt, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func outputType(g *graph.Graph, i int) *graph.Type {
	if g == nil || i < 0 || i >= len(g.Outputs) {
		return nil
	}
	return g.Outputs[i].Type
}
