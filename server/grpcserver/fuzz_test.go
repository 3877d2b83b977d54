package grpcserver

import (
	"context"
	"log/slog"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// FuzzModelInferRequest feeds arbitrary wire bytes, as a hostile client
// could send them, through decoding and validation: it must never panic,
// and every rejection must be INVALID_ARGUMENT, never an internal error.
func FuzzModelInferRequest(f *testing.F) {
	seeds := []*pb.ModelInferRequest{
		{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{1, 2},
			Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 2}}}}},
		{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "s", Datatype: "BYTES", Shape: []int64{2}}},
			RawInputContents: [][]byte{{1, 0, 0, 0, 'a', 0, 0, 0, 0}}},
		{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "h", Datatype: "FP16", Shape: []int64{1}}},
			RawInputContents: [][]byte{{0, 0x3c}}, Parameters: map[string]*pb.InferParameter{"timeout": int64Param(10)}},
		{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "i", Datatype: "INT8", Shape: []int64{2},
			Contents: &pb.InferTensorContents{IntContents: []int32{-1, 300}}}},
			Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "y"}}},
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s := &service{log: slog.New(slog.DiscardHandler), routingKey: defaultRoutingMetadata}
	f.Fuzz(func(t *testing.T, wire []byte) {
		var req pb.ModelInferRequest
		if proto.Unmarshal(wire, &req) != nil {
			return
		}
		r, err := s.request(context.Background(), &req)
		if err != nil {
			if c := infer.CodeOf(err); c != infer.InvalidArgument {
				t.Fatalf("rejected with %v, want invalid_argument: %v", c, err)
			}
			return
		}
		for _, in := range r.Inputs {
			n := 1
			for _, d := range in.Tensor.Shape() {
				n *= d
			}
			if in.Tensor.Len() != n {
				t.Fatalf("input %q: %d elements for shape %v", in.Name, in.Tensor.Len(), in.Tensor.Shape())
			}
		}
	})
}
