package sdk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// decode is abi.Decode with a fast path for numeric tensors: on a
// little-endian machine their data is copied into the tensor in one block
// instead of element by element, which inside wasm took 18 ms for one
// [1,3,224,224] float32 tensor. Bytes entries alias buf, as with abi.Decode;
// string and bool tensors are decoded by package abi itself. It checks what
// abi.Decode checks (a test compares the two on valid and corrupted
// messages), so a hostile buffer gives an error, never a panic.
func decode(buf []byte) (abi.Message, error) {
	if !littleEndian {
		return abi.Decode(buf)
	}
	if len(buf) < 8 || string(buf[:4]) != "GNX1" {
		return nil, errors.New("abi: not a gonyx message (bad magic)")
	}
	n := binary.LittleEndian.Uint32(buf[4:])
	r := reader{rest: buf[8:]}
	// Each entry takes at least 13 bytes: a count beyond that is a lie.
	if uint64(n)*13 > uint64(len(r.rest)) {
		return nil, errTruncated
	}
	m := make(abi.Message, 0, n)
	for range n {
		start := r.rest
		name, err := r.take(uint64(r.u32()))
		kind := r.take1()
		if err != nil || r.err != nil {
			return nil, errTruncated
		}
		e := abi.Entry{Name: string(name)}
		switch kind {
		case 0:
			if e.Bytes, err = r.take(r.u64()); err != nil || r.err != nil {
				return nil, errTruncated
			}
		case 1:
			dt := tensor.DType(r.u32())
			rank := r.u32()
			if r.err != nil {
				return nil, errTruncated
			}
			if !dt.Supported() {
				return nil, fmt.Errorf("abi: tensor %q: unsupported dtype %d", e.Name, int32(dt))
			}
			if rank > abi.MaxRank {
				return nil, fmt.Errorf("abi: tensor %q: rank %d over %d", e.Name, rank, abi.MaxRank)
			}
			if dt == tensor.String || dt == tensor.Bool {
				// Rare and small: let package abi decode this one entry.
				t, err := r.slowTensor(start, rank)
				if err != nil {
					return nil, err
				}
				e.Tensor = t
				break
			}
			shape := make([]int, rank)
			for i := range shape {
				d := r.u64()
				if r.err != nil {
					return nil, errTruncated
				}
				if d > math.MaxInt32 {
					return nil, fmt.Errorf("abi: tensor %q: dimension %d too large", e.Name, d)
				}
				shape[i] = int(d)
			}
			data, err := r.take(r.u64())
			if err != nil || r.err != nil {
				return nil, errTruncated
			}
			if e.Tensor, err = tensorFromRaw(dt, shape, data); err != nil {
				return nil, fmt.Errorf("abi: tensor %q: %w", e.Name, err)
			}
		default:
			return nil, fmt.Errorf("abi: entry %q has unknown kind %d", e.Name, kind)
		}
		m = append(m, e)
	}
	if len(r.rest) != 0 {
		return nil, fmt.Errorf("abi: %d bytes after the last entry", len(r.rest))
	}
	return m, nil
}

var errTruncated = errors.New("abi: message truncated")

// reader walks a message; the first overrun sets err and every later read
// returns zero.
type reader struct {
	rest []byte
	err  error
}

func (r *reader) take(k uint64) ([]byte, error) {
	if r.err != nil || k > uint64(len(r.rest)) {
		r.err = errTruncated
		return nil, r.err
	}
	out := r.rest[:k:k]
	r.rest = r.rest[k:]
	return out, nil
}

func (r *reader) u32() uint32 {
	b, err := r.take(4)
	if err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) u64() uint64 {
	b, err := r.take(8)
	if err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) take1() byte {
	b, err := r.take(1)
	if err != nil {
		return 0
	}
	return b[0]
}

// slowTensor decodes the entry that began at start (its header is read up
// to the rank) with abi.Decode, as a one-entry message.
func (r *reader) slowTensor(start []byte, rank uint32) (*tensor.Tensor, error) {
	if _, err := r.take(8 * uint64(rank)); err != nil {
		return nil, err
	}
	if _, err := r.take(r.u64()); err != nil || r.err != nil {
		return nil, errTruncated
	}
	entry := start[:len(start)-len(r.rest)]
	one := make([]byte, 8, 8+len(entry))
	copy(one, "GNX1")
	binary.LittleEndian.PutUint32(one[4:], 1)
	m, err := abi.Decode(append(one, entry...))
	if err != nil {
		return nil, err
	}
	return m[0].Tensor, nil
}

// tensorFromRaw makes a numeric tensor from little-endian data with one
// block copy (the data may be unaligned in buf, so it is not viewed in place).
func tensorFromRaw(dt tensor.DType, shape []int, data []byte) (*tensor.Tensor, error) {
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if size := dt.Size(); size == 0 || uint64(len(data)) != uint64(n)*uint64(size) {
		return nil, fmt.Errorf("%d data bytes for %d elements of %v", len(data), n, dt)
	}
	t := tensor.Zeros(dt, shape...)
	raw, ok := rawData(t)
	if !ok {
		return nil, fmt.Errorf("dtype %v cannot cross the plugin boundary", dt)
	}
	copy(raw, data)
	return t, nil
}
