package onnxpb

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// SequenceProto / OptionalProto elem_type values (onnx-data.proto).
const (
	valueUndefined = 0
	valueTensor    = 1
	valueSparse    = 2
	valueSequence  = 3
	valueMap       = 4
	valueOptional  = 5
)

// DecodeTensor decodes a serialized TensorProto (a test-data .pb file). The
// result never aliases buf. External data is refused.
func DecodeTensor(buf []byte) (*tensor.Tensor, string, error) {
	d := &decoder{bufLen: len(buf)}
	t, name, err := d.tensor(buf)
	if err != nil {
		return nil, name, fmt.Errorf("onnxpb: %w", err)
	}
	return t, name, nil
}

// DecodeValue decodes a serialized TensorProto, SequenceProto or
// OptionalProto, chosen by the expected type t (nil means a tensor). A
// sequence gets its ElemType from t when declared, else from its first
// tensor. A SparseTensorProto (t of KindSparseTensor) is densified.
func DecodeValue(buf []byte, t *graph.Type) (tensor.Value, string, error) {
	d := &decoder{bufLen: len(buf)}
	v, name, err := d.value(buf, t)
	if err != nil {
		return nil, name, fmt.Errorf("onnxpb: %w", err)
	}
	return v, name, nil
}

func (d *decoder) value(buf []byte, t *graph.Type) (tensor.Value, string, error) {
	if t == nil {
		t = &graph.Type{Kind: graph.KindTensor}
	}
	switch t.Kind {
	case graph.KindSequence:
		return d.sequence(buf, t.Inner)
	case graph.KindOptional:
		return d.optional(buf, t.Inner)
	case graph.KindSparseTensor:
		return d.sparseTensor(buf)
	case graph.KindMap:
		return nil, "", fmt.Errorf("map values are not supported")
	}
	return d.tensor(buf)
}

// sequence decodes a SequenceProto of tensors; inner is the declared
// element type (may be nil).
func (d *decoder) sequence(buf []byte, inner *graph.Type) (*tensor.Sequence, string, error) {
	const what = "SequenceProto"
	seq := &tensor.Sequence{}
	var name string
	var elemType int32
	err := eachField(buf, what, func(f *field) error {
		var err error
		var b []byte
		switch f.num {
		case 1:
			name, err = f.str(what, "name")
		case 2:
			elemType, err = f.int32(what, "elem_type")
		case 3, 4:
			if b, err = f.msg(what, "tensor_values"); err == nil {
				var t *tensor.Tensor
				if f.num == 3 {
					t, _, err = d.tensor(b)
				} else {
					t, _, err = d.sparseTensor(b)
				}
				if err != nil {
					return fmt.Errorf("element %d: %w", len(seq.Tensors), err)
				}
				seq.Tensors = append(seq.Tensors, t)
			}
		case 5, 6, 7:
			return fmt.Errorf("sequences of sequences, maps or optionals are not supported")
		}
		return err
	})
	if err != nil {
		return nil, name, fmt.Errorf("sequence %q: %w", name, err)
	}
	switch elemType {
	case valueUndefined, valueTensor, valueSparse:
	default:
		return nil, name, fmt.Errorf("sequence %q: elem_type %d is not supported (only tensors)", name, elemType)
	}
	if inner != nil && (inner.Kind == graph.KindTensor || inner.Kind == graph.KindSparseTensor) {
		seq.ElemType = inner.Elem
	}
	for i, t := range seq.Tensors {
		if seq.ElemType == tensor.Undefined {
			seq.ElemType = t.DType()
		}
		if t.DType() != seq.ElemType {
			return nil, name, fmt.Errorf("sequence %q: element %d is %v, want %v", name, i, t.DType(), seq.ElemType)
		}
	}
	return seq, name, nil
}

// optional decodes an OptionalProto; inner is the declared element type.
func (d *decoder) optional(buf []byte, inner *graph.Type) (*tensor.Optional, string, error) {
	const what = "OptionalProto"
	opt := &tensor.Optional{}
	var name string
	var elemType int32
	var seqInner *graph.Type
	if inner != nil && inner.Kind == graph.KindSequence {
		seqInner = inner.Inner
	}
	err := eachField(buf, what, func(f *field) error {
		var err error
		var b []byte
		switch f.num {
		case 1:
			name, err = f.str(what, "name")
		case 2:
			elemType, err = f.int32(what, "elem_type")
		case 3:
			if b, err = f.msg(what, "tensor_value"); err == nil {
				opt.Value, _, err = d.tensor(b)
			}
		case 4:
			if b, err = f.msg(what, "sparse_tensor_value"); err == nil {
				opt.Value, _, err = d.sparseTensor(b)
			}
		case 5:
			if b, err = f.msg(what, "sequence_value"); err == nil {
				opt.Value, _, err = d.sequence(b, seqInner)
			}
		case 6, 7:
			return fmt.Errorf("optionals of maps or optionals are not supported")
		}
		return err
	})
	if err != nil {
		return nil, name, fmt.Errorf("optional %q: %w", name, err)
	}
	switch elemType {
	case valueUndefined, valueTensor, valueSparse, valueSequence:
	default:
		return nil, name, fmt.Errorf("optional %q: elem_type %d is not supported", name, elemType)
	}
	return opt, name, nil
}

// EncodeTensor serializes t as a TensorProto: dims, data_type, name and
// raw_data (little-endian; bool as one byte per element), or string_data for
// strings. A nil t gives a TensorProto with only the name.
func EncodeTensor(name string, t *tensor.Tensor) []byte {
	return appendTensor(make([]byte, 0, tensorSize(name, t)), name, t)
}

// EncodeValue serializes a tensor as a TensorProto, a sequence as a
// SequenceProto and an optional as an OptionalProto. A nil value is written
// as an empty OptionalProto.
func EncodeValue(name string, v tensor.Value) []byte {
	switch v := v.(type) {
	case *tensor.Tensor:
		if v != nil {
			return EncodeTensor(name, v)
		}
	case *tensor.Sequence:
		if v != nil {
			return appendSequence(nil, name, v)
		}
	case *tensor.Optional:
		if v != nil {
			return appendOptional(nil, name, v)
		}
	}
	return appendOptional(nil, name, &tensor.Optional{})
}

func appendSequence(b []byte, name string, s *tensor.Sequence) []byte {
	if name != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, valueTensor)
	for _, t := range s.Tensors {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(tensorSize("", t)))
		b = appendTensor(b, "", t)
	}
	return b
}

func appendOptional(b []byte, name string, o *tensor.Optional) []byte {
	if name != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	switch v := o.Value.(type) {
	case *tensor.Tensor:
		if v == nil {
			return protowire.AppendVarint(b, valueUndefined)
		}
		b = protowire.AppendVarint(b, valueTensor)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(tensorSize("", v)))
		return appendTensor(b, "", v)
	case *tensor.Sequence:
		if v == nil {
			return protowire.AppendVarint(b, valueUndefined)
		}
		b = protowire.AppendVarint(b, valueSequence)
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		return protowire.AppendBytes(b, appendSequence(nil, "", v))
	case *tensor.Optional:
		if v == nil {
			return protowire.AppendVarint(b, valueUndefined)
		}
		b = protowire.AppendVarint(b, valueOptional)
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		return protowire.AppendBytes(b, appendOptional(nil, "", v))
	}
	return protowire.AppendVarint(b, valueUndefined)
}

// tensorSize is the encoded size of appendTensor's output.
func tensorSize(name string, t *tensor.Tensor) int {
	n := 0
	if name != "" {
		n += 1 + protowire.SizeBytes(len(name))
	}
	if t == nil {
		return n
	}
	for _, d := range t.Shape() {
		n += 1 + protowire.SizeVarint(uint64(d))
	}
	n += 1 + protowire.SizeVarint(uint64(t.DType()))
	if s, ok := t.Data().([]string); ok {
		for _, v := range s {
			n += 1 + protowire.SizeBytes(len(v))
		}
		return n
	}
	return n + 1 + protowire.SizeBytes(rawSize(t))
}

func rawSize(t *tensor.Tensor) int {
	if _, ok := t.Data().([]bool); ok {
		return t.Len()
	}
	return len(bytesOf(t.Data()))
}

// appendTensor appends t's TensorProto fields in field-number order (dims,
// data_type, name, raw_data), as the ONNX tools write them.
func appendTensor(b []byte, name string, t *tensor.Tensor) []byte {
	if t == nil {
		if name != "" {
			b = protowire.AppendTag(b, 8, protowire.BytesType)
			b = protowire.AppendString(b, name)
		}
		return b
	}
	for _, d := range t.Shape() {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DType()))
	if name != "" {
		b = protowire.AppendTag(b, 8, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	switch data := t.Data().(type) {
	case []string:
		for _, s := range data {
			b = protowire.AppendTag(b, 6, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
		return b
	case []bool:
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(len(data)))
		for _, v := range data {
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
		return b
	}
	raw := bytesOf(t.Data())
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(len(raw)))
	if hostLittleEndian {
		return append(b, raw...)
	}
	start := len(b)
	b = append(b, make([]byte, len(raw))...)
	toLittleEndian(b[start:], raw, t.DType().Size())
	return b
}
