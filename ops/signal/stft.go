package signal

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.Register("", "STFT", 17, buildSTFT)
}

type stft struct {
	onesided bool
}

func buildSTFT(n *ops.Node) (ops.Kernel, error) {
	one, err := n.AttrInt("onesided", 1)
	if err != nil {
		return nil, err
	}
	if one != 0 && one != 1 {
		return nil, fmt.Errorf("STFT: onesided must be 0 or 1, got %d", one)
	}
	s := &stft{onesided: one == 1}
	return ops.Tensors(s.run), nil
}

func (s *stft) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, stepT, win, lenT := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2), ops.Input(in, 3)
	if x == nil || stepT == nil {
		return nil, fmt.Errorf("STFT: inputs signal and frame_step are required")
	}
	if err := checkFloatSignal("STFT", "signal", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	if len(shape) != 3 || (shape[2] != 1 && shape[2] != 2) {
		return nil, fmt.Errorf("STFT: signal must have shape [batch, length, 1 or 2], got %v", shape)
	}
	batch, length, c := shape[0], shape[1], shape[2]
	step, err := scalarInt("STFT", "frame_step", stepT)
	if err != nil {
		return nil, err
	}
	if step <= 0 {
		return nil, fmt.Errorf("STFT: frame_step must be > 0, got %d", step)
	}
	var window []float64
	nfft := int64(length)
	if win != nil {
		if err := checkFloatSignal("STFT", "window", win); err != nil {
			return nil, err
		}
		if win.Rank() != 1 {
			return nil, fmt.Errorf("STFT: window must be 1-D, got shape %v", win.Shape())
		}
		window = win.Float64s()
		nfft = int64(len(window))
	}
	if lenT != nil {
		fl, err := scalarInt("STFT", "frame_length", lenT)
		if err != nil {
			return nil, err
		}
		if window != nil && fl != int64(len(window)) {
			return nil, fmt.Errorf("STFT: frame_length %d differs from the window length %d", fl, len(window))
		}
		nfft = fl
	}
	if nfft <= 0 {
		return nil, fmt.Errorf("STFT: frame length must be > 0, got %d", nfft)
	}
	if nfft > maxFFT {
		return nil, fmt.Errorf("STFT: frame length %d is too large (at most %d)", nfft, maxFFT)
	}
	if nfft > int64(length) {
		return nil, fmt.Errorf("STFT: frame length %d is longer than the signal (%d samples)", nfft, length)
	}
	N := int(nfft)
	frames := int((int64(length)-nfft)/step) + 1
	bins := N
	if s.onesided {
		bins = N/2 + 1
	}
	outShape := []int{batch, frames, bins, 2}
	total, err := tensor.NumElements(outShape)
	if err != nil {
		return nil, fmt.Errorf("STFT: output %v: %v", outShape, err)
	}
	src := x.Float64s()
	dst := make([]float64, total)
	plan := newFFTPlan(N)
	buf := make([]complex128, N)
	scratch := make([]complex128, plan.scratchLen())
	for b := 0; b < batch; b++ {
		for f := 0; f < frames; f++ {
			start := f * int(step)
			for j := 0; j < N; j++ {
				p := (b*length + start + j) * c
				v := complex(src[p], 0)
				if c == 2 {
					v = complex(src[p], src[p+1])
				}
				if window != nil {
					v *= complex(window[j], 0)
				}
				buf[j] = v
			}
			plan.transform(buf, scratch)
			o := (b*frames + f) * bins * 2
			for k := 0; k < bins; k++ {
				dst[o+2*k] = real(buf[k])
				dst[o+2*k+1] = imag(buf[k])
			}
		}
	}
	out, err := tensor.FromFloat64s(x.DType(), outShape, dst)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
