package grpcserver

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/gonyx/gonyx/engine/tensor"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

func input(name, dt string, shape []int64, c *pb.InferTensorContents) *pb.ModelInferRequest_InferInputTensor {
	return &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: dt, Shape: shape, Contents: c}
}

// fp32s decodes little-endian float32s, as a client would.
func fp32s(t *testing.T, raw []byte) []float32 {
	t.Helper()
	if len(raw)%4 != 0 {
		t.Fatalf("%d raw bytes are not whole float32s", len(raw))
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

func TestInferAdd(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	x := []float32{1, 2, 3, 4, 5, 6}
	var rawX []byte
	for _, v := range x {
		rawX = binary.LittleEndian.AppendUint32(rawX, math.Float32bits(v))
	}
	for _, tc := range []struct {
		name string
		req  *pb.ModelInferRequest
	}{
		{"typed", &pb.ModelInferRequest{ModelName: "add", Id: "req-1",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{2, 3}, &pb.InferTensorContents{Fp32Contents: x})}}},
		{"raw", &pb.ModelInferRequest{ModelName: "add", Id: "req-1",
			Inputs:           []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{2, 3}, nil)},
			RawInputContents: [][]byte{rawX}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-user-id", "user-7")
			var header metadata.MD
			resp, err := ts.client.ModelInfer(ctx, tc.req, grpc.Header(&header))
			if err != nil {
				t.Fatal(err)
			}
			if resp.ModelName != "add" || resp.ModelVersion != "1" || resp.Id != "req-1" {
				t.Errorf("model %q version %q id %q, want add, 1, req-1", resp.ModelName, resp.ModelVersion, resp.Id)
			}
			if len(resp.Outputs) != 1 || len(resp.RawOutputContents) != 1 {
				t.Fatalf("%d outputs and %d raw contents, want 1 and 1", len(resp.Outputs), len(resp.RawOutputContents))
			}
			o := resp.Outputs[0]
			if o.Name != "sum" || o.Datatype != "FP32" || !slices.Equal(o.Shape, []int64{2, 3}) || o.Contents != nil {
				t.Errorf("output = %v, want sum FP32 [2 3] without typed contents", o)
			}
			if got, want := fp32s(t, resp.RawOutputContents[0]), []float32{2, 3, 4, 5, 6, 7}; !slices.Equal(got, want) {
				t.Errorf("sum = %v, want %v", got, want)
			}
			if v := resp.Parameters["variant"].GetStringParam(); v != "add" {
				t.Errorf("variant parameter = %q, want add", v)
			}
			if v := header.Get("x-gonyx-variant"); !slices.Equal(v, []string{"add"}) {
				t.Errorf("x-gonyx-variant header = %v, want [add]", v)
			}
			req, _, _ := f.lastRequest()
			if req.Protocol != "grpc" || req.RoutingKey != "user-7" || req.ID != "req-1" || req.Model != "add" || req.Timeout != 0 {
				t.Errorf("service got protocol %q routing key %q id %q model %q timeout %v",
					req.Protocol, req.RoutingKey, req.ID, req.Model, req.Timeout)
			}
		})
	}
}

func TestRoutingMetadataOption(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{RoutingMetadata: "X-Tenant"})
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-tenant", "acme", "x-user-id", "ignored")
	_, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "echo", ModelVersion: "3"})
	if err != nil {
		t.Fatal(err)
	}
	if req, _, _ := f.lastRequest(); req.RoutingKey != "acme" || req.Version != "3" {
		t.Errorf("routing key %q version %q, want acme and 3", req.RoutingKey, req.Version)
	}
}

// Each case sends one input to the echo model, which returns it unchanged:
// the service must see the values written here, and the response must carry
// them as the raw bytes written here (worked out by hand from IEEE 754 and
// two's complement).
func TestInferContents(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	cases := []struct {
		name     string
		datatype string
		shape    []int64
		typed    *pb.InferTensorContents // nil: send raw
		want     any                     // backing slice the service sees
		raw      []byte                  // raw contents, sent (when typed is nil) and expected back
	}{
		{"FP32 typed", "FP32", []int64{1, 2}, &pb.InferTensorContents{Fp32Contents: []float32{1.5, -2}},
			[]float32{1.5, -2}, []byte{0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0}},
		{"FP32 raw", "FP32", []int64{1, 2}, nil,
			[]float32{1.5, -2}, []byte{0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0}},
		{"INT64 typed", "INT64", []int64{2}, &pb.InferTensorContents{Int64Contents: []int64{1, -2}},
			[]int64{1, -2}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"INT64 raw", "INT64", []int64{2}, nil,
			[]int64{1, -2}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"BYTES typed", "BYTES", []int64{2}, &pb.InferTensorContents{BytesContents: [][]byte{[]byte("hi"), {}}},
			[]string{"hi", ""}, []byte{2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0}},
		{"BYTES raw", "BYTES", []int64{2}, nil,
			[]string{"hi", ""}, []byte{2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0}},
		{"BOOL typed", "BOOL", []int64{3}, &pb.InferTensorContents{BoolContents: []bool{true, false, true}},
			[]bool{true, false, true}, []byte{1, 0, 1}},
		{"BOOL raw", "BOOL", []int64{3}, nil,
			[]bool{true, false, true}, []byte{1, 0, 1}},
		// 1.0 is 0x3c00 and -2.0 is 0xc000 in IEEE half precision.
		{"FP16 raw", "FP16", []int64{2}, nil,
			[]tensor.F16{0x3c00, 0xc000}, []byte{0x00, 0x3c, 0x00, 0xc0}},
		// 1.0 is 0x3f80 in bfloat16.
		{"BF16 raw", "BF16", []int64{1}, nil,
			[]tensor.BF16{0x3f80}, []byte{0x80, 0x3f}},
		{"INT8 typed", "INT8", []int64{2}, &pb.InferTensorContents{IntContents: []int32{-1, 127}},
			[]int8{-1, 127}, []byte{0xff, 0x7f}},
		{"INT16 typed", "INT16", []int64{1}, &pb.InferTensorContents{IntContents: []int32{-32768}},
			[]int16{-32768}, []byte{0x00, 0x80}},
		{"INT32 typed", "INT32", []int64{1}, &pb.InferTensorContents{IntContents: []int32{-3}},
			[]int32{-3}, []byte{0xfd, 0xff, 0xff, 0xff}},
		{"UINT8 typed", "UINT8", []int64{2}, &pb.InferTensorContents{UintContents: []uint32{0, 255}},
			[]uint8{0, 255}, []byte{0x00, 0xff}},
		{"UINT16 typed", "UINT16", []int64{1}, &pb.InferTensorContents{UintContents: []uint32{513}},
			[]uint16{513}, []byte{0x01, 0x02}},
		{"UINT32 raw", "UINT32", []int64{1}, nil,
			[]uint32{0x01020304}, []byte{0x04, 0x03, 0x02, 0x01}},
		{"UINT64 typed", "UINT64", []int64{1}, &pb.InferTensorContents{Uint64Contents: []uint64{1 << 63}},
			[]uint64{1 << 63}, []byte{0, 0, 0, 0, 0, 0, 0, 0x80}},
		// 0.5 is 0x3fe0000000000000 in double precision.
		{"FP64 typed", "FP64", []int64{1}, &pb.InferTensorContents{Fp64Contents: []float64{0.5}},
			[]float64{0.5}, []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f}},
		{"INT16 raw", "INT16", []int64{1}, nil,
			[]int16{-2}, []byte{0xfe, 0xff}},
		{"scalar", "FP32", []int64{}, &pb.InferTensorContents{Fp32Contents: []float32{1}},
			[]float32{1}, []byte{0x00, 0x00, 0x80, 0x3f}},
		{"empty", "FP32", []int64{0, 3}, nil,
			[]float32{}, []byte{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &pb.ModelInferRequest{ModelName: "echo",
				Inputs: []*pb.ModelInferRequest_InferInputTensor{input("in", tc.datatype, tc.shape, tc.typed)}}
			if tc.typed == nil {
				req.RawInputContents = [][]byte{tc.raw}
			}
			resp, err := ts.client.ModelInfer(ctxT(t), req)
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := f.lastRequest()
			in := got.Inputs[0].Tensor
			if !reflect.DeepEqual(in.Data(), tc.want) && !(reflect.ValueOf(tc.want).Len() == 0 && in.Len() == 0) {
				t.Errorf("service got %#v, want %#v", in.Data(), tc.want)
			}
			wantShape := make([]int, len(tc.shape))
			for i, d := range tc.shape {
				wantShape[i] = int(d)
			}
			if !slices.Equal(in.Shape(), wantShape) {
				t.Errorf("service got shape %v, want %v", in.Shape(), wantShape)
			}
			o := resp.Outputs[0]
			if o.Name != "in" || o.Datatype != tc.datatype || !slices.Equal(o.Shape, tc.shape) {
				t.Errorf("output %s %s %v, want in %s %v", o.Name, o.Datatype, o.Shape, tc.datatype, tc.shape)
			}
			if !bytes.Equal(resp.RawOutputContents[0], tc.raw) {
				t.Errorf("raw output % x, want % x", resp.RawOutputContents[0], tc.raw)
			}
			if resp.ModelVersion != "3" || resp.Parameters["inputs"].GetInt64Param() != 1 {
				t.Errorf("version %q parameters %v, want 3 and inputs=1", resp.ModelVersion, resp.Parameters)
			}
		})
	}
}

func TestInferParameters(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	req := &pb.ModelInferRequest{ModelName: "echo", Id: "p",
		Parameters: map[string]*pb.InferParameter{
			"timeout":  uint64Param(1500),
			"flag":     {ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: true}},
			"ratio":    {ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: 0.25}},
			"priority": int64Param(-3),
			"tag":      stringParam("blue"),
		},
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "in", Datatype: "INT32", Shape: []int64{1},
			Parameters: map[string]*pb.InferParameter{"note": stringParam("n")},
			Contents:   &pb.InferTensorContents{IntContents: []int32{7}}}},
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "in",
			Parameters: map[string]*pb.InferParameter{"classification": int64Param(2)}}},
	}
	if _, err := ts.client.ModelInfer(ctxT(t), req); err != nil {
		t.Fatal(err)
	}
	got, _, _ := f.lastRequest()
	wantParams := map[string]any{"timeout": uint64(1500), "flag": true, "ratio": 0.25, "priority": int64(-3), "tag": "blue"}
	if !reflect.DeepEqual(got.Parameters, wantParams) {
		t.Errorf("request parameters %v, want %v", got.Parameters, wantParams)
	}
	if got.Timeout != 1500*time.Microsecond {
		t.Errorf("timeout %v, want 1.5ms", got.Timeout)
	}
	if !reflect.DeepEqual(got.Inputs[0].Parameters, map[string]any{"note": "n"}) {
		t.Errorf("input parameters %v", got.Inputs[0].Parameters)
	}
	if len(got.Outputs) != 1 || got.Outputs[0].Name != "in" || !reflect.DeepEqual(got.Outputs[0].Parameters, map[string]any{"classification": int64(2)}) {
		t.Errorf("requested outputs %+v", got.Outputs)
	}
}

func TestRequestedOutputs(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	ctx := ctxT(t)
	resp, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "multi",
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "c"}, {Name: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs) != 2 || resp.Outputs[0].Name != "c" || resp.Outputs[1].Name != "a" {
		t.Fatalf("outputs %v, want c then a", resp.Outputs)
	}
	if !bytes.Equal(resp.RawOutputContents[0], []byte{1, 0, 0, 0, 'c'}) ||
		!bytes.Equal(resp.RawOutputContents[1], []byte{0x00, 0x00, 0x80, 0x3f}) {
		t.Errorf("raw outputs % x / % x", resp.RawOutputContents[0], resp.RawOutputContents[1])
	}
	if resp.Parameters["variant"] != nil {
		t.Errorf("no variant was served, yet the response names %v", resp.Parameters["variant"])
	}

	// Without a request for outputs, all come back in the model's order.
	resp, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs) != 3 || resp.Outputs[0].Name != "a" || resp.Outputs[1].Name != "b" || resp.Outputs[2].Name != "c" ||
		resp.Outputs[1].Datatype != "INT64" || !bytes.Equal(resp.RawOutputContents[1], []byte{2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("all outputs: %v, raw %v", resp.Outputs, resp.RawOutputContents)
	}

	_, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "multi",
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "z"}}})
	wantCode(t, err, codes.InvalidArgument, `"z"`)
}

// Bad requests fail with INVALID_ARGUMENT and a message naming the problem,
// and never reach the service.
func TestInferInvalid(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	fp32x3 := func(raw ...[]byte) *pb.ModelInferRequest {
		return &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{3}, nil)}, RawInputContents: raw}
	}
	bytesIn := func(shape []int64, raw []byte) *pb.ModelInferRequest {
		return &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("s", "BYTES", shape, nil)}, RawInputContents: [][]byte{raw}}
	}
	typed := func(dt string, shape []int64, c *pb.InferTensorContents) *pb.ModelInferRequest {
		return &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", dt, shape, c)}}
	}
	cases := []struct {
		name string
		req  *pb.ModelInferRequest
		msg  string
	}{
		{"truncated raw", fp32x3(make([]byte, 11)), "has 11 bytes, shape [3] of FP32 needs 12"},
		{"oversized raw", fp32x3(make([]byte, 13)), "has 13 bytes, shape [3] of FP32 needs 12"},
		{"raw for too few inputs", &pb.ModelInferRequest{ModelName: "echo",
			Inputs:           []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{1}, nil), input("y", "FP32", []int64{1}, nil)},
			RawInputContents: [][]byte{make([]byte, 4)}}, "raw_input_contents has 1 entries"},
		{"raw for too many inputs", fp32x3(make([]byte, 12), make([]byte, 12)), "raw_input_contents has 2 entries"},
		{"raw and typed", &pb.ModelInferRequest{ModelName: "echo",
			Inputs:           []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{1}, &pb.InferTensorContents{Fp32Contents: []float32{1}})},
			RawInputContents: [][]byte{make([]byte, 4)}}, "must be empty when raw_input_contents is used"},
		{"BYTES length truncated", bytesIn([]int64{1}, []byte{5, 0, 0, 0, 'a', 'b'}), "declares 5 bytes, only 2 remain"},
		{"BYTES length cut", bytesIn([]int64{2}, []byte{1, 0, 0, 0, 'a', 1, 0, 0}), "ends inside the length of BYTES element 1"},
		{"BYTES trailing bytes", bytesIn([]int64{1}, []byte{1, 0, 0, 0, 'a', 'b'}), "1 bytes after its 1 BYTES elements"},
		{"BYTES count beyond data", bytesIn([]int64{1 << 30}, []byte{0, 0, 0, 0}), "too few for 1073741824 BYTES elements"},
		{"BYTES huge length", bytesIn([]int64{1}, []byte{0xff, 0xff, 0xff, 0xff}), "declares 4294967295 bytes, only 0 remain"},
		{"BOOL raw not 0 or 1", &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("b", "BOOL", []int64{2}, nil)}, RawInputContents: [][]byte{{1, 2}}},
			"BOOL element 1 is byte 2"},
		{"typed count", typed("FP32", []int64{2, 2}, &pb.InferTensorContents{Fp32Contents: []float32{1, 2, 3}}),
			"shape [2 2] needs 4 elements, fp32_contents has 3"},
		{"typed wrong field", typed("INT64", []int64{1}, &pb.InferTensorContents{Fp32Contents: []float32{1}}),
			"datatype INT64 takes int64_contents, got fp32_contents"},
		{"typed two fields", typed("FP32", []int64{1}, &pb.InferTensorContents{Fp32Contents: []float32{1}, Int64Contents: []int64{1}}),
			"datatype FP32 takes fp32_contents, got int64_contents"},
		{"no contents", typed("FP32", []int64{2}, nil), "needs 2 elements and the input has no contents"},
		{"FP16 typed", typed("FP16", []int64{1}, &pb.InferTensorContents{Fp32Contents: []float32{1}}),
			"FP16 data has no typed contents field; send it in raw_input_contents"},
		{"BF16 without contents", typed("BF16", []int64{1}, nil), "BF16 data has no typed contents field"},
		{"INT8 out of range", typed("INT8", []int64{2}, &pb.InferTensorContents{IntContents: []int32{1, 128}}),
			"element 1 is 128, out of range [-128, 127]"},
		{"UINT16 out of range", typed("UINT16", []int64{1}, &pb.InferTensorContents{UintContents: []uint32{65536}}),
			"element 0 is 65536, out of range [0, 65535]"},
		{"unknown datatype", typed("FLOAT", []int64{1}, nil), `unknown datatype "FLOAT"`},
		{"negative dimension", typed("FP32", []int64{-1, 3}, nil), "negative dimension"},
		{"huge shape", typed("FP32", []int64{1 << 40, 1 << 40}, nil), "has more than"},
		{"huge dimension", typed("FP32", []int64{math.MaxInt64}, nil), "has more than"},
		{"no model", &pb.ModelInferRequest{}, "model_name is required"},
		{"unnamed input", &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{input("", "FP32", []int64{0}, nil)}}, "input 0 has no name"},
		{"duplicate input", &pb.ModelInferRequest{ModelName: "echo", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			input("x", "FP32", []int64{0}, nil), input("x", "FP32", []int64{0}, nil)}}, `input "x" appears more than once`},
		{"duplicate output", &pb.ModelInferRequest{ModelName: "echo", Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{
			{Name: "y"}, {Name: "y"}}}, `output "y" is requested more than once`},
		{"unnamed output", &pb.ModelInferRequest{ModelName: "echo", Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{}}},
			"requested output 0 has no name"},
		{"parameter without value", &pb.ModelInferRequest{ModelName: "echo",
			Parameters: map[string]*pb.InferParameter{"p": {}}}, `request parameter "p" has no value`},
		{"input parameter without value", &pb.ModelInferRequest{ModelName: "echo",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{0},
				Parameters: map[string]*pb.InferParameter{"q": {}}}}}, `input "x" parameter "q" has no value`},
		{"negative timeout", &pb.ModelInferRequest{ModelName: "echo",
			Parameters: map[string]*pb.InferParameter{"timeout": int64Param(-5)}}, "non-negative number of microseconds, got -5"},
		{"string timeout", &pb.ModelInferRequest{ModelName: "echo",
			Parameters: map[string]*pb.InferParameter{"timeout": stringParam("1s")}}, "integer number of microseconds"},
		{"huge timeout", &pb.ModelInferRequest{ModelName: "echo",
			Parameters: map[string]*pb.InferParameter{"timeout": uint64Param(math.MaxUint64)}}, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.client.ModelInfer(ctxT(t), tc.req)
			wantCode(t, err, codes.InvalidArgument, tc.msg)
		})
	}
	if n := f.callCount(); n != 0 {
		t.Errorf("%d invalid requests reached the service", n)
	}
	if strings.Contains(ts.logs.String(), "internal") {
		t.Errorf("an invalid request was logged as an internal error:\n%s", ts.logs.String())
	}
}
