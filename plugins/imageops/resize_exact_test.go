package imageops

import (
	"bytes"
	"testing"
)

// TestTriangleKernelsExact: the bilinear kernels take the unclipped 2-tap
// loops, enlarging and shrinking, and the claim that lets them holds: no
// weight is negative and the largest sum of a pass stays below 256.
func TestTriangleKernelsExact(t *testing.T) {
	for _, c := range [][2]int{{1, 7}, {2, 3}, {320, 341}, {240, 256}, {341, 320}, {1920, 455}, {1080, 256}, {7, 1}, {1000, 3}} {
		k := newKernel(c[0], c[1])
		if !k.exact {
			t.Errorf("%d→%d: kernel not exact", c[0], c[1])
		}
		for o := range c[1] {
			sum := int64(0)
			for _, w := range k.w[o*k.taps : (o+1)*k.taps] {
				if w < 0 {
					t.Fatalf("%d→%d: output %d has weight %d", c[0], c[1], o, w)
				}
				sum += int64(w)
			}
			if (255*sum+half)>>precisionBits > 255 {
				t.Fatalf("%d→%d: output %d: weights sum to %d", c[0], c[1], o, sum)
			}
		}
	}
}

// TestInexactKernelClips: a 2-tap kernel whose sums leave 0..255 (not one
// newKernel makes) goes through the clipping loops, both passes, and
// saturates as Pillow's clip does.
func TestInexactKernelClips(t *testing.T) {
	const one = 1 << precisionBits
	k := kernel{start: []int{0, 0}, w: []int32{one, one, -one, one / 2}, taps: 2}
	src := RGB{W: 2, H: 2, Pix: []uint8{200, 10, 0, 100, 20, 255, 200, 10, 0, 100, 20, 255}}
	// Output 0: 200+100 → 255, 10+20 = 30, 0+255 → 255. Output 1: −200+50 → 0,
	// −10+10 = 0, 0+127.5 → 128 (the half rounds up).
	want := []uint8{255, 30, 255, 0, 0, 128}
	h := resizeH(src, 2, k)
	if !bytes.Equal(h.Pix[:6], want) || !bytes.Equal(h.Pix[6:], want) {
		t.Errorf("horizontal: %v, want %v twice", h.Pix, want)
	}
	col := RGB{W: 1, H: 2, Pix: src.Pix[:6]}
	v := resizeV(col, 2, k)
	if !bytes.Equal(v.Pix, want) {
		t.Errorf("vertical: %v, want %v", v.Pix, want)
	}
}
