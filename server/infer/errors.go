package infer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code classifies a failed request. Each front end maps it to its protocol:
// HTTPStatus for REST; the grpcserver package maps it to gRPC codes.
type Code int

const (
	Internal          Code = iota // our bug: 500 / INTERNAL
	InvalidArgument               // bad input: 400 / INVALID_ARGUMENT
	NotFound                      // unknown model or version: 404 / NOT_FOUND
	Unavailable                   // not ready, shutting down: 503 / UNAVAILABLE
	ResourceExhausted             // queue full, rate limited: 429 / RESOURCE_EXHAUSTED
	TooLarge                      // request over the size limit: 413 / RESOURCE_EXHAUSTED
	Unauthenticated               // missing or wrong API key: 401 / UNAUTHENTICATED
	DeadlineExceeded              // request timeout passed: 504 / DEADLINE_EXCEEDED
	Canceled                      // the client went away: 499 / CANCELLED
)

var codeNames = [...]string{"internal", "invalid_argument", "not_found", "unavailable",
	"resource_exhausted", "too_large", "unauthenticated", "deadline_exceeded", "canceled"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// HTTPStatus is the REST status for the code.
func (c Code) HTTPStatus() int {
	switch c {
	case InvalidArgument:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Unavailable:
		return http.StatusServiceUnavailable
	case ResourceExhausted:
		return http.StatusTooManyRequests
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Unauthenticated:
		return http.StatusUnauthorized
	case DeadlineExceeded:
		return http.StatusGatewayTimeout
	case Canceled:
		return 499 // nginx's "client closed request"; the client never sees it
	}
	return http.StatusInternalServerError
}

// Error is a request failure with a code and a message safe to show to the
// client (no stack traces, no internal paths).
type Error struct {
	Code Code
	Msg  string
	// RetryAfter, when set, is sent as Retry-After (rate limits, full queues).
	RetryAfter time.Duration
	// Err is the underlying cause, kept for logs; not shown to clients.
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap makes an *Error whose message is msg followed by err's text.
func Wrap(code Code, err error, msg string) *Error {
	if msg == "" {
		return &Error{Code: code, Msg: err.Error(), Err: err}
	}
	return &Error{Code: code, Msg: msg + ": " + err.Error(), Err: err}
}

// AsError classifies any error: an *Error anywhere in the chain is returned
// as is; context errors become DeadlineExceeded or Canceled; anything else
// is Internal with a generic message (the cause stays in Err for the log).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: DeadlineExceeded, Msg: "request timed out", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: Canceled, Msg: "request canceled", Err: err}
	}
	return &Error{Code: Internal, Msg: "internal error", Err: err}
}

// CodeOf is AsError(err).Code, and -1 for nil.
func CodeOf(err error) Code {
	if err == nil {
		return -1
	}
	return AsError(err).Code
}
