package nchwc

import (
	"fmt"

	"github.com/gonyx/gonyx/ops/linalg"
)

// Conv is a convolution prepared for blocked data: weights packed once at
// NewConv for the direct kernels. It is immutable afterwards, so Run may be
// called from several goroutines at once.
type Conv struct {
	p ConvParams
	// dw is the depthwise filter (Group > 1 only), [CB][KH][KW][16] with
	// zero padding channels.
	dw []float32
	// bias holds Blocks(OutC)*16 values, zero-padded (all zero without a
	// bias), so kernels start their accumulators from it unconditionally.
	bias []float32
	// wp is the dense filter (Group == 1): for each pair of output blocks
	// q, [ICB][KH][KW][16 in][32 out] (16 out for an odd last block) at
	// q*pairLen, zero for padded channels, 64-byte aligned.
	wp      []float32
	pairLen int
	icb     int // Blocks(InC)
	ocb     int // Blocks(OutC)
	// nchw: x is plain NCHW (NewConvNCHW); wp then holds groups of
	// `group` output blocks at pairLen apart (conv_nchw.go).
	nchw  bool
	group int
}

// NewConv packs the ONNX OIHW weights w ([OutC][InC/Group][KH][KW]) and the
// optional bias ([OutC]) of the convolution p.
func NewConv(p ConvParams, w, bias []float32) (*Conv, error) {
	return newConv(p, w, bias, false)
}

// newConv is NewConv, or NewConvNCHW when nchw.
func newConv(p ConvParams, w, bias []float32, nchw bool) (*Conv, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if want := p.OutC * (p.InC / p.Group) * p.KH * p.KW; len(w) != want {
		return nil, fmt.Errorf("nchwc: conv weights have %d values, want %d (%d×%d×%d×%d)", len(w), want, p.OutC, p.InC/p.Group, p.KH, p.KW)
	}
	if bias != nil && len(bias) != p.OutC {
		return nil, fmt.Errorf("nchwc: conv bias has %d values, want %d", len(bias), p.OutC)
	}
	c := &Conv{p: p, icb: Blocks(p.InC), ocb: Blocks(p.OutC), nchw: nchw}
	c.bias = make([]float32, c.ocb*Block)
	copy(c.bias, bias)
	if nchw {
		c.packNCHW(w)
	} else if p.Depthwise() {
		c.packDepthwise(w)
	} else {
		c.packDense(w)
	}
	return c, nil
}

// Params returns the convolution's parameters.
func (c *Conv) Params() ConvParams { return c.p }

func (c *Conv) packDepthwise(w []float32) {
	p := c.p
	taps := p.KH * p.KW
	c.dw = make([]float32, c.ocb*taps*Block)
	for ch := 0; ch < p.OutC; ch++ {
		cb, l := ch/Block, ch%Block
		for t := 0; t < taps; t++ {
			c.dw[(cb*taps+t)*Block+l] = w[ch*taps+t]
		}
	}
}

func (c *Conv) packDense(w []float32) {
	p := c.p
	taps := p.KH * p.KW
	c.pairLen = c.icb * taps * Block * 2 * Block
	pairs := (c.ocb + 1) / 2
	c.wp = linalg.AlignedFloat32(pairs * c.pairLen)
	for q := 0; q < pairs; q++ {
		ow := pairWidth(c.ocb, q)
		dst := c.wp[q*c.pairLen:]
		for o := 0; o < ow; o++ {
			oc := q*2*Block + o
			if oc >= p.OutC {
				break
			}
			for ic := 0; ic < p.InC; ic++ {
				ib, i := ic/Block, ic%Block
				for t := 0; t < taps; t++ {
					dst[((ib*taps+t)*Block+i)*ow+o] = w[(oc*p.InC+ic)*taps+t]
				}
			}
		}
	}
}

// pairWidth is the number of output channels pair q packs: 32, or 16 for
// the odd last block.
func pairWidth(ocb, q int) int {
	if 2*q+1 == ocb {
		return Block
	}
	return 2 * Block
}

// Run computes y = Act(conv(x) + bias + z) for n images of h×w pixels.
// x is [n][Blocks(InC)][h][w][16] ([n][InC][h][w] for NewConvNCHW); z (read only when Params().Residual) and
// y are [n][Blocks(OutC)][oh][ow][16] with oh, ow from OutSize. Every
// element of y is written, padding channels included. z may be y itself
// (an in-place residual) but must not otherwise overlap y. Slices longer than
// needed are fine (only their prefix is used); shorter ones, bad sizes and a
// missing residual are reported as errors before anything is written.
// threads <= 0 means linalg.DefaultThreads().
func (c *Conv) Run(x []float32, n, h, w int, z, y []float32, threads int) error {
	oh, ow, err := c.check(x, n, h, w, z, y)
	if err != nil {
		return err
	}
	if !c.p.Residual {
		z = nil
	}
	if c.nchw {
		c.runNCHW(x, n, h, w, oh, ow, z, y, threads)
		return nil
	}
	if c.p.Depthwise() {
		depthwiseRun(c, x, n, h, w, z, y, threads)
		return nil
	}
	c.runDense(c.wp, x, n, h, w, oh, ow, z, y, threads)
	return nil
}

// check validates Run's arguments and returns the output size.
func (c *Conv) check(x []float32, n, h, w int, z, y []float32) (oh, ow int, err error) {
	if n < 1 {
		return 0, 0, fmt.Errorf("nchwc: conv batch must be positive, got %d", n)
	}
	if oh, ow, err = c.p.OutSize(h, w); err != nil {
		return 0, 0, err
	}
	if c.nchw {
		if want := n * c.p.InC * h * w; len(x) < want {
			return 0, 0, fmt.Errorf("nchwc: conv input has %d values, want %d for NCHW %d×%d×%d×%d", len(x), want, n, c.p.InC, h, w)
		}
	} else if want := n * c.icb * h * w * Block; len(x) < want {
		return 0, 0, fmt.Errorf("nchwc: conv input has %d values, want %d for %d×%d×%d×%d×%d", len(x), want, n, c.icb, h, w, Block)
	}
	want := n * c.ocb * oh * ow * Block
	if len(y) < want {
		return 0, 0, fmt.Errorf("nchwc: conv output has %d values, want %d for %d×%d×%d×%d×%d", len(y), want, n, c.ocb, oh, ow, Block)
	}
	if c.p.Residual && len(z) < want {
		return 0, 0, fmt.Errorf("nchwc: conv residual has %d values, want %d for %d×%d×%d×%d×%d", len(z), want, n, c.ocb, oh, ow, Block)
	}
	return oh, ow, nil
}
