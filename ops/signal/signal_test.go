package signal

import (
	"math"
	"math/cmplx"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
func i64(v int64) *tensor.Tensor                   { return tensor.New([]int{}, []int64{v}) }

func op(typ string, opset int, attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: typ, Opset: opset, Attrs: attrs}
}

func wantErr(t *testing.T, o opstest.Op, want string, in ...*tensor.Tensor) {
	t.Helper()
	_, err := opstest.Run(o, in...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one mentioning %q", o.Type, err, want)
	}
}

func expectClose(t *testing.T, o opstest.Op, in []*tensor.Tensor, want *tensor.Tensor, atol float64) {
	t.Helper()
	out := opstest.MustRun(t, o, in...)
	if err := opstest.Close(out[0], want, 1e-5, atol); err != nil {
		t.Errorf("%s: %v", o.Type, err)
	}
}

// complexTensor lays out values as [1, n, 2].
func complexTensor(v []complex128) *tensor.Tensor {
	d := make([]float64, 0, 2*len(v))
	for _, c := range v {
		d = append(d, real(c), imag(c))
	}
	return tensor.New([]int{1, len(v), 2}, d)
}

func TestDFTSmall(t *testing.T) {
	// fft([1, 2, 3, 4]) = [10, -2+2i, -2, -2-2i]
	x := f32([]int{1, 4, 1}, 1, 2, 3, 4)
	full := f32([]int{1, 4, 2}, 10, 0, -2, 2, -2, 0, -2, -2)
	expectClose(t, op("DFT", 17), []*tensor.Tensor{x}, full, 1e-5)
	expectClose(t, op("DFT", 20), []*tensor.Tensor{x, nil, i64(-2)}, full, 1e-5)
	expectClose(t, op("DFT", 17, opstest.Int("onesided", 1)), []*tensor.Tensor{x}, f32([]int{1, 3, 2}, 10, 0, -2, 2, -2, 0), 1e-5)
	// Inverse of the spectrum gives the signal back (complex, zero imaginary part).
	expectClose(t, op("DFT", 17, opstest.Int("inverse", 1)), []*tensor.Tensor{full}, f32([]int{1, 4, 2}, 1, 0, 2, 0, 3, 0, 4, 0), 1e-5)
	// IRFFT: three one-sided bins rebuild four real samples.
	half := f32([]int{1, 3, 2}, 10, 0, -2, 2, -2, 0)
	expectClose(t, op("DFT", 20, opstest.Int("inverse", 1), opstest.Int("onesided", 1)), []*tensor.Tensor{half, nil, i64(1)},
		f32([]int{1, 4, 1}, 1, 2, 3, 4), 1e-5)
	// dft_length pads: fft([1, 2, 0, 0]) = [3, 1-2i, -1, 1+2i]; and truncates: fft([1, 2]) = [3, -1].
	expectClose(t, op("DFT", 17), []*tensor.Tensor{f32([]int{1, 2, 1}, 1, 2), i64(4)},
		f32([]int{1, 4, 2}, 3, 0, 1, -2, -1, 0, 1, 2), 1e-5)
	expectClose(t, op("DFT", 17), []*tensor.Tensor{x, tensor.New([]int{}, []int32{2})}, f32([]int{1, 2, 2}, 3, 0, -1, 0), 1e-5)
	// Length 3 (direct path): fft([0, 1, 0]) = [1, e^{-2πi/3}, e^{-4πi/3}].
	s := float32(math.Sqrt(3) / 2)
	expectClose(t, op("DFT", 17), []*tensor.Tensor{f32([]int{1, 3, 1}, 0, 1, 0)},
		f32([]int{1, 3, 2}, 1, 0, -0.5, -s, -0.5, s), 1e-5)
	// Along axis 1 of [1, 2, 2, 1]: columns [1, 3] and [2, 4] give [4, -2] and [6, -2].
	m := f32([]int{1, 2, 2, 1}, 1, 2, 3, 4)
	expectClose(t, op("DFT", 17, opstest.Int("axis", 1)), []*tensor.Tensor{m},
		f32([]int{1, 2, 2, 2}, 4, 0, 6, 0, -2, 0, -2, 0), 1e-5)
	// ... and along axis 2 (rows [1, 2] and [3, 4] give [3, -1] and [7, -1]).
	expectClose(t, op("DFT", 20), []*tensor.Tensor{m, nil, i64(2)},
		f32([]int{1, 2, 2, 2}, 3, 0, -1, 0, 7, 0, -1, 0), 1e-5)
}

// naiveDFT is the textbook O(n²) sum, the reference for the fast paths.
func naiveDFT(x []complex128, sign float64) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	for k := range out {
		var s complex128
		for j, v := range x {
			s += v * cmplx.Exp(complex(0, sign*2*math.Pi*float64(j*k%n)/float64(n)))
		}
		out[k] = s
	}
	return out
}

func TestDFTLengths(t *testing.T) {
	// Power of two (radix-2), small odd (direct) and large non-power of
	// two (Bluestein), forward and inverse, against the textbook sum.
	for _, n := range []int{1, 2, 8, 64, 6, 15, 100, 400, 97} {
		x := make([]complex128, n)
		for j := range x {
			x[j] = complex(math.Sin(float64(j)*0.37)+0.1*float64(j%5), math.Cos(float64(j)*1.3))
		}
		for _, inv := range []int64{0, 1} {
			want := naiveDFT(x, -1)
			if inv == 1 {
				want = naiveDFT(x, 1)
				for i := range want {
					want[i] /= complex(float64(n), 0)
				}
			}
			out := opstest.MustRun(t, op("DFT", 17, opstest.Int("inverse", inv)), complexTensor(x))
			if err := opstest.Close(out[0], complexTensor(want), 1e-9, 1e-9); err != nil {
				t.Errorf("n=%d inverse=%d: %v", n, inv, err)
			}
		}
	}
}

func TestDFTErrors(t *testing.T) {
	x := f32([]int{1, 4, 1}, 1, 2, 3, 4)
	wantErr(t, op("DFT", 17), "last dimension", f32([]int{1, 2, 3}, 1, 2, 3, 4, 5, 6))
	wantErr(t, op("DFT", 17, opstest.Int("axis", 2)), "axis", x)
	wantErr(t, op("DFT", 20), "axis", x, nil, i64(-1))
	wantErr(t, op("DFT", 17), "dft_length", x, i64(0))
	wantErr(t, op("DFT", 17), "float", tensor.New([]int{1, 2, 1}, []int32{1, 2}))
	wantErr(t, op("DFT", 17), "rank", f32([]int{1}, 1))
	wantErr(t, op("DFT", 17, opstest.Int("inverse", 1), opstest.Int("onesided", 1)), "dft_length", f32([]int{1, 1, 2}, 1, 0))
}

func TestSTFT(t *testing.T) {
	ones := make([]float32, 8)
	for i := range ones {
		ones[i] = 1
	}
	sig := f32([]int{1, 8, 1}, ones...)
	// Two frames of four ones: spectrum [4, 0, 0] (one-sided).
	want := f32([]int{1, 2, 3, 2}, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0)
	expectClose(t, op("STFT", 17), []*tensor.Tensor{sig, i64(4), nil, i64(4)}, want, 1e-5)
	// Periodic Hann window [0, .5, 1, .5]: spectrum [2, -1, 0].
	win := f32([]int{4}, 0, 0.5, 1, 0.5)
	want = f32([]int{1, 2, 3, 2}, 2, 0, -1, 0, 0, 0, 2, 0, -1, 0, 0, 0)
	expectClose(t, op("STFT", 17), []*tensor.Tensor{sig, i64(4), win}, want, 1e-5)
	// Two-sided, frame 2, step 2 over [1..5]: frames [1, 2] and [3, 4].
	five := f32([]int{1, 5, 1}, 1, 2, 3, 4, 5)
	expectClose(t, op("STFT", 17, opstest.Int("onesided", 0)), []*tensor.Tensor{five, i64(2), nil, i64(2)},
		f32([]int{1, 2, 2, 2}, 3, 0, -1, 0, 7, 0, -1, 0), 1e-5)
	wantErr(t, op("STFT", 17), "frame_step", sig, i64(0), nil, i64(4))
	wantErr(t, op("STFT", 17), "longer than the signal", sig, i64(1), nil, i64(9))
	wantErr(t, op("STFT", 17), "differs", sig, i64(1), win, i64(3))
	wantErr(t, op("STFT", 17), "shape", f32([]int{8}, ones...), i64(1))
}

func TestWindows(t *testing.T) {
	size := tensor.New([]int{}, []int32{4})
	expectClose(t, op("HannWindow", 17), []*tensor.Tensor{size}, f32([]int{4}, 0, 0.5, 1, 0.5), 1e-6)
	expectClose(t, op("HannWindow", 17, opstest.Int("periodic", 0)), []*tensor.Tensor{i64(5)}, f32([]int{5}, 0, 0.5, 1, 0.5, 0), 1e-6)
	// Hamming with a0 = 25/46: [a0-a1, a0, a0+a1, a0] = [4/46, 25/46, 1, 25/46].
	expectClose(t, op("HammingWindow", 17), []*tensor.Tensor{size}, f32([]int{4}, 4.0/46, 25.0/46, 1, 25.0/46), 1e-6)
	// Blackman: 0.42 - 0.5 cos x + 0.08 cos 2x at x = 0, π/2, π, 3π/2.
	expectClose(t, op("BlackmanWindow", 17, opstest.Int("output_datatype", int64(tensor.Float64))), []*tensor.Tensor{size},
		tensor.New([]int{4}, []float64{0, 0.34, 1, 0.34}), 1e-12)
	opstest.Expect(t, op("HannWindow", 17), []*tensor.Tensor{i64(0)}, f32([]int{0}))
	wantErr(t, op("HannWindow", 17), "size", i64(-1))
	if _, err := opstest.Run(op("HannWindow", 17, opstest.Int("output_datatype", int64(tensor.String))), size); err == nil {
		t.Error("output_datatype=string: want an error")
	}
}

func TestMelWeightMatrix(t *testing.T) {
	// Spec example: 8 mel bins, dft_length 16, 8192 Hz, 0..4096 Hz.
	in := []*tensor.Tensor{
		tensor.New([]int{}, []int32{8}), tensor.New([]int{}, []int32{16}), tensor.New([]int{}, []int32{8192}),
		f32([]int{}, 0), f32([]int{}, 4096),
	}
	want := make([]float32, 9*8)
	for _, rc := range [][2]int{{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}} {
		want[rc[0]*8+rc[1]] = 1
	}
	opstest.Expect(t, op("MelWeightMatrix", 17), in, f32([]int{9, 8}, want...))
	wantErr(t, op("MelWeightMatrix", 17), "num_mel_bins", append([]*tensor.Tensor{i64(0)}, in[1:]...)...)
	wantErr(t, op("MelWeightMatrix", 17), "lower_edge_hertz", in[0], in[1], in[2], f32([]int{}, 5000), in[4])
	wantErr(t, op("MelWeightMatrix", 17), "missing", in[:4]...)
}
