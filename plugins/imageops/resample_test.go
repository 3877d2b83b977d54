package imageops

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// atLevels runs f once per CPU level this machine has, with the two-tap
// passes set to that level's (AVX2 or Go).
func atLevels(t *testing.T, f func(t *testing.T, l cpu.Level)) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, l := range cpu.Levels() {
		useAVX2 = l >= cpu.AVX2
		t.Run(l.String(), func(t *testing.T) { f(t, l) })
	}
}

// refTwoTap is one output sample of a pass straight from the definition:
// the weighted sum of two bytes in 22-bit fixed point, plus half, shifted
// and clipped, in int64 so nothing can wrap.
func refTwoTap(a, b uint8, c0, c1 int32) uint8 {
	v := (int64(a)*int64(c0) + int64(b)*int64(c1) + half) >> precisionBits
	return uint8(min(max(v, 0), 255))
}

// TestResizeRow2Levels: the horizontal two-tap pass, at every level, over
// PIL's weights for random enlargements, whole rows and the column ranges a
// crop asks for (as resample slices them), matches the definition applied
// to the kernel's start and weights.
func TestResizeRow2Levels(t *testing.T) {
	atLevels(t, func(t *testing.T, _ cpu.Level) {
		rng := rand.New(rand.NewPCG(14, 1))
		for iter := 0; iter < 400; iter++ {
			in := 1 + rng.IntN(300)
			out := in + 1 + rng.IntN(300) // enlarging: two taps
			if iter%4 == 0 {
				out = 1 + rng.IntN(300) // any size; only 2-tap exact kernels are packed
			}
			k := newKernel(in, out)
			if k.packed == nil {
				continue
			}
			if out > in && !k.unitSteps {
				t.Fatalf("%d→%d: an enlargement without unit steps", in, out)
			}
			src := make([]uint8, 3*in)
			for i := range src {
				src[i] = uint8(rng.IntN(256))
			}
			x0 := rng.IntN(out)
			n := 1 + rng.IntN(out-x0)
			if iter%2 == 0 {
				x0, n = 0, out
			}
			// Enlarging kernels take the gather-free pass (and the gathers
			// near the row's end); without unitSteps, the gathers do all.
			for _, unit := range []bool{k.unitSteps, false} {
				sub := kernel{taps: 2, exact: true, packed: k.packed[x0 : x0+n],
					vecOff: k.vecOff[x0 : x0+n], vecW0: k.vecW0[x0 : x0+n], vecW1: k.vecW1[x0 : x0+n], maxOff: k.maxOff, unitSteps: unit}
				// The row sits inside a larger buffer: nothing past it may change.
				buf := bytes.Repeat([]byte{0xA5}, 3*n+64)
				dst := buf[16 : 16+3*n]
				resizeRow2Fast(dst, src, &sub)
				for i := range n {
					o := x0 + i
					s := k.start[o]
					for c := range 3 {
						want := refTwoTap(src[3*s+c], src[3*s+3+c], k.w[2*o], k.w[2*o+1])
						if dst[3*i+c] != want {
							t.Fatalf("%d→%d, outputs %d+%d, unitSteps %v: output %d channel %d = %d, want %d", in, out, x0, n, unit, o, c, dst[3*i+c], want)
						}
					}
				}
				if !bytes.Equal(buf[:16], bytes.Repeat([]byte{0xA5}, 16)) || !bytes.Equal(buf[16+3*n:], bytes.Repeat([]byte{0xA5}, 48)) {
					t.Fatalf("%d→%d, %d outputs: wrote outside the row", in, out, n)
				}
			}
		}
	})
}

// TestRow2Levels: the vertical two-tap pass with normalisation, at every
// level, for random row lengths, weights from PIL's kernels, crop offsets
// and mean/std, writes exactly the float32 bits torch's
// (v/255 − mean)/std gives for the resampled byte, and nothing else.
func TestRow2Levels(t *testing.T) {
	atLevels(t, func(t *testing.T, _ cpu.Level) {
		rng := rand.New(rand.NewPCG(14, 2))
		for iter := 0; iter < 300; iter++ {
			n := 1 + rng.IntN(300)
			in := 2 + rng.IntN(299) // a 1-sample input has one tap
			k := newKernel(in, in+1+rng.IntN(300))
			if k.taps != 2 {
				t.Fatalf("%d→%d: %d taps", in, len(k.start), k.taps)
			}
			o := rng.IntN(len(k.start))
			c0, c1 := k.w[2*o], k.w[2*o+1]
			var mean, std [3]float32
			for c := range 3 {
				mean[c] = float32(rng.Float64())
				std[c] = float32(0.05 + rng.Float64())
			}
			if iter%3 == 0 {
				mean, std = imagenetMean, imagenetStd
			}
			r0, r1 := make([]uint8, 3*n), make([]uint8, 3*n)
			for i := range r0 {
				r0[i], r1[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
			}
			padL, padR, outH, y := rng.IntN(5), rng.IntN(5), 3, 1
			outW := padL + n + padR
			// The table as cached (divOK: computed where the check passed)
			// and a copy without divOK (looked up).
			lookup := *cachedNorm(mean, std)
			lookup.divOK = false
			for _, norm := range []*normTable{cachedNorm(mean, std), &lookup} {
				dst := bytes.Repeat([]byte{0xA5}, 3*4*outW*outH)
				st := newStore(Plan{OutW: outW, OutH: outH, ox0: padL, ox1: padL + n, oy0: 0, oy1: outH, norm: norm}, dst)
				st.row2(y, r0, r1, c0, c1)
				for c := range 3 {
					plane := dst[c*4*outW*outH : (c+1)*4*outW*outH]
					for py := range outH {
						for px := range outW {
							got := math.Float32frombits(uint32(plane[4*(py*outW+px)]) | uint32(plane[4*(py*outW+px)+1])<<8 |
								uint32(plane[4*(py*outW+px)+2])<<16 | uint32(plane[4*(py*outW+px)+3])<<24)
							inside := py == y && px >= padL && px < padL+n
							if !inside {
								if math.Float32bits(got) != 0xA5A5A5A5 {
									t.Fatalf("n=%d: wrote outside the row at plane %d (%d, %d)", n, c, px, py)
								}
								continue
							}
							i := px - padL
							v := refTwoTap(r0[3*i+c], r1[3*i+c], c0, c1)
							want := float32(float32(float32(v)/255)-mean[c]) / std[c]
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("n=%d, divOK %v, pixel %d channel %d (byte %d): %v, want %v", n, norm.divOK, i, c, v, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// The two passes alone on one 224-pixel row, at the active level.
func BenchmarkResampleRow224(b *testing.B) {
	k := cachedKernel(320, 341)
	sub := kernel{taps: 2, exact: true, packed: k.packed[58 : 58+224],
		vecOff: k.vecOff[58 : 58+224], vecW0: k.vecW0[58 : 58+224], vecW1: k.vecW1[58 : 58+224], maxOff: k.maxOff, unitSteps: k.unitSteps}
	src := make([]uint8, 3*320)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	mid := make([]uint8, 3*224)
	b.Run("horizontal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			resizeRow2Fast(mid, src, &sub)
		}
	})
	dst := make([]byte, 3*4*224)
	st := newStore(Plan{OutW: 224, OutH: 1, ox1: 224, oy1: 1, norm: cachedNorm(imagenetMean, imagenetStd)}, dst)
	b.Run("vertical", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			st.row2(0, mid, src, 1<<21, 1<<21)
		}
	})
}

// TestNormDivChecked: with AVX2, the computed normalisation is used for
// ImageNet's mean and std (so the tests above exercise it), and the check
// that allows it rejects a table it does not reproduce.
func TestNormDivChecked(t *testing.T) {
	if !haveAVX2 {
		if cachedNorm(imagenetMean, imagenetStd).divOK {
			t.Fatal("divOK without AVX2")
		}
		return
	}
	tab := *cachedNorm(imagenetMean, imagenetStd)
	if !tab.divOK {
		t.Fatal("ImageNet's normalisation is looked up, not computed")
	}
	for c := range 3 {
		for _, v := range []int{0, 1, 128, 255} {
			wrong := tab
			wrong.bits[c][v] ^= 1
			if divMatchesTable(&wrong) {
				t.Fatalf("channel %d byte %d off by one ulp: check passed", c, v)
			}
		}
	}
}
