package grpcserver

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// testServer is a running server on 127.0.0.1 and a client connected to it.
type testServer struct {
	addr   string
	conn   *grpc.ClientConn
	client pb.GRPCInferenceServiceClient
	logs   *syncBuffer
}

func startServer(t *testing.T, svc infer.Service, opts Options) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(svc, opts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &testServer{addr: lis.Addr().String(), conn: conn, client: pb.NewGRPCInferenceServiceClient(conn), logs: logs}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails unless err is a status with code c whose message contains
// every one of parts.
func wantCode(t *testing.T, err error, c codes.Code, parts ...string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != c {
		t.Fatalf("got error %v, want code %v", err, c)
	}
	for _, p := range parts {
		if !strings.Contains(st.Message(), p) {
			t.Errorf("message %q does not contain %q", st.Message(), p)
		}
	}
}

func TestServerRPCs(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	c, ctx := ts.client, ctxT(t)

	live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{})
	if err != nil || !live.Live {
		t.Fatalf("ServerLive = %v, %v; want live", live, err)
	}
	ready, err := c.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil || !ready.Ready {
		t.Fatalf("ServerReady = %v, %v; want ready", ready, err)
	}
	f.live.Store(false)
	f.ready.Store(false)
	if live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil || live.Live {
		t.Fatalf("ServerLive after going down = %v, %v; want not live", live, err)
	}
	if ready, err := c.ServerReady(ctx, &pb.ServerReadyRequest{}); err != nil || ready.Ready {
		t.Fatalf("ServerReady after going down = %v, %v; want not ready", ready, err)
	}

	md, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if md.Name != "gonyx" || md.Version != "0.test" || !slices.Equal(md.Extensions, []string{"model_repository", "statistics"}) {
		t.Errorf("ServerMetadata = %v", md)
	}

	mr, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "add"})
	if err != nil || !mr.Ready {
		t.Errorf("ModelReady(add) = %v, %v; want ready", mr, err)
	}
	mr, err = c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "loading"})
	if err != nil || mr.Ready {
		t.Errorf("ModelReady(loading) = %v, %v; want not ready", mr, err)
	}
	_, err = c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "nope"})
	wantCode(t, err, codes.NotFound, `unknown model "nope"`)
	_, err = c.ModelReady(ctx, &pb.ModelReadyRequest{})
	wantCode(t, err, codes.InvalidArgument, "name is required")

	mm, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "add", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.ModelMetadataResponse{
		Name: "add", Versions: []string{"1"}, Platform: "onnx",
		Inputs:  []*pb.ModelMetadataResponse_TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Outputs: []*pb.ModelMetadataResponse_TensorMetadata{{Name: "sum", Datatype: "FP32", Shape: []int64{-1, 3}}},
	}
	if !proto.Equal(mm, want) {
		t.Errorf("ModelMetadata = %v, want %v", mm, want)
	}
	_, err = c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "add", Version: "7"})
	wantCode(t, err, codes.NotFound)

	idx, err := c.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIdx := &pb.RepositoryIndexResponse{Models: []*pb.RepositoryIndexResponse_ModelIndex{
		{Name: "add", Version: "1", State: "READY"},
		{Name: "broken", State: "UNAVAILABLE", Reason: "load failed"},
	}}
	if !proto.Equal(idx, wantIdx) {
		t.Errorf("RepositoryIndex = %v, want %v", idx, wantIdx)
	}
	idx, err = c.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{Ready: true})
	if err != nil || len(idx.Models) != 1 || idx.Models[0].Name != "add" {
		t.Errorf("RepositoryIndex(ready) = %v, %v", idx, err)
	}
	if got := f.recorded().indexReady; !slices.Equal(got, []bool{false, true}) {
		t.Errorf("service saw readyOnly %v, want [false true]", got)
	}

	if _, err := c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "add"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "missing"})
	wantCode(t, err, codes.NotFound, "missing")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "add",
		Parameters: map[string]*pb.ModelRepositoryParameter{"config": {ParameterChoice: &pb.ModelRepositoryParameter_StringParam{StringParam: "{}"}}}})
	wantCode(t, err, codes.InvalidArgument, `"config"`, "not supported")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{})
	wantCode(t, err, codes.InvalidArgument, "model_name is required")

	// Triton's client always sends unload_dependents.
	if _, err := c.RepositoryModelUnload(ctx, &pb.RepositoryModelUnloadRequest{ModelName: "add",
		Parameters: map[string]*pb.ModelRepositoryParameter{"unload_dependents": {ParameterChoice: &pb.ModelRepositoryParameter_BoolParam{BoolParam: false}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RepositoryModelUnload(ctx, &pb.RepositoryModelUnloadRequest{ModelName: "add",
		Parameters: map[string]*pb.ModelRepositoryParameter{"other": {ParameterChoice: &pb.ModelRepositoryParameter_BoolParam{BoolParam: true}}}})
	wantCode(t, err, codes.InvalidArgument, `"other"`)
	if rec := f.recorded(); !slices.Equal(rec.loaded, []string{"add"}) || !slices.Equal(rec.unloaded, []string{"add"}) {
		t.Errorf("loaded %v, unloaded %v; want [add] and [add]", rec.loaded, rec.unloaded)
	}

	st, err := c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "add", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	wantSt := &pb.ModelStatisticsResponse{ModelStats: []*pb.ModelStatistics{{
		Name: "add", Version: "1", LastInference: 1700000000123, InferenceCount: 10, ExecutionCount: 4,
		InferenceStats: &pb.InferStatistics{
			Success:      &pb.StatisticDuration{Count: 10, Ns: 2500000000},
			Fail:         &pb.StatisticDuration{Count: 1, Ns: 3000000},
			Queue:        &pb.StatisticDuration{Count: 10, Ns: 40000},
			ComputeInfer: &pb.StatisticDuration{Count: 4, Ns: 2000000000},
		},
	}}}
	if !proto.Equal(st, wantSt) {
		t.Errorf("ModelStatistics = %v, want %v", st, wantSt)
	}
	if _, err := c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "nope"})
	wantCode(t, err, codes.NotFound)
	if got, want := f.recorded().statsArgs, [][2]string{{"add", "1"}, {"", ""}, {"nope", ""}}; !slices.Equal(got, want) {
		t.Errorf("Statistics called with %v, want %v", got, want)
	}
}

func TestCode(t *testing.T) {
	want := map[infer.Code]codes.Code{
		infer.Internal:          codes.Internal,
		infer.InvalidArgument:   codes.InvalidArgument,
		infer.NotFound:          codes.NotFound,
		infer.Unavailable:       codes.Unavailable,
		infer.ResourceExhausted: codes.ResourceExhausted,
		infer.TooLarge:          codes.ResourceExhausted,
		infer.Unauthenticated:   codes.Unauthenticated,
		infer.DeadlineExceeded:  codes.DeadlineExceeded,
		infer.Canceled:          codes.Canceled,
		infer.Code(99):          codes.Internal,
	}
	for c, w := range want {
		if got := Code(c); got != w {
			t.Errorf("Code(%v) = %v, want %v", c, got, w)
		}
	}
}

// Each infer.Code a model fails with reaches the client as its gRPC code
// with the service's message.
func TestErrorCodes(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	ctx := ctxT(t)
	want := map[string]codes.Code{
		"fail-internal":           codes.Internal,
		"fail-invalid_argument":   codes.InvalidArgument,
		"fail-not_found":          codes.NotFound,
		"fail-unavailable":        codes.Unavailable,
		"fail-resource_exhausted": codes.ResourceExhausted,
		"fail-too_large":          codes.ResourceExhausted,
		"fail-unauthenticated":    codes.Unauthenticated,
		"fail-deadline_exceeded":  codes.DeadlineExceeded,
		"fail-canceled":           codes.Canceled,
	}
	if len(want) != len(failModels) {
		t.Fatalf("test covers %d codes, the fake has %d", len(want), len(failModels))
	}
	for model, code := range want {
		_, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: model})
		wantCode(t, err, code, "fake failure: "+strings.TrimPrefix(model, "fail-"))
	}
}

func TestInternalErrorsHideDetails(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})
	ctx := ctxT(t)

	_, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "plain-error"})
	wantCode(t, err, codes.Internal, "internal error")
	if strings.Contains(err.Error(), "/srv/secret") {
		t.Errorf("the client saw the internal cause: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "/srv/secret/model.onnx") {
		t.Errorf("the cause was not logged; log:\n%s", ts.logs.String())
	}

	_, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "panic"})
	wantCode(t, err, codes.Internal, "internal error")
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "goroutine") {
		t.Errorf("the client saw panic details: %v", err)
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "fake panic") || !strings.Contains(logs, "handler panicked") {
		t.Errorf("the panic was not logged; log:\n%s", logs)
	}

	_, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "nil-output"})
	wantCode(t, err, codes.Internal, "internal error")
	_, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "nil-response"})
	wantCode(t, err, codes.Internal, "internal error")

	// The server keeps serving after all that.
	if live, err := ts.client.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil || !live.Live {
		t.Fatalf("ServerLive after a panic = %v, %v", live, err)
	}
}

func TestRetryAfterTrailer(t *testing.T) {
	ts := startServer(t, newFake(), Options{})
	var trailer metadata.MD
	_, err := ts.client.ModelInfer(ctxT(t), &pb.ModelInferRequest{ModelName: "retry"}, grpc.Trailer(&trailer))
	wantCode(t, err, codes.ResourceExhausted, "queue full")
	// 1.5 s rounds up to 2.
	if got := trailer.Get("retry-after"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("retry-after trailer = %v, want [2]", got)
	}
}

func TestAuthorize(t *testing.T) {
	type call struct{ authorization, method string }
	calls := make(chan call, 100)
	auth := func(_ context.Context, authorization, method string) error {
		calls <- call{authorization, method}
		switch authorization {
		case "Bearer good":
			return nil
		case "Bearer limited":
			return &infer.Error{Code: infer.ResourceExhausted, Msg: "rate limit exceeded", RetryAfter: time.Second}
		case "Bearer panic":
			panic("authorizer bug")
		}
		return infer.Errorf(infer.Unauthenticated, "missing or invalid API key")
	}
	f := newFake()
	ts := startServer(t, f, Options{Authorize: auth})
	ctx := ctxT(t)
	with := func(key string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", key)
	}

	_, err := ts.client.ServerLive(ctx, &pb.ServerLiveRequest{})
	wantCode(t, err, codes.Unauthenticated, "missing or invalid API key")
	if c := <-calls; c != (call{"", "/inference.GRPCInferenceService/ServerLive"}) {
		t.Errorf("Authorize got %+v", c)
	}
	_, err = ts.client.ModelInfer(with("Bearer wrong"), &pb.ModelInferRequest{ModelName: "add"})
	wantCode(t, err, codes.Unauthenticated)
	if c := <-calls; c != (call{"Bearer wrong", "/inference.GRPCInferenceService/ModelInfer"}) {
		t.Errorf("Authorize got %+v", c)
	}
	if f.callCount() != 0 {
		t.Errorf("an unauthorized request reached the service")
	}

	if _, err := ts.client.ServerLive(with("Bearer good"), &pb.ServerLiveRequest{}); err != nil {
		t.Fatalf("authorized call failed: %v", err)
	}
	<-calls

	var trailer metadata.MD
	_, err = ts.client.ModelInfer(with("Bearer limited"), &pb.ModelInferRequest{ModelName: "add"}, grpc.Trailer(&trailer))
	wantCode(t, err, codes.ResourceExhausted, "rate limit exceeded")
	if got := trailer.Get("retry-after"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("retry-after trailer = %v, want [1]", got)
	}
	<-calls

	_, err = ts.client.ServerLive(with("Bearer panic"), &pb.ServerLiveRequest{})
	wantCode(t, err, codes.Internal, "internal error")
	<-calls

	// Health and reflection need no key and do not consult Authorize.
	hc := healthpb.NewHealthClient(ts.conn)
	if r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health check without a key = %v, %v", r, err)
	}
	if got := listServices(t, ts.conn); len(got) == 0 {
		t.Fatal("reflection without a key listed nothing")
	}
	select {
	case c := <-calls:
		t.Errorf("Authorize was called for %+v", c)
	default:
	}
}

func TestDeadline(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{})

	// The client's deadline reaches the service's context.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "slow"})
	wantCode(t, err, codes.DeadlineExceeded)
	if _, _, hadDeadline := f.lastRequest(); !hadDeadline {
		t.Error("the service's context had no deadline")
	}

	// Triton's "timeout" parameter (µs) becomes Request.Timeout; the
	// server's own DEADLINE_EXCEEDED says so in its message (the client's
	// would say "context deadline exceeded").
	_, err = ts.client.ModelInfer(ctxT(t), &pb.ModelInferRequest{ModelName: "slow",
		Parameters: map[string]*pb.InferParameter{"timeout": int64Param(20000)}})
	wantCode(t, err, codes.DeadlineExceeded, "request timed out")
	req, _, _ := f.lastRequest()
	if req.Timeout != 20*time.Millisecond {
		t.Errorf("Request.Timeout = %v, want 20ms", req.Timeout)
	}
}

func TestMaxRecvMsgSize(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{MaxRecvMsgSize: 1024})
	_, err := ts.client.ModelInfer(ctxT(t), &pb.ModelInferRequest{ModelName: "echo",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "UINT8", Shape: []int64{2048}}},
		RawInputContents: [][]byte{make([]byte, 2048)}})
	wantCode(t, err, codes.ResourceExhausted)
	if f.callCount() != 0 {
		t.Error("an oversized request reached the service")
	}
}

func TestGzip(t *testing.T) {
	f := newFake()
	ts := startServer(t, f, Options{MaxRecvMsgSize: 1 << 16})
	ctx := ctxT(t)
	resp, err := ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "add",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{1, 3},
			Contents: &pb.InferTensorContents{Fp32Contents: []float32{0, 1, 2}}}}}, grpc.UseCompressor(gzip.Name))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.RawOutputContents[0]; !slices.Equal(got, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40}) {
		t.Errorf("sum of gzipped request: % x, want 1, 2, 3 as FP32", got)
	}

	// 1 MiB of zeros gzips to about 1 KiB; the limit applies to what it
	// inflates to.
	_, err = ts.client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "echo",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "UINT8", Shape: []int64{1 << 20}}},
		RawInputContents: [][]byte{make([]byte, 1<<20)}}, grpc.UseCompressor(gzip.Name))
	wantCode(t, err, codes.ResourceExhausted)
	if f.callCount() != 1 {
		t.Errorf("the service saw %d requests, want 1", f.callCount())
	}
}

func TestHealth(t *testing.T) {
	old := healthPollInterval
	healthPollInterval = 10 * time.Millisecond
	t.Cleanup(func() { healthPollInterval = old })

	f := newFake()
	ts := startServer(t, f, Options{})
	ctx := ctxT(t)
	hc := healthpb.NewHealthClient(ts.conn)
	check := func(service string, want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || r.Status != want {
			t.Errorf("Check(%q) = %v, %v; want %v", service, r, err, want)
		}
	}
	check("", healthpb.HealthCheckResponse_SERVING)
	check("inference.GRPCInferenceService", healthpb.HealthCheckResponse_SERVING)
	_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.Such"})
	wantCode(t, err, codes.NotFound)

	watch, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{Service: "inference.GRPCInferenceService"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := watch.Recv(); err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first Watch status = %v, %v; want SERVING", r, err)
	}

	f.ready.Store(false)
	// The open Watch learns of the change from the poller, without a Check.
	if r, err := watch.Recv(); err != nil || r.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Watch status after the service became unready = %v, %v; want NOT_SERVING", r, err)
	}
	check("", healthpb.HealthCheckResponse_NOT_SERVING)
	check("inference.GRPCInferenceService", healthpb.HealthCheckResponse_NOT_SERVING)

	list, err := hc.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Statuses) != 2 || list.Statuses[""].GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING ||
		list.Statuses["inference.GRPCInferenceService"].GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("List = %v", list.Statuses)
	}

	f.ready.Store(true)
	if r, err := watch.Recv(); err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch status after the service became ready again = %v, %v; want SERVING", r, err)
	}
}

// listServices asks server reflection for the service names.
func listServices(t *testing.T, conn *grpc.ClientConn) []string {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}}); err != nil {
		t.Fatal(err)
	}
	r, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range r.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

func TestReflection(t *testing.T) {
	ts := startServer(t, newFake(), Options{})
	want := []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection", "inference.GRPCInferenceService"}
	if got := listServices(t, ts.conn); !slices.Equal(got, want) {
		t.Errorf("reflection lists %v, want %v", got, want)
	}

	// The service's descriptor is served too, so grpcurl and the like can
	// call it without the .proto file.
	stream, err := reflectionpb.NewServerReflectionClient(ts.conn).ServerReflectionInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: "inference.GRPCInferenceService"}}); err != nil {
		t.Fatal(err)
	}
	r, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	files := r.GetFileDescriptorResponse().GetFileDescriptorProto()
	if len(files) != 1 {
		t.Fatalf("got %d file descriptors, want 1", len(files))
	}
	var fd descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(files[0], &fd); err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, m := range fd.GetService()[0].GetMethod() {
		methods = append(methods, m.GetName())
	}
	slices.Sort(methods)
	wantMethods := []string{"ModelInfer", "ModelMetadata", "ModelReady", "ModelStatistics", "RepositoryIndex",
		"RepositoryModelLoad", "RepositoryModelUnload", "ServerLive", "ServerMetadata", "ServerReady"}
	if fd.GetName() != "inference.proto" || fd.GetPackage() != "inference" || !slices.Equal(methods, wantMethods) {
		t.Errorf("descriptor %s (package %s) has methods %v, want inference.proto, inference, %v",
			fd.GetName(), fd.GetPackage(), methods, wantMethods)
	}
}
