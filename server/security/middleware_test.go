package security

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// get sends a request with an optional Authorization header.
func get(t *testing.T, url, auth string) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]string
	_ = json.Unmarshal(body, &doc)
	return resp, doc
}

func kindByPath(r *http.Request) Kind {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v2/health/"):
		return KindHealth
	case r.URL.Path == "/metrics":
		return KindMetrics
	case strings.HasPrefix(r.URL.Path, "/v2/repository/"):
		return KindRepository
	}
	return KindInference
}

func TestMiddlewareOverHTTP(t *testing.T) {
	var seenKey string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenKey = KeyName(r.Context())
		w.Write([]byte("ok"))
	})
	g := NewGuard(Policy{Keys: testKeys(t), RatePerSecond: 1, Burst: 1})
	srv := httptest.NewServer(g.Middleware(kindByPath, next))
	defer srv.Close()

	resp, doc := get(t, srv.URL+"/v2/models/m/infer", "")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no key: %d, WWW-Authenticate %q; want 401, Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if doc["error"] != "missing or invalid API key" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("no key: body %v, content type %q", doc, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, srv.URL+"/v2/models/m/infer", "Bearer wrong-wrong-wrong-wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong key: %d, want 401", resp.StatusCode)
	}

	resp, _ = get(t, srv.URL+"/v2/models/m/infer", "Bearer "+aliceSecret)
	if resp.StatusCode != http.StatusOK || seenKey != "alice" {
		t.Errorf("good key: %d, handler saw key %q; want 200, alice", resp.StatusCode, seenKey)
	}
	resp, doc = get(t, srv.URL+"/v2/models/m/infer", "Bearer "+aliceSecret)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("over rate: %d, Retry-After %q; want 429, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if doc["error"] != "rate limit exceeded; retry after 1 s" {
		t.Errorf("over rate body: %v", doc)
	}

	// Health needs no key and is not limited.
	for i := 0; i < 3; i++ {
		seenKey = "unset"
		if resp, _ := get(t, srv.URL+"/v2/health/ready", ""); resp.StatusCode != http.StatusOK || seenKey != "" {
			t.Errorf("health: %d, key %q", resp.StatusCode, seenKey)
		}
	}
}

func TestMiddlewareLimitsByConnectionAddressNotForwardedFor(t *testing.T) {
	g := NewGuard(Policy{RatePerSecond: 1, Burst: 1})
	srv := httptest.NewServer(g.Middleware(nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	send := func(forwarded string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2/models/m/infer", nil)
		req.Header.Set("X-Forwarded-For", forwarded)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := send("1.1.1.1"); c != http.StatusOK {
		t.Fatalf("first: %d", c)
	}
	if c := send("2.2.2.2"); c != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d", c)
	}
	if _, ok := g.limiters.byKey["client:127.0.0.1"]; !ok {
		t.Errorf("limiter not keyed by the connection's IP: %v", g.limiters.byKey)
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5000": "127.0.0.1", "[::1]:80": "::1", "10.0.0.1": "10.0.0.1", "": "", "@": "@",
	} {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaxBodyBytes(t *testing.T) {
	var readErr error
	var read int
	srv := httptest.NewServer(MaxBodyBytes(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read, readErr = len(b), err
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}
	})))
	defer srv.Close()

	// Declared too large: refused before the handler runs.
	read, readErr = -1, nil
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", 11)))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]string
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || doc["error"] != "request body is 11 bytes; the limit is 10 bytes" {
		t.Errorf("declared 11 bytes: %d %v", resp.StatusCode, doc)
	}
	if read != -1 {
		t.Error("handler ran for a body declared too large")
	}

	// Chunked (no length): the reader stops at the limit.
	resp, err = http.Post(srv.URL, "application/json", io.MultiReader(strings.NewReader(strings.Repeat("y", 50))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var tooBig *http.MaxBytesError
	if !errors.As(readErr, &tooBig) || tooBig.Limit != 10 || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 50 bytes: status %d, read error %v", resp.StatusCode, readErr)
	}

	// Within the limit: untouched.
	resp, err = http.Post(srv.URL, "application/json", strings.NewReader("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || read != 10 || readErr != nil {
		t.Errorf("10 bytes: %d, read %d, err %v", resp.StatusCode, read, readErr)
	}
}
