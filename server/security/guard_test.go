package security

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// testKeys opens a key file with alice and bob.
func testKeys(t *testing.T) *KeyFile {
	t.Helper()
	path := tempPath(t, "keys")
	writeFile(t, path, "alice "+aliceSecret+"\nbob "+bobSecret+"\n", time.Now())
	k, err := OpenKeyFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func codeOf(err error) infer.Code {
	var e *infer.Error
	if !errors.As(err, &e) {
		return -1
	}
	return e.Code
}

func TestCheckRequiresKeysPerKind(t *testing.T) {
	keys := testKeys(t)
	good, bad := "Bearer "+aliceSecret, "Bearer "+aliceSecret+"x"
	cases := []struct {
		protectHealth, protectMetrics bool
		kind                          Kind
		auth                          string
		wantName                      string
		wantErr                       bool
	}{
		{false, false, KindInference, good, "alice", false},
		{false, false, KindInference, bad, "", true},
		{false, false, KindInference, "", "", true},
		{false, false, KindRepository, good, "alice", false},
		{false, false, KindRepository, "", "", true},
		{false, false, KindHealth, "", "", false},
		{false, false, KindHealth, bad, "", false}, // not checked at all
		{true, false, KindHealth, "", "", true},
		{true, false, KindHealth, good, "alice", false},
		{false, false, KindMetrics, "", "", false},
		{false, true, KindMetrics, "", "", true},
		{false, true, KindMetrics, good, "alice", false},
		{true, false, KindMetrics, "", "", false}, // ProtectHealth does not cover metrics
		{false, true, KindHealth, "", "", false},  // nor ProtectMetrics health
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/health=%v/metrics=%v/auth=%q", c.kind, c.protectHealth, c.protectMetrics, c.auth), func(t *testing.T) {
			m := &fakeMetrics{}
			g := NewGuard(Policy{Keys: keys, ProtectHealth: c.protectHealth, ProtectMetrics: c.protectMetrics, Metrics: m})
			name, err := g.Check(context.Background(), c.auth, "10.0.0.1", c.kind)
			_, failures := m.counts()
			if c.wantErr {
				var e *infer.Error
				if !errors.As(err, &e) || e.Code != infer.Unauthenticated || e.Msg != "missing or invalid API key" {
					t.Fatalf("err = %#v, want Unauthenticated \"missing or invalid API key\"", err)
				}
				if failures != 1 {
					t.Errorf("auth failures counted %d, want 1", failures)
				}
				return
			}
			if err != nil || name != c.wantName {
				t.Fatalf("Check = %q, %v; want %q, nil", name, err, c.wantName)
			}
			if failures != 0 {
				t.Errorf("auth failures counted %d, want 0", failures)
			}
		})
	}
}

func TestCheckWithoutKeysLetsEverythingThrough(t *testing.T) {
	g := NewGuard(Policy{ProtectHealth: true, ProtectMetrics: true})
	for _, kind := range []Kind{KindInference, KindRepository, KindHealth, KindMetrics} {
		if name, err := g.Check(context.Background(), "", "", kind); err != nil || name != "" {
			t.Errorf("%v: %q, %v", kind, name, err)
		}
	}
}

func TestCheckAcceptsOnlyBearer(t *testing.T) {
	g := NewGuard(Policy{Keys: testKeys(t)})
	for auth, ok := range map[string]bool{
		"Bearer " + aliceSecret:          true,
		"bearer " + aliceSecret:          true,
		"BEARER   " + aliceSecret + "  ": true,
		aliceSecret:                      false,
		"Basic " + aliceSecret:           false,
		"Bearer":                         false,
		"Bearer ":                        false,
		"Bearer" + aliceSecret:           false,
		"Token " + aliceSecret:           false,
	} {
		_, err := g.Check(context.Background(), auth, "", KindInference)
		if (err == nil) != ok {
			t.Errorf("Authorization %q: err = %v, want accepted=%v", auth, err, ok)
		}
	}
}

func TestCheckHonoursAFinishedContext(t *testing.T) {
	g := NewGuard(Policy{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Check(ctx, "", "", KindInference); codeOf(err) != infer.Canceled {
		t.Errorf("err = %v, want Canceled", err)
	}
}

// newLimitedGuard is a guard on a fake clock.
func newLimitedGuard(p Policy, clock *fakeClock) *Guard {
	g := NewGuard(p)
	g.now = clock.Now
	return g
}

func TestRateLimitPerKeyBurstThenRetryAfter(t *testing.T) {
	clock := newClock()
	m := &fakeMetrics{}
	g := newLimitedGuard(Policy{Keys: testKeys(t), RatePerSecond: 1, Burst: 2, Metrics: m}, clock)
	alice, bob := "Bearer "+aliceSecret, "Bearer "+bobSecret
	ctx := context.Background()

	for i := 0; i < 2; i++ {
		if _, err := g.Check(ctx, alice, "10.0.0.1", KindInference); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	name, err := g.Check(ctx, alice, "10.0.0.1", KindInference)
	var e *infer.Error
	if !errors.As(err, &e) || e.Code != infer.ResourceExhausted {
		t.Fatalf("third call: %v, want ResourceExhausted", err)
	}
	if e.RetryAfter < time.Second || e.RetryAfter%time.Second != 0 {
		t.Errorf("RetryAfter = %v, want whole seconds ≥ 1s", e.RetryAfter)
	}
	if e.RetryAfter != time.Second { // the next token is exactly 1s away at 1/s
		t.Errorf("RetryAfter = %v, want 1s", e.RetryAfter)
	}
	if name != "alice" || e.Msg != "rate limit exceeded; retry after 1 s" {
		t.Errorf("name %q, msg %q", name, e.Msg)
	}

	// Another key has its own bucket, as does the repository kind's caller
	// key (same bucket as alice's inference), and health is never limited.
	if _, err := g.Check(ctx, bob, "10.0.0.1", KindInference); err != nil {
		t.Errorf("bob limited by alice's traffic: %v", err)
	}
	if _, err := g.Check(ctx, alice, "10.0.0.1", KindRepository); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("repository calls should share alice's limit: %v", err)
	}
	for i := 0; i < 5; i++ {
		if _, err := g.Check(ctx, alice, "10.0.0.1", KindHealth); err != nil {
			t.Errorf("health limited: %v", err)
		}
		if _, err := g.Check(ctx, alice, "10.0.0.1", KindMetrics); err != nil {
			t.Errorf("metrics limited: %v", err)
		}
	}
	if limited, _ := m.counts(); limited["alice"] != 2 || len(limited) != 1 {
		t.Errorf("rate limited metric = %v, want alice:2", limited)
	}

	// Refusals give their token back: after one second exactly one call fits.
	clock.Advance(time.Second)
	if _, err := g.Check(ctx, alice, "10.0.0.1", KindInference); err != nil {
		t.Errorf("after 1s: %v", err)
	}
	if _, err := g.Check(ctx, alice, "10.0.0.1", KindInference); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("second call after 1s: %v, want ResourceExhausted", err)
	}
}

func TestRetryAfterRoundsUpToWholeSeconds(t *testing.T) {
	cases := []struct {
		rate float64
		want time.Duration
	}{
		{0.25, 4 * time.Second}, // next token in 4s
		{0.4, 3 * time.Second},  // 2.5s rounds up
		{3, time.Second},        // 333ms becomes the 1s minimum
	}
	for _, c := range cases {
		g := newLimitedGuard(Policy{RatePerSecond: c.rate, Burst: 1}, newClock())
		if _, err := g.Check(context.Background(), "", "c", KindInference); err != nil {
			t.Fatal(err)
		}
		_, err := g.Check(context.Background(), "", "c", KindInference)
		var e *infer.Error
		if !errors.As(err, &e) || e.RetryAfter != c.want {
			t.Errorf("rate %v: err %v, want RetryAfter %v", c.rate, err, c.want)
		}
	}
}

func TestRateLimitPerClientWhenAuthIsOff(t *testing.T) {
	m := &fakeMetrics{}
	g := newLimitedGuard(Policy{RatePerSecond: 1, Burst: 1, Metrics: m}, newClock())
	ctx := context.Background()
	if _, err := g.Check(ctx, "", "10.0.0.1", KindInference); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, "", "10.0.0.1", KindInference); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("same client: %v, want ResourceExhausted", err)
	}
	if _, err := g.Check(ctx, "", "10.0.0.2", KindInference); err != nil {
		t.Errorf("other client limited: %v", err)
	}
	// The metric never names the address.
	if limited, _ := m.counts(); limited["anonymous"] != 1 || len(limited) != 1 {
		t.Errorf("rate limited metric = %v, want anonymous:1", limited)
	}
}

func TestDefaultBurstIsTheRateRoundedUp(t *testing.T) {
	g := newLimitedGuard(Policy{RatePerSecond: 2.5}, newClock())
	for i := 0; i < 3; i++ {
		if _, err := g.Check(context.Background(), "", "c", KindInference); err != nil {
			t.Fatalf("call %d of a burst of 3: %v", i+1, err)
		}
	}
	if _, err := g.Check(context.Background(), "", "c", KindInference); codeOf(err) != infer.ResourceExhausted {
		t.Errorf("fourth call: %v, want ResourceExhausted", err)
	}
	if g := NewGuard(Policy{RatePerSecond: -1}); g.limiters != nil {
		t.Error("a negative rate should mean unlimited")
	}
}

func TestPerClientLimitersAreBounded(t *testing.T) {
	g := newLimitedGuard(Policy{RatePerSecond: 1, Burst: 1}, newClock())
	for i := 0; i < maxLimiters+5000; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if _, err := g.Check(context.Background(), "", ip, KindInference); err != nil {
			t.Fatalf("first call of %s: %v", ip, err)
		}
	}
	if n := g.limiters.len(); n != maxLimiters {
		t.Errorf("%d limiters kept, want the bound %d", n, maxLimiters)
	}
}

func TestLimiterCacheDropsLeastRecentlyUsed(t *testing.T) {
	c := newLimiterCache(2, 1, 1)
	a := c.get("a")
	c.get("b")
	if c.get("a") != a { // a is now the most recent
		t.Fatal("a not kept")
	}
	c.get("c") // evicts b
	if c.len() != 2 {
		t.Fatalf("len %d, want 2", c.len())
	}
	if c.get("a") != a {
		t.Error("recently used a was evicted")
	}
	if _, ok := c.byKey["b"]; ok {
		t.Error("least recently used b was kept")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindInference: "inference", KindRepository: "repository",
		KindHealth: "health", KindMetrics: "metrics", Kind(9): "kind(9)"} {
		if k.String() != want {
			t.Errorf("%d: %q, want %q", int(k), k.String(), want)
		}
	}
}

func TestNilGuardLetsEverythingThrough(t *testing.T) {
	var g *Guard
	if name, err := g.Check(context.Background(), "", "", KindInference); err != nil || name != "" {
		t.Errorf("nil guard: %q, %v", name, err)
	}
}

func TestGuardConcurrentChecks(t *testing.T) {
	m := &fakeMetrics{}
	g := NewGuard(Policy{Keys: testKeys(t), RatePerSecond: 1000, Burst: 50, Metrics: m})
	open := NewGuard(Policy{RatePerSecond: 1, Burst: 1, Metrics: m})
	g.limiters.max, open.limiters.max = 8, 8 // force evictions while racing
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				auth := "Bearer " + aliceSecret
				if i%3 == 0 {
					auth = "Bearer nope-nope-nope-nope"
				}
				_, err := g.Check(context.Background(), auth, "", KindInference)
				if c := codeOf(err); err != nil && c != infer.Unauthenticated && c != infer.ResourceExhausted {
					t.Errorf("unexpected error %v", err)
				}
				open.Check(context.Background(), "", fmt.Sprintf("10.0.%d.%d", w, i%20), KindInference)
			}
		}(w)
	}
	wg.Wait()
	if _, failures := m.counts(); failures != 600 {
		t.Errorf("auth failures %d, want 600 (every third of 6×300)", failures)
	}
	if n := open.limiters.len(); n > 8 {
		t.Errorf("%d limiters, bound is 8", n)
	}
}
