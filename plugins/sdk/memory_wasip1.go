//go:build wasip1

package sdk

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/gonyx/gonyx/plugins/abi"
)

// live holds every buffer handed to the host, keyed by its address: the
// host only has the address, so without this map Go's collector would free
// the buffer while the host still reads or writes it. Go's collector never
// moves objects, so an address stays valid while its slice is referenced.
var live = map[uint32][]byte{}

// maxAlloc bounds one gonyx_alloc. The host's memory limit would stop a
// larger one anyway, but Go would then die with a fatal "out of memory"
// instead of answering 0.
const maxAlloc = 1 << 30

// hostBuffers serves gonyx_alloc. It keeps the last large buffer the host
// frees for the next large request (the next call's input, as a rule):
// allocating a fresh 100 KB buffer in a wasm guest cost about 80 µs per
// call (zeroing it, and the collections that the garbage brings), a tenth
// of an image upload's whole preprocessing. The host writes every byte of
// what it allocates, so nothing of an earlier call shows through.
var hostBuffers bufferCache

type bufferCache struct {
	spare []byte // a freed large buffer, full capacity; nil if none
	large uint32 // address of the live large buffer from alloc, or 0
}

// minSpare is the size from which a buffer is worth keeping.
const minSpare = 64 << 10

func (c *bufferCache) alloc(size int) uint32 {
	if size < minSpare {
		// A zero-size request still gets a distinct, non-zero address.
		return pin(make([]byte, max(size, 1)))
	}
	var b []byte
	// Reuse only a spare that the request fills at least half of, so a
	// huge old buffer does not serve small requests for ever.
	if cap(c.spare) >= size && cap(c.spare) <= 2*size {
		b, c.spare = c.spare[:size], nil
	} else {
		b = make([]byte, size)
	}
	c.large = pin(b)
	return c.large
}

// free forgets a buffer handed to the host (gonyx_alloc's, or a reply).
// Only alloc's own large buffer becomes the spare: a reply's memory belongs
// to the reply arena.
func (c *bufferCache) free(ptr uint32) {
	if ptr != 0 && ptr == c.large {
		if b, ok := live[ptr]; ok {
			c.spare = b[:cap(b)]
		}
		c.large = 0
	}
	delete(live, ptr)
}

// pin records b (non-empty) in live and returns its address.
func pin(b []byte) uint32 {
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	live[p] = b
	return p
}

// addr is the address of b's first byte (0 for an empty slice), to pass b to
// a host function. The caller keeps b alive across the call.
func addr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// borrow returns the first n bytes of a buffer the host allocated with
// gonyx_alloc and filled; it stays the host's to free.
func borrow(ptr, n uint32) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b, ok := live[ptr]
	if !ok || uint64(n) > uint64(len(b)) {
		return nil, fmt.Errorf("input buffer %#x+%d was not allocated by gonyx_alloc", ptr, n)
	}
	return b[:n], nil
}

// take unpacks a host function's result and takes ownership of its buffer
// (the host allocated it through gonyx_alloc): the buffer leaves live, so the
// collector frees it once the caller drops it. No copy is needed.
func take(packed uint64) ([]byte, error) {
	ptr, n, isErr := abi.Unpack(packed)
	var b []byte
	if ptr != 0 || n != 0 {
		buf, ok := live[ptr]
		if !ok || uint64(n) > uint64(len(buf)) {
			return nil, fmt.Errorf("host returned buffer %#x+%d that gonyx_alloc did not allocate", ptr, n)
		}
		delete(live, ptr)
		b = buf[:n:n]
	}
	if isErr {
		if len(b) == 0 {
			return nil, errors.New("host function failed without a message")
		}
		return nil, errors.New(string(b))
	}
	return b, nil
}

// result packs a reply for the host: out, or err's message with the error
// flag. Both stay in live until the host frees them.
func result(out []byte, err error) uint64 {
	if err != nil {
		msg := []byte(err.Error())
		if len(msg) == 0 {
			return abi.Pack(0, 0, true)
		}
		return abi.Pack(pin(msg), uint32(len(msg)), true)
	}
	if len(out) == 0 {
		return abi.Pack(0, 0, false)
	}
	return abi.Pack(pin(out), uint32(len(out)), false)
}

// float32sLE views little-endian float32 bytes as []float32 without copying
// (wasm memory is little-endian); an unaligned buffer is copied. A loop over
// 150 000 values is slow under the host's deadline checks, a view is free.
func float32sLE(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
	}
	out := make([]float32, len(b)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), len(out)*4), b)
	return out
}

// keepAlive marks buffers passed to a host function as used until here.
func keepAlive(bs ...[]byte) { runtime.KeepAlive(bs) }
