package imageops

import (
	"runtime"
	"sync/atomic"
)

// Streaming PNG decoding for the fused transform. Inflating is most of a
// photo PNG's cost (two thirds on a noisy 320×240 photo) and cannot be split
// up, but the rest only has to keep up with it: while the caller's
// goroutine inflates, a second one unfilters each row as it lands, sums the
// zlib checksum over it and resamples it. The transform then costs little
// more than the inflating alone. The caller inflates, not the new
// goroutine: a goroutine can wait tens of microseconds for a processor,
// which the consumer, waiting for rows anyway, can afford.
//
// DecodeForTransform parses such a PNG without inflating it (pngData);
// Plan.ApplyDecoded streams it (applyStream). Whatever the fast route would
// refuse — a bad checksum, a stream compress/flate might read differently,
// an unknown filter type — is only known at the end: the transform then
// runs again on what image/png decodes, so the pixels, and the errors, are
// the standard library's, as with the eager route.

// streamMinRaw is the smallest filtered image (bytes) worth a goroutine: a
// goroutine and the hand-offs cost a few microseconds, a 64 KiB image's
// inflate ~0.14 ms (the noisy 320×240 photo's 230 KB took 0.48–0.52 ms,
// timers in a throwaway test). streamMinProcs: with one processor the two goroutines
// would only take turns. (Variables for the tests, which stream
// everything.)
var streamMinRaw, streamMinProcs = 64 << 10, 2

// streamable reports whether d should be decoded by a pngStream: there is
// a second processor to run it on, and enough to do.
func (d *pngData) streamable() bool {
	return d.h*(1+d.w*d.bpp) >= streamMinRaw && runtime.GOMAXPROCS(0) >= streamMinProcs
}

// pngStream is one streaming decode of a pngData: the inflating goroutine
// publishes how many bytes of raw are final, the consuming one unfilters
// rows as far as they reach.
type pngStream struct {
	d   *pngData
	raw []byte // filtered rows, written by the inflating goroutine
	un  rowUnfilter

	avail atomic.Int64  // raw[:avail] is final (inflated and never written again)
	wake  chan struct{} // signalled (never blocking) when avail grows
	done  chan struct{} // closed when inflating has ended
	used  int           // stream bytes inflate read; valid after done
	ok    bool          // inflate succeeded; valid after done

	// The consumer's.
	adler   uint32 // checksum of raw[:summed]
	summed  int
	refused bool // the fast route gave up: the output is not to be used
}

// newStream prepares d's decoding into pix; run inflates, release hands
// the buffers back once both goroutines are done.
func newStream(d *pngData, pix []byte) *pngStream {
	raw := getBuf(d.h * (1 + d.w*d.bpp))
	s := &pngStream{d: d, raw: raw, wake: make(chan struct{}, 1), done: make(chan struct{}), adler: 1}
	s.un = newRowUnfilter(RGB{W: d.w, H: d.h, Pix: pix}, raw, d.bpp)
	return s
}

func (s *pngStream) release() {
	s.un.release()
	putBuf(s.raw)
	s.raw = nil
}

// run inflates the stream into raw, publishing its progress.
func (s *pngStream) run() {
	defer close(s.done)
	in, n := s.d.stream, s.d.n
	if n < 2+4 || !zlibHeaderOK(in[0], in[1]) {
		return
	}
	used, err := inflateWith(in[2:], n-2, s.raw, func(op int) {
		s.avail.Store(int64(op))
		select {
		case s.wake <- struct{}{}:
		default:
		}
	})
	s.used, s.ok = used, err == nil
}

// waitFor waits until raw[:n] is final; false if it never will be.
//
// It sleeps rather than polls: polling measured slower, the inflating
// goroutine losing more (0.58 ms to inflate the noisy photo with a
// sleeping consumer, 0.67–0.72 ms with one polling for up to 200 µs:
// timers in a throwaway test, 01:38 UTC) than
// the wake-ups cost it, as if the two processors shared a core.
func (s *pngStream) waitFor(n int) bool {
	for int(s.avail.Load()) < n {
		select {
		case <-s.wake:
		case <-s.done:
			return int(s.avail.Load()) >= n
		}
	}
	return true
}

// upTo unfilters the rows up to y (inclusive) not yet unfiltered. After a
// failure it does nothing: the rows keep whatever they held, and check
// reports the failure.
func (s *pngStream) upTo(y int) {
	rowLen := 1 + s.d.w*s.d.bpp
	for !s.refused && s.un.y <= y {
		end := (s.un.y + 1) * rowLen
		if !s.waitFor(end) {
			s.refused = true
			return
		}
		s.adler = adler32Combine(s.adler, adler32Sum(s.raw[s.summed:end]), end-s.summed)
		s.summed = end
		if !s.un.next() {
			s.refused = true
		}
	}
}

// check unfilters the remaining rows, waits for the end of inflating and
// checks the stream as unzlib does. False means the pixels the transform
// read are not the image's.
func (s *pngStream) check() bool {
	s.upTo(s.d.h - 1)
	<-s.done
	return !s.refused && s.ok && s.summed == len(s.raw) && zlibEndOK(s.d.stream, s.d.n, s.used, s.adler)
}

// zlibHeaderOK checks a zlib stream's two header bytes as image/png's
// reader does: deflate, a window of at most 32 KiB, a valid check, no
// preset dictionary.
func zlibHeaderOK(cmf, flg byte) bool {
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint(cmf)<<8|uint(flg))%31 == 0 && flg&0x20 == 0
}

// adler32Combine is the Adler-32 of A followed by B from a = Adler-32(A),
// b = Adler-32(B) and n = len(B): B's sums started from 1 instead of from
// A's, so s1 gains A's s1 − 1 and s2 gains n times that.
func adler32Combine(a, b uint32, n int) uint32 {
	const mod = 65521
	a1, a2 := uint64(a&0xffff), uint64(a>>16)
	b1, b2 := uint64(b&0xffff), uint64(b>>16)
	rem := uint64(n) % mod
	s1 := (a1 + b1 + mod - 1) % mod
	s2 := (a2 + b2 + rem*a1 + mod - rem) % mod
	return uint32(s2<<16 | s1)
}
