package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Resize (10, 11, 13, 18, 19) and Upsample (1, 7, 9; removed in 10).
//
// Every output coordinate is mapped to an input coordinate per axis
// (coordinate_transformation_mode), then interpolated: nearest is a gather
// over all axes at once (any dtype); linear and cubic are separable and run
// one axis at a time in float64, as the ONNX reference does.

func init() {
	ops.RegisterVersions("", "Resize", []int{10, 11, 13, 18, 19}, buildResize)
	ops.RegisterVersions("", "Upsample", []int{1, 7, 9}, buildUpsample)
}

type resizeMode int

const (
	rzNearest resizeMode = iota
	rzLinear
	rzCubic
)

type resizeOp struct {
	op        string
	opset     int
	mode      resizeMode
	coord     string
	nearest   string // round_prefer_floor, round_prefer_ceil, floor, ceil, simple
	cubicA    float64
	exclude   bool
	extrap    float64
	antialias bool
	axes      []int64
	policy    string
	// Where the scales come from for Resize-10 / Upsample.
	scalesAttr []float64 // Upsample-1/7
	hwScales   bool      // Upsample-1: scales only for H and W of NCHW
}

func parseResizeMode(op, m string) (resizeMode, error) {
	switch m {
	case "nearest":
		return rzNearest, nil
	case "linear", "bilinear", "trilinear":
		return rzLinear, nil
	case "cubic", "bicubic":
		return rzCubic, nil
	}
	return 0, fmt.Errorf("%s: mode must be nearest, linear or cubic, got %q", op, m)
}

func buildResize(n *ops.Node) (ops.Kernel, error) {
	r := &resizeOp{op: "Resize", opset: n.Opset}
	m, err := n.AttrString("mode", "nearest")
	if err != nil {
		return nil, err
	}
	if r.mode, err = parseResizeMode(r.op, m); err != nil {
		return nil, err
	}
	if r.mode == rzCubic && n.Opset < 11 {
		return nil, fmt.Errorf("Resize-10: mode must be nearest or linear, got %q", m)
	}
	if n.Opset < 11 {
		// Resize-10 behaves as Upsample: asymmetric coordinates.
		r.coord, r.nearest = "asymmetric", "simple"
		return ops.Tensors(r.run), nil
	}
	if r.coord, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
		return nil, err
	}
	switch r.coord {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize":
	case "tf_half_pixel_for_nn":
		if n.Opset >= 13 {
			return nil, fmt.Errorf("Resize-%d: coordinate_transformation_mode tf_half_pixel_for_nn was removed in opset 13", n.Opset)
		}
	case "half_pixel_symmetric":
		if n.Opset < 19 {
			return nil, fmt.Errorf("Resize-%d: coordinate_transformation_mode half_pixel_symmetric needs opset 19", n.Opset)
		}
	default:
		return nil, fmt.Errorf("Resize: unknown coordinate_transformation_mode %q", r.coord)
	}
	if r.nearest, err = n.AttrString("nearest_mode", "round_prefer_floor"); err != nil {
		return nil, err
	}
	switch r.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return nil, fmt.Errorf("Resize: nearest_mode must be round_prefer_floor, round_prefer_ceil, floor or ceil, got %q", r.nearest)
	}
	a, err := n.AttrFloat("cubic_coeff_a", -0.75)
	if err != nil {
		return nil, err
	}
	r.cubicA = float64(a)
	ex, err := n.AttrInt("exclude_outside", 0)
	if err != nil {
		return nil, err
	}
	r.exclude = ex != 0
	ev, err := n.AttrFloat("extrapolation_value", 0)
	if err != nil {
		return nil, err
	}
	r.extrap = float64(ev)
	if n.Opset >= 18 {
		aa, err := n.AttrInt("antialias", 0)
		if err != nil {
			return nil, err
		}
		r.antialias = aa != 0
		if r.axes, err = n.AttrInts("axes", nil); err != nil {
			return nil, err
		}
		if r.policy, err = n.AttrString("keep_aspect_ratio_policy", "stretch"); err != nil {
			return nil, err
		}
		switch r.policy {
		case "stretch", "not_larger", "not_smaller":
		default:
			return nil, fmt.Errorf("Resize: keep_aspect_ratio_policy must be stretch, not_larger or not_smaller, got %q", r.policy)
		}
	}
	if r.policy == "" {
		r.policy = "stretch"
	}
	return ops.Tensors(r.run), nil
}

func buildUpsample(n *ops.Node) (ops.Kernel, error) {
	r := &resizeOp{op: "Upsample", opset: 10, coord: "asymmetric", nearest: "simple", policy: "stretch"}
	m, err := n.AttrString("mode", "nearest")
	if err != nil {
		return nil, err
	}
	if r.mode, err = parseResizeMode(r.op, m); err != nil {
		return nil, err
	}
	if r.mode == rzCubic {
		return nil, fmt.Errorf("Upsample: mode must be nearest or linear, got %q", m)
	}
	switch {
	case n.Opset < 7:
		hs, err := n.AttrFloat("height_scale", 0)
		if err != nil {
			return nil, err
		}
		ws, err := n.AttrFloat("width_scale", 0)
		if err != nil {
			return nil, err
		}
		if !n.HasAttr("height_scale") || !n.HasAttr("width_scale") {
			return nil, fmt.Errorf("Upsample-1: attributes height_scale and width_scale are required")
		}
		r.scalesAttr, r.hwScales = []float64{float64(hs), float64(ws)}, true
	case n.Opset < 9:
		s, err := n.AttrFloats("scales", nil)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, fmt.Errorf("Upsample-7: attribute scales is required")
		}
		for _, v := range s {
			r.scalesAttr = append(r.scalesAttr, float64(v))
		}
	}
	return ops.Tensors(r.run), nil
}

// axisPlan is the resize of one axis.
type axisPlan struct {
	in, out int
	scale   float64 // output/input as the op sees it
	outF    float64 // scale*in: the fractional output length
	roiS    float64
	roiE    float64
}

func (r *resizeOp) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("%s: input X is missing", r.op)
	}
	if x.DType() == tensor.String || x.DType() == tensor.Bool {
		if r.mode != rzNearest {
			return nil, fmt.Errorf("%s: %v input needs mode nearest", r.op, x.DType())
		}
	} else if !x.DType().Supported() {
		return nil, fmt.Errorf("%s: unsupported input type %v", r.op, x.DType())
	}
	shape := x.Shape()
	rank := len(shape)
	plans, err := r.plan(in, shape)
	if err != nil {
		return nil, err
	}
	outShape := make([]int, rank)
	for i, p := range plans {
		outShape[i] = p.out
	}
	if _, err := allocLen(outShape); err != nil {
		return nil, fmt.Errorf("%s: output shape %v: %v", r.op, outShape, err)
	}
	if r.mode == rzNearest {
		return r.runNearest(x, plans, outShape)
	}
	return r.runSeparable(x, plans, outShape)
}

// plan works out the per-axis sizes, scales and roi.
func (r *resizeOp) plan(in []*tensor.Tensor, shape []int) ([]axisPlan, error) {
	rank := len(shape)
	axes := make([]int, rank)
	for i := range axes {
		axes[i] = i
	}
	if r.axes != nil {
		a, err := ops.NormAxes(r.axes, rank)
		if err != nil {
			return nil, fmt.Errorf("%s: attribute axes: %v", r.op, err)
		}
		axes = a
	}
	plans := make([]axisPlan, rank)
	for i, d := range shape {
		plans[i] = axisPlan{in: d, out: d, scale: 1, outF: float64(d), roiS: 0, roiE: 1}
	}
	var scales, sizes []float64
	switch {
	case r.scalesAttr != nil:
		scales = r.scalesAttr
		if r.hwScales {
			if rank != 4 {
				return nil, fmt.Errorf("Upsample-1: X must be 4-D (N, C, H, W), got shape %v", shape)
			}
			scales = []float64{1, 1, r.scalesAttr[0], r.scalesAttr[1]}
		}
	case r.op == "Upsample" || r.opset < 11:
		t := ops.Input(in, 1)
		if t == nil {
			return nil, fmt.Errorf("%s: input scales is missing", r.op)
		}
		scales = t.Float64s()
	default:
		if t := ops.Input(in, 2); t != nil && t.Len() > 0 {
			scales = t.Float64s()
		}
		if t := ops.Input(in, 3); t != nil && t.Len() > 0 {
			if scales != nil {
				return nil, fmt.Errorf("Resize: only one of scales and sizes may be given, got both")
			}
			if t.DType() != tensor.Int64 {
				return nil, fmt.Errorf("Resize: sizes must be int64, got %v", t.DType())
			}
			sizes = t.Float64s()
		}
		if scales == nil && sizes == nil {
			return nil, fmt.Errorf("Resize: one of scales and sizes must be given")
		}
		if r.coord == "tf_crop_and_resize" {
			roi := ops.Input(in, 1)
			if roi == nil || roi.Len() == 0 {
				return nil, fmt.Errorf("Resize: tf_crop_and_resize needs the roi input")
			}
			rv := roi.Float64s()
			if len(rv) != 2*len(axes) {
				return nil, fmt.Errorf("Resize: roi must have %d values (starts and ends of %d axes), got %d", 2*len(axes), len(axes), len(rv))
			}
			for i, a := range axes {
				plans[a].roiS, plans[a].roiE = rv[i], rv[i+len(axes)]
			}
		}
	}
	if scales != nil {
		if len(scales) != len(axes) {
			return nil, fmt.Errorf("%s: scales must have %d values (one per resized axis), got %d", r.op, len(axes), len(scales))
		}
		for i, a := range axes {
			s := scales[i]
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("%s: scales must be positive and finite, got %v", r.op, scales)
			}
			p := &plans[a]
			p.scale = s
			p.outF = s * float64(p.in)
			if p.outF > float64(tensor.MaxElements) {
				return nil, fmt.Errorf("%s: scale %v makes axis %d too large", r.op, s, a)
			}
			p.out = int(math.Floor(p.outF))
		}
		return plans, nil
	}
	if len(sizes) != len(axes) {
		return nil, fmt.Errorf("Resize: sizes must have %d values (one per resized axis), got %d", len(axes), len(sizes))
	}
	for i, a := range axes {
		if sizes[i] < 0 || sizes[i] > float64(tensor.MaxElements) {
			return nil, fmt.Errorf("Resize: sizes must be non-negative and bounded, got %v", sizes)
		}
		if plans[a].in == 0 && sizes[i] != 0 {
			return nil, fmt.Errorf("Resize: cannot resize empty axis %d to %v", a, sizes[i])
		}
	}
	if r.policy == "stretch" {
		for i, a := range axes {
			p := &plans[a]
			p.out = int(sizes[i])
			if p.in > 0 {
				p.scale = sizes[i] / float64(p.in)
			}
			p.outF = p.scale * float64(p.in)
		}
		return plans, nil
	}
	var sc float64
	for i, a := range axes {
		if plans[a].in == 0 {
			continue
		}
		s := sizes[i] / float64(plans[a].in)
		if i == 0 || (r.policy == "not_larger" && s < sc) || (r.policy == "not_smaller" && s > sc) {
			sc = s
		}
	}
	for _, a := range axes {
		p := &plans[a]
		p.scale = sc
		p.outF = sc * float64(p.in)
		p.out = int(p.outF + 0.5)
	}
	return plans, nil
}

// identity reports an axis the resize leaves alone.
func (p *axisPlan) identity(coord string) bool {
	return p.in == p.out && p.scale == 1 && (coord != "tf_crop_and_resize" || (p.roiS == 0 && p.roiE == 1))
}

// source maps output index o to an input coordinate; ok is false where
// tf_crop_and_resize extrapolates.
func (r *resizeOp) source(p *axisPlan, o int) (float64, bool) {
	x := float64(o)
	in := float64(p.in)
	switch r.coord {
	case "half_pixel":
		return (x+0.5)/p.scale - 0.5, true
	case "half_pixel_symmetric":
		adj := float64(p.out) / p.outF
		off := in / 2 * (1 - adj)
		return off + (x+0.5)/p.scale - 0.5, true
	case "pytorch_half_pixel":
		if p.out > 1 {
			return (x+0.5)/p.scale - 0.5, true
		}
		return 0, true
	case "align_corners":
		if p.outF == 1 || p.out == 1 {
			return 0, true
		}
		return x * (in - 1) / (p.outF - 1), true
	case "asymmetric":
		return x / p.scale, true
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / p.scale, true
	case "tf_crop_and_resize":
		var v float64
		if p.outF == 1 || p.out == 1 {
			v = (p.roiE - p.roiS) * (in - 1) / 2
		} else {
			v = x * (p.roiE - p.roiS) * (in - 1) / (p.outF - 1)
		}
		v += p.roiS * (in - 1)
		if v < 0 || v > in-1 {
			return v, false
		}
		return v, true
	}
	return x / p.scale, true
}

// nearestIndex picks the input index for coordinate x (clamped).
func (r *resizeOp) nearestIndex(p *axisPlan, x float64) int {
	var i float64
	fl := math.Floor(x)
	frac := x - fl
	switch r.nearest {
	case "simple":
		// Upsample and Resize-10: truncate, or ceil when downsampling.
		if p.scale < 1 {
			i = math.Ceil(x)
		} else {
			i = math.Trunc(x)
		}
	case "floor":
		i = fl
	case "ceil":
		i = math.Ceil(x)
	case "round_prefer_ceil":
		if frac >= 0.5 {
			i = fl + 1
		} else {
			i = fl
		}
	default: // round_prefer_floor
		if frac > 0.5 {
			i = fl + 1
		} else {
			i = fl
		}
	}
	if i < 0 || math.IsNaN(i) {
		return 0
	}
	if i > float64(p.in-1) {
		return p.in - 1
	}
	return int(i)
}

func (r *resizeOp) runNearest(x *tensor.Tensor, plans []axisPlan, outShape []int) ([]*tensor.Tensor, error) {
	rank := len(plans)
	inSt := tensor.Strides(x.Shape())
	// Per axis: input offset of each output index, -1 to extrapolate.
	maps := make([][]int, rank)
	for a := range plans {
		p := &plans[a]
		m := make([]int, p.out)
		for o := range m {
			if p.in == 0 {
				m[o] = -1
				continue
			}
			if p.identity(r.coord) {
				m[o] = o * inSt[a]
				continue
			}
			c, ok := r.source(p, o)
			if !ok {
				m[o] = -1
				continue
			}
			m[o] = r.nearestIndex(p, c) * inSt[a]
		}
		maps[a] = m
	}
	n := ops.Product(outShape)
	var y *tensor.Tensor
	switch d := x.Data().(type) {
	case []float32:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, float32(r.extrap)))
	case []float64:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, r.extrap))
	case []tensor.F16:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, tensor.NewF16(float32(r.extrap))))
	case []tensor.BF16:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, tensor.NewBF16(float32(r.extrap))))
	case []int8:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, int8(r.extrap)))
	case []int16:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, int16(r.extrap)))
	case []int32:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, int32(r.extrap)))
	case []int64:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, int64(r.extrap)))
	case []uint8:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, uint8(r.extrap)))
	case []uint16:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, uint16(r.extrap)))
	case []uint32:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, uint32(r.extrap)))
	case []uint64:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, uint64(r.extrap)))
	case []bool:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, r.extrap != 0))
	case []string:
		y = tensor.New(outShape, gatherNearest(d, maps, outShape, n, ""))
	default:
		return nil, fmt.Errorf("%s: unsupported input type %v", r.op, x.DType())
	}
	return []*tensor.Tensor{y}, nil
}

// gatherNearest fills an output of outShape from x through per-axis offset
// maps (entries < 0 give ext).
func gatherNearest[T any](x []T, maps [][]int, outShape []int, n int, ext T) []T {
	y := make([]T, n)
	if n == 0 {
		return y
	}
	rank := len(outShape)
	if rank == 0 {
		y[0] = x[0]
		return y
	}
	last := maps[rank-1]
	idx := make([]int, rank)
	// base offset of the outer dims, -1 once any outer axis extrapolates.
	for j := 0; j < n; j += len(last) {
		base := 0
		for a := 0; a < rank-1; a++ {
			m := maps[a][idx[a]]
			if m < 0 || base < 0 {
				base = -1
			} else {
				base += m
			}
		}
		row := y[j : j+len(last)]
		if base < 0 {
			for i := range row {
				row[i] = ext
			}
		} else {
			for i, m := range last {
				if m < 0 {
					row[i] = ext
				} else {
					row[i] = x[base+m]
				}
			}
		}
		for a := rank - 2; a >= 0; a-- {
			idx[a]++
			if idx[a] < outShape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return y
}

// taps of one output index along an axis: input indices and weights.
type taps struct {
	idx []int
	w   []float64
	ext bool // extrapolated (tf_crop_and_resize)
}

func cubicWeight(d, a float64) float64 {
	d = math.Abs(d)
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}

// axisTaps computes the interpolation taps of every output index of an axis.
func (r *resizeOp) axisTaps(p *axisPlan) []taps {
	ts := make([]taps, p.out)
	for o := range ts {
		x, ok := r.source(p, o)
		if !ok {
			ts[o].ext = true
			continue
		}
		fl := math.Floor(x)
		ratio := x - fl
		left := int(fl)
		if ratio == 0 {
			// Prefer the pixel left of an integer coordinate (ratio 1).
			ratio, left = 1, left-1
		}
		var idx []int
		var w []float64
		switch {
		case r.mode == rzLinear && !r.antialias:
			idx = []int{left, left + 1}
			w = []float64{1 - ratio, ratio}
		case r.mode == rzCubic && !r.antialias:
			idx = []int{left - 1, left, left + 1, left + 2}
			w = []float64{cubicWeight(1+ratio, r.cubicA), cubicWeight(ratio, r.cubicA),
				cubicWeight(1-ratio, r.cubicA), cubicWeight(2-ratio, r.cubicA)}
		default: // antialias: the filter stretched by 1/scale when downsampling
			s := math.Min(p.scale, 1)
			support := 1.0
			if r.mode == rzCubic {
				support = 2
			}
			start := int(math.Floor(-support/s)) + 1
			cnt := 2 - 2*start
			var sum float64
			for i := 0; i < cnt; i++ {
				k := start + i
				d := (float64(k) - ratio) * s
				var v float64
				if r.mode == rzCubic {
					v = cubicWeight(d, r.cubicA)
				} else {
					v = math.Max(0, 1-math.Abs(d))
				}
				idx = append(idx, left+k)
				w = append(w, v)
				sum += v
			}
			if sum != 0 {
				for i := range w {
					w[i] /= sum
				}
			}
		}
		if r.exclude {
			var sum float64
			for i, k := range idx {
				if k < 0 || k >= p.in {
					w[i] = 0
				}
				sum += w[i]
			}
			if sum != 0 {
				for i := range w {
					w[i] /= sum
				}
			}
		}
		for i, k := range idx {
			idx[i] = min(max(k, 0), p.in-1)
		}
		ts[o] = taps{idx: idx, w: w}
	}
	return ts
}

func (r *resizeOp) runSeparable(x *tensor.Tensor, plans []axisPlan, outShape []int) ([]*tensor.Tensor, error) {
	cur := x.Float64s()
	shape := append([]int{}, x.Shape()...)
	for a := range plans {
		p := &plans[a]
		if p.identity(r.coord) {
			continue
		}
		outer := ops.Product(shape[:a])
		inner := ops.Product(shape[a+1:])
		nshape := append([]int{}, shape...)
		nshape[a] = p.out
		nn, err := allocLen(nshape)
		if err != nil {
			return nil, fmt.Errorf("%s: intermediate shape %v: %v", r.op, nshape, err)
		}
		next := make([]float64, nn)
		if p.in == 0 {
			for i := range next {
				next[i] = r.extrap
			}
		} else {
			ts := r.axisTaps(p)
			for o := 0; o < outer; o++ {
				src := cur[o*p.in*inner : (o+1)*p.in*inner]
				dst := next[o*p.out*inner : (o+1)*p.out*inner]
				for j, t := range ts {
					row := dst[j*inner : (j+1)*inner]
					if t.ext {
						for i := range row {
							row[i] = r.extrap
						}
						continue
					}
					for k, ix := range t.idx {
						w := t.w[k]
						if w == 0 {
							continue
						}
						s := src[ix*inner : (ix+1)*inner]
						for i := range row {
							row[i] += w * s[i]
						}
					}
				}
			}
		}
		cur, shape = next, nshape
	}
	if x.DType().IsInteger() {
		// Round and saturate back to the integer type.
		lo, hi := intRange(x.DType())
		for i, v := range cur {
			cur[i] = math.Min(math.Max(math.RoundToEven(v), lo), hi)
		}
	}
	y, err := tensor.FromFloat64s(x.DType(), outShape, cur)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

func intRange(dt tensor.DType) (float64, float64) {
	switch dt {
	case tensor.Int8:
		return math.MinInt8, math.MaxInt8
	case tensor.Uint8:
		return 0, math.MaxUint8
	case tensor.Int16:
		return math.MinInt16, math.MaxInt16
	case tensor.Uint16:
		return 0, math.MaxUint16
	case tensor.Int32:
		return math.MinInt32, math.MaxInt32
	case tensor.Uint32:
		return 0, math.MaxUint32
	case tensor.Uint64:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}
