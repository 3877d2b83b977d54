package nchwc

import (
	"unsafe"

	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// kArgs is what an assembly kernel reads (offsets fixed in ops/nchwc/_gen):
// nseg segments of r output pixels (r fixed by the kernel) of one output
// row, for one or two output blocks. Strides are in bytes.
type kArgs struct {
	x    unsafe.Pointer // @0: first tap of the segment's first pixel, input block 0
	w    unsafe.Pointer // @8: the pair's packed filter [ICB][KH][KW][16][16·nb]
	y    unsafe.Pointer // @16: output block 0 at the segment's first pixel
	z    unsafe.Pointer // @24: residual, laid out like y (nil: none)
	bias unsafe.Pointer // @32: 16·nb bias values
	icb  int            // @40: input blocks
	kh   int            // @48
	kw   int            // @56
	icbS int            // @64: bytes between input blocks
	khS  int            // @72: bytes between (dilated) kernel rows
	kwS  int            // @80: bytes between (dilated) kernel columns
	yS   int            // @88: bytes between output blocks (y and z)
	// flags @96: convResidual adds z, convClamp clamps to [lo, hi] with
	// NaN kept.
	flags  int
	lo, hi float32 // @104, @108
	// nseg @112: segments to run, each r pixels further along the row
	// than the last (x by r·stride pixels, y and z by r pixels).
	nseg int
}

const (
	convResidual = 1
	convClamp    = 2
)

// segmentGo is the portable twin of the assembly kernels: cnt (≤ 12)
// output pixels of nb blocks from the pair filter w and bias, x read at
// offset xo (first tap of the first pixel), y and z at yo.
func (r *denseRun) segmentGo(nb int, w, bias []float32, xo, yo, cnt int) {
	var acc [12 * 2 * Block]float32
	ow := nb * Block
	for j := 0; j < cnt; j++ {
		copy(acc[j*ow:(j+1)*ow], bias[:ow])
	}
	p := r.c.p
	x := r.x
	wo := 0
	for ib := 0; ib < r.c.icb; ib++ {
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				tap := xo + ib*r.icbS + kh*r.khS + kw*r.kwS
				for i := 0; i < Block; i++ {
					wv := w[wo : wo+ow]
					wo += ow
					for j := 0; j < cnt; j++ {
						xv := x[tap+j*r.pixS+i]
						av := acc[j*ow : (j+1)*ow]
						for o, f := range wv {
							av[o] += xv * f
						}
					}
				}
			}
		}
	}
	for b := 0; b < nb; b++ {
		out := r.y[yo+b*r.yPlane : yo+b*r.yPlane+cnt*Block]
		var res []float32
		if r.z != nil {
			res = r.z[yo+b*r.yPlane : yo+b*r.yPlane+cnt*Block]
		}
		for j := 0; j < cnt; j++ {
			for l := 0; l < Block; l++ {
				v := acc[j*ow+b*Block+l]
				if res != nil {
					v += res[j*Block+l]
				}
				if r.clamp {
					// Comparisons keep NaN, as the assembly's max/min do.
					if v < r.lo {
						v = r.lo
					}
					if v > r.hi {
						v = r.hi
					}
				}
				out[j*Block+l] = v
			}
		}
	}
}

// convActivate applies an activation the kernels do not fuse, in place, on
// a row just written (still in cache).
func convActivate(x []float32, act linalg.Activation, alpha, beta float32) {
	switch act {
	case linalg.ActRelu:
		vector.Relu(x, x)
	case linalg.ActClip:
		vector.Clip(x, x, alpha, beta)
	case linalg.ActLeakyRelu:
		for i, v := range x {
			if v < 0 {
				x[i] = alpha * v
			}
		}
	case linalg.ActSigmoid:
		vector.Sigmoid(x, x)
	case linalg.ActSiLU:
		vector.SiLU(x, x)
	case linalg.ActHardSigmoid:
		for i, v := range x {
			x[i] = max(0, min(1, alpha*v+beta))
		}
	case linalg.ActHardSwish:
		vector.HardSwish(x, x)
	case linalg.ActTanh:
		vector.Tanh(x, x)
	case linalg.ActGelu:
		vector.Gelu(x, x)
	}
}
