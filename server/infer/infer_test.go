package infer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

func TestHTTPStatus(t *testing.T) {
	want := map[Code]int{Internal: 500, InvalidArgument: 400, NotFound: 404, Unavailable: 503,
		ResourceExhausted: 429, TooLarge: 413, Unauthenticated: 401, DeadlineExceeded: 504, Canceled: 499}
	for c, s := range want {
		if got := c.HTTPStatus(); got != s {
			t.Errorf("%v: %d, want %d", c, got, s)
		}
	}
}

func TestAsError(t *testing.T) {
	e := Errorf(NotFound, "model %q", "x")
	if got := AsError(fmt.Errorf("wrapped: %w", e)); got != e {
		t.Errorf("a wrapped *Error: %v", got)
	}
	if c := CodeOf(context.DeadlineExceeded); c != DeadlineExceeded {
		t.Errorf("deadline: %v", c)
	}
	if c := CodeOf(fmt.Errorf("x: %w", context.Canceled)); c != Canceled {
		t.Errorf("canceled: %v", c)
	}
	secret := errors.New("open /etc/secret: permission denied")
	got := AsError(secret)
	if got.Code != Internal || got.Msg != "internal error" || !errors.Is(got, secret) {
		t.Errorf("a plain error must become a generic internal error keeping its cause: %+v", got)
	}
	if CodeOf(nil) != -1 || AsError(nil) != nil {
		t.Error("nil")
	}
}

func TestDatatypes(t *testing.T) {
	for dt, name := range map[tensor.DType]string{tensor.Float32: "FP32", tensor.Float16: "FP16", tensor.BFloat16: "BF16",
		tensor.String: "BYTES", tensor.Bool: "BOOL", tensor.Int64: "INT64", tensor.Uint8: "UINT8"} {
		if got := Datatype(dt); got != name {
			t.Errorf("%v: %q, want %q", dt, got, name)
		}
		if back, ok := DTypeOf(name); !ok || back != dt {
			t.Errorf("%q: %v", name, back)
		}
	}
	if _, ok := DTypeOf("FP8"); ok {
		t.Error("FP8 accepted")
	}
	if Datatype(tensor.Complex64) != "" {
		t.Error("complex64 has no KServe name")
	}
}
