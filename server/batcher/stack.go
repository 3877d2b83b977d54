package batcher

import (
	"reflect"
	"strconv"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// stackInputs concatenates the batch's requests along axis 0, input by input.
// All requests of a batch share one signature, so names, dtypes and
// non-batch dims agree; reflect.Copy handles every element type, strings
// included.
func stackInputs(bt *batch) (map[string]*tensor.Tensor, error) {
	first := bt.reqs[0]
	stacked := make(map[string]*tensor.Tensor, len(first.names))
	for _, name := range first.names {
		proto := first.inputs[name]
		total := 0
		for _, r := range bt.reqs {
			total += r.inputs[name].Len()
		}
		dst := tensor.MakeSlice(proto.DType(), total)
		dv := reflect.ValueOf(dst)
		off := 0
		for _, r := range bt.reqs {
			src := reflect.ValueOf(r.inputs[name].Data())
			off += reflect.Copy(dv.Slice(off, total), src)
		}
		shape := append([]int{bt.rows}, proto.Shape()[1:]...)
		t, err := tensor.FromAny(shape, dst)
		if err != nil {
			return nil, infer.Wrap(infer.Internal, err, "stacking input "+strconv.Quote(name))
		}
		stacked[name] = t
	}
	return stacked, nil
}

// splitOutputs gives each request its own row range of every output. The
// pieces are views of the batch's outputs (capacity cut at the end of the
// range, so an append cannot spill into a neighbour's rows).
func splitOutputs(out map[string]*tensor.Tensor, bt *batch) ([]map[string]*tensor.Tensor, error) {
	rowSizes := make(map[string]int, len(out))
	for name, t := range out {
		n, err := checkOutput(name, t, bt.rows)
		if err != nil {
			return nil, err
		}
		rowSizes[name] = n
	}
	if len(bt.reqs) == 1 {
		return []map[string]*tensor.Tensor{out}, nil
	}
	outs := make([]map[string]*tensor.Tensor, len(bt.reqs))
	for i := range outs {
		outs[i] = make(map[string]*tensor.Tensor, len(out))
	}
	for name, t := range out {
		data := reflect.ValueOf(t.Data())
		rowSize := rowSizes[name]
		shape := append([]int{0}, t.Shape()[1:]...)
		row := 0
		for i, r := range bt.reqs {
			lo, hi := row*rowSize, (row+r.rows)*rowSize
			shape[0] = r.rows
			piece, err := tensor.FromAny(shape, data.Slice3(lo, hi, hi).Interface())
			if err != nil {
				return nil, infer.Wrap(infer.Internal, err, "splitting output "+strconv.Quote(name))
			}
			outs[i][name] = piece
			row += r.rows
		}
	}
	return outs, nil
}

// checkOutput verifies that a model output has the batch's rows on axis 0
// and returns the elements per row.
func checkOutput(name string, t *tensor.Tensor, rows int) (int, error) {
	if t == nil {
		return 0, infer.Errorf(infer.Internal, "the model returned no tensor for output %q", name)
	}
	proto := tensor.MakeSlice(t.DType(), 0)
	if proto == nil || reflect.TypeOf(t.Data()) != reflect.TypeOf(proto) {
		return 0, infer.Errorf(infer.Internal, "output %q has unusable data of type %v", name, t.DType())
	}
	shape := t.Shape()
	if len(shape) == 0 || shape[0] != rows {
		return 0, infer.Errorf(infer.Internal,
			"output %q has shape %v: its first dimension should be the batch's %d rows", name, shape, rows)
	}
	rowSize, err := tensor.NumElements(shape[1:])
	if err != nil || rowSize*rows != t.Len() {
		return 0, infer.Errorf(infer.Internal, "output %q: shape %v does not match its %d elements",
			name, shape, t.Len())
	}
	return rowSize, nil
}
