package sdk

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// A reply of a few hundred KB cost a Go guest twice per call: a fresh
// allocation (and the collections it brings) and a copy of the output tensor
// into it. So the SDK keeps one reply buffer from call to call — the host
// frees each reply with gonyx_free before its next call, and while it has
// not, the next reply gets a new buffer — and Output.Float32 lays a tensor
// out inside that buffer before the plugin computes it, so that its values
// are written once, where the host reads them.

// replyArena is the reply buffer and the layout of the call being built.
type replyArena struct {
	block []byte // the whole allocation; nil until a call needs one
	buf   []byte // the message being laid out: a prefix of block[pad:]
	sent  []byte // the last reply handed to the host, while it may hold it

	open    bool          // a call is being built
	res     []reservation // Output.Float32 tensors, in order
	spilled bool          // a reservation missed the buffer: later ones do too
	want    int           // bytes the last reply took, to size the next buffer
}

// reservation is a tensor laid out by Output.Float32.
type reservation struct {
	name    string
	t       *tensor.Tensor
	inBlock bool // its values sit in the reply, right after its header
	end     int  // offset in buf just past its values
}

var reply replyArena

// alignPad leaves room to start a message at any of the four offsets modulo
// 4 inside a block, so that the first tensor's values are 4-aligned.
const alignPad = 3

// start opens a call: the buffer is reused unless the host may still hold
// the last reply (or the platform never reuses it).
func (r *replyArena) start() {
	r.open = true
	r.res, r.spilled, r.buf = r.res[:0], false, nil
	if r.block != nil && (!replyReusable(r.sent) || cap(r.block) < r.want+alignPad) {
		r.block = nil // still the host's, or too small: the collector frees it once it is neither
	}
	r.sent = nil
}

// float32s reserves a float32 tensor entry called name in the reply. Its
// values are zero, or with filled (the caller writes every value before
// the reply is sent) whatever the buffer held.
func (r *replyArena) float32s(name string, shape []int, filled bool) (*tensor.Tensor, []float32, error) {
	if !r.open {
		r.start() // Process called outside a host call, as a plugin's tests do
	}
	dataLen, err := abi.TensorDataLen(tensor.Float32, shape)
	if err != nil {
		return nil, nil, fmt.Errorf("output %q: %v", name, err)
	}
	if len(shape) > abi.MaxRank {
		return nil, nil, fmt.Errorf("output %q: rank %d, more than %d", name, len(shape), abi.MaxRank)
	}
	shape = slices.Clone(shape)
	vals, end, ok := r.place(name, shape, dataLen, filled)
	if !ok {
		r.spilled = true
		vals = make([]float32, dataLen/4)
	}
	t := tensor.New(shape, vals)
	r.res = append(r.res, reservation{name: name, t: t, inBlock: ok, end: end})
	return t, vals, nil
}

// place lays out the entry's header in the buffer and returns a view of
// the space for its values, if they fit and are 4-aligned: zeroed, unless
// the caller will fill it.
func (r *replyArena) place(name string, shape []int, dataLen int, filled bool) ([]float32, int, bool) {
	if r.spilled {
		return nil, 0, false
	}
	hdr := abi.TensorHeaderLen(name, len(shape))
	if len(r.res) == 0 {
		pad := (4 - (8+hdr)%4) % 4
		if need := pad + 8 + hdr + dataLen; r.block == nil || cap(r.block) < need {
			r.block = make([]byte, max(need, r.want)+alignPad)
		}
		r.buf = abi.AppendHeader(r.block[pad:pad], 0)
	}
	off := len(r.buf)
	if cap(r.buf)-off < hdr+dataLen || (uintptr(unsafe.Pointer(unsafe.SliceData(r.buf)))+uintptr(off+hdr))%4 != 0 {
		return nil, 0, false
	}
	buf, err := abi.AppendTensorHeader(r.buf, name, tensor.Float32, shape)
	if err != nil {
		return nil, 0, false
	}
	data := buf[len(buf) : len(buf)+dataLen]
	// A reused buffer holds the last call's values: a plugin that forgets
	// some must not send them in another request's reply. (Clearing a 224×224
	// tensor took 23–34 µs of a guest call, timed in a throwaway guest build:
	// a host kernel that writes every value saves it.)
	if !filled {
		clear(data)
	}
	r.buf = buf[:len(buf)+dataLen]
	if dataLen == 0 {
		return []float32{}, len(r.buf), true
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), dataLen/4), len(r.buf), true
}

// finish encodes the call's output message and closes the call. Tensors
// reserved by Output.Float32 that lead the message, in the order they were
// reserved, are already in place; the other entries are appended after
// them. Any other arrangement is encoded into a new buffer.
func (r *replyArena) finish(msg abi.Message) ([]byte, error) {
	defer func() { r.open = false }()
	k := 0
	for k < len(msg) && k < len(r.res) && r.res[k].inBlock && msg[k].Tensor == r.res[k].t && msg[k].Name == r.res[k].name {
		k++
	}
	if r.aliased(msg[k:]) {
		// An entry's data lives in the buffer elsewhere than where it
		// goes: writing the reply there could overwrite it first.
		return abi.Encode(msg)
	}
	var dst []byte
	if k > 0 {
		dst = r.buf[:r.res[k-1].end]
		if err := abi.SetCount(dst, len(msg)); err != nil {
			return nil, err
		}
	} else {
		size, err := abi.EncodedLen(msg)
		if err != nil {
			return nil, err
		}
		if r.block == nil || cap(r.block) < size {
			r.block = make([]byte, max(size, r.want)+alignPad)
		}
		dst = abi.AppendHeader(r.block[:0], len(msg))
	}
	for _, e := range msg[k:] {
		var err error
		if dst, err = abi.AppendEntry(dst, e); err != nil {
			return nil, err
		}
	}
	if !within(dst, r.block) { // append outgrew the buffer and moved it
		r.block = dst[:cap(dst)]
	}
	r.sent, r.want = dst, len(dst)
	return dst, nil
}

// aliased reports whether any entry's data lies in the reply buffer.
func (r *replyArena) aliased(m abi.Message) bool {
	if r.block == nil {
		return false
	}
	for _, e := range m {
		b := e.Bytes
		if e.Tensor != nil {
			b = abi.RawBytes(e.Tensor)
		}
		if abi.Overlap(b, r.block[:cap(r.block)]) {
			return true
		}
	}
	return false
}

// within reports whether a starts inside b's allocation.
func within(a, b []byte) bool {
	return cap(a) > 0 && abi.Overlap(a[:1], b[:cap(b)])
}
