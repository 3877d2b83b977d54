package signal

import (
	"math"
	"math/bits"
)

// fftPlan computes length-n discrete Fourier transforms
//
//	X[k] = sum_j x[j] exp(-2πi jk/n)
//
// with an iterative radix-2 FFT when n is a power of two, a direct O(n²)
// sum with a precomputed table for small other lengths, and Bluestein's
// chirp-z algorithm (a convolution done with a power-of-two FFT) for large
// other lengths. A plan is read-only once built; each transform takes its
// own scratch space, so one plan serves concurrent callers.
type fftPlan struct {
	n int

	// radix-2
	rev []int        // bit-reversal permutation
	tw  []complex128 // exp(-2πi k/n), k < n/2

	// direct
	table []complex128 // exp(-2πi m/n), m < n

	// Bluestein
	chirp []complex128 // exp(-πi k²/n), k < n
	sub   *fftPlan     // power-of-two plan of length m >= 2n-1
	filt  []complex128 // FFT of the conjugate chirp laid out cyclically
}

const directMax = 64

// maxFFT bounds transform lengths: a plan and its buffers take about 64
// bytes per point, so a hostile dft_length must not size them.
const maxFFT = 1 << 28

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

func newFFTPlan(n int) *fftPlan {
	p := &fftPlan{n: n}
	switch {
	case n <= 1:
	case isPow2(n):
		logn := bits.TrailingZeros(uint(n))
		p.rev = make([]int, n)
		for i := range p.rev {
			p.rev[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - logn))
		}
		p.tw = make([]complex128, n/2)
		for k := range p.tw {
			p.tw[k] = unitRoot(k, n)
		}
	case n <= directMax:
		p.table = make([]complex128, n)
		for k := range p.table {
			p.table[k] = unitRoot(k, n)
		}
	default:
		m := 1
		for m < 2*n-1 {
			m <<= 1
		}
		p.chirp = make([]complex128, n)
		twoN := uint64(2 * n)
		for k := range p.chirp {
			// k² mod 2n keeps the angle small and exact.
			hi, lo := bits.Mul64(uint64(k), uint64(k))
			r := bits.Rem64(hi, lo, twoN)
			s, c := math.Sincos(-math.Pi * float64(r) / float64(n))
			p.chirp[k] = complex(c, s)
		}
		p.sub = newFFTPlan(m)
		p.filt = make([]complex128, m)
		for k := 0; k < n; k++ {
			c := conj(p.chirp[k])
			p.filt[k] = c
			if k > 0 {
				p.filt[m-k] = c
			}
		}
		p.sub.transform(p.filt, nil)
	}
	return p
}

// unitRoot is exp(-2πi k/n).
func unitRoot(k, n int) complex128 {
	s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
	return complex(c, s)
}

func conj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// scratchLen is how much scratch space transform needs.
func (p *fftPlan) scratchLen() int {
	switch {
	case p.table != nil:
		return p.n
	case p.sub != nil:
		return len(p.filt)
	}
	return 0
}

// transform replaces x (length n) by its forward DFT. scratch must hold
// scratchLen() values (nil allocates).
func (p *fftPlan) transform(x []complex128, scratch []complex128) {
	n := p.n
	if n <= 1 {
		return
	}
	if need := p.scratchLen(); len(scratch) < need {
		scratch = make([]complex128, need)
	}
	switch {
	case p.rev != nil:
		for i, j := range p.rev {
			if i < j {
				x[i], x[j] = x[j], x[i]
			}
		}
		for size := 2; size <= n; size <<= 1 {
			half := size / 2
			step := n / size
			for start := 0; start < n; start += size {
				for k := 0; k < half; k++ {
					w := p.tw[k*step]
					a := x[start+k]
					b := x[start+k+half] * w
					x[start+k] = a + b
					x[start+k+half] = a - b
				}
			}
		}
	case p.table != nil:
		out := scratch[:n]
		for k := 0; k < n; k++ {
			var s complex128
			m := 0
			for j := 0; j < n; j++ {
				s += x[j] * p.table[m]
				m += k
				if m >= n {
					m -= n
				}
			}
			out[k] = s
		}
		copy(x, out)
	default:
		m := len(p.filt)
		a := scratch[:m]
		for j := 0; j < n; j++ {
			a[j] = x[j] * p.chirp[j]
		}
		for j := n; j < m; j++ {
			a[j] = 0
		}
		p.sub.transform(a, nil)
		// Inverse FFT of a·filt via conjugation: ifft(y) = conj(fft(conj(y)))/m.
		for j := range a {
			a[j] = conj(a[j] * p.filt[j])
		}
		p.sub.transform(a, nil)
		scale := 1 / float64(m)
		for k := 0; k < n; k++ {
			v := conj(a[k])
			x[k] = complex(real(v)*scale, imag(v)*scale) * p.chirp[k]
		}
	}
}

// inverse replaces x by its inverse DFT (1/n · sum_k X[k] exp(2πi jk/n)).
func (p *fftPlan) inverse(x []complex128, scratch []complex128) {
	for i, v := range x {
		x[i] = conj(v)
	}
	p.transform(x, scratch)
	scale := 1 / float64(p.n)
	for i, v := range x {
		x[i] = complex(real(v)*scale, -imag(v)*scale)
	}
}
