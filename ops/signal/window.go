package signal

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Generalized cosine windows: w[n] = a0 - a1 cos(2πn/N) + a2 cos(4πn/N),
// N = size for periodic windows and size-1 for symmetric ones.

func init() {
	ops.Register("", "HannWindow", 17, buildWindow("HannWindow", 0.5, 0.5, 0))
	ops.Register("", "HammingWindow", 17, buildWindow("HammingWindow", 25.0/46, 1-25.0/46, 0))
	ops.Register("", "BlackmanWindow", 17, buildWindow("BlackmanWindow", 0.42, 0.5, 0.08))
	ops.Register("", "MelWeightMatrix", 17, buildMel)
}

// outputType reads and checks the output_datatype attribute.
func outputType(op string, n *ops.Node) (tensor.DType, error) {
	v, err := n.AttrInt("output_datatype", int64(tensor.Float32))
	if err != nil {
		return 0, err
	}
	dt := tensor.DType(v)
	if !dt.Supported() || !(dt.IsFloat() || dt.IsInteger()) {
		return 0, fmt.Errorf("%s: output_datatype must be a numeric TensorProto type, got %d", op, v)
	}
	return dt, nil
}

type window struct {
	name       string
	a0, a1, a2 float64
	periodic   bool
	dt         tensor.DType
}

func buildWindow(name string, a0, a1, a2 float64) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		dt, err := outputType(name, n)
		if err != nil {
			return nil, err
		}
		per, err := n.AttrInt("periodic", 1)
		if err != nil {
			return nil, err
		}
		if per != 0 && per != 1 {
			return nil, fmt.Errorf("%s: periodic must be 0 or 1, got %d", name, per)
		}
		w := &window{name: name, a0: a0, a1: a1, a2: a2, periodic: per == 1, dt: dt}
		return ops.Tensors(w.run), nil
	}
}

func (w *window) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	st := ops.Input(in, 0)
	if st == nil {
		return nil, fmt.Errorf("%s: input size is missing", w.name)
	}
	size, err := scalarInt(w.name, "size", st)
	if err != nil {
		return nil, err
	}
	if size < 0 || size > tensor.MaxElements {
		return nil, fmt.Errorf("%s: size must be in [0, %d], got %d", w.name, int64(tensor.MaxElements), size)
	}
	n := int(size)
	denom := float64(n)
	if !w.periodic {
		denom = float64(n - 1)
	}
	vals := make([]float64, n)
	for i := range vals {
		var x float64 // phase 2πi/N; 0 for a one-point symmetric window
		if denom > 0 {
			x = 2 * math.Pi * float64(i) / denom
		}
		vals[i] = w.a0 - w.a1*math.Cos(x) + w.a2*math.Cos(2*x)
	}
	out, err := tensor.FromFloat64s(w.dt, []int{n}, vals)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

type mel struct {
	dt tensor.DType
}

func buildMel(n *ops.Node) (ops.Kernel, error) {
	dt, err := outputType("MelWeightMatrix", n)
	if err != nil {
		return nil, err
	}
	m := &mel{dt: dt}
	return ops.Tensors(m.run), nil
}

func (m *mel) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	const op = "MelWeightMatrix"
	for i, name := range []string{"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"} {
		if ops.Input(in, i) == nil {
			return nil, fmt.Errorf("%s: input %s is missing", op, name)
		}
	}
	numMel, err := scalarInt(op, "num_mel_bins", in[0])
	if err != nil {
		return nil, err
	}
	dftLen, err := scalarInt(op, "dft_length", in[1])
	if err != nil {
		return nil, err
	}
	rate, err := scalarInt(op, "sample_rate", in[2])
	if err != nil {
		return nil, err
	}
	lower, err := scalarFloat(op, "lower_edge_hertz", in[3])
	if err != nil {
		return nil, err
	}
	upper, err := scalarFloat(op, "upper_edge_hertz", in[4])
	if err != nil {
		return nil, err
	}
	switch {
	case numMel <= 0:
		return nil, fmt.Errorf("%s: num_mel_bins must be > 0, got %d", op, numMel)
	case dftLen <= 0:
		return nil, fmt.Errorf("%s: dft_length must be > 0, got %d", op, dftLen)
	case rate <= 0:
		return nil, fmt.Errorf("%s: sample_rate must be > 0, got %d", op, rate)
	case !(lower >= 0) || math.IsInf(upper, 0) || !(upper >= lower):
		return nil, fmt.Errorf("%s: want 0 <= lower_edge_hertz <= upper_edge_hertz (finite), got %g and %g", op, lower, upper)
	}
	if numMel > tensor.MaxElements || dftLen > tensor.MaxElements {
		return nil, fmt.Errorf("%s: num_mel_bins %d or dft_length %d is too large", op, numMel, dftLen)
	}
	nSpec := int(dftLen/2 + 1)
	nMel := int(numMel)
	shape := []int{nSpec, nMel}
	total, err := tensor.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("%s: output %v: %v", op, shape, err)
	}
	// Band edges: num_mel_bins+2 points evenly spaced on the mel scale
	// (the spec divides the range by num_mel_bins+2), mapped back to hertz
	// and then to spectrogram bin indices.
	toMel := func(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }
	lowMel, highMel := toMel(lower), toMel(upper)
	step := (highMel - lowMel) / float64(nMel+2)
	edges := make([]int64, nMel+2)
	for i := range edges {
		hz := 700 * (math.Pow(10, (float64(i)*step+lowMel)/2595) - 1)
		e := math.Floor(float64(dftLen+1) * hz / float64(rate))
		// Edges far past the last bin only scale slopes outside the
		// matrix; clamping keeps the integer arithmetic below exact.
		edges[i] = int64(math.Max(0, math.Min(e, 1<<40)))
	}
	vals := make([]float64, total)
	set := func(bin int64, band int, v float64) {
		if bin >= 0 && bin < int64(nSpec) {
			vals[int(bin)*nMel+band] = v
		}
	}
	for i := 0; i < nMel; i++ {
		left, center, right := edges[i], edges[i+1], edges[i+2]
		if up := center - left; up == 0 {
			set(center, i, 1)
		} else {
			for j := max(left, -1); j <= center && j <= int64(nSpec); j++ {
				set(j, i, float64(j-left)/float64(up))
			}
		}
		if down := right - center; down > 0 {
			for j := max(center, -1); j < right && j <= int64(nSpec); j++ {
				set(j, i, float64(right-j)/float64(down))
			}
		}
	}
	out, err := tensor.FromFloat64s(m.dt, shape, vals)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
