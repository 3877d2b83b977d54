package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// MaxPool, AveragePool, LpPool and their Global forms.

func init() {
	ops.RegisterVersions("", "MaxPool", []int{1, 8, 10, 11, 12, 22}, buildPool(poolMax))
	ops.RegisterVersions("", "AveragePool", []int{1, 7, 10, 11, 19, 22}, buildPool(poolAvg))
	ops.RegisterVersions("", "LpPool", []int{1, 2, 11, 18, 22}, buildPool(poolLp))
	ops.RegisterVersions("", "GlobalMaxPool", []int{1, 22}, buildGlobalPool(poolMax))
	ops.RegisterVersions("", "GlobalAveragePool", []int{1, 22}, buildGlobalPool(poolAvg))
	ops.RegisterVersions("", "GlobalLpPool", []int{1, 2, 22}, buildGlobalPool(poolLp))
}

type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
	poolLp
)

func (k poolKind) name() string {
	switch k {
	case poolMax:
		return "MaxPool"
	case poolAvg:
		return "AveragePool"
	}
	return "LpPool"
}

// poolAttrs is the load-time configuration of a pooling node.
type poolAttrs struct {
	kind            poolKind
	op              string
	kernel          []int
	strides         []int
	dilations       []int
	pads            []int // begins then ends; nil with auto_pad
	autoPad         string
	ceil            bool
	countIncludePad bool
	p               float64
	storageOrder    int64
	wantIndices     bool
	allowInt8       bool
}

func buildPool(kind poolKind) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		pa, err := parsePoolAttrs(n, kind)
		if err != nil {
			return nil, err
		}
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			return pa.run(rc, in)
		}), nil
	}
}

func parsePoolAttrs(n *ops.Node, kind poolKind) (*poolAttrs, error) {
	pa := &poolAttrs{kind: kind, op: kind.name()}
	ks, err := intsAttr(n, "kernel_shape", 0, 1)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("%s: attribute kernel_shape is required", pa.op)
	}
	nd := len(ks)
	pa.kernel = toInts(ks)
	st, err := intsAttr(n, "strides", nd, 1)
	if err != nil {
		return nil, err
	}
	pa.strides = onesOr(st, nd)
	dl, err := intsAttr(n, "dilations", nd, 1)
	if err != nil {
		return nil, err
	}
	pa.dilations = onesOr(dl, nd)
	pads, err := intsAttr(n, "pads", 2*nd, 0)
	if err != nil {
		return nil, err
	}
	if pads != nil {
		pa.pads = toInts(pads)
	}
	pa.autoPad, err = n.AttrString("auto_pad", "NOTSET")
	if err != nil {
		return nil, err
	}
	switch pa.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	case "":
		pa.autoPad = "NOTSET"
	default:
		return nil, fmt.Errorf("%s: auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got %q", pa.op, pa.autoPad)
	}
	if pa.autoPad != "NOTSET" {
		pa.pads = nil
	}
	c, err := n.AttrInt("ceil_mode", 0)
	if err != nil {
		return nil, err
	}
	pa.ceil = c != 0
	cip, err := n.AttrInt("count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	pa.countIncludePad = cip != 0
	if kind == poolLp {
		pa.p, err = lpAttr(n)
		if err != nil {
			return nil, err
		}
	}
	if kind == poolMax {
		pa.storageOrder, err = n.AttrInt("storage_order", 0)
		if err != nil {
			return nil, err
		}
		if pa.storageOrder != 0 && pa.storageOrder != 1 {
			return nil, fmt.Errorf("MaxPool: storage_order must be 0 or 1, got %d", pa.storageOrder)
		}
		pa.wantIndices = n.HasOutput(1)
		pa.allowInt8 = n.Opset >= 12
	}
	return pa, nil
}

// lpAttr reads LpPool's p: a float before opset 2, an int after (default 2).
func lpAttr(n *ops.Node) (float64, error) {
	if a, ok := n.Attrs["p"]; ok && a.Type == graph.AttrFloat { // opset 1
		if a.F <= 0 {
			return 0, fmt.Errorf("attribute p must be positive, got %v", a.F)
		}
		return float64(a.F), nil
	}
	p, err := n.AttrInt("p", 2)
	if err != nil {
		return 0, err
	}
	if p <= 0 {
		return 0, fmt.Errorf("attribute p must be positive, got %d", p)
	}
	return float64(p), nil
}

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func onesOr(v []int64, n int) []int {
	if v == nil {
		out := make([]int, n)
		for i := range out {
			out[i] = 1
		}
		return out
	}
	return toInts(v)
}

// poolGeom is the run-time geometry of a pooling: spatial input and output
// sizes and the begin/end pads actually used.
type poolGeom struct {
	in, out         []int
	padBeg, padEnd  []int
	kernel, strides []int
	dilations       []int
}

func (pa *poolAttrs) geometry(spatial []int) (*poolGeom, error) {
	nd := len(pa.kernel)
	g := &poolGeom{in: spatial, out: make([]int, nd), padBeg: make([]int, nd), padEnd: make([]int, nd),
		kernel: pa.kernel, strides: pa.strides, dilations: pa.dilations}
	for i := 0; i < nd; i++ {
		in, k, s, d := spatial[i], pa.kernel[i], pa.strides[i], pa.dilations[i]
		ext := (k-1)*d + 1
		switch pa.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out := (in + s - 1) / s
			total := (out-1)*s + ext - in
			if total < 0 {
				total = 0
			}
			small := total / 2
			if pa.autoPad == "SAME_UPPER" {
				g.padBeg[i], g.padEnd[i] = small, total-small
			} else {
				g.padBeg[i], g.padEnd[i] = total-small, small
			}
			g.out[i] = out
		case "VALID":
			if pa.ceil {
				g.out[i] = ceilDiv(in-ext+1, s)
			} else {
				g.out[i] = floorDiv(in-ext, s) + 1
			}
		default:
			if pa.pads != nil {
				g.padBeg[i], g.padEnd[i] = pa.pads[i], pa.pads[i+nd]
			}
			span := in + g.padBeg[i] + g.padEnd[i] - ext
			if span < 0 {
				g.out[i] = 0
				break
			}
			if pa.ceil {
				o := ceilDiv(span, s) + 1
				// The last window must start inside the input or the begin pad.
				if (o-1)*s >= in+g.padBeg[i] {
					o--
				}
				g.out[i] = o
			} else {
				g.out[i] = span/s + 1
			}
		}
		if g.out[i] <= 0 {
			return nil, fmt.Errorf("%s: kernel %v (dilations %v) does not fit input spatial shape %v with pads %v", pa.op, pa.kernel, pa.dilations, spatial, pa.pads)
		}
	}
	return g, nil
}

func ceilDiv(a, b int) int {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a) / b)
}

func floorDiv(a, b int) int {
	if a >= 0 {
		return a / b
	}
	return -((-a + b - 1) / b)
}

// window describes, for one spatial dim and one output index, the input
// positions a window covers (already clipped to the input) and how many
// positions of the padded extent it covers (for count_include_pad).
type window struct {
	first, count int // first valid input index, number of valid taps
	padCount     int // taps inside [-padBeg, in+padEnd)
}

// tapRange returns the first and last tap j in [0, k) with
// lo <= start + j*d < hi (j1 < j0 when there is none).
func tapRange(start, d, k, lo, hi int) (int, int) {
	j0 := 0
	if start < lo {
		j0 = (lo - start + d - 1) / d
	}
	j1 := k - 1
	if last := start + j1*d; last >= hi {
		if hi-1 < start {
			return 0, -1
		}
		j1 = (hi - 1 - start) / d
	}
	return j0, j1
}

// windows precomputes the per-dim windows of g.
func (g *poolGeom) windows() [][]window {
	ws := make([][]window, len(g.in))
	for i := range g.in {
		in, k, s, d := g.in[i], g.kernel[i], g.strides[i], g.dilations[i]
		ws[i] = make([]window, g.out[i])
		for o := range ws[i] {
			start := o*s - g.padBeg[i]
			w := window{first: -1}
			// Taps j in [0, k) at start + j*d, counted in closed form.
			j0, j1 := tapRange(start, d, k, 0, in)
			if j1 >= j0 {
				w.first, w.count = start+j0*d, j1-j0+1
			}
			p0, p1 := tapRange(start, d, k, -g.padBeg[i], in+g.padEnd[i])
			if p1 >= p0 {
				w.padCount = p1 - p0 + 1
			}
			ws[i][o] = w
		}
	}
	return ws
}

func (pa *poolAttrs) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	threads := rcThreads(rc)
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("%s: input X is missing", pa.op)
	}
	nd := len(pa.kernel)
	if x.Rank() != nd+2 {
		return nil, fmt.Errorf("%s: input X must have rank %d (N, C and %d spatial dims for kernel_shape %v), got shape %v", pa.op, nd+2, nd, pa.kernel, x.Shape())
	}
	dt := x.DType()
	isInt8 := dt == tensor.Int8 || dt == tensor.Uint8
	if !isFloatType(dt) && !(isInt8 && pa.allowInt8) {
		return nil, fmt.Errorf("%s: input X must be a float tensor%s, got %v", pa.op, map[bool]string{true: " (or int8/uint8)", false: ""}[pa.allowInt8], dt)
	}
	shape := x.Shape()
	g, err := pa.geometry(shape[2:])
	if err != nil {
		return nil, err
	}
	outShape := append([]int{shape[0], shape[1]}, g.out...)
	planes := shape[0] * shape[1]
	ws := g.windows()
	var idx []int64
	if pa.wantIndices {
		n, err := allocLen(outShape)
		if err != nil {
			return nil, err
		}
		idx = make([]int64, n)
	}
	var y *tensor.Tensor
	switch dt {
	case tensor.Int8:
		y, err = poolTyped(threads, pa, g, ws, planes, outShape, tensor.Data[int8](x), idx, nil)
	case tensor.Uint8:
		y, err = poolTyped(threads, pa, g, ws, planes, outShape, tensor.Data[uint8](x), idx, nil)
	case tensor.Float64:
		y, err = poolTyped(threads, pa, g, ws, planes, outShape, tensor.Data[float64](x), idx, nil)
	default:
		var y32 *tensor.Tensor
		var buf []float32
		if dt == tensor.Float32 {
			// From the run's recycled buffers; cleared unless the
			// max-pool kernels below store every element.
			all := pa.kind == poolMax && idx == nil && nd <= 3
			if y32, err = rc.NewFloat32(outShape, !all); err != nil {
				return nil, err
			}
			buf = tensor.Data[float32](y32)
		}
		y32, err = poolTyped(threads, pa, g, ws, planes, outShape, widen(x), idx, buf)
		if err == nil {
			y = narrow(dt, outShape, tensor.Data[float32](y32))
		}
	}
	if err != nil {
		return nil, err
	}
	if pa.wantIndices {
		return rc.TensorResults(y, tensor.New(outShape, idx)), nil
	}
	return rc.TensorResults(y), nil
}

type poolElem interface {
	~float32 | ~float64 | ~int8 | ~uint8
}

// poolTyped pools every (n, c) plane. Spatial ranks up to 3 use nested
// loops (lower ranks are padded with unit dims); higher ranks an odometer.
// y, when not nil, is the output buffer (zeroed, unless the kernels write
// every element).
func poolTyped[T poolElem](threads int, pa *poolAttrs, g *poolGeom, ws [][]window, planes int, outShape []int, x []T, idx []int64, y []T) (*tensor.Tensor, error) {
	n, err := allocLen(outShape)
	if err != nil {
		return nil, err
	}
	if y == nil {
		y = make([]T, n)
	}
	inPlane := ops.Product(g.in)
	outPlane := ops.Product(g.out)
	if len(g.in) <= 3 {
		// Pad to exactly three spatial dims.
		pad := 3 - len(g.in)
		in3 := [3]int{1, 1, 1}
		d3 := [3]int{1, 1, 1}
		w3 := [3][]window{{{0, 1, 1}}, {{0, 1, 1}}, {{0, 1, 1}}}
		for i := range g.in {
			in3[pad+i] = g.in[i]
			d3[pad+i] = g.dilations[i]
			w3[pad+i] = ws[i]
		}
		work := n * ops.Product(g.kernel)
		poolParallel(threads, planes, work, func(lo, hi int) {
			var hm []T // maxPlane2D's scratch, reused across planes
			for pl := lo; pl < hi; pl++ {
				pool3(pa, x[pl*inPlane:(pl+1)*inPlane], y[pl*outPlane:(pl+1)*outPlane], in3, d3, w3, idxSlice(idx, pl, outPlane), int64(pl*inPlane), g.in, &hm)
			}
		})
	} else {
		for pl := 0; pl < planes; pl++ {
			poolND(pa, g, ws, x[pl*inPlane:(pl+1)*inPlane], y[pl*outPlane:(pl+1)*outPlane], idxSlice(idx, pl, outPlane), int64(pl*inPlane))
		}
	}
	return tensor.New(outShape, y), nil
}

func idxSlice(idx []int64, pl, outPlane int) []int64 {
	if idx == nil {
		return nil
	}
	return idx[pl*outPlane : (pl+1)*outPlane]
}

// storageIndex converts a spatial multi-index to the flat index MaxPool
// reports: row-major, or column-major over the spatial dims with
// storage_order 1.
func storageIndex(pos []int, dims []int, colMajor bool) int64 {
	var r int64
	if colMajor {
		for i := len(dims) - 1; i >= 0; i-- {
			r = r*int64(dims[i]) + int64(pos[i])
		}
		return r
	}
	for i := range dims {
		r = r*int64(dims[i]) + int64(pos[i])
	}
	return r
}

func pool3[T poolElem](pa *poolAttrs, x, y []T, in [3]int, dil [3]int, ws [3][]window, idx []int64, base int64, spatial []int, hm *[]T) {
	s1 := in[1] * in[2]
	s2 := in[2]
	o := 0
	pad := 3 - len(spatial)
	var pos [3]int
	if pa.kind == poolMax && idx == nil {
		if in[0] == 1 && dil[2] == 1 {
			maxPlane2D(x, y, in[1], in[2], dil[1], ws[1], ws[2], hm)
		} else {
			maxPlane(x, y, s1, s2, dil, ws)
		}
		return
	}
	for _, w0 := range ws[0] {
		for _, w1 := range ws[1] {
			for _, w2 := range ws[2] {
				switch pa.kind {
				case poolMax:
					best := T(0)
					bi := -1
					for a, ia := 0, w0.first; a < w0.count; a, ia = a+1, ia+dil[0] {
						for b, ib := 0, w1.first; b < w1.count; b, ib = b+1, ib+dil[1] {
							row := ia*s1 + ib*s2
							for c, ic := 0, w2.first; c < w2.count; c, ic = c+1, ic+dil[2] {
								v := x[row+ic]
								if bi < 0 || v > best {
									best, bi = v, row+ic
								}
							}
						}
					}
					y[o] = best
					if idx != nil {
						if bi < 0 {
							idx[o] = -1
						} else if pa.storageOrder == 0 {
							idx[o] = base + int64(bi)
						} else {
							pos[0], pos[1], pos[2] = bi/s1, (bi%s1)/s2, bi%s2
							idx[o] = base + storageIndex(pos[pad:], spatial, true)
						}
					}
				case poolAvg:
					var sum float64
					for a, ia := 0, w0.first; a < w0.count; a, ia = a+1, ia+dil[0] {
						for b, ib := 0, w1.first; b < w1.count; b, ib = b+1, ib+dil[1] {
							row := ia*s1 + ib*s2
							for c, ic := 0, w2.first; c < w2.count; c, ic = c+1, ic+dil[2] {
								sum += float64(x[row+ic])
							}
						}
					}
					var cnt int
					if pa.countIncludePad {
						cnt = w0.padCount * w1.padCount * w2.padCount
					} else {
						cnt = w0.count * w1.count * w2.count
					}
					if cnt > 0 {
						y[o] = T(sum / float64(cnt))
					}
				case poolLp:
					var sum float64
					for a, ia := 0, w0.first; a < w0.count; a, ia = a+1, ia+dil[0] {
						for b, ib := 0, w1.first; b < w1.count; b, ib = b+1, ib+dil[1] {
							row := ia*s1 + ib*s2
							for c, ic := 0, w2.first; c < w2.count; c, ic = c+1, ic+dil[2] {
								sum += lpTerm(float64(x[row+ic]), pa.p)
							}
						}
					}
					y[o] = T(lpRoot(sum, pa.p))
				}
				o++
			}
		}
	}
}

// maxPlane2D is maxPlane for a 2-D plane without width dilation, done in
// two passes: the max over each window along every input row, then the
// max over the window rows.
// hm holds scratch space kept between calls (grown as needed); every
// element used is written before it is read.
func maxPlane2D[T poolElem](x, y []T, h, w, dilH int, wh, ww []window, hmBuf *[]T) {
	ow := len(ww)
	if cap(*hmBuf) < h*ow {
		*hmBuf = make([]T, h*ow)
	}
	hm := (*hmBuf)[:h*ow]
	// Interior windows [a, b): full width k, each s past the previous, so
	// their taps are found by arithmetic instead of per-window slicing.
	a, b, k, s := regularRun(ww)
	for r := 0; r < h; r++ {
		row := x[r*w : (r+1)*w]
		out := hm[r*ow : (r+1)*ow]
		maxWindows(row, out[:a], ww[:a])
		maxWindows(row, out[b:], ww[b:])
		if a >= b {
			continue
		}
		in := out[a:b]
		p := ww[a].first
		switch {
		case k == 3 && s == 2:
			src := row[p : p+2*len(in)+1]
			if vecMaxS2K3(in, src) {
				break
			}
			for j := range in {
				in[j] = max(src[2*j], src[2*j+1], src[2*j+2])
			}
		case k == 3 && s == 1:
			src := row[p : p+len(in)+2]
			for j := range in {
				in[j] = max(src[j], src[j+1], src[j+2])
			}
		case k == 2 && s == 2:
			src := row[p : p+2*len(in)]
			for j := range in {
				in[j] = max(src[2*j], src[2*j+1])
			}
		default:
			for j := range in {
				seg := row[p : p+k]
				m := seg[0]
				for _, v := range seg[1:] {
					m = max(m, v)
				}
				in[j] = m
				p += s
			}
		}
	}
	for i, win := range wh {
		out := y[i*ow : (i+1)*ow]
		switch {
		case win.count == 0:
			for j := range out {
				out[j] = 0
			}
		case win.count == 3:
			r0 := hm[win.first*ow : (win.first+1)*ow]
			r1 := hm[(win.first+dilH)*ow : (win.first+dilH+1)*ow]
			r2 := hm[(win.first+2*dilH)*ow : (win.first+2*dilH+1)*ow]
			r0, r1, r2 = r0[:len(out)], r1[:len(out)], r2[:len(out)]
			if vecMax3(out, r0, r1, r2) {
				break
			}
			for j := range out {
				out[j] = max(r0[j], r1[j], r2[j])
			}
		default:
			copy(out, hm[win.first*ow:(win.first+1)*ow])
			for a, r := 1, win.first+dilH; a < win.count; a, r = a+1, r+dilH {
				src := hm[r*ow : (r+1)*ow]
				src = src[:len(out)]
				for j, v := range src {
					out[j] = max(out[j], v)
				}
			}
		}
	}
}

// regularRun returns the longest run [a, b) of windows that all have the
// same count k (the largest one) and advance by a constant step s, as the
// interior of an undilated pooling row does.
func regularRun(ww []window) (a, b, k, s int) {
	for _, w := range ww {
		k = max(k, w.count)
	}
	for i := 0; i < len(ww); {
		if ww[i].count != k || k == 0 {
			i++
			continue
		}
		j := i + 1
		st := 0
		if j < len(ww) && ww[j].count == k {
			st = ww[j].first - ww[i].first
		}
		for j < len(ww) && ww[j].count == k && ww[j].first-ww[j-1].first == st && st > 0 {
			j++
		}
		if j-i > b-a {
			a, b, s = i, j, st
		}
		i = j
	}
	if b-a == 1 {
		s = 1 // a single window: the step is irrelevant
	}
	return a, b, k, s
}

// maxWindows computes out[j] = the max over window ww[j] of row.
func maxWindows[T poolElem](row, out []T, ww []window) {
	for j, win := range ww {
		if win.count == 0 {
			out[j] = 0
			continue
		}
		seg := row[win.first : win.first+win.count]
		m := seg[0]
		for _, v := range seg[1:] {
			m = max(m, v)
		}
		out[j] = m
	}
}

// maxPlane is MaxPool without indices over one plane: the hot case.
func maxPlane[T poolElem](x, y []T, s1, s2 int, dil [3]int, ws [3][]window) {
	o := 0
	d2 := dil[2]
	for _, w0 := range ws[0] {
		for _, w1 := range ws[1] {
			for _, w2 := range ws[2] {
				if w0.count == 0 || w1.count == 0 || w2.count == 0 {
					y[o] = 0
					o++
					continue
				}
				best := x[w0.first*s1+w1.first*s2+w2.first]
				for a, ia := 0, w0.first; a < w0.count; a, ia = a+1, ia+dil[0] {
					for b, ib := 0, w1.first; b < w1.count; b, ib = b+1, ib+dil[1] {
						start := ia*s1 + ib*s2 + w2.first
						if d2 == 1 {
							for _, v := range x[start : start+w2.count] {
								best = max(best, v)
							}
							continue
						}
						r := x[start : start+(w2.count-1)*d2+1]
						for c := 0; c < len(r); c += d2 {
							best = max(best, r[c])
						}
					}
				}
				y[o] = best
				o++
			}
		}
	}
}

func lpTerm(v, p float64) float64 {
	v = math.Abs(v)
	switch p {
	case 1:
		return v
	case 2:
		return v * v
	}
	return math.Pow(v, p)
}

func lpRoot(s, p float64) float64 {
	switch p {
	case 1:
		return s
	case 2:
		return math.Sqrt(s)
	}
	return math.Pow(s, 1/p)
}

// poolND handles more than three spatial dims with odometers.
func poolND[T poolElem](pa *poolAttrs, g *poolGeom, ws [][]window, x, y []T, idx []int64, base int64) {
	nd := len(g.in)
	strides := tensor.Strides(g.in)
	oc := make([]int, nd) // output counter
	kc := make([]int, nd) // kernel counter within a window
	pos := make([]int, nd)
	for o := range y {
		var sum float64
		best := T(0)
		bi := -1
		cnt, padCnt := 1, 1
		empty := false
		for i := 0; i < nd; i++ {
			w := ws[i][oc[i]]
			cnt *= w.count
			padCnt *= w.padCount
			if w.count == 0 {
				empty = true
			}
			kc[i] = 0
		}
		for !empty {
			off := 0
			for i := 0; i < nd; i++ {
				off += (ws[i][oc[i]].first + kc[i]*g.dilations[i]) * strides[i]
			}
			v := x[off]
			switch pa.kind {
			case poolMax:
				if bi < 0 || v > best {
					best, bi = v, off
				}
			case poolAvg:
				sum += float64(v)
			case poolLp:
				sum += lpTerm(float64(v), pa.p)
			}
			i := nd - 1
			for ; i >= 0; i-- {
				kc[i]++
				if kc[i] < ws[i][oc[i]].count {
					break
				}
				kc[i] = 0
			}
			if i < 0 {
				break
			}
		}
		switch pa.kind {
		case poolMax:
			y[o] = best
			if idx != nil {
				if bi < 0 {
					idx[o] = -1
				} else {
					r := bi
					for i := 0; i < nd; i++ {
						pos[i] = r / strides[i]
						r %= strides[i]
					}
					idx[o] = base + storageIndex(pos, g.in, pa.storageOrder == 1)
				}
			}
		case poolAvg:
			c := cnt
			if pa.countIncludePad {
				c = padCnt
			}
			if c > 0 {
				y[o] = T(sum / float64(c))
			}
		case poolLp:
			y[o] = T(lpRoot(sum, pa.p))
		}
		for i := nd - 1; i >= 0; i-- {
			oc[i]++
			if oc[i] < g.out[i] {
				break
			}
			oc[i] = 0
		}
	}
}

// Global pooling: one window over all spatial dims.

type globalPool struct {
	kind poolKind
	p    float64
}

func buildGlobalPool(kind poolKind) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		gp := &globalPool{kind: kind}
		if kind == poolLp {
			var err error
			if gp.p, err = lpAttr(n); err != nil {
				return nil, err
			}
		}
		return ops.TensorsRC(gp.run), nil
	}
}

func (gp *globalPool) run(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	threads := rcThreads(rc)
	op := "Global" + gp.kind.name()
	x := ops.Input(in, 0)
	if err := checkFloat(op, "X", x); err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("%s: input X must have rank >= 2 (N, C, spatial...), got shape %v", op, x.Shape())
	}
	shape := x.Shape()
	outShape := make([]int, len(shape))
	outShape[0], outShape[1] = shape[0], shape[1]
	for i := 2; i < len(shape); i++ {
		outShape[i] = 1
	}
	planes := shape[0] * shape[1]
	size := ops.Product(shape[2:])
	// Every plane's value is written unless the planes are empty.
	return one(runFloatRC(rc, x, outShape, size == 0,
		func(x, y []float32) error { globalPoolKernel(threads, gp, x, y, planes, size); return nil },
		func(x, y []float64) error { globalPoolKernel(threads, gp, x, y, planes, size); return nil }))
}

func globalPoolKernel[T ops.Float](threads int, gp *globalPool, x, y []T, planes, size int) {
	if xf, ok := any(x).([]float32); ok && gp.kind == poolAvg && size > 0 {
		yf := any(y).([]float32)
		poolParallel(threads, planes, planes*size, func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				yf[pl] = vector.Sum(xf[pl*size:(pl+1)*size]) / float32(size)
			}
		})
		return
	}
	poolParallel(threads, planes, planes*size, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			row := x[pl*size : (pl+1)*size]
			switch gp.kind {
			case poolMax:
				if size == 0 {
					continue
				}
				m := row[0]
				for _, v := range row[1:] {
					if v > m {
						m = v
					}
				}
				y[pl] = m
			case poolAvg:
				if size == 0 {
					continue
				}
				var s T
				// Four partial sums: fewer dependent adds, a little more accurate.
				var s0, s1, s2, s3 T
				i := 0
				for ; i+4 <= len(row); i += 4 {
					s0 += row[i]
					s1 += row[i+1]
					s2 += row[i+2]
					s3 += row[i+3]
				}
				for ; i < len(row); i++ {
					s += row[i]
				}
				s += (s0 + s1) + (s2 + s3)
				y[pl] = s / T(size)
			case poolLp:
				var s float64
				for _, v := range row {
					s += lpTerm(float64(v), gp.p)
				}
				y[pl] = T(lpRoot(s, gp.p))
			}
		}
	})
}

// one wraps a single output.
func one(t *tensor.Tensor, err error) ([]*tensor.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// rcThreads is the run's thread budget (0, meaning linalg's default, when
// the caller gave none).
func rcThreads(rc *ops.RunContext) int {
	if rc == nil {
		return 0
	}
	return rc.Threads
}

// poolParallel runs fn over [0, n) planes on up to threads goroutines
// (<= 0: the default), serially when the total work is small.
func poolParallel(threads, n, work int, fn func(lo, hi int)) {
	if work < 1<<15 {
		threads = 1
	}
	linalg.ParallelN(threads, n, 1, fn)
}

// vecMaxS2K3 runs the vector kernel for out[j] = max(x[2j], x[2j+1],
// x[2j+2]) when T is float32 and the CPU level has one.
func vecMaxS2K3[T poolElem](out, x []T) bool {
	o, ok := any(out).([]float32)
	if !ok {
		return false
	}
	return maxRowS2K3F32(o, any(x).([]float32))
}

// vecMax3 is vecMaxS2K3 for out[j] = max(a[j], b[j], c[j]).
func vecMax3[T poolElem](out, a, b, c []T) bool {
	o, ok := any(out).([]float32)
	if !ok {
		return false
	}
	return max3F32(o, any(a).([]float32), any(b).([]float32), any(c).([]float32))
}
