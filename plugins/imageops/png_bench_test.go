package imageops

import "testing"

// The fast PNG route alone (no resampling), on bench-plugins' noisy photo
// and on the scene: what inflate, unfilter and the chunk handling cost.
func BenchmarkDecodePNGFast(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"noisy", noisyPNG(b, 320, 240)}, {"scene", readRef(b, "scene320x240.png")}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for range b.N {
				img, ok := decodePNG(c.data, true)
				if !ok {
					b.Fatal("not decoded by the fast route")
				}
				putBuf(img.Pix)
			}
		})
	}
}
