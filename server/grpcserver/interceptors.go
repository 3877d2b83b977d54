package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// interceptors hold what the unary and stream interceptors share.
type interceptors struct {
	log       *slog.Logger
	authorize func(ctx context.Context, authorization, method string) error
}

// errPanic is what a client sees after a handler panicked: the panic value
// and stack go to the log only.
var errPanic = status.Error(codes.Internal, "internal error")

func (ic interceptors) recovered(ctx context.Context, method string, p any) {
	ic.log.ErrorContext(ctx, "grpc: handler panicked", "method", method,
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
}

func (ic interceptors) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			ic.recovered(ctx, info.FullMethod, p)
			resp, err = nil, errPanic
		}
	}()
	return handler(ctx, req)
}

func (ic interceptors) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			ic.recovered(ss.Context(), info.FullMethod, p)
			err = errPanic
		}
	}()
	return handler(srv, ss)
}

// Health checks must answer load balancers and orchestrators that hold no
// API key, and reflection only describes the API, so neither is authorized.
var unauthorizedServices = []string{
	"/grpc.health.v1.Health/",
	"/grpc.reflection.v1.ServerReflection/",
	"/grpc.reflection.v1alpha.ServerReflection/",
}

func needsAuthorization(method string) bool {
	for _, prefix := range unauthorizedServices {
		if strings.HasPrefix(method, prefix) {
			return false
		}
	}
	return true
}

// check runs Authorize for method, returning the gRPC status to fail with.
func (ic interceptors) check(ctx context.Context, method string) error {
	if ic.authorize == nil || !needsAuthorization(method) {
		return nil
	}
	var authorization string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			authorization = v[0]
		}
	}
	return toStatus(ctx, ic.log, method, ic.authorize(ctx, authorization, method))
}

func (ic interceptors) authorizeUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := ic.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (ic interceptors) authorizeStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := ic.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
