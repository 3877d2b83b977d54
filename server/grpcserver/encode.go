package grpcserver

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// encodeOutput describes an output and encodes its elements raw
// (little-endian, BYTES as 4-byte length + bytes). Every output goes raw, as
// Triton answers: the typed fields would cost a copy per element and cannot
// carry FP16/BF16 at all. Errors here are the service's bugs, so they are
// Internal.
func encodeOutput(out infer.Tensor) (*pb.ModelInferResponse_InferOutputTensor, []byte, error) {
	t := out.Tensor
	if t == nil {
		return nil, nil, fmt.Errorf("output %q has no tensor", out.Name)
	}
	dt := infer.Datatype(t.DType())
	if dt == "" {
		return nil, nil, fmt.Errorf("output %q has dtype %v, which the protocol cannot carry", out.Name, t.DType())
	}
	n, err := tensor.NumElements(t.Shape())
	if err != nil || n != t.Len() {
		return nil, nil, fmt.Errorf("output %q: shape %v does not match its %d elements", out.Name, t.Shape(), t.Len())
	}
	raw, err := encodeRaw(t)
	if err != nil {
		return nil, nil, fmt.Errorf("output %q: %w", out.Name, err)
	}
	shape := make([]int64, len(t.Shape()))
	for i, d := range t.Shape() {
		shape[i] = int64(d)
	}
	return &pb.ModelInferResponse_InferOutputTensor{
		Name:       out.Name,
		Datatype:   dt,
		Shape:      shape,
		Parameters: paramsToPB(out.Parameters),
	}, raw, nil
}

func encodeRaw(t *tensor.Tensor) ([]byte, error) {
	le := binary.LittleEndian
	switch d := t.Data().(type) {
	case []bool:
		b := make([]byte, len(d))
		for i, v := range d {
			if v {
				b[i] = 1
			}
		}
		return b, nil
	case []uint8:
		return append([]byte(nil), d...), nil
	case []int8:
		return toLE(d, 1, func(b []byte, v int8) { b[0] = byte(v) }), nil
	case []int16:
		return toLE(d, 2, func(b []byte, v int16) { le.PutUint16(b, uint16(v)) }), nil
	case []uint16:
		return toLE(d, 2, le.PutUint16), nil
	case []tensor.F16:
		return toLE(d, 2, func(b []byte, v tensor.F16) { le.PutUint16(b, uint16(v)) }), nil
	case []tensor.BF16:
		return toLE(d, 2, func(b []byte, v tensor.BF16) { le.PutUint16(b, uint16(v)) }), nil
	case []int32:
		return toLE(d, 4, func(b []byte, v int32) { le.PutUint32(b, uint32(v)) }), nil
	case []uint32:
		return toLE(d, 4, le.PutUint32), nil
	case []float32:
		return toLE(d, 4, func(b []byte, v float32) { le.PutUint32(b, math.Float32bits(v)) }), nil
	case []int64:
		return toLE(d, 8, func(b []byte, v int64) { le.PutUint64(b, uint64(v)) }), nil
	case []uint64:
		return toLE(d, 8, le.PutUint64), nil
	case []float64:
		return toLE(d, 8, func(b []byte, v float64) { le.PutUint64(b, math.Float64bits(v)) }), nil
	case []string:
		size := 0
		for _, s := range d {
			if uint64(len(s)) > math.MaxUint32 {
				return nil, fmt.Errorf("a BYTES element of %d bytes does not fit a 4-byte length", len(s))
			}
			size += 4 + len(s)
		}
		b := make([]byte, 0, size)
		for _, s := range d {
			b = le.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported backing slice %T", t.Data())
}

// toLE encodes fixed-size elements.
func toLE[T any](data []T, size int, put func([]byte, T)) []byte {
	b := make([]byte, len(data)*size)
	for i, v := range data {
		put(b[i*size:i*size+size], v)
	}
	return b
}
