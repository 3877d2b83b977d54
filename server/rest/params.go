package rest

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

func itoa[T int | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// isNull reports an absent or JSON null raw value.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// decodeParams decodes a KServe "parameters" object. Integral numbers
// become int64 and the others float64 (what the gRPC front end produces
// from InferParameter), so services see the same types from both.
func decodeParams(raw json.RawMessage, what string) (map[string]any, error) {
	if isNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(err, what)
	}
	for k, v := range m {
		m[k] = normalizeNumbers(v)
	}
	return m, nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String() // beyond float64: keep the text rather than lose it
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}

// boolParam reads an optional boolean parameter.
func boolParam(params map[string]any, name, what string) (value, present bool, err error) {
	v, ok := params[name]
	if !ok {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, false, infer.Errorf(infer.InvalidArgument,
			"parameter %q of %s must be true or false, got %s", name, what, describe(v))
	}
	return b, true, nil
}

// intParam reads an optional non-negative integer parameter.
func intParam(params map[string]any, name, what string) (value int64, present bool, err error) {
	v, ok := params[name]
	if !ok {
		return 0, false, nil
	}
	i, isInt := v.(int64)
	if f, isFloat := v.(float64); isFloat && f == math.Trunc(f) && f >= 0 && f < math.MaxInt64 {
		i, isInt = int64(f), true // 5000.0 from a client that writes every number as a float
	}
	if !isInt || i < 0 {
		return 0, false, infer.Errorf(infer.InvalidArgument,
			"parameter %q of %s must be a non-negative integer, got %s", name, what, describe(v))
	}
	return i, true, nil
}

// describe names a decoded JSON value for an error message without
// echoing arbitrarily long client data.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a value of another type"
}

// requestTimeout combines Triton's "timeout" parameter (µs) with the
// X-Request-Timeout header (a Go duration): the smaller one wins.
func requestTimeout(header string, params map[string]any) (time.Duration, error) {
	var timeout time.Duration
	if us, ok, err := intParam(params, "timeout", "the request"); err != nil {
		return 0, err
	} else if ok && us > 0 {
		timeout = microseconds(us)
	}
	if header != "" {
		d, err := time.ParseDuration(header)
		if err != nil || d <= 0 {
			return 0, infer.Errorf(infer.InvalidArgument,
				"X-Request-Timeout must be a positive duration such as \"250ms\", got %q", truncate(header, 40))
		}
		if timeout == 0 || d < timeout {
			timeout = d
		}
	}
	return timeout, nil
}

// microseconds converts, saturating instead of overflowing: a timeout of
// centuries is no timeout worth rejecting.
func microseconds(us int64) time.Duration {
	if us > math.MaxInt64/int64(time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(us) * time.Microsecond
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
