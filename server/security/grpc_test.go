package security

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/gonyx/gonyx/server/infer"
)

func TestGRPCKind(t *testing.T) {
	for method, want := range map[string]Kind{
		"/inference.GRPCInferenceService/ModelInfer":            KindInference,
		"/inference.GRPCInferenceService/ModelMetadata":         KindInference,
		"/inference.GRPCInferenceService/ServerMetadata":        KindInference,
		"/inference.GRPCInferenceService/ModelStatistics":       KindInference,
		"/inference.GRPCInferenceService/RepositoryIndex":       KindRepository,
		"/inference.GRPCInferenceService/RepositoryModelLoad":   KindRepository,
		"/inference.GRPCInferenceService/RepositoryModelUnload": KindRepository,
		"/inference.GRPCInferenceService/ServerLive":            KindHealth,
		"/inference.GRPCInferenceService/ServerReady":           KindHealth,
		"/inference.GRPCInferenceService/ModelReady":            KindHealth,
		"/grpc.health.v1.Health/Check":                          KindHealth,
		"/grpc.health.v1.Health/Watch":                          KindHealth,
		"/grpc.reflection.v1.ServerReflection/Info":             KindInference,
		"":        KindInference,
		"garbage": KindInference,
	} {
		if got := grpcKind(method); got != want {
			t.Errorf("grpcKind(%q) = %v, want %v", method, got, want)
		}
	}
}

func TestGRPCAuthorizeUsesPeerAddressAndMethodKind(t *testing.T) {
	g := NewGuard(Policy{Keys: testKeys(t), RatePerSecond: 1, Burst: 1})
	withPeer := func(ip string) context.Context {
		return peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 4000}})
	}
	const infer_ = "/inference.GRPCInferenceService/ModelInfer"
	if err := g.GRPCAuthorize(withPeer("10.0.0.1"), "", infer_); codeOf(err) != infer.Unauthenticated {
		t.Errorf("no key: %v, want Unauthenticated", err)
	}
	if err := g.GRPCAuthorize(withPeer("10.0.0.1"), "", "/inference.GRPCInferenceService/RepositoryIndex"); codeOf(err) != infer.Unauthenticated {
		t.Errorf("repository without key: %v, want Unauthenticated", err)
	}
	if err := g.GRPCAuthorize(withPeer("10.0.0.1"), "", "/inference.GRPCInferenceService/ServerReady"); err != nil {
		t.Errorf("health without key: %v", err)
	}
	if err := g.GRPCAuthorize(withPeer("10.0.0.1"), "Bearer "+aliceSecret, infer_); err != nil {
		t.Errorf("good key: %v", err)
	}
	if err := g.GRPCAuthorize(context.Background(), "Bearer "+aliceSecret, infer_); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("second call (no peer): %v, want ResourceExhausted", err)
	}

	// Auth off: the limit is per peer IP, whatever the port.
	open := NewGuard(Policy{RatePerSecond: 1, Burst: 1})
	if err := open.GRPCAuthorize(withPeer("10.0.0.1"), "", infer_); err != nil {
		t.Fatal(err)
	}
	if err := open.GRPCAuthorize(withPeer("10.0.0.1"), "", infer_); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("same peer: %v, want ResourceExhausted", err)
	}
	if err := open.GRPCAuthorize(withPeer("10.0.0.2"), "", infer_); err != nil {
		t.Errorf("other peer: %v", err)
	}
	if _, ok := open.limiters.byKey["client:10.0.0.1"]; !ok {
		t.Errorf("limiter not keyed by peer IP: %v", open.limiters.byKey)
	}
}

// TestGRPCAuthorizeOverARealServer wires the hook into a gRPC server the way
// the server package does (an interceptor reading the metadata) and calls
// it over a socket, so the peer address is the real one.
func TestGRPCAuthorizeOverARealServer(t *testing.T) {
	g := NewGuard(Policy{Keys: testKeys(t), ProtectHealth: true})
	authorize := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		auth := ""
		if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
			auth = md.Get("authorization")[0]
		}
		if err := g.GRPCAuthorize(ctx, auth, info.FullMethod); err != nil {
			e := infer.AsError(err)
			if e.Code == infer.Unauthenticated {
				return nil, status.Error(codes.Unauthenticated, e.Msg)
			}
			return nil, status.Error(codes.Internal, e.Msg)
		}
		return handler(ctx, req)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(authorize))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unauthenticated || status.Convert(err).Message() != "missing or invalid API key" {
		t.Errorf("no key: %v, want Unauthenticated", err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+bobSecret)
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("with key: %v %v", resp, err)
	}
}
