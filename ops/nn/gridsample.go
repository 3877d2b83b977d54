package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// GridSample (16: 4-D input, modes bilinear/nearest/bicubic; 20 and 22:
// N-D, modes linear/nearest/cubic) and AffineGrid (20).

func init() {
	ops.RegisterVersions("", "GridSample", []int{16, 20, 22}, buildGridSample)
	ops.Register("", "AffineGrid", 20, buildAffineGrid)
}

type gridSample struct {
	mode    resizeMode
	padding string
	align   bool
	only2D  bool
}

func buildGridSample(n *ops.Node) (ops.Kernel, error) {
	gs := &gridSample{only2D: n.Opset < 20}
	def := "linear"
	if n.Opset < 20 {
		def = "bilinear"
	}
	m, err := n.AttrString("mode", def)
	if err != nil {
		return nil, err
	}
	switch m {
	case "linear", "bilinear":
		gs.mode = rzLinear
	case "nearest":
		gs.mode = rzNearest
	case "cubic", "bicubic":
		gs.mode = rzCubic
	default:
		return nil, fmt.Errorf("GridSample: mode must be linear, nearest or cubic (bilinear, nearest or bicubic before opset 20), got %q", m)
	}
	if gs.padding, err = n.AttrString("padding_mode", "zeros"); err != nil {
		return nil, err
	}
	switch gs.padding {
	case "zeros", "border", "reflection":
	default:
		return nil, fmt.Errorf("GridSample: padding_mode must be zeros, border or reflection, got %q", gs.padding)
	}
	ac, err := n.AttrInt("align_corners", 0)
	if err != nil {
		return nil, err
	}
	gs.align = ac != 0
	return ops.Tensors(gs.run), nil
}

func (gs *gridSample) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, grid := ops.Input(in, 0), ops.Input(in, 1)
	if x == nil {
		return nil, fmt.Errorf("GridSample: input X is missing")
	}
	if !isFloatType(x.DType()) && !x.DType().IsInteger() {
		return nil, fmt.Errorf("GridSample: X must be a numeric tensor, got %v", x.DType())
	}
	if err := checkFloat("GridSample", "grid", grid); err != nil {
		return nil, err
	}
	xs, gsh := x.Shape(), grid.Shape()
	r := len(xs) - 2
	if r < 1 {
		return nil, fmt.Errorf("GridSample: X must have rank >= 3 (N, C, spatial...), got shape %v", xs)
	}
	if gs.only2D && r != 2 {
		return nil, fmt.Errorf("GridSample-16: X must be 4-D (N, C, H, W), got shape %v (N-D needs opset 20)", xs)
	}
	if len(gsh) != r+2 || gsh[0] != xs[0] || gsh[r+1] != r {
		return nil, fmt.Errorf("GridSample: grid must have shape [N=%d, out spatial (%d dims)..., %d], got %v", xs[0], r, r, gsh)
	}
	outShape := append([]int{xs[0], xs[1]}, gsh[1:r+1]...)
	total, err := allocLen(outShape)
	if err != nil {
		return nil, err
	}
	nb, c := xs[0], xs[1]
	dims := xs[2:]
	inPlane := ops.Product(dims)
	outPlane := ops.Product(gsh[1 : r+1])
	xv := x.Float64s()
	// Denormalise in the grid's precision, as the reference does.
	g32 := grid.DType() != tensor.Float64
	gv := grid.Float64s()
	y := make([]float64, total)
	strides := tensor.Strides(dims)
	ntap := 2
	switch gs.mode {
	case rzNearest:
		ntap = 1
	case rzCubic:
		ntap = 4
	}
	tapIdx := make([][]int, r) // per dim: input index of each tap, -1 for zero
	tapW := make([][]float64, r)
	for d := range tapIdx {
		tapIdx[d] = make([]int, ntap)
		tapW[d] = make([]float64, ntap)
	}
	kc := make([]int, r)
	for n := 0; n < nb; n++ {
		for o := 0; o < outPlane; o++ {
			gp := gv[(n*outPlane+o)*r : (n*outPlane+o+1)*r]
			for d := 0; d < r; d++ {
				// The grid lists coordinates innermost dim first.
				gs.taps(gp[r-1-d], dims[d], g32, tapIdx[d], tapW[d])
			}
			for ch := 0; ch < c; ch++ {
				src := xv[(n*c+ch)*inPlane : (n*c+ch+1)*inPlane]
				var acc float64
				for d := range kc {
					kc[d] = 0
				}
				for {
					w := 1.0
					off := 0
					for d := 0; d < r; d++ {
						i := tapIdx[d][kc[d]]
						w *= tapW[d][kc[d]]
						if i < 0 {
							w = 0
						}
						off += max(i, 0) * strides[d]
					}
					if w != 0 {
						acc += w * src[off]
					}
					d := r - 1
					for ; d >= 0; d-- {
						kc[d]++
						if kc[d] < ntap {
							break
						}
						kc[d] = 0
					}
					if d < 0 {
						break
					}
				}
				y[(n*c+ch)*outPlane+o] = acc
			}
		}
	}
	out, err := tensor.FromFloat64s(x.DType(), outShape, y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

// taps computes, for normalised coordinate g along a dim of size size, the
// input indices (-1 for a zero tap) and weights of the interpolation.
func (gs *gridSample) taps(g float64, size int, g32 bool, idx []int, w []float64) {
	var x float64
	if g32 {
		gf, sf := float32(g), float32(size)
		if gs.align {
			x = float64((gf + 1) / 2 * (sf - 1))
		} else {
			x = float64(((gf+1)*sf - 1) / 2)
		}
	} else if gs.align {
		x = (g + 1) / 2 * float64(size-1)
	} else {
		x = ((g+1)*float64(size) - 1) / 2
	}
	lo, hi := -0.5, float64(size)-0.5
	if gs.align {
		lo, hi = 0, float64(size-1)
	}
	if gs.mode == rzNearest {
		x = math.RoundToEven(x)
	}
	if math.IsNaN(x) {
		for i := range idx {
			idx[i], w[i] = -1, 0
		}
		return
	}
	if x < lo || x > hi {
		switch gs.padding {
		case "border":
			x = math.Min(math.Max(x, 0), float64(size-1))
		case "reflection":
			x = reflectCoord(x, lo, hi)
		default:
			// Far outside: every tap reads zero; keep the integers sane.
			x = math.Min(math.Max(x, -8), float64(size)+8)
		}
	}
	switch gs.mode {
	case rzNearest:
		idx[0], w[0] = gs.pixel(int(x), size, lo, hi), 1
	case rzLinear:
		f := math.Floor(x)
		t := x - f
		i0 := int(f)
		idx[0], w[0] = gs.pixel(i0, size, lo, hi), 1-t
		idx[1], w[1] = gs.pixel(i0+1, size, lo, hi), t
	case rzCubic:
		f := math.Floor(x)
		t := x - f
		i0 := int(f)
		const a = -0.75
		ws := [4]float64{cubicWeight(1+t, a), cubicWeight(t, a), cubicWeight(1-t, a), cubicWeight(2-t, a)}
		for k := 0; k < 4; k++ {
			idx[k], w[k] = gs.pixel(i0-1+k, size, lo, hi), ws[k]
		}
	}
}

// pixel maps an integer tap position to an input index under the padding
// mode, or -1 for a zero (padding_mode zeros, outside).
func (gs *gridSample) pixel(i, size int, lo, hi float64) int {
	if i >= 0 && i < size {
		return i
	}
	switch gs.padding {
	case "border":
		return min(max(i, 0), size-1)
	case "reflection":
		v := int(reflectCoord(float64(i), lo, hi))
		return min(max(v, 0), size-1)
	}
	return -1
}

// reflectCoord reflects x into [lo, hi] by the nearer border, repeatedly.
func reflectCoord(x, lo, hi float64) float64 {
	rng := hi - lo
	if rng <= 0 {
		return lo
	}
	if x < lo {
		dx := lo - x
		n := math.Floor(dx / rng)
		r := dx - n*rng
		if math.Mod(n, 2) == 0 {
			return lo + r
		}
		return hi - r
	}
	if x > hi {
		dx := x - hi
		n := math.Floor(dx / rng)
		r := dx - n*rng
		if math.Mod(n, 2) == 0 {
			return hi - r
		}
		return lo + r
	}
	return x
}

// AffineGrid.

type affineGrid struct{ align bool }

func buildAffineGrid(n *ops.Node) (ops.Kernel, error) {
	ac, err := n.AttrInt("align_corners", 0)
	if err != nil {
		return nil, err
	}
	return ops.Tensors((&affineGrid{align: ac != 0}).run), nil
}

func (ag *affineGrid) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	theta, size := ops.Input(in, 0), ops.Input(in, 1)
	if err := checkFloat("AffineGrid", "theta", theta); err != nil {
		return nil, err
	}
	if size == nil || !size.DType().IsInteger() || size.Rank() != 1 {
		return nil, fmt.Errorf("AffineGrid: size must be a 1-D int64 tensor")
	}
	sz := size.Int64s()
	ts := theta.Shape()
	var sp int // spatial dims: 2 or 3
	switch len(sz) {
	case 4:
		sp = 2
	case 5:
		sp = 3
	default:
		return nil, fmt.Errorf("AffineGrid: size must be (N, C, H, W) or (N, C, D, H, W), got %v", sz)
	}
	if len(ts) != 3 || ts[1] != sp || ts[2] != sp+1 || int64(ts[0]) != sz[0] {
		return nil, fmt.Errorf("AffineGrid: theta must have shape [N=%d, %d, %d] for size %v, got %v", sz[0], sp, sp+1, sz, ts)
	}
	for _, d := range sz {
		if d < 0 || d > tensor.MaxElements {
			return nil, fmt.Errorf("AffineGrid: size has an invalid dimension: %v", sz)
		}
	}
	// Spatial dims in tensor order (D,) H, W; base coordinates per dim.
	dims := toInts(sz[2:])
	outShape := append([]int{int(sz[0])}, dims...)
	outShape = append(outShape, sp)
	total, err := allocLen(outShape)
	if err != nil {
		return nil, err
	}
	base := make([][]float64, sp)
	for d, n := range dims {
		base[d] = make([]float64, n)
		for i := range base[d] {
			if ag.align {
				if n == 1 {
					base[d][i] = -1
				} else {
					base[d][i] = -1 + float64(i)*2/float64(n-1)
				}
			} else {
				base[d][i] = -1 + float64(2*i+1)/float64(n)
			}
		}
	}
	th := theta.Float64s()
	out := make([]float64, total)
	pts := ops.Product(dims)
	pos := make([]int, sp)
	vec := make([]float64, sp+1) // x, y(, z), 1
	for n := 0; n < int(sz[0]); n++ {
		m := th[n*sp*(sp+1) : (n+1)*sp*(sp+1)]
		for d := range pos {
			pos[d] = 0
		}
		for p := 0; p < pts; p++ {
			// Homogeneous point, innermost dim (x) first.
			for d := 0; d < sp; d++ {
				vec[d] = base[sp-1-d][pos[sp-1-d]]
			}
			vec[sp] = 1
			o := out[(n*pts+p)*sp : (n*pts+p+1)*sp]
			for row := 0; row < sp; row++ {
				var s float64
				for k := 0; k <= sp; k++ {
					s += m[row*(sp+1)+k] * vec[k]
				}
				o[row] = s
			}
			for d := sp - 1; d >= 0; d-- {
				pos[d]++
				if pos[d] < dims[d] {
					break
				}
				pos[d] = 0
			}
		}
	}
	t, err := tensor.FromFloat64s(theta.DType(), outShape, out)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}
