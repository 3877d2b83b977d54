package rest

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gonyx/gonyx/engine/tensor"
)

// appender appends element i of a tensor as JSON.
type appender func(buf []byte, i int) []byte

// elemAppender picks t's appender once, so the per-element work is one
// indirect call and a strconv append: no interface values, no reflection.
func elemAppender(t *tensor.Tensor) (appender, error) {
	switch d := t.Data().(type) {
	case []float32:
		return func(b []byte, i int) []byte { return appendFloat(b, float64(d[i]), 32) }, nil
	case []float64:
		return func(b []byte, i int) []byte { return appendFloat(b, d[i], 64) }, nil
	case []tensor.F16:
		return func(b []byte, i int) []byte { return appendFloat(b, float64(d[i].Float32()), 32) }, nil
	case []tensor.BF16:
		return func(b []byte, i int) []byte { return appendFloat(b, float64(d[i].Float32()), 32) }, nil
	case []int8:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(d[i]), 10) }, nil
	case []int16:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(d[i]), 10) }, nil
	case []int32:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(d[i]), 10) }, nil
	case []int64:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, d[i], 10) }, nil
	case []uint8:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(d[i]), 10) }, nil
	case []uint16:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(d[i]), 10) }, nil
	case []uint32:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(d[i]), 10) }, nil
	case []uint64:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, d[i], 10) }, nil
	case []bool:
		return func(b []byte, i int) []byte { return strconv.AppendBool(b, d[i]) }, nil
	case []string:
		return func(b []byte, i int) []byte { return appendString(b, d[i]) }, nil
	}
	return nil, fmt.Errorf("no JSON encoding for tensor data %T", t.Data())
}

// appendFloat writes the shortest text that reads back as the same value
// at the given precision. JSON has no NaN or infinity: they become null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendFlat appends t's elements as one flat JSON array (KServe's form).
func appendFlat(b []byte, t *tensor.Tensor) ([]byte, error) {
	app, err := elemAppender(t)
	if err != nil {
		return nil, err
	}
	b = append(b, '[')
	for i, n := 0, t.Len(); i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = app(b, i)
	}
	return append(b, ']'), nil
}

// appendShaped appends t's elements as JSON arrays nested to shape, which
// must have as many elements as t (a rank-0 shape gives a bare value).
func appendShaped(b []byte, t *tensor.Tensor, shape []int) ([]byte, error) {
	if n, err := tensor.NumElements(shape); err != nil || n != t.Len() {
		return nil, fmt.Errorf("shape %v does not fit the %d elements of the tensor", shape, t.Len())
	}
	app, err := elemAppender(t)
	if err != nil {
		return nil, err
	}
	b, _ = appendNested(b, app, shape, 0)
	return b, nil
}

func appendNested(b []byte, app appender, shape []int, next int) ([]byte, int) {
	if len(shape) == 0 {
		return app(b, next), next + 1
	}
	b = append(b, '[')
	for i := 0; i < shape[0]; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b, next = appendNested(b, app, shape[1:], next)
	}
	return append(b, ']'), next
}

// appendString writes s as a JSON string. Bytes that are not UTF-8 cannot
// travel in JSON and become U+FFFD; binary output keeps them exactly.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
