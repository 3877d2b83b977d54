package onnxpb

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

// hostLittleEndian is set at init from the memory layout of a uint16. On a
// big-endian host every raw_data payload is converted with encoding/binary
// instead of being reinterpreted. Tests flip it to exercise the portable path.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// zeroCopyMin is the smallest raw_data payload (in bytes) that is aliased
// rather than copied when the decoder owns the buffer. Small tensors are
// copied: they are cheap and it keeps shape-like constants independent of the
// (large) model buffer.
const zeroCopyMin = 64

// Data locations of TensorProto.data_location.
const (
	locationDefault  = 0
	locationExternal = 1
)

// extraDTypeNames names ONNX data types the engine cannot hold, for messages.
var extraDTypeNames = map[int32]string{
	14: "complex64", 15: "complex128", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
	19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
	23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
}

func dtypeName(v int32) string {
	if s, ok := extraDTypeNames[v]; ok {
		return fmt.Sprintf("%s (%d)", s, v)
	}
	return fmt.Sprintf("%v (%d)", tensor.DType(v), v)
}

// tensorProto is a TensorProto's fields as found on the wire, before the
// data is interpreted (data_type may come after the data).
type tensorProto struct {
	name     string
	dims     []int64
	dtype    int32
	segment  bool
	raw      []byte
	rawOff   int // offset of raw within the message
	hasRaw   bool
	floats   []float32
	int32s   []int32
	strs     []string
	int64s   []int64
	doubles  []float64
	uint64s  []uint64
	location int32
	external [][2]string
}

const tensorWhat = "TensorProto"

func parseTensorProto(msg []byte) (*tensorProto, error) {
	tp := &tensorProto{}
	err := eachField(msg, tensorWhat, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			tp.dims, err = appendVarints(tp.dims, f, tensorWhat, "dims", asInt64)
		case 2:
			tp.dtype, err = f.int32(tensorWhat, "data_type")
		case 3:
			if _, err = f.msg(tensorWhat, "segment"); err == nil {
				tp.segment = true
			}
		case 4:
			tp.floats, err = appendFixed32s(tp.floats, f, tensorWhat, "float_data", asFloat32)
		case 5:
			tp.int32s, err = appendVarints(tp.int32s, f, tensorWhat, "int32_data", asInt32)
		case 6:
			var s string
			s, err = f.str(tensorWhat, "string_data")
			tp.strs = append(tp.strs, s)
		case 7:
			tp.int64s, err = appendVarints(tp.int64s, f, tensorWhat, "int64_data", asInt64)
		case 8:
			tp.name, err = f.str(tensorWhat, "name")
		case 9:
			tp.raw, err = f.msg(tensorWhat, "raw_data")
			tp.rawOff, tp.hasRaw = f.off, true
		case 10:
			tp.doubles, err = appendFixed64s(tp.doubles, f, tensorWhat, "double_data", asFloat64)
		case 11:
			tp.uint64s, err = appendVarints(tp.uint64s, f, tensorWhat, "uint64_data", asUint64)
		case 13:
			var m []byte
			if m, err = f.msg(tensorWhat, "external_data"); err == nil {
				var kv [2]string
				kv, err = parseStringPair(m)
				tp.external = append(tp.external, kv)
			}
		case 14:
			tp.location, err = f.int32(tensorWhat, "data_location")
		}
		return err
	})
	return tp, err
}

// parseStringPair decodes a StringStringEntryProto {key = 1, value = 2}.
func parseStringPair(msg []byte) (kv [2]string, err error) {
	const what = "StringStringEntryProto"
	err = eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			kv[0], err = f.str(what, "key")
		case 2:
			kv[1], err = f.str(what, "value")
		}
		return err
	})
	return kv, err
}

// tensor decodes a TensorProto message. msg must be the whole message as it
// sits in the decoder's buffer (the zero-copy path writes into it).
func (d *decoder) tensor(msg []byte) (*tensor.Tensor, string, error) {
	tp, err := parseTensorProto(msg)
	if err != nil {
		return nil, "", err
	}
	t, err := d.buildTensor(tp, msg)
	if err != nil {
		return nil, tp.name, fmt.Errorf("tensor %q: %w", tp.name, err)
	}
	return t, tp.name, nil
}

func (d *decoder) buildTensor(tp *tensorProto, msg []byte) (*tensor.Tensor, error) {
	if tp.segment {
		return nil, fmt.Errorf("segmented tensors (TensorProto.segment) are not supported")
	}
	dt := tensor.DType(tp.dtype)
	if dt == tensor.Undefined {
		return nil, fmt.Errorf("data_type is missing or UNDEFINED")
	}
	if !dt.Supported() {
		return nil, fmt.Errorf("data type %s is not supported by this engine", dtypeName(tp.dtype))
	}
	shape, n, err := shapeOf(tp.dims)
	if err != nil {
		return nil, err
	}

	// Which fields carry data?
	var typed []string
	for _, c := range []struct {
		name string
		n    int
	}{
		{"float_data", len(tp.floats)}, {"int32_data", len(tp.int32s)},
		{"string_data", len(tp.strs)}, {"int64_data", len(tp.int64s)},
		{"double_data", len(tp.doubles)}, {"uint64_data", len(tp.uint64s)},
	} {
		if c.n > 0 {
			typed = append(typed, c.name)
		}
	}
	if len(typed) > 1 || (len(typed) == 1 && tp.hasRaw && len(tp.raw) > 0) {
		if tp.hasRaw && len(tp.raw) > 0 {
			typed = append([]string{"raw_data"}, typed...)
		}
		return nil, fmt.Errorf("data is given in more than one field (%s); a tensor uses exactly one", strings.Join(typed, ", "))
	}

	var data any
	switch {
	case tp.location == locationExternal:
		if len(typed) > 0 || (tp.hasRaw && len(tp.raw) > 0) {
			return nil, fmt.Errorf("data_location is EXTERNAL but the tensor also has inline data")
		}
		data, err = d.external(tp, dt, n)
	case tp.location != locationDefault:
		return nil, fmt.Errorf("unknown data_location %d (want 0 = DEFAULT or 1 = EXTERNAL)", tp.location)
	case len(typed) == 1:
		data, err = typedData(tp, dt, n, typed[0])
	case tp.hasRaw:
		data, err = d.rawData(dt, msg, tp.rawOff, tp.raw, n)
	case n == 0:
		data = tensor.MakeSlice(dt, 0)
	default:
		return nil, fmt.Errorf("shape %v declares %d elements but the tensor carries no data", shape, n)
	}
	if err != nil {
		return nil, err
	}
	return tensor.FromAny(shape, data)
}

// shapeOf converts declared dims, rejecting negative and huge ones.
func shapeOf(dims []int64) ([]int, int, error) {
	shape := make([]int, len(dims))
	for i, v := range dims {
		if v < 0 {
			return nil, 0, fmt.Errorf("dims %v: negative dimension %d", dims, v)
		}
		if uint64(v) > uint64(math.MaxInt) || v > tensor.MaxElements {
			return nil, 0, fmt.Errorf("dims %v: dimension %d is too large", dims, v)
		}
		shape[i] = int(v)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, 0, fmt.Errorf("dims %v: %w", dims, err)
	}
	return shape, n, nil
}

// typedData converts the typed repeated field that carries the data.
func typedData(tp *tensorProto, dt tensor.DType, n int, fieldName string) (any, error) {
	want := ""
	count := 0
	switch dt {
	case tensor.Float32:
		want, count = "float_data", len(tp.floats)
	case tensor.Int32, tensor.Int16, tensor.Int8, tensor.Uint16, tensor.Uint8, tensor.Bool, tensor.Float16, tensor.BFloat16:
		want, count = "int32_data", len(tp.int32s)
	case tensor.String:
		want, count = "string_data", len(tp.strs)
	case tensor.Int64:
		want, count = "int64_data", len(tp.int64s)
	case tensor.Float64:
		want, count = "double_data", len(tp.doubles)
	case tensor.Uint32, tensor.Uint64:
		want, count = "uint64_data", len(tp.uint64s)
	}
	if fieldName != want {
		return nil, fmt.Errorf("a %v tensor keeps its values in %s (or raw_data), but this one uses %s", dt, want, fieldName)
	}
	if count != n {
		return nil, fmt.Errorf("shape %v needs %d elements but %s holds %d", tp.dims, n, fieldName, count)
	}
	switch dt {
	case tensor.Float32:
		return tp.floats, nil
	case tensor.Int32:
		return tp.int32s, nil
	case tensor.Int16:
		return convertInts[int32, int16](tp.int32s), nil
	case tensor.Int8:
		return convertInts[int32, int8](tp.int32s), nil
	case tensor.Uint16:
		return convertInts[int32, uint16](tp.int32s), nil
	case tensor.Uint8:
		return convertInts[int32, uint8](tp.int32s), nil
	case tensor.Float16:
		return convertInts[int32, tensor.F16](tp.int32s), nil
	case tensor.BFloat16:
		return convertInts[int32, tensor.BF16](tp.int32s), nil
	case tensor.Bool:
		out := make([]bool, len(tp.int32s))
		for i, v := range tp.int32s {
			out[i] = v != 0
		}
		return out, nil
	case tensor.String:
		return tp.strs, nil
	case tensor.Int64:
		return tp.int64s, nil
	case tensor.Float64:
		return tp.doubles, nil
	case tensor.Uint32:
		return convertInts[uint64, uint32](tp.uint64s), nil
	case tensor.Uint64:
		return tp.uint64s, nil
	}
	return nil, fmt.Errorf("data type %v has no typed data field", dt)
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// convertInts narrows integers the way the ONNX helpers do (keeping the low
// bits; float16/bfloat16 bit patterns are stored in int32_data's low 16 bits).
func convertInts[S, D integer](s []S) []D {
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = D(v)
	}
	return out
}

// rawElem is the set of element types that raw_data holds as little-endian
// fixed-size values.
type rawElem interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint8 | ~uint16 | ~uint32 | ~uint64
}

// rawData interprets a raw_data payload. msg is the TensorProto message and
// raw == msg[off:off+len(raw)].
func (d *decoder) rawData(dt tensor.DType, msg []byte, off int, raw []byte, n int) (any, error) {
	switch dt {
	case tensor.Float32:
		return rawTo[float32](d, dt, msg, off, raw, n)
	case tensor.Float64:
		return rawTo[float64](d, dt, msg, off, raw, n)
	case tensor.Float16:
		return rawTo[tensor.F16](d, dt, msg, off, raw, n)
	case tensor.BFloat16:
		return rawTo[tensor.BF16](d, dt, msg, off, raw, n)
	case tensor.Int8:
		return rawTo[int8](d, dt, msg, off, raw, n)
	case tensor.Int16:
		return rawTo[int16](d, dt, msg, off, raw, n)
	case tensor.Int32:
		return rawTo[int32](d, dt, msg, off, raw, n)
	case tensor.Int64:
		return rawTo[int64](d, dt, msg, off, raw, n)
	case tensor.Uint8:
		return rawTo[uint8](d, dt, msg, off, raw, n)
	case tensor.Uint16:
		return rawTo[uint16](d, dt, msg, off, raw, n)
	case tensor.Uint32:
		return rawTo[uint32](d, dt, msg, off, raw, n)
	case tensor.Uint64:
		return rawTo[uint64](d, dt, msg, off, raw, n)
	case tensor.Bool:
		if len(raw) != n {
			return nil, rawSizeErr(dt, n, len(raw))
		}
		out := make([]bool, n)
		for i, b := range raw {
			out[i] = b != 0
		}
		return out, nil
	case tensor.String:
		return nil, fmt.Errorf("string tensors keep their values in string_data, not raw_data")
	}
	return nil, fmt.Errorf("data type %v cannot be read from raw_data", dt)
}

func rawSizeErr(dt tensor.DType, n, have int) error {
	return fmt.Errorf("%d %v elements need %d bytes of raw_data, have %d", n, dt, n*dt.Size(), have)
}

// rawTo turns a raw_data payload into a []T.
//
// Zero-copy: when the decoder owns the buffer (Options.OwnBuffer), the host
// is little-endian and the payload is large, the payload bytes already are
// the typed array; we reinterpret them in place with unsafe.Slice instead of
// copying, so weights are not held twice. A typed slice must be aligned to
// its element size (Go assumes typed values are aligned: checkptr, enabled
// by -race, rejects misaligned pointer conversions, some CPUs fault on
// misaligned loads, and vectorised kernels run slower on them), but
// protobuf gives no alignment. So we first memmove the payload backwards by
// addr%size bytes
// (at most 7) to an aligned address. The bytes overwritten are the start of
// the same TensorProto message, just before the payload: at least the
// raw_data field's own tag and length varint, and usually the dims,
// data_type and name fields. All of them were parsed (and copied out:
// strings are copied) before the payload is converted, and nobody reads
// them again, so clobbering them is harmless. When fewer bytes precede the
// payload inside the message than the shift needs, we copy instead. (Only
// bytes of this message are touched: never the enclosing messages, which
// may still be being parsed.)
func rawTo[T rawElem](d *decoder, dt tensor.DType, msg []byte, off int, raw []byte, n int) ([]T, error) {
	var z T
	size := int(unsafe.Sizeof(z))
	if len(raw)%size != 0 || len(raw)/size != n {
		return nil, rawSizeErr(dt, n, len(raw))
	}
	if n == 0 {
		return []T{}, nil
	}
	if !hostLittleEndian {
		out := make([]T, n)
		fromLittleEndian(asBytes(out), raw, size)
		return out, nil
	}
	if d.opts.OwnBuffer && len(raw) >= zeroCopyMin && off >= 0 && off+len(raw) <= len(msg) {
		shift := int(uintptr(unsafe.Pointer(unsafe.SliceData(raw))) % uintptr(size))
		if shift <= off {
			start := off - shift
			dst := msg[start : start+len(raw)]
			if shift > 0 {
				copy(dst, raw) // memmove: the ranges overlap
			}
			return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(dst))), n), nil
		}
	}
	out := make([]T, n)
	copy(asBytes(out), raw)
	return out, nil
}

// asBytes views a numeric slice as its bytes (host byte order).
func asBytes[T rawElem](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

// bytesOf views a numeric backing slice as bytes; nil for bool, string and
// unknown types.
func bytesOf(data any) []byte {
	switch s := data.(type) {
	case []float32:
		return asBytes(s)
	case []float64:
		return asBytes(s)
	case []tensor.F16:
		return asBytes(s)
	case []tensor.BF16:
		return asBytes(s)
	case []int8:
		return asBytes(s)
	case []int16:
		return asBytes(s)
	case []int32:
		return asBytes(s)
	case []int64:
		return asBytes(s)
	case []uint8:
		return asBytes(s)
	case []uint16:
		return asBytes(s)
	case []uint32:
		return asBytes(s)
	case []uint64:
		return asBytes(s)
	}
	return nil
}

// fromLittleEndian fills dst (host order) from little-endian src; both hold
// elements of size bytes. The portable path for big-endian hosts.
func fromLittleEndian(dst, src []byte, size int) {
	switch size {
	case 1:
		copy(dst, src)
	case 2:
		for i := 0; i+2 <= len(src); i += 2 {
			binary.NativeEndian.PutUint16(dst[i:], binary.LittleEndian.Uint16(src[i:]))
		}
	case 4:
		for i := 0; i+4 <= len(src); i += 4 {
			binary.NativeEndian.PutUint32(dst[i:], binary.LittleEndian.Uint32(src[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(src); i += 8 {
			binary.NativeEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:]))
		}
	}
}

// toLittleEndian is the inverse of fromLittleEndian.
func toLittleEndian(dst, src []byte, size int) {
	switch size {
	case 1:
		copy(dst, src)
	case 2:
		for i := 0; i+2 <= len(src); i += 2 {
			binary.LittleEndian.PutUint16(dst[i:], binary.NativeEndian.Uint16(src[i:]))
		}
	case 4:
		for i := 0; i+4 <= len(src); i += 4 {
			binary.LittleEndian.PutUint32(dst[i:], binary.NativeEndian.Uint32(src[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(src); i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], binary.NativeEndian.Uint64(src[i:]))
		}
	}
}

// external reads a tensor's data from a file next to the model.
func (d *decoder) external(tp *tensorProto, dt tensor.DType, n int) (any, error) {
	var loc string
	var offset, length int64 = 0, -1
	for _, kv := range tp.external {
		var err error
		switch kv[0] {
		case "location":
			loc = kv[1]
		case "offset":
			offset, err = strconv.ParseInt(kv[1], 10, 64)
			if err == nil && offset < 0 {
				err = fmt.Errorf("negative")
			}
		case "length":
			length, err = strconv.ParseInt(kv[1], 10, 64)
			if err == nil && length < 0 {
				err = fmt.Errorf("negative")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("external_data %s = %q is not a valid byte count: %v", kv[0], kv[1], err)
		}
	}
	if d.opts.Dir == "" {
		return nil, fmt.Errorf("data is stored in external file %q, which needs the model's folder: load the model from its file path", loc)
	}
	if dt == tensor.String {
		return nil, fmt.Errorf("string tensors cannot use external data")
	}
	path, err := externalPath(d.opts.Dir, loc)
	if err != nil {
		return nil, err
	}
	size := int64(dt.Size())
	need := int64(n) * size
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	fsize := st.Size()
	if offset > fsize {
		return nil, fmt.Errorf("external data offset %d is beyond the end of %q (%d bytes)", offset, loc, fsize)
	}
	if length < 0 {
		length = fsize - offset
	}
	if length != need {
		return nil, fmt.Errorf("shape %v of %v needs %d bytes but external data %q gives length %d", tp.dims, dt, need, loc, length)
	}
	if offset+length > fsize {
		return nil, fmt.Errorf("external data %q holds %d bytes after offset %d, need %d", loc, fsize-offset, offset, length)
	}
	data := tensor.MakeSlice(dt, n)
	if dt == tensor.Bool {
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, offset); err != nil && err != io.EOF {
			return nil, fmt.Errorf("external data %q: %w", loc, err)
		}
		bs := data.([]bool)
		for i, b := range buf {
			bs[i] = b != 0
		}
		return data, nil
	}
	dst := bytesOf(data)
	src := dst
	if !hostLittleEndian {
		src = make([]byte, len(dst))
	}
	if nr, err := f.ReadAt(src, offset); nr != len(src) {
		return nil, fmt.Errorf("external data %q: short read (%d of %d bytes): %v", loc, nr, len(src), err)
	}
	if !hostLittleEndian {
		fromLittleEndian(dst, src, int(size))
	}
	return data, nil
}

// externalPath resolves an external data location relative to dir. It
// rejects absolute paths and any ".." component, so a model cannot make the
// engine read files outside its folder.
func externalPath(dir, loc string) (string, error) {
	if loc == "" {
		return "", fmt.Errorf("external data has no location")
	}
	bad := func(why string) error {
		return fmt.Errorf("external data location %q %s; it must be a relative path inside the model's folder", loc, why)
	}
	if strings.ContainsRune(loc, 0) {
		return "", bad("contains a NUL byte")
	}
	if strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`) || filepath.IsAbs(loc) ||
		filepath.VolumeName(loc) != "" || (len(loc) >= 2 && loc[1] == ':') {
		return "", bad("is absolute")
	}
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "", bad(`contains ".."`)
		}
	}
	p := filepath.FromSlash(loc)
	if !filepath.IsLocal(p) {
		return "", bad("is not local")
	}
	return filepath.Join(dir, p), nil
}

// sparseTensor decodes a SparseTensorProto and densifies it. The name is the
// values tensor's name, as the spec says.
func (d *decoder) sparseTensor(msg []byte) (*tensor.Tensor, string, error) {
	const what = "SparseTensorProto"
	var values, indices *tensor.Tensor
	var name string
	var dims []int64
	err := eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			var m []byte
			if m, err = f.msg(what, "values"); err == nil {
				values, name, err = d.tensor(m)
			}
		case 2:
			var m []byte
			if m, err = f.msg(what, "indices"); err == nil {
				indices, _, err = d.tensor(m)
			}
		case 3:
			dims, err = appendVarints(dims, f, what, "dims", asInt64)
		}
		return err
	})
	if err != nil {
		return nil, name, err
	}
	t, err := d.densify(values, indices, dims)
	if err != nil {
		return nil, name, fmt.Errorf("sparse tensor %q: %w", name, err)
	}
	return t, name, nil
}

// maxDenseElements bounds the dense size of a sparse tensor: a few bytes of
// file can declare an enormous sparse shape, so the dense form may be at most
// 4M elements or 64 elements per byte of the model, whichever is larger.
func (d *decoder) maxDenseElements() int {
	limit := int64(1 << 22)
	if l := 64 * int64(d.bufLen); l > limit {
		limit = l
	}
	if limit > tensor.MaxElements {
		limit = tensor.MaxElements
	}
	if limit > math.MaxInt {
		limit = math.MaxInt
	}
	return int(limit)
}

func (d *decoder) densify(values, indices *tensor.Tensor, dims []int64) (*tensor.Tensor, error) {
	if values == nil {
		return nil, fmt.Errorf("values are missing")
	}
	if indices == nil {
		return nil, fmt.Errorf("indices are missing")
	}
	shape, total, err := shapeOf(dims)
	if err != nil {
		return nil, err
	}
	if total > d.maxDenseElements() {
		return nil, fmt.Errorf("dense shape %v has %d elements, more than the %d allowed for a sparse tensor in this model", shape, total, d.maxDenseElements())
	}
	if values.Rank() != 1 {
		return nil, fmt.Errorf("values must be 1-D [NNZ], got shape %v", values.Shape())
	}
	nnz := values.Len()
	if !indices.DType().IsInteger() {
		return nil, fmt.Errorf("indices must be int64, got %v", indices.DType())
	}
	idx := indices.Int64s()
	flat := make([]int, nnz)
	switch {
	case indices.Rank() == 1 && indices.Shape()[0] == nnz:
		for k, v := range idx {
			if v < 0 || v >= int64(total) {
				return nil, fmt.Errorf("index %d = %d is out of range for %d elements", k, v, total)
			}
			flat[k] = int(v)
		}
	case indices.Rank() == 2 && indices.Shape()[0] == nnz && indices.Shape()[1] == len(shape):
		strides := tensor.Strides(shape)
		r := len(shape)
		for k := 0; k < nnz; k++ {
			p := 0
			for j := 0; j < r; j++ {
				v := idx[k*r+j]
				if v < 0 || v >= int64(shape[j]) {
					return nil, fmt.Errorf("index %d has coordinate %d = %d, out of range for shape %v", k, j, v, shape)
				}
				p += int(v) * strides[j]
			}
			flat[k] = p
		}
	default:
		return nil, fmt.Errorf("indices shape %v does not fit %d values in shape %v (want [%d] or [%d,%d])",
			indices.Shape(), nnz, shape, nnz, nnz, len(shape))
	}
	dense := tensor.MakeSlice(values.DType(), total)
	if dense == nil {
		return nil, fmt.Errorf("cannot hold %v values", values.DType())
	}
	if err := scatter(dense, values.Data(), flat); err != nil {
		return nil, err
	}
	return tensor.FromAny(shape, dense)
}

func scatterT[T any](dst, src []T, idx []int) {
	for k, p := range idx {
		dst[p] = src[k]
	}
}

func scatter(dst, src any, idx []int) error {
	switch d := dst.(type) {
	case []float32:
		scatterT(d, src.([]float32), idx)
	case []float64:
		scatterT(d, src.([]float64), idx)
	case []tensor.F16:
		scatterT(d, src.([]tensor.F16), idx)
	case []tensor.BF16:
		scatterT(d, src.([]tensor.BF16), idx)
	case []int8:
		scatterT(d, src.([]int8), idx)
	case []int16:
		scatterT(d, src.([]int16), idx)
	case []int32:
		scatterT(d, src.([]int32), idx)
	case []int64:
		scatterT(d, src.([]int64), idx)
	case []uint8:
		scatterT(d, src.([]uint8), idx)
	case []uint16:
		scatterT(d, src.([]uint16), idx)
	case []uint32:
		scatterT(d, src.([]uint32), idx)
	case []uint64:
		scatterT(d, src.([]uint64), idx)
	case []bool:
		scatterT(d, src.([]bool), idx)
	case []string:
		scatterT(d, src.([]string), idx)
	default:
		return fmt.Errorf("cannot densify %T", dst)
	}
	return nil
}
