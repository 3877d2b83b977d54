package nn

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Col2Im (18): the inverse of im2col, summing overlapping blocks.

func init() {
	ops.Register("", "Col2Im", 18, buildCol2Im)
}

type col2im struct {
	dilations, pads, strides []int64
}

func buildCol2Im(n *ops.Node) (ops.Kernel, error) {
	c := &col2im{}
	var err error
	if c.dilations, err = intsAttr(n, "dilations", 0, 1); err != nil {
		return nil, err
	}
	if c.pads, err = intsAttr(n, "pads", 0, 0); err != nil {
		return nil, err
	}
	if c.strides, err = intsAttr(n, "strides", 0, 1); err != nil {
		return nil, err
	}
	return ops.Tensors(c.run), nil
}

func (c *col2im) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, imgT, blkT := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if err := checkFloat("Col2Im", "input", x); err != nil {
		return nil, err
	}
	if imgT == nil || blkT == nil || !imgT.DType().IsInteger() || !blkT.DType().IsInteger() {
		return nil, fmt.Errorf("Col2Im: image_shape and block_shape must be int64 tensors")
	}
	img, blk := imgT.Int64s(), blkT.Int64s()
	nd := len(img)
	if nd < 1 || len(blk) != nd {
		return nil, fmt.Errorf("Col2Im: image_shape %v and block_shape %v must have the same, non-zero length", img, blk)
	}
	dil, err := fillAttr("dilations", c.dilations, nd, 1)
	if err != nil {
		return nil, err
	}
	str, err := fillAttr("strides", c.strides, nd, 1)
	if err != nil {
		return nil, err
	}
	pads, err := fillAttr("pads", c.pads, 2*nd, 0)
	if err != nil {
		return nil, err
	}
	xs := x.Shape()
	if len(xs) != 3 {
		return nil, fmt.Errorf("Col2Im: input must be 3-D [N, C*prod(block_shape), L], got shape %v", xs)
	}
	blockSize := 1
	nblocks := make([]int, nd)
	L := 1
	for i := 0; i < nd; i++ {
		if img[i] < 0 || blk[i] < 1 || img[i] > tensor.MaxElements || blk[i] > tensor.MaxElements {
			return nil, fmt.Errorf("Col2Im: invalid image_shape %v or block_shape %v", img, blk)
		}
		blockSize *= int(blk[i])
		if blockSize > tensor.MaxElements {
			return nil, fmt.Errorf("Col2Im: block_shape %v is too large", blk)
		}
		nb := (int(img[i])+pads[i]+pads[i+nd]-dil[i]*(int(blk[i])-1)-1)/str[i] + 1
		if nb < 1 {
			return nil, fmt.Errorf("Col2Im: block %v (dilations %v) does not fit image %v with pads %v", blk, dil, img, pads)
		}
		nblocks[i] = nb
		L *= nb
	}
	if xs[1]%blockSize != 0 {
		return nil, fmt.Errorf("Col2Im: input dim 1 (%d) must be a multiple of prod(block_shape) = %d", xs[1], blockSize)
	}
	if xs[2] != L {
		return nil, fmt.Errorf("Col2Im: input dim 2 (%d) must equal the number of blocks %v = %d", xs[2], nblocks, L)
	}
	ch := xs[1] / blockSize
	outShape := append([]int{xs[0], ch}, toInts(img)...)
	g := &col2imGeom{nd: nd, img: toInts(img), blk: toInts(blk), nblocks: nblocks, dil: dil, str: str, pads: pads,
		n: xs[0], c: ch, blockSize: blockSize, L: L}
	return one(runFloat(x, outShape,
		func(x, y []float32) error { col2imKernel(g, x, y); return nil },
		func(x, y []float64) error { col2imKernel(g, x, y); return nil }))
}

// fillAttr expands an absent attribute to n copies of def and checks the
// length of a present one.
func fillAttr(name string, v []int64, n int, def int) ([]int, error) {
	if v == nil {
		out := make([]int, n)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(v) != n {
		return nil, fmt.Errorf("Col2Im: attribute %s must have %d values, got %v", name, n, v)
	}
	return toInts(v), nil
}

type col2imGeom struct {
	nd                 int
	img, blk, nblocks  []int
	dil, str, pads     []int
	n, c, blockSize, L int
}

func col2imKernel[T ops.Float](g *col2imGeom, x, y []T) {
	nd := g.nd
	imgSize := ops.Product(g.img)
	imgStr := tensor.Strides(g.img)
	kpos := make([]int, nd) // position within the block
	bpos := make([]int, nd) // block index
	for n := 0; n < g.n; n++ {
		for c := 0; c < g.c; c++ {
			dst := y[(n*g.c+c)*imgSize : (n*g.c+c+1)*imgSize]
			for k := 0; k < g.blockSize; k++ {
				// Decompose k into block coordinates.
				r := k
				for d := nd - 1; d >= 0; d-- {
					kpos[d] = r % g.blk[d]
					r /= g.blk[d]
				}
				src := x[((n*g.c+c)*g.blockSize+k)*g.L : ((n*g.c+c)*g.blockSize+k+1)*g.L]
				for d := range bpos {
					bpos[d] = 0
				}
				for l := 0; l < g.L; l++ {
					off, inside := 0, true
					for d := 0; d < nd; d++ {
						p := bpos[d]*g.str[d] - g.pads[d] + kpos[d]*g.dil[d]
						if p < 0 || p >= g.img[d] {
							inside = false
							break
						}
						off += p * imgStr[d]
					}
					if inside {
						dst[off] += src[l]
					}
					for d := nd - 1; d >= 0; d-- {
						bpos[d]++
						if bpos[d] < g.nblocks[d] {
							break
						}
						bpos[d] = 0
					}
				}
			}
		}
	}
}
