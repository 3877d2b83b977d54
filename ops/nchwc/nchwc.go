// Package nchwc holds convolution, pooling and reorder kernels on the
// channel-blocked layout NCHW16c, the layout ONNX Runtime's MLAS runs CNNs
// in: a float32 tensor of logical shape [N, C, H, W] is stored as
// [N, ceil(C/16), H, W, 16], so that one 16-lane vector holds 16 channels
// of one pixel. A direct convolution then broadcasts one input value and
// multiplies it into 16 output channels at once, with no im2col copy and
// no per-call packing of activations.
//
// Channels past C in the last block are padding. They may hold any finite
// value; every kernel keeps them in their own lanes, and convolutions pack
// zero weights for padded input channels, so padding never reaches a real
// channel.
package nchwc

import (
	"fmt"

	"github.com/gonyx/gonyx/ops/linalg"
)

// Block is the number of channels in one block, on every CPU level (AVX2
// kernels treat a block as two 8-lane vectors).
const Block = 16

// Blocks is the number of blocks that hold c channels.
func Blocks(c int) int { return (c + Block - 1) / Block }

// ConvParams describes a 2-D convolution whose input and output are
// blocked. Group is 1 (dense) or equal to InC and OutC (depthwise,
// channel multiplier 1). Pads are resolved (no auto_pad).
type ConvParams struct {
	InC, OutC, Group       int
	KH, KW, SH, SW, DH, DW int
	PadT, PadL, PadB, PadR int
	// Act is applied to conv + bias (+ z); Alpha and Beta are its
	// parameters as in linalg.Epilogue.
	Act         linalg.Activation
	Alpha, Beta float32
	// Residual: Run takes z, shaped like y, added before Act.
	Residual bool
}

// Depthwise reports whether p is a depthwise convolution.
func (p ConvParams) Depthwise() bool { return p.Group > 1 }

// validate checks p's fields.
func (p ConvParams) validate() error {
	switch {
	case p.InC < 1 || p.OutC < 1:
		return fmt.Errorf("nchwc: channels must be positive, got in %d out %d", p.InC, p.OutC)
	case p.Group != 1 && (p.Group != p.InC || p.Group != p.OutC):
		return fmt.Errorf("nchwc: group must be 1 or equal the channel count (depthwise), got group %d in %d out %d", p.Group, p.InC, p.OutC)
	case p.KH < 1 || p.KW < 1 || p.SH < 1 || p.SW < 1 || p.DH < 1 || p.DW < 1:
		return fmt.Errorf("nchwc: kernel, strides and dilations must be positive, got kernel %dx%d strides %dx%d dilations %dx%d", p.KH, p.KW, p.SH, p.SW, p.DH, p.DW)
	case p.PadT < 0 || p.PadL < 0 || p.PadB < 0 || p.PadR < 0:
		return fmt.Errorf("nchwc: pads must not be negative, got %d %d %d %d", p.PadT, p.PadL, p.PadB, p.PadR)
	case p.Act < linalg.ActNone || p.Act > linalg.ActGelu:
		return fmt.Errorf("nchwc: unknown activation %d", p.Act)
	}
	return nil
}

// OutSize is the output height and width for an h×w input.
func (p ConvParams) OutSize(h, w int) (oh, ow int, err error) {
	eh := (p.KH-1)*p.DH + 1
	ew := (p.KW-1)*p.DW + 1
	ph, pw := h+p.PadT+p.PadB, w+p.PadL+p.PadR
	if h < 1 || w < 1 || ph < eh || pw < ew {
		return 0, 0, fmt.Errorf("nchwc: a %dx%d input with pads %d,%d,%d,%d is smaller than the %dx%d (dilated) kernel", h, w, p.PadT, p.PadL, p.PadB, p.PadR, eh, ew)
	}
	return (ph-eh)/p.SH + 1, (pw-ew)/p.SW + 1, nil
}

// PoolParams describes MaxPool or AveragePool on blocked data. OH and OW
// are resolved by the caller (ceil_mode, auto_pad), as ops/nn does.
type PoolParams struct {
	Max                    bool
	KH, KW, SH, SW, DH, DW int
	PadT, PadL, PadB, PadR int
	// CountIncludePad: AveragePool divides by the full window, padding
	// included.
	CountIncludePad bool
	OH, OW          int
}
