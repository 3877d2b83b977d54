package grpcserver

import (
	"encoding/binary"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// datatypeList is for error messages about unknown datatypes.
const datatypeList = "BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16 or BYTES"

func invalid(format string, args ...any) error {
	return infer.Errorf(infer.InvalidArgument, format, args...)
}

// decodeInputs turns the request's inputs into tensors, from the typed
// contents or, when present, from raw_input_contents, which must then hold
// exactly one entry per input. Every size is checked against the data that
// actually arrived before anything is allocated, so a declared shape alone
// cannot make the server allocate.
func decodeInputs(req *pb.ModelInferRequest) ([]infer.Tensor, error) {
	raw := req.GetRawInputContents()
	inputs := req.GetInputs()
	if len(raw) > 0 && len(raw) != len(inputs) {
		return nil, invalid("raw_input_contents has %d entries; when used it needs one per input, %d", len(raw), len(inputs))
	}
	out := make([]infer.Tensor, 0, len(inputs))
	seen := make(map[string]bool, len(inputs))
	for i, in := range inputs {
		name := in.GetName()
		if name == "" {
			return nil, invalid("input %d has no name", i)
		}
		if seen[name] {
			return nil, invalid("input %q appears more than once", name)
		}
		seen[name] = true
		dt, ok := infer.DTypeOf(in.GetDatatype())
		if !ok {
			return nil, invalid("input %q: unknown datatype %q (expected %s)", name, in.GetDatatype(), datatypeList)
		}
		shape, n, err := shapeOf(name, in.GetShape())
		if err != nil {
			return nil, err
		}
		params, err := paramsFromPB("input "+quote(name), in.GetParameters())
		if err != nil {
			return nil, err
		}
		var t *tensor.Tensor
		if len(raw) > 0 {
			if f := nonEmptyFields(in.GetContents()); len(f) > 0 {
				return nil, invalid("input %q: contents (%s) must be empty when raw_input_contents is used", name, f[0].name)
			}
			t, err = decodeRaw(name, i, dt, shape, n, raw[i])
		} else {
			t, err = decodeTyped(name, dt, shape, n, in.GetContents())
		}
		if err != nil {
			return nil, err
		}
		out = append(out, infer.Tensor{Name: name, Tensor: t, Parameters: params})
	}
	return out, nil
}

func quote(s string) string { return `"` + s + `"` }

// shapeOf checks a protocol shape and returns it as ints with its element
// count.
func shapeOf(name string, dims []int64) ([]int, int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, 0, invalid("input %q: shape %v has a negative dimension; a request needs concrete sizes", name, dims)
		}
		if d > tensor.MaxElements {
			return nil, 0, invalid("input %q: shape %v has more than %d elements", name, dims, int64(tensor.MaxElements))
		}
		shape[i] = int(d)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, 0, invalid("input %q: shape %v has more than %d elements", name, dims, int64(tensor.MaxElements))
	}
	return shape, n, nil
}

// field is one typed contents field and how many values it holds.
type field struct {
	name string
	n    int
}

func contentsFields(c *pb.InferTensorContents) []field {
	return []field{
		{"bool_contents", len(c.GetBoolContents())},
		{"int_contents", len(c.GetIntContents())},
		{"int64_contents", len(c.GetInt64Contents())},
		{"uint_contents", len(c.GetUintContents())},
		{"uint64_contents", len(c.GetUint64Contents())},
		{"fp32_contents", len(c.GetFp32Contents())},
		{"fp64_contents", len(c.GetFp64Contents())},
		{"bytes_contents", len(c.GetBytesContents())},
	}
}

func nonEmptyFields(c *pb.InferTensorContents) []field {
	var out []field
	for _, f := range contentsFields(c) {
		if f.n > 0 {
			out = append(out, f)
		}
	}
	return out
}

// typedField is the contents field that carries dt ("" for FP16 and BF16,
// which the protocol only carries raw).
func typedField(dt tensor.DType) string {
	switch dt {
	case tensor.Bool:
		return "bool_contents"
	case tensor.Int8, tensor.Int16, tensor.Int32:
		return "int_contents"
	case tensor.Int64:
		return "int64_contents"
	case tensor.Uint8, tensor.Uint16, tensor.Uint32:
		return "uint_contents"
	case tensor.Uint64:
		return "uint64_contents"
	case tensor.Float32:
		return "fp32_contents"
	case tensor.Float64:
		return "fp64_contents"
	case tensor.String:
		return "bytes_contents"
	}
	return ""
}

// decodeTyped decodes an input from its typed contents field. The typed
// slices are used as they are (not copied): the request message is not
// touched again once decoded.
func decodeTyped(name string, dt tensor.DType, shape []int, n int, c *pb.InferTensorContents) (*tensor.Tensor, error) {
	dtName := infer.Datatype(dt)
	want := typedField(dt)
	present := nonEmptyFields(c)
	if want == "" {
		if len(present) > 0 || n > 0 {
			return nil, invalid("input %q: %s data has no typed contents field; send it in raw_input_contents", name, dtName)
		}
		return tensor.FromAny(shape, tensor.MakeSlice(dt, 0))
	}
	got := 0
	for _, f := range present {
		if f.name != want {
			return nil, invalid("input %q: datatype %s takes %s, got %s", name, dtName, want, f.name)
		}
		got = f.n
	}
	if got != n {
		if len(present) == 0 {
			return nil, invalid("input %q: shape %v needs %d elements and the input has no contents (nor does the request have raw_input_contents)", name, shape, n)
		}
		return nil, invalid("input %q: shape %v needs %d elements, %s has %d", name, shape, n, want, got)
	}

	var data any
	var err error
	switch dt {
	case tensor.Bool:
		data = c.GetBoolContents()
	case tensor.Int8:
		data, err = narrow[int8](name, c.GetIntContents(), math.MinInt8, math.MaxInt8)
	case tensor.Int16:
		data, err = narrow[int16](name, c.GetIntContents(), math.MinInt16, math.MaxInt16)
	case tensor.Int32:
		data = c.GetIntContents()
	case tensor.Int64:
		data = c.GetInt64Contents()
	case tensor.Uint8:
		data, err = narrow[uint8](name, c.GetUintContents(), 0, math.MaxUint8)
	case tensor.Uint16:
		data, err = narrow[uint16](name, c.GetUintContents(), 0, math.MaxUint16)
	case tensor.Uint32:
		data = c.GetUintContents()
	case tensor.Uint64:
		data = c.GetUint64Contents()
	case tensor.Float32:
		data = c.GetFp32Contents()
	case tensor.Float64:
		data = c.GetFp64Contents()
	case tensor.String:
		b := c.GetBytesContents()
		s := make([]string, len(b))
		for i, e := range b {
			s[i] = string(e)
		}
		data = s
	}
	if err != nil {
		return nil, err
	}
	return fromData(name, shape, data)
}

// narrow converts int_contents or uint_contents to a narrower type,
// rejecting values that do not fit instead of wrapping them.
func narrow[D int8 | int16 | uint8 | uint16, S int32 | uint32](name string, src []S, lo, hi int64) ([]D, error) {
	out := make([]D, len(src))
	for i, v := range src {
		if int64(v) < lo || int64(v) > hi {
			return nil, invalid("input %q: element %d is %d, out of range [%d, %d] for its datatype", name, i, v, lo, hi)
		}
		out[i] = D(v)
	}
	return out, nil
}

func fromData(name string, shape []int, data any) (*tensor.Tensor, error) {
	t, err := tensor.FromAny(shape, data)
	if err != nil {
		// Sizes were checked above; this is a safety net, not a path.
		return nil, invalid("input %q: %v", name, err)
	}
	return t, nil
}

// decodeRaw decodes input i from its raw_input_contents entry: elements in
// row-major order, little-endian, BYTES as 4-byte length + bytes. The entry
// must hold exactly the elements of the shape, no more, no less.
func decodeRaw(name string, i int, dt tensor.DType, shape []int, n int, raw []byte) (*tensor.Tensor, error) {
	if dt == tensor.String {
		s, err := decodeRawBytes(name, i, n, raw)
		if err != nil {
			return nil, err
		}
		return fromData(name, shape, s)
	}
	size := dt.Size()
	if want := int64(n) * int64(size); int64(len(raw)) != want {
		return nil, invalid("input %q: raw_input_contents[%d] has %d bytes, shape %v of %s needs %d",
			name, i, len(raw), shape, infer.Datatype(dt), want)
	}
	le := binary.LittleEndian
	var data any
	switch dt {
	case tensor.Bool:
		b := make([]bool, n)
		for j, v := range raw {
			if v > 1 {
				return nil, invalid("input %q: BOOL element %d is byte %d; raw BOOL elements must be 0 or 1", name, j, v)
			}
			b[j] = v == 1
		}
		data = b
	case tensor.Int8:
		data = fromLE(raw, 1, func(b []byte) int8 { return int8(b[0]) })
	case tensor.Uint8:
		data = append([]uint8(nil), raw...)
	case tensor.Int16:
		data = fromLE(raw, 2, func(b []byte) int16 { return int16(le.Uint16(b)) })
	case tensor.Uint16:
		data = fromLE(raw, 2, le.Uint16)
	case tensor.Float16:
		data = fromLE(raw, 2, func(b []byte) tensor.F16 { return tensor.F16(le.Uint16(b)) })
	case tensor.BFloat16:
		data = fromLE(raw, 2, func(b []byte) tensor.BF16 { return tensor.BF16(le.Uint16(b)) })
	case tensor.Int32:
		data = fromLE(raw, 4, func(b []byte) int32 { return int32(le.Uint32(b)) })
	case tensor.Uint32:
		data = fromLE(raw, 4, le.Uint32)
	case tensor.Float32:
		data = fromLE(raw, 4, func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) })
	case tensor.Int64:
		data = fromLE(raw, 8, func(b []byte) int64 { return int64(le.Uint64(b)) })
	case tensor.Uint64:
		data = fromLE(raw, 8, le.Uint64)
	case tensor.Float64:
		data = fromLE(raw, 8, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) })
	default:
		return nil, invalid("input %q: datatype %s cannot be sent raw", name, infer.Datatype(dt))
	}
	return fromData(name, shape, data)
}

// fromLE decodes len(raw)/size fixed-size elements.
func fromLE[T any](raw []byte, size int, get func([]byte) T) []T {
	out := make([]T, len(raw)/size)
	for i := range out {
		out[i] = get(raw[i*size : i*size+size])
	}
	return out
}

// decodeRawBytes splits a raw BYTES entry into n strings.
func decodeRawBytes(name string, i, n int, raw []byte) ([]string, error) {
	// Each element needs at least its 4-byte length: checking that first
	// bounds the allocation below by the bytes received.
	if n > len(raw)/4 {
		return nil, invalid("input %q: raw_input_contents[%d] has %d bytes, too few for %d BYTES elements (each needs a 4-byte length)",
			name, i, len(raw), n)
	}
	out := make([]string, n)
	off := 0
	for j := range out {
		if len(raw)-off < 4 {
			return nil, invalid("input %q: raw_input_contents[%d] ends inside the length of BYTES element %d", name, i, j)
		}
		l := uint64(binary.LittleEndian.Uint32(raw[off:]))
		off += 4
		if l > uint64(len(raw)-off) {
			return nil, invalid("input %q: raw_input_contents[%d]: BYTES element %d declares %d bytes, only %d remain",
				name, i, j, l, len(raw)-off)
		}
		out[j] = string(raw[off : off+int(l)])
		off += int(l)
	}
	if off != len(raw) {
		return nil, invalid("input %q: raw_input_contents[%d] has %d bytes after its %d BYTES elements",
			name, i, len(raw)-off, n)
	}
	return out, nil
}
