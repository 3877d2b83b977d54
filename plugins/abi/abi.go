// Package abi is gonyx's plugin ABI v1, the part shared by the host
// (plugins) and the guest SDK (plugins/sdk): the message format that carries
// tensors and bytes across the WebAssembly boundary in one bulk copy, and
// the packing of (pointer, length, error) results into one i64.
//
// It is plain Go with no dependencies, so it compiles for the host and for
// GOOS=wasip1 guests alike. docs/PLUGINS.md is the normative description.
package abi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gonyx/gonyx/engine/tensor"
)

// Version is the ABI version guests return from gonyx_abi_version.
const Version = 1

// Names of the guest's exports and of the host module.
const (
	ExportABIVersion = "gonyx_abi_version" // () -> i32
	ExportAlloc      = "gonyx_alloc"       // (size i32) -> i32 ptr (0 = out of memory)
	ExportFree       = "gonyx_free"        // (ptr i32, size i32)
	ExportDescribe   = "gonyx_describe"    // () -> i64 packed JSON Description
	ExportInit       = "gonyx_init"        // (ptr i32, len i32) -> i64 packed (config JSON in)
	ExportProcess    = "gonyx_process"     // (ptr i32, len i32) -> i64 packed (Message in, Message out)
	HostModule       = "gonyx"
)

// Pack makes a packed result: bit 63 is the error flag, bits 32..62 the
// pointer, bits 0..31 the length. With the error flag the bytes are a UTF-8
// error message.
func Pack(ptr, length uint32, isErr bool) uint64 {
	v := uint64(ptr&0x7fffffff)<<32 | uint64(length)
	if isErr {
		v |= 1 << 63
	}
	return v
}

// Unpack splits a packed result.
func Unpack(v uint64) (ptr, length uint32, isErr bool) {
	return uint32(v>>32) & 0x7fffffff, uint32(v), v>>63 == 1
}

// Entry is one named item of a Message: either raw bytes (an uploaded
// image, text, JSON) or a tensor.
type Entry struct {
	Name   string
	Bytes  []byte         // when Tensor is nil
	Tensor *tensor.Tensor // when set, Bytes is ignored
}

// Message is what crosses the boundary: the input of gonyx_process and its
// output.
type Message []Entry

// Get returns the entry called name.
func (m Message) Get(name string) (Entry, bool) {
	for _, e := range m {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

const magic = "GNX1"

// Entry kinds on the wire.
const (
	kindBytes  = 0
	kindTensor = 1
)

// MaxRank bounds a tensor's rank on the wire.
const MaxRank = 16

// Encode serialises a message into a new buffer of exactly its size:
//
//	"GNX1" u32 count, then per entry:
//	u32 name length, name, u8 kind (0 bytes, 1 tensor),
//	tensor only: u32 dtype (ONNX number), u32 rank, rank × i64 dims,
//	u64 data length, data (tensors little-endian; string tensors as
//	u32 length + bytes per element).
func Encode(m Message) ([]byte, error) {
	size, err := EncodedLen(m)
	if err != nil {
		return nil, err
	}
	return AppendEncode(make([]byte, 0, size), m)
}

var errTruncated = errors.New("abi: message truncated")

// Decode parses a message. Bytes entries alias buf; tensors are copied.
// Every length is checked against what is left, so a hostile buffer gives
// an error, never a panic or an outsized allocation.
func Decode(buf []byte) (Message, error) { return DecodeReusing(buf, nil) }

// DecodeReusing is Decode, but a tensor entry whose name, dtype and shape
// match a (non-string) tensor of reuse is copied into that tensor, which
// the result then holds, instead of a new one. A server that hands the
// same-sized tensor back call after call saves the allocation, which for a
// 600 KB image tensor costs ten times the copy. When it fails, the reused
// tensors may hold part of the message.
func DecodeReusing(buf []byte, reuse Message) (Message, error) {
	if len(buf) < 8 || string(buf[:4]) != magic {
		return nil, errors.New("abi: not a gonyx message (bad magic)")
	}
	n := binary.LittleEndian.Uint32(buf[4:])
	rest := buf[8:]
	// Each entry takes at least 13 bytes: a count beyond that is a lie.
	if uint64(n)*13 > uint64(len(rest)) {
		return nil, errTruncated
	}
	m := make(Message, 0, n)
	take := func(k uint64) ([]byte, error) {
		if k > uint64(len(rest)) {
			return nil, errTruncated
		}
		out := rest[:k]
		rest = rest[k:]
		return out, nil
	}
	for range n {
		h, err := take(4)
		if err != nil {
			return nil, err
		}
		name, err := take(uint64(binary.LittleEndian.Uint32(h)))
		if err != nil {
			return nil, err
		}
		k, err := take(1)
		if err != nil {
			return nil, err
		}
		e := Entry{Name: string(name)}
		switch k[0] {
		case kindBytes:
			h, err := take(8)
			if err != nil {
				return nil, err
			}
			if e.Bytes, err = take(binary.LittleEndian.Uint64(h)); err != nil {
				return nil, err
			}
		case kindTensor:
			h, err := take(8)
			if err != nil {
				return nil, err
			}
			dt := tensor.DType(binary.LittleEndian.Uint32(h))
			rank := binary.LittleEndian.Uint32(h[4:])
			if !dt.Supported() {
				return nil, fmt.Errorf("abi: tensor %q: unsupported dtype %d", e.Name, int32(dt))
			}
			if rank > MaxRank {
				return nil, fmt.Errorf("abi: tensor %q: rank %d over %d", e.Name, rank, MaxRank)
			}
			dimBytes, err := take(8 * uint64(rank))
			if err != nil {
				return nil, err
			}
			shape := make([]int, rank)
			for i := range shape {
				d := binary.LittleEndian.Uint64(dimBytes[8*i:])
				if d > math.MaxInt32 {
					return nil, fmt.Errorf("abi: tensor %q: dimension %d too large", e.Name, d)
				}
				shape[i] = int(d)
			}
			h, err = take(8)
			if err != nil {
				return nil, err
			}
			data, err := take(binary.LittleEndian.Uint64(h))
			if err != nil {
				return nil, err
			}
			if e.Tensor, err = tensorFromBytes(dt, shape, data, reusable(reuse, e.Name, dt, shape)); err != nil {
				return nil, fmt.Errorf("abi: tensor %q: %w", e.Name, err)
			}
		default:
			return nil, fmt.Errorf("abi: entry %q has unknown kind %d", e.Name, k[0])
		}
		m = append(m, e)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("abi: %d bytes after the last entry", len(rest))
	}
	return m, nil
}

// TensorFor is the tensor a host function writes an output entry name of
// dtype dt and this shape into, with its memory as bytes in the wire's
// layout to fill: the tensor of reuse that DecodeReusing would write into,
// or else a new, zeroed one. dt must be a fixed-size type other than Bool.
func TensorFor(reuse Message, name string, dt tensor.DType, shape []int) (*tensor.Tensor, []byte) {
	t := reusable(reuse, name, dt, shape)
	if t == nil {
		t = tensor.Zeros(dt, shape...)
	}
	return t, rawBytes(t.Data())
}

// reusable is the tensor of reuse that can take the entry name of dtype dt
// and this shape, or nil.
func reusable(reuse Message, name string, dt tensor.DType, shape []int) *tensor.Tensor {
	if dt == tensor.String {
		return nil
	}
	e, ok := reuse.Get(name)
	if !ok || e.Tensor == nil || e.Tensor.DType() != dt || !slices.Equal(e.Tensor.Shape(), shape) {
		return nil
	}
	return e.Tensor
}
