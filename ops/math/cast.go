package math

import (
	"fmt"
	gomath "math"
	"strconv"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Cast and CastLike convert between all the engine's dtypes:
//   - float to integer truncates toward zero (through int64, like numpy);
//   - to float16/bfloat16 rounds to nearest even, from any source width;
//   - to bool is "non-zero"; from bool is 0/1;
//   - to string prints like numpy's str(): shortest round-trip digits,
//     positional for 1e-4 <= |x| < 1e16 with at least one decimal
//     ("1.0"), scientific otherwise ("1e-05"), "nan", "inf", "-inf";
//     bools print as "True"/"False";
//   - from string parses decimal numbers and NaN/INF/+INF/-INF/Infinity in
//     any letter case.
// saturate (opset 19) only concerns float8 types, which the engine does
// not hold, so it is read and otherwise ignored.

func init() {
	ops.RegisterVersions("", "Cast", []int{1, 6, 9, 13, 19, 21, 23}, buildCast)
	ops.RegisterVersions("", "CastLike", []int{15, 19, 21, 23}, buildCastLike)
}

// dtypeNames maps TensorProto.DataType names, used by Cast-1's string
// attribute, to dtypes.
var dtypeNames = map[string]tensor.DType{
	"FLOAT": tensor.Float32, "UINT8": tensor.Uint8, "INT8": tensor.Int8,
	"UINT16": tensor.Uint16, "INT16": tensor.Int16, "INT32": tensor.Int32,
	"INT64": tensor.Int64, "STRING": tensor.String, "BOOL": tensor.Bool,
	"FLOAT16": tensor.Float16, "DOUBLE": tensor.Float64, "UINT32": tensor.Uint32,
	"UINT64": tensor.Uint64, "BFLOAT16": tensor.BFloat16,
	"COMPLEX64": tensor.Complex64, "COMPLEX128": tensor.Complex128,
}

func castTarget(n *ops.Node) (tensor.DType, error) {
	if !n.HasAttr("to") {
		return 0, fmt.Errorf("attribute to is required")
	}
	var dt tensor.DType
	if a := n.Attrs["to"]; n.Opset < 6 && a != nil && len(a.S) > 0 {
		s, err := n.AttrString("to", "")
		if err != nil {
			return 0, err
		}
		d, ok := dtypeNames[strings.ToUpper(s)]
		if !ok {
			return 0, fmt.Errorf("attribute to: unknown data type name %q", s)
		}
		dt = d
	} else {
		v, err := n.AttrInt("to", 0)
		if err != nil {
			return 0, err
		}
		dt = tensor.DType(v)
	}
	if !tAll.has(dt) {
		return 0, fmt.Errorf("cannot cast to %v (type %d): supported types are %v", dt, int(dt), tAll)
	}
	return dt, nil
}

func readSaturate(n *ops.Node) error {
	if n.Opset >= 19 {
		_, err := n.AttrInt("saturate", 1)
		return err
	}
	return nil
}

func buildCast(n *ops.Node) (ops.Kernel, error) {
	dt, err := castTarget(n)
	if err != nil {
		return nil, err
	}
	if err := readSaturate(n); err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "input"); err != nil {
			return nil, err
		}
		if x := in[0]; dt == tensor.Float32 && x.DType() == tensor.Int64 {
			// Ids and masks to float (bert's attention mask), run after
			// run: the output comes from the run's buffers.
			y, err := rc.NewFloat32(x.Shape(), false)
			if err != nil {
				return nil, err
			}
			yd := tensor.Data[float32](y)
			for i, v := range tensor.Data[int64](x) {
				yd[i] = float32(v)
			}
			return rc.TensorResults(y), nil
		}
		y, err := cast(in[0], dt)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

func buildCastLike(n *ops.Node) (ops.Kernel, error) {
	if err := readSaturate(n); err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, "input", "target_type"); err != nil {
			return nil, err
		}
		y, err := cast(in[0], in[1].DType())
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

// cast converts x to dt (a new tensor, or a copy when the type is equal).
func cast(x *tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	if !tAll.has(dt) {
		return nil, fmt.Errorf("cannot cast to %v", dt)
	}
	if x.DType() == dt {
		return x.Clone(), nil
	}
	var data any
	var err error
	switch s := x.Data().(type) {
	case []float32:
		data = fromFloats(s, dt, 32)
	case []float64:
		data = fromFloats(s, dt, 64)
	case []tensor.F16:
		data = fromFloats(widenF16(s), dt, 16)
	case []tensor.BF16:
		data = fromFloats(widenBF16(s), dt, 8)
	case []int8:
		data = fromSigned(s, dt)
	case []int16:
		data = fromSigned(s, dt)
	case []int32:
		data = fromSigned(s, dt)
	case []int64:
		data = fromSigned(s, dt)
	case []uint8:
		data = fromUnsigned(s, dt)
	case []uint16:
		data = fromUnsigned(s, dt)
	case []uint32:
		data = fromUnsigned(s, dt)
	case []uint64:
		data = fromUnsigned(s, dt)
	case []bool:
		if dt == tensor.String {
			data = apply1(s, func(b bool) string {
				if b {
					return "True"
				}
				return "False"
			})
		} else {
			data = fromUnsigned(apply1(s, func(b bool) uint8 { return uint8(b2i(b)) }), dt)
		}
	case []string:
		data, err = fromStrings(s, dt)
	default:
		return nil, fmt.Errorf("cannot cast from %v", x.DType())
	}
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("cannot cast %v to %v", x.DType(), dt)
	}
	return tensor.FromAny(x.Shape(), data)
}

// fromFloats converts float values to dt. prec is the source precision
// for string formatting (64, 32, 16 for float16, 8 for bfloat16).
func fromFloats[S float32 | float64](s []S, dt tensor.DType, prec int) any {
	switch dt {
	case tensor.Float32:
		return apply1(s, func(v S) float32 { return float32(v) })
	case tensor.Float64:
		return apply1(s, func(v S) float64 { return float64(v) })
	case tensor.Float16:
		return apply1(s, func(v S) tensor.F16 { return toF16(float64(v)) })
	case tensor.BFloat16:
		return apply1(s, func(v S) tensor.BF16 { return toBF16(float64(v)) })
	case tensor.Int8:
		return apply1(s, func(v S) int8 { return f64ToInt[int8](float64(v)) })
	case tensor.Int16:
		return apply1(s, func(v S) int16 { return f64ToInt[int16](float64(v)) })
	case tensor.Int32:
		return apply1(s, func(v S) int32 { return f64ToInt[int32](float64(v)) })
	case tensor.Int64:
		return apply1(s, func(v S) int64 { return f64ToInt[int64](float64(v)) })
	case tensor.Uint8:
		return apply1(s, func(v S) uint8 { return f64ToInt[uint8](float64(v)) })
	case tensor.Uint16:
		return apply1(s, func(v S) uint16 { return f64ToInt[uint16](float64(v)) })
	case tensor.Uint32:
		return apply1(s, func(v S) uint32 { return f64ToInt[uint32](float64(v)) })
	case tensor.Uint64:
		return apply1(s, func(v S) uint64 { return f64ToInt[uint64](float64(v)) })
	case tensor.Bool:
		return apply1(s, func(v S) bool { return v != 0 })
	case tensor.String:
		return apply1(s, func(v S) string { return formatFloat(float64(v), prec) })
	}
	return nil
}

func fromSigned[S ops.Signed](s []S, dt tensor.DType) any {
	switch dt {
	case tensor.String:
		return apply1(s, func(v S) string { return strconv.FormatInt(int64(v), 10) })
	case tensor.Float32:
		return apply1(s, func(v S) float32 { return float32(v) })
	case tensor.Float16, tensor.BFloat16, tensor.Float64:
		return fromFloats(apply1(s, func(v S) float64 { return float64(v) }), dt, 64)
	}
	return intTo(s, dt)
}

func fromUnsigned[S ops.Unsigned](s []S, dt tensor.DType) any {
	switch dt {
	case tensor.String:
		return apply1(s, func(v S) string { return strconv.FormatUint(uint64(v), 10) })
	case tensor.Float32:
		return apply1(s, func(v S) float32 { return float32(v) })
	case tensor.Float16, tensor.BFloat16, tensor.Float64:
		return fromFloats(apply1(s, func(v S) float64 { return float64(v) }), dt, 64)
	}
	return intTo(s, dt)
}

// intTo converts integers to integer types (wrapping) or bool.
func intTo[S ops.Integer](s []S, dt tensor.DType) any {
	switch dt {
	case tensor.Int8:
		return apply1(s, func(v S) int8 { return int8(v) })
	case tensor.Int16:
		return apply1(s, func(v S) int16 { return int16(v) })
	case tensor.Int32:
		return apply1(s, func(v S) int32 { return int32(v) })
	case tensor.Int64:
		return apply1(s, func(v S) int64 { return int64(v) })
	case tensor.Uint8:
		return apply1(s, func(v S) uint8 { return uint8(v) })
	case tensor.Uint16:
		return apply1(s, func(v S) uint16 { return uint16(v) })
	case tensor.Uint32:
		return apply1(s, func(v S) uint32 { return uint32(v) })
	case tensor.Uint64:
		return apply1(s, func(v S) uint64 { return uint64(v) })
	case tensor.Bool:
		return apply1(s, func(v S) bool { return v != 0 })
	}
	return nil
}

// fromStrings parses strings into dt.
func fromStrings(s []string, dt tensor.DType) (any, error) {
	var bad error
	fail := func(v string) {
		if bad == nil {
			bad = fmt.Errorf("cannot parse %q as %v", v, dt)
		}
	}
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		bits := 64
		if dt == tensor.Float32 {
			bits = 32
		}
		f := apply1(s, func(v string) float64 {
			x, err := parseFloat(v, bits)
			if err != nil {
				fail(v)
			}
			return x
		})
		if bad != nil {
			return nil, bad
		}
		return fromFloats(f, dt, 64), nil
	case tensor.Bool:
		out := apply1(s, func(v string) bool {
			t := strings.TrimSpace(v)
			switch strings.ToLower(t) {
			case "true":
				return true
			case "false", "":
				return false
			}
			x, err := parseFloat(t, 64)
			if err != nil {
				fail(v)
			}
			return x != 0
		})
		return out, bad
	}
	if tSigned.has(dt) {
		i := apply1(s, func(v string) int64 {
			t := strings.TrimSpace(v)
			if x, err := strconv.ParseInt(t, 10, 64); err == nil {
				return x
			}
			x, err := parseFloat(t, 64)
			if err != nil {
				fail(v)
			}
			return f64ToInt[int64](x)
		})
		if bad != nil {
			return nil, bad
		}
		return intTo(i, dt), nil
	}
	if tUnsigned.has(dt) {
		u := apply1(s, func(v string) uint64 {
			t := strings.TrimSpace(v)
			if x, err := strconv.ParseUint(t, 10, 64); err == nil {
				return x
			}
			if x, err := strconv.ParseInt(t, 10, 64); err == nil {
				return uint64(x)
			}
			x, err := parseFloat(t, 64)
			if err != nil {
				fail(v)
			}
			return f64ToInt[uint64](x)
		})
		if bad != nil {
			return nil, bad
		}
		return intTo(u, dt), nil
	}
	return nil, nil
}

// parseFloat parses a decimal number or NaN/Inf spelling, ignoring
// surrounding spaces. Out-of-range values become ±Inf (or 0) as numpy does.
func parseFloat(s string, bits int) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(strings.TrimLeft(s, "+-"), "nan") && len(s) <= 4 {
		return gomath.NaN(), nil
	}
	x, err := strconv.ParseFloat(s, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return x, nil
		}
		return 0, err
	}
	return x, nil
}

// formatFloat prints x like numpy's str() of a value of the given
// precision (64, 32, 16 = float16, 8 = bfloat16).
func formatFloat(x float64, prec int) string {
	switch {
	case x != x:
		return "nan"
	case gomath.IsInf(x, 1):
		return "inf"
	case gomath.IsInf(x, -1):
		return "-inf"
	case x == 0:
		if gomath.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	bits := 64
	switch prec {
	case 32:
		bits = 32
	case 16, 8:
		x = shortestHalf(x, prec)
	}
	ax := gomath.Abs(x)
	if ax >= 1e-4 && ax < 1e16 {
		s := strconv.FormatFloat(x, 'f', -1, bits)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(x, 'e', -1, bits)
}

// shortestHalf returns the float64 nearest to the shortest decimal that
// rounds back to x in float16 (prec 16) or bfloat16 (prec 8).
func shortestHalf(x float64, prec int) float64 {
	same := func(y float64) bool {
		if prec == 16 {
			return toF16(y) == toF16(x)
		}
		return toBF16(y) == toBF16(x)
	}
	for digits := 1; digits < 17; digits++ {
		y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'e', digits-1, 64), 64)
		if err == nil && same(y) {
			return y
		}
	}
	return x
}
