package grpcserver

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

const (
	// variantParam and variantHeader name the router variant that served a
	// request, as the REST front end does with X-Gonyx-Variant.
	variantParam  = "variant"
	variantHeader = "x-gonyx-variant"
)

var errNoResponse = errors.New("Service.Infer returned neither a response nor an error")

func (s *service) ModelInfer(ctx context.Context, in *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	req, err := s.request(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "ModelInfer", err)
	}
	resp, err := s.svc.Infer(ctx, req)
	if err == nil && resp == nil {
		err = &infer.Error{Code: infer.Internal, Msg: "internal error", Err: errNoResponse}
	}
	if err != nil {
		return nil, s.fail(ctx, "ModelInfer", err)
	}
	out, err := response(in, resp)
	if err != nil {
		return nil, s.fail(ctx, "ModelInfer", err)
	}
	if resp.Variant != "" {
		// Losing the header only loses information the parameters carry too.
		_ = grpc.SetHeader(ctx, metadata.Pairs(variantHeader, resp.Variant))
	}
	return out, nil
}

// request decodes and validates a ModelInferRequest.
func (s *service) request(ctx context.Context, in *pb.ModelInferRequest) (*infer.Request, error) {
	if err := requireName("model_name", in.GetModelName()); err != nil {
		return nil, err
	}
	params, err := paramsFromPB("request", in.GetParameters())
	if err != nil {
		return nil, err
	}
	timeout, err := timeoutFrom(params)
	if err != nil {
		return nil, err
	}
	inputs, err := decodeInputs(in)
	if err != nil {
		return nil, err
	}
	outputs := make([]infer.OutputRequest, 0, len(in.GetOutputs()))
	seen := make(map[string]bool, len(in.GetOutputs()))
	for i, o := range in.GetOutputs() {
		name := o.GetName()
		if name == "" {
			return nil, invalid("requested output %d has no name", i)
		}
		if seen[name] {
			return nil, invalid("output %q is requested more than once", name)
		}
		seen[name] = true
		p, err := paramsFromPB("output "+quote(name), o.GetParameters())
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, infer.OutputRequest{Name: name, Parameters: p})
	}
	var routingKey string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(s.routingKey); len(v) > 0 {
			routingKey = v[0]
		}
	}
	return &infer.Request{
		ID:         in.GetId(),
		Model:      in.GetModelName(),
		Version:    in.GetModelVersion(),
		Inputs:     inputs,
		Outputs:    outputs,
		Parameters: params,
		RoutingKey: routingKey,
		Protocol:   "grpc",
		Timeout:    timeout,
	}, nil
}

// response encodes the service's answer. model_name is the name the client
// asked for (a router endpoint stays an endpoint); the variant that served
// goes in the "variant" parameter. When outputs were requested, exactly
// those are returned, in the requested order.
func response(in *pb.ModelInferRequest, resp *infer.Response) (*pb.ModelInferResponse, error) {
	outputs := resp.Outputs
	if len(in.GetOutputs()) > 0 {
		byName := make(map[string]infer.Tensor, len(resp.Outputs))
		for _, o := range resp.Outputs {
			byName[o.Name] = o
		}
		outputs = make([]infer.Tensor, len(in.GetOutputs()))
		for i, o := range in.GetOutputs() {
			t, ok := byName[o.GetName()]
			if !ok {
				return nil, invalid("requested output %q is not an output of model %q", o.GetName(), in.GetModelName())
			}
			outputs[i] = t
		}
	}

	out := &pb.ModelInferResponse{
		ModelName:         in.GetModelName(),
		ModelVersion:      resp.Version,
		Id:                resp.ID,
		Parameters:        paramsToPB(resp.Parameters),
		Outputs:           make([]*pb.ModelInferResponse_InferOutputTensor, len(outputs)),
		RawOutputContents: make([][]byte, len(outputs)),
	}
	if out.Id == "" {
		out.Id = in.GetId()
	}
	if resp.Variant != "" {
		if out.Parameters == nil {
			out.Parameters = make(map[string]*pb.InferParameter, 1)
		}
		out.Parameters[variantParam] = stringParam(resp.Variant)
	}
	for i, o := range outputs {
		meta, raw, err := encodeOutput(o)
		if err != nil {
			return nil, &infer.Error{Code: infer.Internal, Msg: "internal error: the model returned an output the protocol cannot carry", Err: err}
		}
		out.Outputs[i] = meta
		out.RawOutputContents[i] = raw
	}
	return out, nil
}
