package rest

import (
	"errors"
	"math"
	"strconv"

	"github.com/gonyx/gonyx/engine/tensor"
)

// sink receives a tensor's JSON elements in row-major order and stores
// them in a typed slice, so no element ever becomes an interface value.
// Its methods return errors without context; the parser adds the element
// index and the caller the tensor name.
type sink interface {
	number(lit []byte) error
	boolean(v bool) error
	text(s string) error
	len() int
	tensor(shape []int) (*tensor.Tensor, error)
}

// newSink makes a sink for dt with room for capacity elements.
func newSink(dt tensor.DType, capacity int) sink {
	switch dt {
	case tensor.Float32:
		return &numSink[float32]{data: make([]float32, 0, capacity), conv: parseFloat32}
	case tensor.Float64:
		return &numSink[float64]{data: make([]float64, 0, capacity), conv: parseFloat64}
	case tensor.Float16:
		return &numSink[tensor.F16]{data: make([]tensor.F16, 0, capacity), conv: parseF16}
	case tensor.BFloat16:
		return &numSink[tensor.BF16]{data: make([]tensor.BF16, 0, capacity), conv: parseBF16}
	case tensor.Int8:
		return &numSink[int8]{data: make([]int8, 0, capacity), conv: parseSigned[int8](8)}
	case tensor.Int16:
		return &numSink[int16]{data: make([]int16, 0, capacity), conv: parseSigned[int16](16)}
	case tensor.Int32:
		return &numSink[int32]{data: make([]int32, 0, capacity), conv: parseSigned[int32](32)}
	case tensor.Int64:
		return &numSink[int64]{data: make([]int64, 0, capacity), conv: parseSigned[int64](64)}
	case tensor.Uint8:
		return &numSink[uint8]{data: make([]uint8, 0, capacity), conv: parseUnsigned[uint8](8)}
	case tensor.Uint16:
		return &numSink[uint16]{data: make([]uint16, 0, capacity), conv: parseUnsigned[uint16](16)}
	case tensor.Uint32:
		return &numSink[uint32]{data: make([]uint32, 0, capacity), conv: parseUnsigned[uint32](32)}
	case tensor.Uint64:
		return &numSink[uint64]{data: make([]uint64, 0, capacity), conv: parseUnsigned[uint64](64)}
	case tensor.Bool:
		return &boolSink{data: make([]bool, 0, capacity)}
	case tensor.String:
		return &textSink{data: make([]string, 0, capacity)}
	}
	return nil
}

var (
	errWantNumber = errors.New("expected a number")
	errWantBool   = errors.New("expected true or false")
	errWantText   = errors.New("expected a string")
)

type numSink[T tensor.Elem] struct {
	data []T
	conv func(lit []byte) (T, error)
}

func (s *numSink[T]) number(lit []byte) error {
	v, err := s.conv(lit)
	if err != nil {
		return err
	}
	s.data = append(s.data, v)
	return nil
}
func (s *numSink[T]) boolean(bool) error { return gotError(errWantNumber, "true or false") }
func (s *numSink[T]) text(string) error  { return gotError(errWantNumber, "a string") }
func (s *numSink[T]) len() int           { return len(s.data) }
func (s *numSink[T]) tensor(shape []int) (*tensor.Tensor, error) {
	return tensor.FromSlice(shape, s.data)
}

type boolSink struct{ data []bool }

func (s *boolSink) number([]byte) error { return gotError(errWantBool, "a number") }
func (s *boolSink) boolean(v bool) error {
	s.data = append(s.data, v)
	return nil
}
func (s *boolSink) text(string) error { return gotError(errWantBool, "a string") }
func (s *boolSink) len() int          { return len(s.data) }
func (s *boolSink) tensor(shape []int) (*tensor.Tensor, error) {
	return tensor.FromSlice(shape, s.data)
}

type textSink struct{ data []string }

func (s *textSink) number([]byte) error { return gotError(errWantText, "a number") }
func (s *textSink) boolean(bool) error  { return gotError(errWantText, "true or false") }
func (s *textSink) text(v string) error {
	s.data = append(s.data, v)
	return nil
}
func (s *textSink) len() int { return len(s.data) }
func (s *textSink) tensor(shape []int) (*tensor.Tensor, error) {
	return tensor.FromSlice(shape, s.data)
}

func gotError(want error, got string) error {
	return errors.New(want.Error() + ", got " + got)
}

// Number conversions. Each reports the literal it could not use (bounded
// in length) so the client can find it.

func badNumber(lit []byte, why string) error {
	s := string(lit)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return errors.New("value " + s + " " + why)
}

func parseFloat32(lit []byte) (float32, error) {
	v, err := strconv.ParseFloat(string(lit), 32)
	if err != nil {
		return 0, floatError(lit, err, "FP32")
	}
	return float32(v), nil
}

func parseFloat64(lit []byte) (float64, error) {
	v, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return 0, floatError(lit, err, "FP64")
	}
	return v, nil
}

func floatError(lit []byte, err error, name string) error {
	if errors.Is(err, strconv.ErrRange) {
		return badNumber(lit, "is out of range for "+name)
	}
	return badNumber(lit, "is not a valid number")
}

// parseF16 rounds the decimal value once, to nearest even, straight from
// float64 (going through float32 first could round twice).
func parseF16(lit []byte) (tensor.F16, error) {
	v, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return 0, floatError(lit, err, "FP16")
	}
	h := tensor.F16FromFloat64(v)
	if h&0x7fff == 0x7c00 {
		return 0, badNumber(lit, "is out of range for FP16")
	}
	return h, nil
}

func parseBF16(lit []byte) (tensor.BF16, error) {
	v, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return 0, floatError(lit, err, "BF16")
	}
	b := tensor.BF16FromFloat64(v)
	if b&0x7fff == 0x7f80 {
		return 0, badNumber(lit, "is out of range for BF16")
	}
	return b, nil
}

type signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}
type unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// parseSigned accepts integer literals and integral values written with a
// fraction or exponent ("3.0", "1e3"), which some JSON encoders produce.
func parseSigned[T signed](bits int) func([]byte) (T, error) {
	name := "INT" + strconv.Itoa(bits)
	lo, hi := -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1) // [lo, hi)
	return func(lit []byte) (T, error) {
		i, err := strconv.ParseInt(string(lit), 10, bits)
		if err == nil {
			return T(i), nil
		}
		if errors.Is(err, strconv.ErrRange) {
			return 0, badNumber(lit, "is out of range for "+name)
		}
		f, ferr := integral(lit, name)
		if ferr != nil {
			return 0, ferr
		}
		if f < lo || f >= hi {
			return 0, badNumber(lit, "is out of range for "+name)
		}
		return T(f), nil
	}
}

func parseUnsigned[T unsigned](bits int) func([]byte) (T, error) {
	name := "UINT" + strconv.Itoa(bits)
	hi := math.Ldexp(1, bits)
	return func(lit []byte) (T, error) {
		u, err := strconv.ParseUint(string(lit), 10, bits)
		if err == nil {
			return T(u), nil
		}
		if errors.Is(err, strconv.ErrRange) {
			return 0, badNumber(lit, "is out of range for "+name)
		}
		f, ferr := integral(lit, name)
		if ferr != nil {
			return 0, ferr
		}
		if f < 0 || f >= hi {
			return 0, badNumber(lit, "is out of range for "+name)
		}
		return T(f), nil
	}
}

func integral(lit []byte, name string) (float64, error) {
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, badNumber(lit, "is out of range for "+name)
		}
		return 0, badNumber(lit, "is not a valid number")
	}
	if f != math.Trunc(f) {
		return 0, badNumber(lit, "is not an integer, as "+name+" needs")
	}
	return f, nil
}
