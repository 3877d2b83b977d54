package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// RoiAlign (10, 16, 22) and MaxRoiPool (1, 22).

func init() {
	ops.RegisterVersions("", "RoiAlign", []int{10, 16, 22}, buildRoiAlign)
	ops.RegisterVersions("", "MaxRoiPool", []int{1, 22}, buildMaxRoiPool)
}

// maxRoiSamples bounds the bilinear samples one RoI may take, so a hostile
// RoI (huge coordinates with adaptive sampling) cannot stall the kernel.
const maxRoiSamples = 1 << 26

type roiAlign struct {
	outH, outW   int
	sampling     int
	spatialScale float64
	max          bool
	halfPixel    bool
}

func buildRoiAlign(n *ops.Node) (ops.Kernel, error) {
	ra := &roiAlign{}
	oh, err := n.AttrInt("output_height", 1)
	if err != nil {
		return nil, err
	}
	ow, err := n.AttrInt("output_width", 1)
	if err != nil {
		return nil, err
	}
	if oh <= 0 || ow <= 0 || oh > 1<<20 || ow > 1<<20 {
		return nil, fmt.Errorf("RoiAlign: output_height and output_width must be positive, got %d and %d", oh, ow)
	}
	sr, err := n.AttrInt("sampling_ratio", 0)
	if err != nil {
		return nil, err
	}
	if sr < 0 || sr > 1<<12 {
		return nil, fmt.Errorf("RoiAlign: sampling_ratio must be in [0, 4096], got %d", sr)
	}
	ss, err := n.AttrFloat("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	mode, err := n.AttrString("mode", "avg")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "avg":
	case "max":
		ra.max = true
	default:
		return nil, fmt.Errorf("RoiAlign: mode must be avg or max, got %q", mode)
	}
	ctm := "output_half_pixel"
	if n.Opset >= 16 {
		if ctm, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
	}
	switch ctm {
	case "half_pixel":
		ra.halfPixel = true
	case "output_half_pixel":
	default:
		return nil, fmt.Errorf("RoiAlign: coordinate_transformation_mode must be half_pixel or output_half_pixel, got %q", ctm)
	}
	ra.outH, ra.outW, ra.sampling, ra.spatialScale = int(oh), int(ow), int(sr), float64(ss)
	return ops.Tensors(ra.run), nil
}

func (ra *roiAlign) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, rois, bi := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if err := checkFloat("RoiAlign", "X", x); err != nil {
		return nil, err
	}
	if err := checkFloat("RoiAlign", "rois", rois); err != nil {
		return nil, err
	}
	if bi == nil || !bi.DType().IsInteger() {
		return nil, fmt.Errorf("RoiAlign: batch_indices must be an integer tensor")
	}
	xs := x.Shape()
	if len(xs) != 4 {
		return nil, fmt.Errorf("RoiAlign: X must be 4-D (N, C, H, W), got shape %v", xs)
	}
	rs := rois.Shape()
	if len(rs) != 2 || rs[1] != 4 {
		return nil, fmt.Errorf("RoiAlign: rois must have shape [num_rois, 4], got %v", rs)
	}
	if bi.Rank() != 1 || bi.Len() != rs[0] {
		return nil, fmt.Errorf("RoiAlign: batch_indices must have shape [%d], got %v", rs[0], bi.Shape())
	}
	batch := bi.Int64s()
	for i, b := range batch {
		if b < 0 || b >= int64(xs[0]) {
			return nil, fmt.Errorf("RoiAlign: batch_indices[%d] = %d is outside [0, %d)", i, b, xs[0])
		}
	}
	rv := rois.Float64s()
	outShape := []int{rs[0], xs[1], ra.outH, ra.outW}
	var kerr error
	y, err := runFloat(x, outShape,
		func(x, y []float32) error { kerr = roiAlignKernel(ra, x, y, xs, rv, batch); return kerr },
		func(x, y []float64) error { kerr = roiAlignKernel(ra, x, y, xs, rv, batch); return kerr })
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// bilinear sample: four positions and weights (all zero outside).
type sample struct {
	p      [4]int
	w      [4]float64
	inside bool
}

func roiAlignKernel[T ops.Float](ra *roiAlign, x, y []T, xs []int, rois []float64, batch []int64) error {
	c, h, w := xs[1], xs[2], xs[3]
	ph, pw := ra.outH, ra.outW
	off := 0.0
	if ra.halfPixel {
		off = 0.5
	}
	for r := range batch {
		x0 := rois[4*r]*ra.spatialScale - off
		y0 := rois[4*r+1]*ra.spatialScale - off
		x1 := rois[4*r+2]*ra.spatialScale - off
		y1 := rois[4*r+3]*ra.spatialScale - off
		rw, rh := x1-x0, y1-y0
		if !ra.halfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(ph), rw/float64(pw)
		gh, gw := ra.sampling, ra.sampling
		if ra.sampling <= 0 {
			fh, fw := math.Ceil(rh/float64(ph)), math.Ceil(rw/float64(pw))
			if !(fh > 0) {
				fh = 0
			}
			if !(fw > 0) {
				fw = 0
			}
			if fh*fw*float64(ph*pw) > maxRoiSamples {
				return fmt.Errorf("RoiAlign: RoI %d (%v) needs %v×%v samples per bin; too many", r, rois[4*r:4*r+4], fh, fw)
			}
			gh, gw = int(fh), int(fw)
		}
		if float64(gh)*float64(gw)*float64(ph*pw) > maxRoiSamples {
			return fmt.Errorf("RoiAlign: %d×%d samples per bin over %d×%d bins is too many", gh, gw, ph, pw)
		}
		count := math.Max(float64(gh*gw), 1)
		// Sample positions and weights are shared by all channels.
		samples := make([]sample, 0, ph*pw*gh*gw)
		for i := 0; i < ph; i++ {
			for j := 0; j < pw; j++ {
				for iy := 0; iy < gh; iy++ {
					yy := y0 + float64(i)*bh + (float64(iy)+0.5)*bh/float64(gh)
					for ix := 0; ix < gw; ix++ {
						xx := x0 + float64(j)*bw + (float64(ix)+0.5)*bw/float64(gw)
						samples = append(samples, bilinearSample(yy, xx, h, w))
					}
				}
			}
		}
		plane := h * w
		b := int(batch[r])
		for ch := 0; ch < c; ch++ {
			src := x[(b*c+ch)*plane : (b*c+ch+1)*plane]
			dst := y[(r*c+ch)*ph*pw : (r*c+ch+1)*ph*pw]
			si := 0
			for k := range dst {
				var v float64
				first := true
				for s := 0; s < gh*gw; s++ {
					sm := &samples[si]
					si++
					if ra.max {
						m := 0.0
						if sm.inside {
							m = sm.w[0] * float64(src[sm.p[0]])
							for q := 1; q < 4; q++ {
								m = math.Max(m, sm.w[q]*float64(src[sm.p[q]]))
							}
						}
						if first || m > v {
							v, first = m, false
						}
					} else if sm.inside {
						v += sm.w[0]*float64(src[sm.p[0]]) + sm.w[1]*float64(src[sm.p[1]]) +
							sm.w[2]*float64(src[sm.p[2]]) + sm.w[3]*float64(src[sm.p[3]])
					}
				}
				if !ra.max {
					v /= count
				}
				dst[k] = T(v)
			}
		}
	}
	return nil
}

// bilinearSample computes the four taps of point (yy, xx) in an h×w plane
// the way RoiAlign does: points beyond one pixel outside give nothing,
// others are clamped to the border.
func bilinearSample(yy, xx float64, h, w int) sample {
	if yy < -1 || yy > float64(h) || xx < -1 || xx > float64(w) || math.IsNaN(yy) || math.IsNaN(xx) {
		return sample{}
	}
	yy, xx = math.Max(yy, 0), math.Max(xx, 0)
	yl, xl := int(yy), int(xx)
	var yh, xh int
	if yl >= h-1 {
		yl, yh = h-1, h-1
		yy = float64(yl)
	} else {
		yh = yl + 1
	}
	if xl >= w-1 {
		xl, xh = w-1, w-1
		xx = float64(xl)
	} else {
		xh = xl + 1
	}
	ly, lx := yy-float64(yl), xx-float64(xl)
	hy, hx := 1-ly, 1-lx
	return sample{
		p:      [4]int{yl*w + xl, yl*w + xh, yh*w + xl, yh*w + xh},
		w:      [4]float64{hy * hx, hy * lx, ly * hx, ly * lx},
		inside: true,
	}
}

// MaxRoiPool: Caffe-style RoI max pooling with rounded RoI corners.

type maxRoiPool struct {
	ph, pw int
	scale  float64
}

func buildMaxRoiPool(n *ops.Node) (ops.Kernel, error) {
	ps, err := intsAttr(n, "pooled_shape", 2, 1)
	if err != nil {
		return nil, err
	}
	if ps == nil {
		return nil, fmt.Errorf("MaxRoiPool: attribute pooled_shape is required")
	}
	if ps[0] > 1<<20 || ps[1] > 1<<20 {
		return nil, fmt.Errorf("MaxRoiPool: pooled_shape %v is too large", ps)
	}
	ss, err := n.AttrFloat("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	return ops.Tensors((&maxRoiPool{ph: int(ps[0]), pw: int(ps[1]), scale: float64(ss)}).run), nil
}

func (mp *maxRoiPool) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, rois := ops.Input(in, 0), ops.Input(in, 1)
	if err := checkFloat("MaxRoiPool", "X", x); err != nil {
		return nil, err
	}
	if err := checkFloat("MaxRoiPool", "rois", rois); err != nil {
		return nil, err
	}
	xs, rs := x.Shape(), rois.Shape()
	if len(xs) != 4 {
		return nil, fmt.Errorf("MaxRoiPool: X must be 4-D (N, C, H, W), got shape %v", xs)
	}
	if len(rs) != 2 || rs[1] != 5 {
		return nil, fmt.Errorf("MaxRoiPool: rois must have shape [num_rois, 5], got %v", rs)
	}
	rv := rois.Float64s()
	for r := 0; r < rs[0]; r++ {
		if b := rv[5*r]; !(b >= 0 && b < float64(xs[0])) {
			return nil, fmt.Errorf("MaxRoiPool: RoI %d has batch index %v outside [0, %d)", r, b, xs[0])
		}
	}
	outShape := []int{rs[0], xs[1], mp.ph, mp.pw}
	return one(runFloat(x, outShape,
		func(x, y []float32) error { maxRoiPoolKernel(mp, x, y, xs, rv); return nil },
		func(x, y []float64) error { maxRoiPoolKernel(mp, x, y, xs, rv); return nil }))
}

func maxRoiPoolKernel[T ops.Float](mp *maxRoiPool, x, y []T, xs []int, rois []float64) {
	c, h, w := xs[1], xs[2], xs[3]
	clamp := func(v float64, hi int) int {
		if v < 0 || math.IsNaN(v) {
			return 0
		}
		if v > float64(hi) {
			return hi
		}
		return int(v)
	}
	for r := 0; r < len(rois)/5; r++ {
		b := int(rois[5*r])
		sw := math.Round(rois[5*r+1] * mp.scale)
		sh := math.Round(rois[5*r+2] * mp.scale)
		ew := math.Round(rois[5*r+3] * mp.scale)
		eh := math.Round(rois[5*r+4] * mp.scale)
		rh := math.Max(eh-sh+1, 1)
		rw := math.Max(ew-sw+1, 1)
		bh, bw := rh/float64(mp.ph), rw/float64(mp.pw)
		for ch := 0; ch < c; ch++ {
			src := x[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
			dst := y[(r*c+ch)*mp.ph*mp.pw : (r*c+ch+1)*mp.ph*mp.pw]
			for i := 0; i < mp.ph; i++ {
				hs := clamp(math.Floor(float64(i)*bh)+sh, h)
				he := clamp(math.Ceil(float64(i+1)*bh)+sh, h)
				for j := 0; j < mp.pw; j++ {
					ws := clamp(math.Floor(float64(j)*bw)+sw, w)
					we := clamp(math.Ceil(float64(j+1)*bw)+sw, w)
					var m T
					found := false
					for yy := hs; yy < he; yy++ {
						for xx := ws; xx < we; xx++ {
							if v := src[yy*w+xx]; !found || v > m {
								m, found = v, true
							}
						}
					}
					dst[i*mp.pw+j] = m
				}
			}
		}
	}
}
