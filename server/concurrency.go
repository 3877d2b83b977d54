package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// concurrency tracks how many inference requests are in the server at once
// (from the moment the front end accepts one until it has answered) and the
// recent peak of that count. Eager batchers use the peak as the batch size
// worth waiting for: a lone client (peak 1) never waits, 64 clients fill
// batches. See docs/RATIONALE.md, "Adaptive batching".
type concurrency struct {
	mu          sync.Mutex
	now         int
	peak        int // peak in the current window
	prevPeak    int // peak in the previous window
	windowStart time.Time
}

// peakWindow is how long a peak is remembered (one to two windows).
const peakWindow = 100 * time.Millisecond

func (c *concurrency) enter() {
	c.mu.Lock()
	c.now++
	c.roll(time.Now())
	c.peak = max(c.peak, c.now)
	c.mu.Unlock()
}

func (c *concurrency) leave() {
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
}

// roll starts a new window when the current one is over. Callers hold mu.
func (c *concurrency) roll(now time.Time) {
	if now.Sub(c.windowStart) < peakWindow {
		return
	}
	if now.Sub(c.windowStart) < 2*peakWindow {
		c.prevPeak = c.peak
	} else {
		c.prevPeak = c.now
	}
	c.peak = c.now
	c.windowStart = now
}

// expect is the recent peak of concurrent requests.
func (c *concurrency) expect() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(time.Now())
	return max(c.peak, c.prevPeak)
}

// httpMiddleware counts inference requests (…/infer and …/predict).
func (c *concurrency) httpMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if r.Method != http.MethodPost || !(strings.HasSuffix(p, "/infer") || strings.HasSuffix(p, "/predict")) {
			next.ServeHTTP(w, r)
			return
		}
		c.enter()
		defer c.leave()
		next.ServeHTTP(w, r)
	})
}

// grpcInterceptor counts ModelInfer calls.
func (c *concurrency) grpcInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !strings.HasSuffix(info.FullMethod, "/ModelInfer") {
		return handler(ctx, req)
	}
	c.enter()
	defer c.leave()
	return handler(ctx, req)
}
