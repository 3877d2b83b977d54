package grpcserver

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// publishedFields is the wire contract, copied by hand from KServe's
// open_inference_grpc.proto and Triton's grpc_service.proto: message →
// field name → number. Clients built from those files depend on every
// number, so the generated descriptor must match this table exactly, with
// no field missing and none added.
var publishedFields = map[string]map[string]int32{
	"ServerLiveRequest":                    {},
	"ServerLiveResponse":                   {"live": 1},
	"ServerReadyRequest":                   {},
	"ServerReadyResponse":                  {"ready": 1},
	"ModelReadyRequest":                    {"name": 1, "version": 2},
	"ModelReadyResponse":                   {"ready": 1},
	"ServerMetadataRequest":                {},
	"ServerMetadataResponse":               {"name": 1, "version": 2, "extensions": 3},
	"ModelMetadataRequest":                 {"name": 1, "version": 2},
	"ModelMetadataResponse":                {"name": 1, "versions": 2, "platform": 3, "inputs": 4, "outputs": 5, "properties": 6},
	"ModelMetadataResponse.TensorMetadata": {"name": 1, "datatype": 2, "shape": 3},
	"InferParameter":                       {"bool_param": 1, "int64_param": 2, "string_param": 3, "double_param": 4, "uint64_param": 5},
	"InferTensorContents": {"bool_contents": 1, "int_contents": 2, "int64_contents": 3, "uint_contents": 4,
		"uint64_contents": 5, "fp32_contents": 6, "fp64_contents": 7, "bytes_contents": 8},
	"ModelInferRequest": {"model_name": 1, "model_version": 2, "id": 3, "parameters": 4, "inputs": 5,
		"outputs": 6, "raw_input_contents": 7},
	"ModelInferRequest.InferInputTensor":           {"name": 1, "datatype": 2, "shape": 3, "parameters": 4, "contents": 5},
	"ModelInferRequest.InferRequestedOutputTensor": {"name": 1, "parameters": 2},
	"ModelInferResponse": {"model_name": 1, "model_version": 2, "id": 3, "parameters": 4, "outputs": 5,
		"raw_output_contents": 6},
	"ModelInferResponse.InferOutputTensor": {"name": 1, "datatype": 2, "shape": 3, "parameters": 4, "contents": 5},
	"ModelStatisticsRequest":               {"name": 1, "version": 2},
	"StatisticDuration":                    {"count": 1, "ns": 2},
	"InferStatistics": {"success": 1, "fail": 2, "queue": 3, "compute_input": 4, "compute_infer": 5,
		"compute_output": 6, "cache_hit": 7, "cache_miss": 8},
	"InferResponseStatistics": {"compute_infer": 1, "compute_output": 2, "success": 3, "fail": 4,
		"empty_response": 5, "cancel": 6},
	"InferBatchStatistics": {"batch_size": 1, "compute_input": 2, "compute_infer": 3, "compute_output": 4},
	"MemoryUsage":          {"type": 1, "id": 2, "byte_size": 3},
	"ModelStatistics": {"name": 1, "version": 2, "last_inference": 3, "inference_count": 4, "execution_count": 5,
		"inference_stats": 6, "batch_stats": 7, "memory_usage": 8, "response_stats": 9},
	"ModelStatisticsResponse":            {"model_stats": 1},
	"ModelRepositoryParameter":           {"bool_param": 1, "int64_param": 2, "string_param": 3, "bytes_param": 4},
	"RepositoryIndexRequest":             {"repository_name": 1, "ready": 2},
	"RepositoryIndexResponse":            {"models": 1},
	"RepositoryIndexResponse.ModelIndex": {"name": 1, "version": 2, "state": 3, "reason": 4},
	"RepositoryModelLoadRequest":         {"repository_name": 1, "model_name": 2, "parameters": 3},
	"RepositoryModelLoadResponse":        {},
	"RepositoryModelUnloadRequest":       {"repository_name": 1, "model_name": 2, "parameters": 3},
	"RepositoryModelUnloadResponse":      {},
}

func TestWireContract(t *testing.T) {
	fd := pb.File_inference_proto
	if fd.Package() != "inference" {
		t.Fatalf("package %q, want inference", fd.Package())
	}
	seen := map[string]bool{}
	var walk func(prefix string, msgs protoreflect.MessageDescriptors)
	walk = func(prefix string, msgs protoreflect.MessageDescriptors) {
		for i := 0; i < msgs.Len(); i++ {
			m := msgs.Get(i)
			if m.IsMapEntry() {
				continue
			}
			name := prefix + string(m.Name())
			seen[name] = true
			want, ok := publishedFields[name]
			if !ok {
				t.Errorf("message %s is not in the published protocol", name)
				continue
			}
			fields := m.Fields()
			if fields.Len() != len(want) {
				t.Errorf("%s has %d fields, the protocol %d", name, fields.Len(), len(want))
			}
			for j := 0; j < fields.Len(); j++ {
				f := fields.Get(j)
				if n, ok := want[string(f.Name())]; !ok || n != int32(f.Number()) {
					t.Errorf("%s.%s = %d; the protocol has %d (0: no such field)", name, f.Name(), f.Number(), n)
				}
			}
			walk(name+".", m.Messages())
		}
	}
	walk("", fd.Messages())
	for name := range publishedFields {
		if !seen[name] {
			t.Errorf("message %s is missing", name)
		}
	}

	// Both parameter messages are oneofs named parameter_choice.
	for _, name := range []protoreflect.Name{"InferParameter", "ModelRepositoryParameter"} {
		m := fd.Messages().ByName(name)
		if m.Oneofs().Len() != 1 || m.Oneofs().Get(0).Name() != "parameter_choice" || m.Oneofs().Get(0).Fields().Len() != m.Fields().Len() {
			t.Errorf("%s is not one oneof parameter_choice over all its fields", name)
		}
	}

	svc := fd.Services().ByName("GRPCInferenceService")
	if svc == nil {
		t.Fatal("no service GRPCInferenceService")
	}
	want := map[string][2]string{
		"ServerLive":            {"ServerLiveRequest", "ServerLiveResponse"},
		"ServerReady":           {"ServerReadyRequest", "ServerReadyResponse"},
		"ModelReady":            {"ModelReadyRequest", "ModelReadyResponse"},
		"ServerMetadata":        {"ServerMetadataRequest", "ServerMetadataResponse"},
		"ModelMetadata":         {"ModelMetadataRequest", "ModelMetadataResponse"},
		"ModelInfer":            {"ModelInferRequest", "ModelInferResponse"},
		"ModelStatistics":       {"ModelStatisticsRequest", "ModelStatisticsResponse"},
		"RepositoryIndex":       {"RepositoryIndexRequest", "RepositoryIndexResponse"},
		"RepositoryModelLoad":   {"RepositoryModelLoadRequest", "RepositoryModelLoadResponse"},
		"RepositoryModelUnload": {"RepositoryModelUnloadRequest", "RepositoryModelUnloadResponse"},
	}
	var got []string
	for i := 0; i < svc.Methods().Len(); i++ {
		m := svc.Methods().Get(i)
		got = append(got, string(m.Name()))
		io, ok := want[string(m.Name())]
		if !ok || string(m.Input().Name()) != io[0] || string(m.Output().Name()) != io[1] || m.IsStreamingClient() || m.IsStreamingServer() {
			t.Errorf("rpc %s(%s) returns (%s) is not in the protocol", m.Name(), m.Input().Name(), m.Output().Name())
		}
	}
	if len(got) != len(want) {
		t.Errorf("service has methods %v, want the %d of the protocol", got, len(want))
	}
	if !slices.Contains(got, "ModelInfer") {
		t.Error("no ModelInfer")
	}
}
