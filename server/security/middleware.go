package security

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

type keyNameCtx struct{}

// KeyName is the name of the API key that authorised the request carried by
// ctx ("" when none was needed), as set by Guard.Middleware.
func KeyName(ctx context.Context) string {
	name, _ := ctx.Value(keyNameCtx{}).(string)
	return name
}

// Middleware checks each request before next sees it. kindOf classifies the
// request (nil = everything is KindInference). The client is identified by
// the connection's address: X-Forwarded-For is not trusted, since any client
// could set it to dodge its limit. Refusals are JSON {"error": "..."}: 401
// with WWW-Authenticate: Bearer, or 429 with Retry-After.
func (g *Guard) Middleware(kindOf func(*http.Request) Kind, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := KindInference
		if kindOf != nil {
			kind = kindOf(r)
		}
		name, err := g.Check(r.Context(), r.Header.Get("Authorization"), hostOf(r.RemoteAddr), kind)
		if err != nil {
			writeError(w, err, 0)
			return
		}
		if name != "" {
			r = r.WithContext(context.WithValue(r.Context(), keyNameCtx{}, name))
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers with err's message as JSON, with the status given or,
// when status is 0, the one err's code maps to; adds the headers the error
// calls for.
func writeError(w http.ResponseWriter, err error, status int) {
	e := infer.AsError(err)
	if status == 0 {
		status = e.Code.HTTPStatus()
	}
	h := w.Header()
	if e.Code == infer.Unauthenticated {
		h.Set("WWW-Authenticate", "Bearer")
	}
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": e.Msg})
}

// hostOf is the host part of a "host:port" address, or the address itself
// when it has no port.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
