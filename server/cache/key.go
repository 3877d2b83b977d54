package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"slices"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// Key identifies a request's answer: SHA-256 over the model, the version,
// the inputs and the requested output names. Every variable-length field is
// preceded by its length and every list by its count (all little-endian
// uint64), so the encoding of two different requests never coincides:
//
//	len(model) model  version  count(inputs)
//	per input: len(name) name  present(1 byte)  [dtype(uint32) rank dims…
//	           count(elements) elements]
//	count(outputs)  per output: len(name) name
//
// Elements are little-endian at their ONNX size (floats by their bits, bool
// as one byte); strings are each length-prefixed. Inputs are hashed in name
// order, since their order does not change the answer; outputs in the order
// asked for, since the response follows it.
func Key(model string, version int64, inputs []infer.Tensor, outputs []string) [32]byte {
	w := newFramer()
	w.str(model)
	w.u64(uint64(version))
	order := make([]int, len(inputs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(inputs[a].Name, inputs[b].Name) })
	w.u64(uint64(len(inputs)))
	for _, i := range order {
		in := inputs[i]
		w.str(in.Name)
		if in.Tensor == nil {
			w.u8(0)
			continue
		}
		w.u8(1)
		w.tensor(in.Tensor)
	}
	w.u64(uint64(len(outputs)))
	for _, name := range outputs {
		w.str(name)
	}
	return w.sum()
}

// framer writes fields into a SHA-256 through a small buffer, so hashing a
// large tensor is not one Write call per element.
type framer struct {
	h   hash.Hash
	buf []byte
}

const flushAt = 4096

func newFramer() *framer {
	return &framer{h: sha256.New(), buf: make([]byte, 0, flushAt+64)}
}

func (w *framer) room() {
	if len(w.buf) >= flushAt {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *framer) u8(v uint8)   { w.buf = append(w.buf, v); w.room() }
func (w *framer) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v); w.room() }
func (w *framer) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v); w.room() }
func (w *framer) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v); w.room() }

func (w *framer) str(s string) {
	w.u64(uint64(len(s)))
	raw(w, s)
}

// raw writes bytes as they are, in buffer-sized pieces.
func raw[B ~string | ~[]byte](w *framer, s B) {
	for len(s) > 0 {
		n := min(len(s), flushAt+64-len(w.buf))
		w.buf = append(w.buf, s[:n]...)
		s = s[n:]
		w.room()
	}
}

func (w *framer) sum() [32]byte {
	w.h.Write(w.buf)
	var k [32]byte
	w.h.Sum(k[:0])
	return k
}

// tensor writes dtype, shape and the elements actually held (their count
// comes from the data, not the shape, so a malformed tensor cannot make it
// read past the end).
func (w *framer) tensor(t *tensor.Tensor) {
	w.u32(uint32(t.DType()))
	shape := t.Shape()
	w.u64(uint64(len(shape)))
	for _, d := range shape {
		w.u64(uint64(d))
	}
	w.u64(uint64(t.Len()))
	switch d := t.Data().(type) {
	case []float32:
		for _, v := range d {
			w.u32(math.Float32bits(v))
		}
	case []float64:
		for _, v := range d {
			w.u64(math.Float64bits(v))
		}
	case []tensor.F16:
		for _, v := range d {
			w.u16(uint16(v))
		}
	case []tensor.BF16:
		for _, v := range d {
			w.u16(uint16(v))
		}
	case []int8:
		for _, v := range d {
			w.u8(uint8(v))
		}
	case []int16:
		for _, v := range d {
			w.u16(uint16(v))
		}
	case []int32:
		for _, v := range d {
			w.u32(uint32(v))
		}
	case []int64:
		for _, v := range d {
			w.u64(uint64(v))
		}
	case []uint8:
		raw(w, d)
	case []uint16:
		for _, v := range d {
			w.u16(v)
		}
	case []uint32:
		for _, v := range d {
			w.u32(v)
		}
	case []uint64:
		for _, v := range d {
			w.u64(v)
		}
	case []bool:
		for _, v := range d {
			var b uint8
			if v {
				b = 1
			}
			w.u8(b)
		}
	case []string:
		for _, v := range d {
			w.str(v)
		}
	}
}
