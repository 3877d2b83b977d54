package security

import (
	"context"
	"strings"

	"google.golang.org/grpc/peer"
)

// GRPCAuthorize is the gRPC server's authorization hook: authorization is
// the "authorization" metadata value and method the full method name
// ("/inference.GRPCInferenceService/ModelInfer"). The client is identified by
// the peer address.
func (g *Guard) GRPCAuthorize(ctx context.Context, authorization, method string) error {
	client := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		client = hostOf(p.Addr.String())
	}
	if _, err := g.Check(ctx, authorization, client, grpcKind(method)); err != nil {
		return err
	}
	return nil
}

// grpcKind classifies a full gRPC method name: the repository extension's
// RPCs are KindRepository; liveness, readiness (server and model, as in the
// KServe health API) and the standard grpc.health.v1 service are
// KindHealth; everything else is KindInference, the strictest default.
func grpcKind(method string) Kind {
	service, name := "", method
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		service, name = strings.TrimPrefix(method[:i], "/"), method[i+1:]
	}
	switch {
	case service == "grpc.health.v1.Health":
		return KindHealth
	case name == "ServerLive" || name == "ServerReady" || name == "ModelReady":
		return KindHealth
	case strings.HasPrefix(name, "Repository"):
		return KindRepository
	}
	return KindInference
}
