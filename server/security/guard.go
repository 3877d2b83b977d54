package security

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/gonyx/gonyx/server/infer"
)

// Kind classifies a request for the guard: which ones need a key and which
// ones count against the rate limit.
type Kind int

const (
	KindInference  Kind = iota // inference, metadata, statistics: key and rate limit
	KindRepository             // repository index, load, unload: key and rate limit
	KindHealth                 // liveness and readiness: key only if Policy.ProtectHealth
	KindMetrics                // /metrics: key only if Policy.ProtectMetrics
)

func (k Kind) String() string {
	switch k {
	case KindInference:
		return "inference"
	case KindRepository:
		return "repository"
	case KindHealth:
		return "health"
	case KindMetrics:
		return "metrics"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Policy configures a Guard.
type Policy struct {
	Keys           *KeyFile // nil = auth off
	ProtectHealth  bool     // require keys on /v2/health/* too (default false)
	ProtectMetrics bool     // require keys on /metrics (default false)
	// RatePerSecond is the sustained rate allowed per key (or per client IP
	// when auth is off) for inference and repository requests; 0 = unlimited.
	RatePerSecond float64
	// Burst is how many requests may arrive at once; below 1 it defaults to
	// RatePerSecond rounded up (at least 1).
	Burst   int
	Metrics interface {
		RateLimited(key string)
		AuthFailures()
	} // may be nil
}

// maxLimiters bounds the limiters kept (least recently used ones are
// dropped), so a flood of client addresses cannot grow memory without bound.
const maxLimiters = 10000

// anonymous is the rate limit metric label when limits are per address:
// addresses would make unbounded series.
const anonymous = "anonymous"

// Guard checks API keys and rate limits. It is safe for concurrent use.
type Guard struct {
	p        Policy
	limiters *limiterCache // nil when unlimited
	now      func() time.Time
}

// NewGuard makes a Guard for p.
func NewGuard(p Policy) *Guard {
	g := &Guard{p: p, now: time.Now}
	if p.RatePerSecond > 0 && !math.IsInf(p.RatePerSecond, 1) && !math.IsNaN(p.RatePerSecond) {
		burst := p.Burst
		if burst < 1 {
			burst = int(math.Min(math.Ceil(p.RatePerSecond), math.MaxInt32))
		}
		g.limiters = newLimiterCache(maxLimiters, rate.Limit(p.RatePerSecond), burst)
	}
	return g
}

// Check decides whether a request may proceed. authorization is the
// Authorization header (or gRPC metadata) value, "Bearer <secret>";
// clientID identifies the caller for per-client limits when auth is off
// (the client IP). It returns the key's name ("" when no key was needed) or
// an *infer.Error: Unauthenticated for a missing or wrong key,
// ResourceExhausted with RetryAfter when over the rate. A nil *Guard lets
// everything through.
func (g *Guard) Check(ctx context.Context, authorization, clientID string, kind Kind) (keyName string, err error) {
	if g == nil { // no guard configured: everything passes
		return "", nil
	}
	if ctx != nil && ctx.Err() != nil {
		return "", infer.AsError(ctx.Err())
	}
	if g.needsKey(kind) {
		name, ok := "", false
		if secret, found := bearerToken(authorization); found {
			name, ok = g.p.Keys.Lookup(secret)
		}
		if !ok {
			if g.p.Metrics != nil {
				g.p.Metrics.AuthFailures()
			}
			return "", infer.Errorf(infer.Unauthenticated, "missing or invalid API key")
		}
		keyName = name
	}
	if g.limiters == nil || (kind != KindInference && kind != KindRepository) {
		return keyName, nil
	}
	bucket, metricKey := "key:"+keyName, keyName
	if g.p.Keys == nil {
		if clientID == "" {
			clientID = "unknown"
		}
		bucket, metricKey = "client:"+clientID, anonymous
	}
	if retry, limited := g.overRate(bucket); limited {
		if g.p.Metrics != nil {
			g.p.Metrics.RateLimited(metricKey)
		}
		secs := int64(retry / time.Second)
		return keyName, &infer.Error{
			Code:       infer.ResourceExhausted,
			Msg:        fmt.Sprintf("rate limit exceeded; retry after %d s", secs),
			RetryAfter: retry,
		}
	}
	return keyName, nil
}

func (g *Guard) needsKey(kind Kind) bool {
	if g.p.Keys == nil {
		return false
	}
	switch kind {
	case KindHealth:
		return g.p.ProtectHealth
	case KindMetrics:
		return g.p.ProtectMetrics
	}
	return true
}

// overRate takes a token from bucket's limiter. When none is available it
// gives the token back and reports how long to wait, in whole seconds
// rounded up and at least one (Retry-After has second resolution).
func (g *Guard) overRate(bucket string) (retryAfter time.Duration, limited bool) {
	lim := g.limiters.get(bucket)
	now := g.now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, true
	}
	delay := r.DelayFrom(now)
	if delay <= 0 {
		return 0, false
	}
	r.CancelAt(now)
	secs := (delay + time.Second - 1) / time.Second
	if secs < 1 {
		secs = 1
	}
	return secs * time.Second, true
}

// bearerToken extracts the credentials of "Bearer <token>"; the scheme is
// case-insensitive (RFC 7235). Any other scheme, or a bare token, is refused.
func bearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
