package nn

import (
	"fmt"
	"sort"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "NonMaxSuppression", []int{10, 11}, buildNMS)
}

type nms struct {
	centerPoint bool
}

func buildNMS(n *ops.Node) (ops.Kernel, error) {
	c, err := n.AttrInt("center_point_box", 0)
	if err != nil {
		return nil, err
	}
	if c != 0 && c != 1 {
		return nil, fmt.Errorf("NonMaxSuppression: center_point_box must be 0 or 1, got %d", c)
	}
	return ops.Tensors((&nms{centerPoint: c == 1}).run), nil
}

// nmsBox is a box as (xmin, ymin, xmax, ymax) with its area.
type nmsBox struct {
	x0, y0, x1, y1, area float64
}

func (s *nms) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	boxes, scores := ops.Input(in, 0), ops.Input(in, 1)
	if err := checkFloat("NonMaxSuppression", "boxes", boxes); err != nil {
		return nil, err
	}
	if err := checkFloat("NonMaxSuppression", "scores", scores); err != nil {
		return nil, err
	}
	bs, ss := boxes.Shape(), scores.Shape()
	if len(bs) != 3 || bs[2] != 4 {
		return nil, fmt.Errorf("NonMaxSuppression: boxes must have shape [num_batches, spatial_dimension, 4], got %v", bs)
	}
	if len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
		return nil, fmt.Errorf("NonMaxSuppression: scores must have shape [num_batches=%d, num_classes, spatial_dimension=%d], got %v", bs[0], bs[1], ss)
	}
	maxOut := int64(0)
	if t := ops.Input(in, 2); t != nil && t.Len() > 0 {
		if t.Len() != 1 {
			return nil, fmt.Errorf("NonMaxSuppression: max_output_boxes_per_class must be a scalar, got shape %v", t.Shape())
		}
		maxOut = t.Int64s()[0]
	}
	iou, err := scalarFloat(ops.Input(in, 3), 0)
	if err != nil {
		return nil, fmt.Errorf("NonMaxSuppression: iou_threshold: %v", err)
	}
	scoreT := ops.Input(in, 4)
	useScore := scoreT != nil && scoreT.Len() > 0
	scoreThr, err := scalarFloat(scoreT, 0)
	if err != nil {
		return nil, fmt.Errorf("NonMaxSuppression: score_threshold: %v", err)
	}
	nb, nbox, ncls := bs[0], bs[1], ss[1]
	if maxOut <= 0 || nbox == 0 {
		return []*tensor.Tensor{tensor.New([]int{0, 3}, []int64{})}, nil
	}
	bv, sv := boxes.Float64s(), scores.Float64s()
	all := make([]nmsBox, len(bv)/4)
	for i := range all {
		b := bv[4*i : 4*i+4]
		var nb nmsBox
		if s.centerPoint {
			nb = nmsBox{b[0] - b[2]/2, b[1] - b[3]/2, b[0] + b[2]/2, b[1] + b[3]/2, 0}
		} else {
			nb = nmsBox{min(b[1], b[3]), min(b[0], b[2]), max(b[1], b[3]), max(b[0], b[2]), 0}
		}
		nb.area = (nb.x1 - nb.x0) * (nb.y1 - nb.y0)
		all[i] = nb
	}
	var out []int64
	cand := make([]int, 0, nbox)
	var sel []int
	for b := 0; b < nb; b++ {
		bb := all[b*nbox : (b+1)*nbox]
		for c := 0; c < ncls; c++ {
			sc := sv[(b*ncls+c)*nbox : (b*ncls+c+1)*nbox]
			cand = cand[:0]
			for i, v := range sc {
				if !useScore || v > scoreThr {
					cand = append(cand, i)
				}
			}
			sort.SliceStable(cand, func(i, j int) bool { return sc[cand[i]] > sc[cand[j]] })
			sel = sel[:0]
			for _, i := range cand {
				if int64(len(sel)) >= maxOut {
					break
				}
				keep := true
				for _, j := range sel {
					if iouAbove(bb[i], bb[j], iou) {
						keep = false
						break
					}
				}
				if keep {
					sel = append(sel, i)
					out = append(out, int64(b), int64(c), int64(i))
				}
			}
		}
	}
	return []*tensor.Tensor{tensor.New([]int{len(out) / 3, 3}, out)}, nil
}

// iouAbove reports whether the intersection over union of a and b is
// strictly greater than thr; degenerate boxes never suppress.
func iouAbove(a, b nmsBox, thr float64) bool {
	ix0, ix1 := max(a.x0, b.x0), min(a.x1, b.x1)
	if ix1 <= ix0 {
		return false
	}
	iy0, iy1 := max(a.y0, b.y0), min(a.y1, b.y1)
	if iy1 <= iy0 {
		return false
	}
	inter := (ix1 - ix0) * (iy1 - iy0)
	union := a.area + b.area - inter
	if a.area <= 0 || b.area <= 0 || union <= 0 {
		return false
	}
	return inter/union > thr
}
