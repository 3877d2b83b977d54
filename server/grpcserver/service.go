package grpcserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// service implements GRPCInferenceService on an infer.Service. Handlers
// return *infer.Error values through fail, which maps them to statuses.
type service struct {
	pb.UnimplementedGRPCInferenceServiceServer
	svc        infer.Service
	log        *slog.Logger
	routingKey string // lower-case metadata key
}

const methodPrefix = "/inference.GRPCInferenceService/"

func (s *service) fail(ctx context.Context, method string, err error) error {
	return toStatus(ctx, s.log, methodPrefix+method, err)
}

func (s *service) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: s.svc.Live()}, nil
}

func (s *service) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: s.svc.Ready()}, nil
}

func (s *service) ServerMetadata(context.Context, *pb.ServerMetadataRequest) (*pb.ServerMetadataResponse, error) {
	md := s.svc.ServerMetadata()
	return &pb.ServerMetadataResponse{Name: md.Name, Version: md.Version, Extensions: md.Extensions}, nil
}

func requireName(field, name string) error {
	if name == "" {
		return infer.Errorf(infer.InvalidArgument, "%s is required", field)
	}
	return nil
}

func (s *service) ModelReady(ctx context.Context, req *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	if err := requireName("name", req.GetName()); err != nil {
		return nil, s.fail(ctx, "ModelReady", err)
	}
	ready, err := s.svc.ModelReady(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, s.fail(ctx, "ModelReady", err)
	}
	return &pb.ModelReadyResponse{Ready: ready}, nil
}

func (s *service) ModelMetadata(ctx context.Context, req *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	if err := requireName("name", req.GetName()); err != nil {
		return nil, s.fail(ctx, "ModelMetadata", err)
	}
	md, err := s.svc.ModelMetadata(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, s.fail(ctx, "ModelMetadata", err)
	}
	return &pb.ModelMetadataResponse{
		Name:     md.Name,
		Versions: md.Versions,
		Platform: md.Platform,
		Inputs:   tensorMetadata(md.Inputs),
		Outputs:  tensorMetadata(md.Outputs),
	}, nil
}

func tensorMetadata(ts []infer.TensorMetadata) []*pb.ModelMetadataResponse_TensorMetadata {
	out := make([]*pb.ModelMetadataResponse_TensorMetadata, len(ts))
	for i, t := range ts {
		out[i] = &pb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
	}
	return out
}

// RepositoryIndex ignores repository_name: gonyx serves one repository.
func (s *service) RepositoryIndex(ctx context.Context, req *pb.RepositoryIndexRequest) (*pb.RepositoryIndexResponse, error) {
	entries, err := s.svc.RepositoryIndex(ctx, req.GetReady())
	if err != nil {
		return nil, s.fail(ctx, "RepositoryIndex", err)
	}
	models := make([]*pb.RepositoryIndexResponse_ModelIndex, len(entries))
	for i, e := range entries {
		models[i] = &pb.RepositoryIndexResponse_ModelIndex{Name: e.Name, Version: e.Version, State: e.State, Reason: e.Reason}
	}
	return &pb.RepositoryIndexResponse{Models: models}, nil
}

// RepositoryModelLoad loads from the repository as it is on disk: Triton's
// load parameters (a config override, uploaded files) are not supported and
// are refused rather than silently ignored.
func (s *service) RepositoryModelLoad(ctx context.Context, req *pb.RepositoryModelLoadRequest) (*pb.RepositoryModelLoadResponse, error) {
	if err := requireName("model_name", req.GetModelName()); err != nil {
		return nil, s.fail(ctx, "RepositoryModelLoad", err)
	}
	for k := range req.GetParameters() {
		return nil, s.fail(ctx, "RepositoryModelLoad", infer.Errorf(infer.InvalidArgument,
			"load parameter %q is not supported: gonyx loads models only as they are in the repository", k))
	}
	if err := s.svc.LoadModel(ctx, req.GetModelName()); err != nil {
		return nil, s.fail(ctx, "RepositoryModelLoad", err)
	}
	return &pb.RepositoryModelLoadResponse{}, nil
}

// unloadDependents is the parameter Triton's client always sends; gonyx has
// no ensembles, so there are no dependents and its value does not matter.
const unloadDependents = "unload_dependents"

func (s *service) RepositoryModelUnload(ctx context.Context, req *pb.RepositoryModelUnloadRequest) (*pb.RepositoryModelUnloadResponse, error) {
	if err := requireName("model_name", req.GetModelName()); err != nil {
		return nil, s.fail(ctx, "RepositoryModelUnload", err)
	}
	for k, p := range req.GetParameters() {
		if _, isBool := p.GetParameterChoice().(*pb.ModelRepositoryParameter_BoolParam); k == unloadDependents && isBool {
			continue
		}
		return nil, s.fail(ctx, "RepositoryModelUnload", infer.Errorf(infer.InvalidArgument,
			"unload parameter %q is not supported (only %q, a bool)", k, unloadDependents))
	}
	if err := s.svc.UnloadModel(ctx, req.GetModelName()); err != nil {
		return nil, s.fail(ctx, "RepositoryModelUnload", err)
	}
	return &pb.RepositoryModelUnloadResponse{}, nil
}

func (s *service) ModelStatistics(ctx context.Context, req *pb.ModelStatisticsRequest) (*pb.ModelStatisticsResponse, error) {
	stats, err := s.svc.Statistics(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, s.fail(ctx, "ModelStatistics", err)
	}
	out := make([]*pb.ModelStatistics, len(stats))
	for i, st := range stats {
		out[i] = &pb.ModelStatistics{
			Name:           st.Name,
			Version:        st.Version,
			LastInference:  epochMillis(st.LastInference),
			InferenceCount: st.InferenceCount,
			ExecutionCount: st.ExecutionCount,
			InferenceStats: &pb.InferStatistics{
				Success: duration(st.Success),
				Fail:    duration(st.Fail),
				Queue:   duration(st.Queue),
				// gonyx times the whole engine run; Triton splits it into
				// input, infer and output, so it all counts as infer.
				ComputeInfer: duration(st.Compute),
			},
		}
	}
	return &pb.ModelStatisticsResponse{ModelStats: out}, nil
}

// epochMillis is Triton's last_inference: milliseconds since the epoch, 0
// for never.
func epochMillis(t time.Time) uint64 {
	if t.IsZero() || t.UnixMilli() < 0 {
		return 0
	}
	return uint64(t.UnixMilli())
}

func duration(d infer.DurationStat) *pb.StatisticDuration {
	ns := d.Total.Nanoseconds()
	if ns < 0 {
		ns = 0
	}
	return &pb.StatisticDuration{Count: d.Count, Ns: uint64(ns)}
}
