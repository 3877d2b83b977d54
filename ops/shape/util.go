package shape

import (
	"fmt"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Data-movement kernels do not care what the elements mean, only how big
// they are. raw views a backing slice by element size so each movement
// algorithm is instantiated five times (1, 2, 4, 8 bytes and string) instead
// of fourteen. The views alias the tensor's memory: never write through a
// view of an input.

func reinterpret[To, From any](s []From) []To {
	if len(s) == 0 {
		return []To{}
	}
	return unsafe.Slice((*To)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// raw returns t's data as []uint8, []uint16, []uint32, []uint64 or
// []string, or nil for an unknown element type; it allocates nothing.
func raw(t *tensor.Tensor) any { return t.Bits() }

// alloc makes a zero-filled tensor, bounding its size; float32 data
// comes from rc's recycled buffers (rc may be nil).
func alloc(rc *ops.RunContext, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if dt == tensor.Float32 {
		return rc.NewFloat32(shape, true)
	}
	if _, err := tensor.NumElements(shape); err != nil {
		return nil, err
	}
	t, err := tensor.NewZeroed(dt, shape)
	if err != nil {
		return nil, fmt.Errorf("unsupported element type %v", dt)
	}
	return t, nil
}

// allocLike allocates a tensor of src's dtype with the given shape and
// returns it with raw views of its data and of src's data.
func allocLike(rc *ops.RunContext, src *tensor.Tensor, shape []int) (*tensor.Tensor, any, any, error) {
	out, err := alloc(rc, src.DType(), shape)
	if err != nil {
		return nil, nil, nil, err
	}
	s := raw(src)
	if s == nil {
		return nil, nil, nil, fmt.Errorf("unsupported element type %v", src.DType())
	}
	return out, raw(out), s, nil
}

// need returns required input i or an error naming it.
func need(in []*tensor.Tensor, i int, name string) (*tensor.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("missing required input %d (%s)", i, name)
	}
	return in[i], nil
}

// ints reads an integer tensor (shapes, axes, indices given as inputs).
// An int64 tensor (what exporters give) is read in place, without a copy
// per run: the result is then the input's own data, which callers must
// only read and not keep past the kernel call.
func ints(t *tensor.Tensor, what string) ([]int64, error) {
	if !t.DType().IsInteger() {
		return nil, fmt.Errorf("%s: want an integer tensor, got %v", what, t.DType())
	}
	if d := tensor.Data[int64](t); d != nil {
		return d, nil
	}
	return t.Int64s(), nil
}

// ints1D reads a 1-D (or scalar) integer tensor.
func ints1D(t *tensor.Tensor, what string) ([]int64, error) {
	if t.Rank() > 1 {
		return nil, fmt.Errorf("%s: want a 1-D tensor, got shape %v", what, t.Shape())
	}
	return ints(t, what)
}

// scalarInt reads a one-element integer tensor.
func scalarInt(t *tensor.Tensor, what string) (int64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s: want a single value, got shape %v", what, t.Shape())
	}
	v, err := ints(t, what)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// scalarFloat reads a one-element numeric tensor as float64.
func scalarFloat(t *tensor.Tensor, what string) (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s: want a single value, got shape %v", what, t.Shape())
	}
	if t.DType() == tensor.String {
		return 0, fmt.Errorf("%s: want a number, got a string tensor", what)
	}
	return t.Float64s()[0], nil
}

// dimsOf converts int64 dims to ints, rejecting negative or huge values.
func dimsOf(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > tensor.MaxElements {
			return nil, fmt.Errorf("%s: dimension %d is %d, want 0..%d", what, i, d, int64(tensor.MaxElements))
		}
		out[i] = int(d)
	}
	if _, err := tensor.NumElements(out); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// clampInt64 limits v to [lo, hi].
func clampInt64(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// normIndex maps a possibly negative index into [0, n) or fails.
func normIndex(v int64, n int, what string) (int, error) {
	if v < -int64(n) || v >= int64(n) {
		return 0, fmt.Errorf("%s %d out of range [%d, %d)", what, v, -n, n)
	}
	if v < 0 {
		v += int64(n)
	}
	return int(v), nil
}

// indexList reads an int32/int64 indices tensor and normalises every entry
// against a dimension of size n.
func indexList(t *tensor.Tensor, n int, what string) ([]int, error) {
	return indexListInto(nil, t, n, what)
}

// indexListInto is indexList writing into buf when it is large enough (a
// caller's stack array keeps a small Gather from allocating).
func indexListInto(buf []int, t *tensor.Tensor, n int, what string) ([]int, error) {
	out := buf[:0]
	if cap(out) < t.Len() {
		out = make([]int, t.Len())
	}
	out = out[:t.Len()]
	switch d := t.Data().(type) {
	case []int64:
		for i, v := range d {
			if v < -int64(n) || v >= int64(n) {
				return nil, fmt.Errorf("%s %d out of range [%d, %d)", what, v, -n, n)
			}
			if v < 0 {
				v += int64(n)
			}
			out[i] = int(v)
		}
	case []int32:
		for i, v := range d {
			if int64(v) < -int64(n) || int64(v) >= int64(n) {
				return nil, fmt.Errorf("%s %d out of range [%d, %d)", what, v, -n, n)
			}
			if v < 0 {
				v += int32(n)
			}
			out[i] = int(v)
		}
	default:
		return nil, fmt.Errorf("%s: want int32 or int64 indices, got %v", what, t.DType())
	}
	return out, nil
}

// copyRun copies a run of n elements between raw views of the same kind.
func copyRun(dst, src any, dOff, sOff, n int) {
	switch d := dst.(type) {
	case []uint8:
		copy(d[dOff:dOff+n], src.([]uint8)[sOff:sOff+n])
	case []uint16:
		copy(d[dOff:dOff+n], src.([]uint16)[sOff:sOff+n])
	case []uint32:
		copy(d[dOff:dOff+n], src.([]uint32)[sOff:sOff+n])
	case []uint64:
		copy(d[dOff:dOff+n], src.([]uint64)[sOff:sOff+n])
	case []string:
		copy(d[dOff:dOff+n], src.([]string)[sOff:sOff+n])
	}
}

// strided copies into the contiguous dst the elements of src found at
// off + Σ idx[d]·strides[d] for every index idx of shape, in row-major
// order. Strides may be zero (broadcast) or any permutation of a layout
// (transpose). It dispatches on the raw kind of the views.
func strided(dst, src any, shape, strides []int, off int) {
	switch d := dst.(type) {
	case []uint8:
		stridedCopy(d, src.([]uint8), shape, strides, off)
	case []uint16:
		stridedCopy(d, src.([]uint16), shape, strides, off)
	case []uint32:
		stridedCopy(d, src.([]uint32), shape, strides, off)
	case []uint64:
		stridedCopy(d, src.([]uint64), shape, strides, off)
	case []string:
		stridedCopy(d, src.([]string), shape, strides, off)
	}
}

// coalesce drops size-1 dimensions and merges neighbours that are
// contiguous in the source, so that loops run over as few, as long
// dimensions as possible.
func coalesce(shape, strides []int) ([]int, []int) {
	s := make([]int, 0, len(shape))
	st := make([]int, 0, len(shape))
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(s) - 1; k >= 0 && st[k] == strides[i]*d {
			s[k] *= d
			st[k] = strides[i]
			continue
		}
		s = append(s, d)
		st = append(st, strides[i])
	}
	return s, st
}

const blockSize = 32

func stridedCopy[T any](dst, src []T, shape, strides []int, off int) {
	if len(dst) == 0 {
		return
	}
	shape, strides = coalesce(shape, strides)
	r := len(shape)
	if r == 0 {
		dst[0] = src[off]
		return
	}
	last := r - 1
	n := shape[last]
	ls := strides[last]
	if ls != 1 && ls != 0 && r >= 2 {
		// A transpose: look for the dimension that reads contiguously and
		// walk both in cache-sized tiles.
		for j := 0; j < last; j++ {
			if strides[j] == 1 && shape[j] >= 4 && n >= 4 {
				blockedCopy(dst, src, shape, strides, off, j)
				return
			}
		}
	}
	outer := shape[:last]
	cnt := make([]int, len(outer))
	pos, dpos := off, 0
	for {
		row := dst[dpos : dpos+n]
		switch ls {
		case 1:
			copy(row, src[pos:pos+n])
		case 0:
			v := src[pos]
			for i := range row {
				row[i] = v
			}
		default:
			p := pos
			for i := range row {
				row[i] = src[p]
				p += ls
			}
		}
		dpos += n
		d := len(outer) - 1
		for ; d >= 0; d-- {
			cnt[d]++
			pos += strides[d]
			if cnt[d] < outer[d] {
				break
			}
			pos -= strides[d] * outer[d]
			cnt[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// blockedCopy handles a transpose where source dimension j (stride 1) and
// the last output dimension (dst stride 1) are swapped: it moves
// blockSize×blockSize tiles so that both sides stay in cache.
func blockedCopy[T any](dst, src []T, shape, strides []int, off, j int) {
	r := len(shape)
	last := r - 1
	dstStr := tensor.Strides(shape)
	// Outer dimensions: all but j and last.
	var oshape, ostr, odst []int
	for d := 0; d < last; d++ {
		if d == j {
			continue
		}
		oshape = append(oshape, shape[d])
		ostr = append(ostr, strides[d])
		odst = append(odst, dstStr[d])
	}
	na, nb := shape[j], shape[last]
	da := dstStr[j] // dst stride of dim j; dim last has dst stride 1
	sb := strides[last]
	cnt := make([]int, len(oshape))
	pos, dpos := off, 0
	for {
		transposeTiles(dst, src, dpos, pos, na, nb, sb, da)
		d := len(oshape) - 1
		for ; d >= 0; d-- {
			cnt[d]++
			pos += ostr[d]
			dpos += odst[d]
			if cnt[d] < oshape[d] {
				break
			}
			pos -= ostr[d] * oshape[d]
			dpos -= odst[d] * oshape[d]
			cnt[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// transposeTiles writes dst[dpos + a·da + b] = src[pos + a + b·sb] for
// a < na, b < nb, in blockSize×blockSize tiles (both sides stay in L1)
// made of 4×4 micro-tiles: four contiguous 4-element reads, four
// contiguous 4-element writes, bounds checked once per slice.
func transposeTiles[T any](dst, src []T, dpos, pos, na, nb, sb, da int) {
	for a0 := 0; a0 < na; a0 += blockSize {
		a1 := min(a0+blockSize, na)
		for b0 := 0; b0 < nb; b0 += blockSize {
			b1 := min(b0+blockSize, nb)
			a := a0
			for ; a+4 <= a1; a += 4 {
				b := b0
				for ; b+4 <= b1; b += 4 {
					s := pos + a + b*sb
					s0 := src[s : s+4 : s+4]
					s1 := src[s+sb : s+sb+4 : s+sb+4]
					s2 := src[s+2*sb : s+2*sb+4 : s+2*sb+4]
					s3 := src[s+3*sb : s+3*sb+4 : s+3*sb+4]
					d := dpos + a*da + b
					d0 := dst[d : d+4 : d+4]
					d1 := dst[d+da : d+da+4 : d+da+4]
					d2 := dst[d+2*da : d+2*da+4 : d+2*da+4]
					d3 := dst[d+3*da : d+3*da+4 : d+3*da+4]
					d0[0], d0[1], d0[2], d0[3] = s0[0], s1[0], s2[0], s3[0]
					d1[0], d1[1], d1[2], d1[3] = s0[1], s1[1], s2[1], s3[1]
					d2[0], d2[1], d2[2], d2[3] = s0[2], s1[2], s2[2], s3[2]
					d3[0], d3[1], d3[2], d3[3] = s0[3], s1[3], s2[3], s3[3]
				}
				for ; b < b1; b++ {
					s := pos + a + b*sb
					d := dpos + a*da + b
					dst[d], dst[d+da], dst[d+2*da], dst[d+3*da] = src[s], src[s+1], src[s+2], src[s+3]
				}
			}
			for ; a < a1; a++ {
				drow := dst[dpos+a*da+b0 : dpos+a*da+b1]
				s := pos + a + b0*sb
				for i := range drow {
					drow[i] = src[s]
					s += sb
				}
			}
		}
	}
}

// rawFill fills the raw view dst with element i of the raw view src; used
// to spread single values (padding, on/off values) without knowing their
// type.
func rawFill(dst any, src any, i int) {
	switch d := dst.(type) {
	case []uint8:
		fillT(d, src.([]uint8)[i])
	case []uint16:
		fillT(d, src.([]uint16)[i])
	case []uint32:
		fillT(d, src.([]uint32)[i])
	case []uint64:
		fillT(d, src.([]uint64)[i])
	case []string:
		fillT(d, src.([]string)[i])
	}
}

func fillT[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

// rawSlice returns the sub-view v[lo:hi] of a raw view.
func rawSlice(v any, lo, hi int) any {
	switch d := v.(type) {
	case []uint8:
		return d[lo:hi]
	case []uint16:
		return d[lo:hi]
	case []uint32:
		return d[lo:hi]
	case []uint64:
		return d[lo:hi]
	case []string:
		return d[lo:hi]
	}
	return nil
}

// rawSet copies element si of src into element di of dst.
func rawSet(dst, src any, di, si int) {
	switch d := dst.(type) {
	case []uint8:
		d[di] = src.([]uint8)[si]
	case []uint16:
		d[di] = src.([]uint16)[si]
	case []uint32:
		d[di] = src.([]uint32)[si]
	case []uint64:
		d[di] = src.([]uint64)[si]
	case []string:
		d[di] = src.([]string)[si]
	}
}

// gatherIdx sets dst[i] = src[idx[i]] for every i.
func gatherIdx(dst, src any, idx []int) {
	switch d := dst.(type) {
	case []uint8:
		gatherT(d, src.([]uint8), idx)
	case []uint16:
		gatherT(d, src.([]uint16), idx)
	case []uint32:
		gatherT(d, src.([]uint32), idx)
	case []uint64:
		gatherT(d, src.([]uint64), idx)
	case []string:
		gatherT(d, src.([]string), idx)
	}
}

func gatherT[T any](dst, src []T, idx []int) {
	for i, j := range idx {
		dst[i] = src[j]
	}
}

func prod64(v []int) int64 {
	p := int64(1)
	for _, d := range v {
		p *= int64(d)
	}
	return p
}
