package onnxpb

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one decoded protobuf field of a message.
type field struct {
	num protowire.Number
	typ protowire.Type
	// u is the value of a varint, fixed32 or fixed64 field.
	u uint64
	// b is the payload of a length-delimited field. It aliases the message.
	b []byte
	// off is the offset of b within the message, so that the tensor decoder
	// knows how many already-parsed bytes precede a raw_data payload.
	off int
}

// eachField calls fn for every field of the message msg, in wire order.
// Groups (deprecated, never used by ONNX) are skipped. what names the message
// kind for error messages.
func eachField(msg []byte, what string, fn func(f *field) error) error {
	pos := 0
	var f field
	for pos < len(msg) {
		num, typ, n := protowire.ConsumeTag(msg[pos:])
		if n < 0 {
			return fmt.Errorf("%s: malformed field tag at byte %d: %v", what, pos, protowire.ParseError(n))
		}
		pos += n
		f = field{num: num, typ: typ}
		skip := false
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(msg[pos:])
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(msg[pos:])
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(msg[pos:])
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(msg[pos:])
			if n >= 0 {
				f.off = pos + n - len(f.b)
				// Cut the capacity so that nobody can append into the
				// following bytes of the buffer.
				f.b = f.b[:len(f.b):len(f.b)]
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, msg[pos:])
			skip = true
		}
		if n < 0 {
			return fmt.Errorf("%s: malformed field %d at byte %d: %v", what, num, pos, protowire.ParseError(n))
		}
		pos += n
		if skip {
			continue
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

func wireTypeName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed32Type:
		return "fixed32"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "length-delimited"
	}
	return fmt.Sprintf("wire type %d", t)
}

func (f *field) wrongType(what, name string) error {
	return fmt.Errorf("%s: field %s (%d) has wire type %s, which does not match its declaration",
		what, name, f.num, wireTypeName(f.typ))
}

// str reads a string field (copied, so the result does not pin the buffer).
func (f *field) str(what, name string) (string, error) {
	if f.typ != protowire.BytesType {
		return "", f.wrongType(what, name)
	}
	return string(f.b), nil
}

// bytes reads a bytes field (copied).
func (f *field) bytes(what, name string) ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, f.wrongType(what, name)
	}
	return append([]byte{}, f.b...), nil
}

// msg reads an embedded message field (aliased).
func (f *field) msg(what, name string) ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, f.wrongType(what, name)
	}
	return f.b, nil
}

// int64 reads an int64 (or int32/enum: negative int32 values are sign
// extended to 64 bits on the wire) field.
func (f *field) int64(what, name string) (int64, error) {
	if f.typ != protowire.VarintType {
		return 0, f.wrongType(what, name)
	}
	return int64(f.u), nil
}

// int32 reads an int32 or enum field.
func (f *field) int32(what, name string) (int32, error) {
	v, err := f.int64(what, name)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%s: field %s = %d does not fit in int32", what, name, v)
	}
	return int32(v), nil
}

func (f *field) float32(what, name string) (float32, error) {
	if f.typ != protowire.Fixed32Type {
		return 0, f.wrongType(what, name)
	}
	return math.Float32frombits(uint32(f.u)), nil
}

// countVarints counts the varints in a packed payload (bytes without the
// continuation bit end a varint), so that slices are sized from data that is
// actually present.
func countVarints(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}

// appendVarints appends a packed (length-delimited) or single (varint)
// repeated varint field to dst, converting each value with conv.
func appendVarints[T any](dst []T, f *field, what, name string, conv func(uint64) T) ([]T, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, conv(f.u)), nil
	case protowire.BytesType:
		b := f.b
		dst = grow(dst, countVarints(b))
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%s: malformed packed %s: %v", what, name, protowire.ParseError(n))
			}
			dst = append(dst, conv(v))
			b = b[n:]
		}
		return dst, nil
	}
	return nil, f.wrongType(what, name)
}

// appendFixed32s appends a packed or single repeated fixed32 field.
func appendFixed32s[T any](dst []T, f *field, what, name string, conv func(uint32) T) ([]T, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, conv(uint32(f.u))), nil
	case protowire.BytesType:
		b := f.b
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("%s: packed %s has %d bytes, not a multiple of 4", what, name, len(b))
		}
		dst = grow(dst, len(b)/4)
		for i := 0; i < len(b); i += 4 {
			dst = append(dst, conv(uint32(b[i])|uint32(b[i+1])<<8|uint32(b[i+2])<<16|uint32(b[i+3])<<24))
		}
		return dst, nil
	}
	return nil, f.wrongType(what, name)
}

// appendFixed64s appends a packed or single repeated fixed64 field.
func appendFixed64s[T any](dst []T, f *field, what, name string, conv func(uint64) T) ([]T, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, conv(f.u)), nil
	case protowire.BytesType:
		b := f.b
		if len(b)%8 != 0 {
			return nil, fmt.Errorf("%s: packed %s has %d bytes, not a multiple of 8", what, name, len(b))
		}
		dst = grow(dst, len(b)/8)
		for i := 0; i < len(b); i += 8 {
			v, _ := protowire.ConsumeFixed64(b[i:])
			dst = append(dst, conv(v))
		}
		return dst, nil
	}
	return nil, f.wrongType(what, name)
}

// grow makes room for n more elements (n is bounded by the data present).
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]T, len(s), len(s)+n)
	copy(ns, s)
	return ns
}

func asInt64(v uint64) int64     { return int64(v) }
func asInt32(v uint64) int32     { return int32(v) }
func asUint64(v uint64) uint64   { return v }
func asFloat32(v uint32) float32 { return math.Float32frombits(v) }
func asFloat64(v uint64) float64 { return math.Float64frombits(v) }
