package grpcserver

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// paramsFromPB converts protocol parameters to the values infer.Request
// carries: bool, int64, string, float64 or uint64. A parameter with no value
// set is rejected rather than guessed. what names the owner for messages.
func paramsFromPB(what string, m map[string]*pb.InferParameter) (map[string]any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, p := range m {
		switch v := p.GetParameterChoice().(type) {
		case *pb.InferParameter_BoolParam:
			out[k] = v.BoolParam
		case *pb.InferParameter_Int64Param:
			out[k] = v.Int64Param
		case *pb.InferParameter_StringParam:
			out[k] = v.StringParam
		case *pb.InferParameter_DoubleParam:
			out[k] = v.DoubleParam
		case *pb.InferParameter_Uint64Param:
			out[k] = v.Uint64Param
		default:
			return nil, infer.Errorf(infer.InvalidArgument, "%s parameter %q has no value (expected bool_param, int64_param, string_param, double_param or uint64_param)", what, k)
		}
	}
	return out, nil
}

// paramsToPB converts response parameters. Go values without a protocol
// type of their own travel as JSON text in a string parameter.
func paramsToPB(m map[string]any) map[string]*pb.InferParameter {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*pb.InferParameter, len(m))
	for k, v := range m {
		out[k] = paramToPB(v)
	}
	return out
}

func paramToPB(v any) *pb.InferParameter {
	switch v := v.(type) {
	case bool:
		return &pb.InferParameter{ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: v}}
	case string:
		return stringParam(v)
	case int:
		return int64Param(int64(v))
	case int8:
		return int64Param(int64(v))
	case int16:
		return int64Param(int64(v))
	case int32:
		return int64Param(int64(v))
	case int64:
		return int64Param(v)
	case uint:
		return uint64Param(uint64(v))
	case uint8:
		return uint64Param(uint64(v))
	case uint16:
		return uint64Param(uint64(v))
	case uint32:
		return uint64Param(uint64(v))
	case uint64:
		return uint64Param(v)
	case float32:
		return &pb.InferParameter{ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: float64(v)}}
	case float64:
		return &pb.InferParameter{ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: v}}
	case time.Duration:
		return stringParam(v.String())
	}
	if b, err := json.Marshal(v); err == nil {
		return stringParam(string(b))
	}
	return stringParam(fmt.Sprint(v))
}

func stringParam(s string) *pb.InferParameter {
	return &pb.InferParameter{ParameterChoice: &pb.InferParameter_StringParam{StringParam: s}}
}

func int64Param(v int64) *pb.InferParameter {
	return &pb.InferParameter{ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: v}}
}

func uint64Param(v uint64) *pb.InferParameter {
	return &pb.InferParameter{ParameterChoice: &pb.InferParameter_Uint64Param{Uint64Param: v}}
}

// timeoutParam is Triton's request parameter "timeout": an integer number
// of microseconds; 0 or absent means no limit of the request's own.
const timeoutParam = "timeout"

func timeoutFrom(params map[string]any) (time.Duration, error) {
	v, ok := params[timeoutParam]
	if !ok {
		return 0, nil
	}
	var us uint64
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, infer.Errorf(infer.InvalidArgument, "parameter %q must be a non-negative number of microseconds, got %d", timeoutParam, v)
		}
		us = uint64(v)
	case uint64:
		us = v
	default:
		return 0, infer.Errorf(infer.InvalidArgument, "parameter %q must be an integer number of microseconds (int64_param or uint64_param), got %T", timeoutParam, v)
	}
	if us > math.MaxInt64/uint64(time.Microsecond) {
		return 0, infer.Errorf(infer.InvalidArgument, "parameter %q is too large: %d microseconds", timeoutParam, us)
	}
	return time.Duration(us) * time.Microsecond, nil
}
