package imageops

import (
	"bytes"
	"hash/adler32"
	"math/rand"
	"runtime"
	"testing"

	"github.com/gonyx/gonyx/plugins/imageops/testimage"
)

// The streaming route (DecodeForTransform leaving a PNG to ApplyDecoded,
// which inflates it on a second goroutine) must write exactly what the
// eager route writes — Decode, then Apply — and fail exactly when it fails.

// streamAll makes every fast-route PNG stream, whatever its size and the
// number of processors, for the length of a test.
func streamAll(t testing.TB) {
	raw, procs := streamMinRaw, streamMinProcs
	streamMinRaw, streamMinProcs = 0, 1
	t.Cleanup(func() { streamMinRaw, streamMinProcs = raw, procs })
}

// checkStreamPNG transforms data both ways and compares; it reports
// whether the streaming route was taken and whether it failed there, in
// ApplyDecoded.
func checkStreamPNG(t *testing.T, data []byte, tr Transform) (streamed, lateErr bool) {
	t.Helper()
	const maxPixels = 1 << 22
	var want []byte
	img, wantErr := Decode(data, maxPixels)
	if wantErr == nil {
		var p Plan
		if p, wantErr = tr.Plan(img.W, img.H); wantErr == nil { // extreme aspect ratios fail
			want = make([]byte, p.OutBytes())
			if err := p.Apply(img, want); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := DecodeForTransform(data, maxPixels)
	var p Plan
	if err == nil {
		defer d.Release()
		streamed = d.png != nil
		if p, err = tr.Plan(d.W, d.H); err != nil && streamed {
			// Refused before decoding: a plan for this size fails
			// whatever the data, and the eager route must fail too
			// (on the size, or earlier, on the data).
			if wantErr == nil {
				t.Fatalf("no plan for the streamed PNG (%v), but Decode+Apply succeeds", err)
			}
			return streamed, false
		}
	}
	if err == nil {
		got := make([]byte, p.OutBytes())
		for i := range got {
			got[i] = 0xa5 // every byte must be written
		}
		if err = p.ApplyDecoded(d, got); err == nil && !bytes.Equal(got, want) {
			t.Fatalf("streamed %v: the tensor differs from Decode+Apply's (eager error: %v)", streamed, wantErr)
		}
		lateErr = err != nil
	}
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("streamed %v: error %v, Decode+Apply's %v", streamed, err, wantErr)
	}
	return streamed, lateErr
}

var streamTransform = Transform{Resize: 40, Crop: 32, Mean: imagenetMean, Std: imagenetStd}

func TestStreamPNGMatchesEager(t *testing.T) {
	streamAll(t)
	seeds := append(pngSeeds(t), encodePNG(t, testimage.Noisy(320, 240)))
	streamed := 0
	for _, s := range seeds {
		for _, tr := range []Transform{streamTransform, {Resize: 256, Crop: 224, Mean: imagenetMean, Std: imagenetStd}} {
			if ok, _ := checkStreamPNG(t, s, tr); ok {
				streamed++
			}
		}
	}
	// Every RGB/RGBA seed that the fast route takes (see
	// TestFastPNGMatchesImagePNG), plus the noisy photo, both transforms.
	if streamed != 2*19 {
		t.Errorf("%d of %d transforms streamed", streamed, 2*19)
	}
}

// By default a photo-sized PNG streams when there are two processors, and
// small ones do not.
func TestStreamPNGChosen(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want bool
	}{{320, 240, runtime.GOMAXPROCS(0) >= 2}, {64, 48, false}} {
		d, err := DecodeForTransform(encodePNG(t, testimage.Noisy(c.w, c.h)), 1<<22)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.png != nil; got != c.want {
			t.Errorf("%dx%d: streamed %v, want %v", c.w, c.h, got, c.want)
		}
		d.Release()
	}
}

// Damage that passes the chunk CRCs is only found once the stream is
// inflated: the result must still be image/png's, error or pixels.
func TestStreamPNGDamaged(t *testing.T) {
	streamAll(t)
	src := encodePNG(t, testimage.Noisy(48, 40))
	rng := rand.New(rand.NewSource(3))
	late := 0
	for range 1500 {
		b := append([]byte(nil), src...)
		i := 33 + rng.Intn(len(b)-33) // past IHDR: keep the size sane
		b[i] ^= byte(1 + rng.Intn(255))
		fixCRCs(b)
		if _, lateErr := checkStreamPNG(t, b, streamTransform); lateErr {
			late++
		}
	}
	for n := 33; n < len(src); n += 7 {
		checkStreamPNG(t, src[:n], streamTransform)
	}
	if late == 0 {
		t.Error("no damage was found only while streaming: the test no longer reaches that path")
	}
}

func TestAdler32Combine(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for range 200 {
		b := make([]byte, rng.Intn(300000))
		rng.Read(b)
		if rng.Intn(2) == 0 {
			for i := range b {
				b[i] = 255 // the largest sums
			}
		}
		cut := 0
		if len(b) > 0 {
			cut = rng.Intn(len(b) + 1)
		}
		got := adler32Combine(adler32.Checksum(b[:cut]), adler32.Checksum(b[cut:]), len(b)-cut)
		if want := adler32.Checksum(b); got != want {
			t.Fatalf("%d bytes cut at %d: %08x, want %08x", len(b), cut, got, want)
		}
	}
}
