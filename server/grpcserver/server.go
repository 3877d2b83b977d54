// Package grpcserver is the gRPC front end of the model server: the KServe
// Open Inference Protocol v2 GRPCInferenceService (with Triton's repository
// and statistics RPCs), grpc.health.v1 and server reflection, on top of an
// infer.Service.
package grpcserver

import (
	"context"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	// Triton's and KServe's clients can gzip requests (e.g. tritonclient's
	// compression_algorithm="gzip"); grpc applies MaxRecvMsgSize to the
	// decompressed size, so this opens no decompression bomb.
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/reflection"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// Options configure New. The zero value is usable.
type Options struct {
	// Logger receives internal errors and recovered panics; nil means
	// slog.Default().
	Logger *slog.Logger
	// Authorize, when set, is called for every RPC except health checks and
	// reflection with the metadata's "authorization" value ("Bearer <key>")
	// and the full method name; a non-nil error (an *infer.Error, e.g.
	// Unauthenticated or ResourceExhausted) fails the call with the mapped code.
	Authorize func(ctx context.Context, authorization, method string) error
	// MaxRecvMsgSize bounds one request message; default 64 MiB. Larger
	// messages fail with RESOURCE_EXHAUSTED before they are decoded.
	MaxRecvMsgSize int
	// RoutingMetadata is the metadata key whose value becomes
	// Request.RoutingKey; default "x-user-id".
	RoutingMetadata string
	// ServerOptions are appended to the server's own options (for example
	// grpc.Creds for TLS, keepalive settings).
	ServerOptions []grpc.ServerOption
}

const (
	defaultMaxRecvMsgSize  = 64 << 20
	defaultRoutingMetadata = "x-user-id"
)

// New builds a gRPC server (not yet serving) with GRPCInferenceService,
// grpc.health.v1.Health (SERVING while svc.Ready(), overall and per service)
// and server reflection registered.
func New(svc infer.Service, opts Options) *grpc.Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxRecvMsgSize <= 0 {
		opts.MaxRecvMsgSize = defaultMaxRecvMsgSize
	}
	if opts.RoutingMetadata == "" {
		opts.RoutingMetadata = defaultRoutingMetadata
	}
	// gRPC metadata keys travel lower-case.
	opts.RoutingMetadata = strings.ToLower(opts.RoutingMetadata)

	ic := interceptors{log: opts.Logger, authorize: opts.Authorize}
	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(opts.MaxRecvMsgSize),
		// The recovery interceptor comes first so that it also catches
		// panics in Authorize.
		grpc.ChainUnaryInterceptor(ic.recoverUnary, ic.authorizeUnary),
		grpc.ChainStreamInterceptor(ic.recoverStream, ic.authorizeStream),
	}
	s := grpc.NewServer(append(serverOpts, opts.ServerOptions...)...)

	pb.RegisterGRPCInferenceServiceServer(s, &service{svc: svc, log: opts.Logger, routingKey: opts.RoutingMetadata})
	registerHealth(s, svc, opts.Logger)
	reflection.Register(s)
	return s
}
