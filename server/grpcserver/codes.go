package grpcserver

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gonyx/gonyx/server/infer"
)

// Code is the gRPC status code for an infer.Code.
func Code(c infer.Code) codes.Code {
	switch c {
	case infer.InvalidArgument:
		return codes.InvalidArgument
	case infer.NotFound:
		return codes.NotFound
	case infer.Unavailable:
		return codes.Unavailable
	case infer.ResourceExhausted, infer.TooLarge:
		return codes.ResourceExhausted
	case infer.Unauthenticated:
		return codes.Unauthenticated
	case infer.DeadlineExceeded:
		return codes.DeadlineExceeded
	case infer.Canceled:
		return codes.Canceled
	}
	return codes.Internal
}

// retryAfterKey is the trailer that carries infer.Error.RetryAfter in whole
// seconds, like HTTP's Retry-After, so clients can back off.
const retryAfterKey = "retry-after"

// toStatus turns an error from the service or from our own validation into
// a gRPC status error whose message is safe to show. Internal errors are
// logged with their cause, which the client never sees. Errors that are
// already gRPC statuses pass unchanged.
func toStatus(ctx context.Context, log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	var ie *infer.Error
	if !errors.As(err, &ie) {
		if _, ok := status.FromError(err); ok {
			return err
		}
	}
	e := infer.AsError(err)
	if e.Code == infer.Internal {
		cause := e.Msg
		if e.Err != nil {
			cause = e.Err.Error()
		}
		log.ErrorContext(ctx, "grpc: internal error", "method", method, "error", e.Msg, "cause", cause)
	}
	if e.RetryAfter > 0 {
		secs := int64(math.Ceil(e.RetryAfter.Seconds()))
		// A failure to set the trailer only loses the hint.
		_ = grpc.SetTrailer(ctx, metadata.Pairs(retryAfterKey, strconv.FormatInt(secs, 10)))
	}
	return status.Error(Code(e.Code), e.Msg)
}
