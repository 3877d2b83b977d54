package infer

import (
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
)

// KServe v2 datatype names, as the Open Inference Protocol spells them.
var datatypeNames = map[tensor.DType]string{
	tensor.Bool: "BOOL", tensor.Uint8: "UINT8", tensor.Uint16: "UINT16",
	tensor.Uint32: "UINT32", tensor.Uint64: "UINT64", tensor.Int8: "INT8",
	tensor.Int16: "INT16", tensor.Int32: "INT32", tensor.Int64: "INT64",
	tensor.Float16: "FP16", tensor.Float32: "FP32", tensor.Float64: "FP64",
	tensor.BFloat16: "BF16", tensor.String: "BYTES",
}

var datatypeValues = func() map[string]tensor.DType {
	m := make(map[string]tensor.DType, len(datatypeNames))
	for dt, s := range datatypeNames {
		m[s] = dt
	}
	return m
}()

// Datatype is the KServe name of an element type ("" if it has none).
// Strings travel as BYTES.
func Datatype(dt tensor.DType) string { return datatypeNames[dt] }

// DTypeOf parses a KServe datatype name (case-insensitive).
func DTypeOf(name string) (tensor.DType, bool) {
	dt, ok := datatypeValues[strings.ToUpper(name)]
	return dt, ok
}
