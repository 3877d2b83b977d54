package security

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type corsServer struct {
	*httptest.Server
	calls atomic.Int32
}

func newCORSServer(t *testing.T, c CORS) *corsServer {
	s := &corsServer{}
	s.Server = httptest.NewServer(c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		w.Header().Set("X-Gonyx-Variant", "blue")
		w.Write([]byte("ok"))
	})))
	t.Cleanup(s.Close)
	return s
}

func (s *corsServer) do(t *testing.T, method string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+"/v2/models/m/infer", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func corsHeaders(h http.Header) []string {
	var names []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			names = append(names, k)
		}
	}
	return names
}

func preflight(origin string) map[string]string {
	return map[string]string{
		"Origin": origin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type",
	}
}

func TestCORSPreflightAllowedOrigin(t *testing.T) {
	s := newCORSServer(t, CORS{AllowedOrigins: []string{"https://app.example.com"}, MaxAge: 10 * time.Minute})
	resp := s.do(t, http.MethodOptions, preflight("https://app.example.com"))
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status %d, want 204", resp.StatusCode)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":  "https://app.example.com",
		"Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
		"Access-Control-Allow-Headers": "Authorization, Content-Type, Inference-Header-Content-Length, X-Request-ID, X-Request-Timeout, X-User-ID",
		"Access-Control-Max-Age":       "600",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if vary := strings.Join(h.Values("Vary"), ","); !strings.Contains(vary, "Origin") {
		t.Errorf("Vary = %q, want Origin in it", vary)
	}
	if s.calls.Load() != 0 {
		t.Error("preflight reached the handler")
	}
}

func TestCORSPreflightDeniedOrigin(t *testing.T) {
	s := newCORSServer(t, CORS{AllowedOrigins: []string{"https://app.example.com"}, MaxAge: time.Minute})
	for _, origin := range []string{"https://evil.example.com", "https://app.example.com.evil.net", "http://app.example.com"} {
		resp := s.do(t, http.MethodOptions, preflight(origin))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", origin, resp.StatusCode)
		}
		if names := corsHeaders(resp.Header); len(names) != 0 {
			t.Errorf("%s: CORS headers on a denied preflight: %v", origin, names)
		}
	}
	if s.calls.Load() != 0 {
		t.Error("denied preflight reached the handler")
	}
}

func TestCORSActualRequests(t *testing.T) {
	s := newCORSServer(t, CORS{AllowedOrigins: []string{"https://App.Example.com"}})

	resp := s.do(t, http.MethodPost, map[string]string{"Origin": "https://app.example.com"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("allowed origin (case-insensitive match): ACAO %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "X-Gonyx-Variant, Inference-Header-Content-Length, X-Request-ID, Retry-After" {
		t.Errorf("Expose-Headers = %q", got)
	}
	if resp.Header.Get("Vary") != "Origin" || resp.Header.Get("X-Gonyx-Variant") != "blue" {
		t.Errorf("Vary %q, handler header %q", resp.Header.Get("Vary"), resp.Header.Get("X-Gonyx-Variant"))
	}

	// A page on another origin: the request is served (CORS is enforced by
	// the browser) but carries no CORS headers.
	resp = s.do(t, http.MethodPost, map[string]string{"Origin": "https://evil.example.com"})
	if resp.StatusCode != http.StatusOK || len(corsHeaders(resp.Header)) != 0 {
		t.Errorf("denied origin: %d, CORS headers %v", resp.StatusCode, corsHeaders(resp.Header))
	}
	// No Origin (curl, other servers): untouched.
	resp = s.do(t, http.MethodGet, nil)
	if len(corsHeaders(resp.Header)) != 0 || resp.Header.Get("Vary") != "" {
		t.Errorf("no origin: CORS headers %v, Vary %q", corsHeaders(resp.Header), resp.Header.Get("Vary"))
	}
	// OPTIONS that is not a preflight goes to the handler.
	s.calls.Store(0)
	s.do(t, http.MethodOptions, map[string]string{"Origin": "https://app.example.com"})
	if s.calls.Load() != 1 {
		t.Error("plain OPTIONS did not reach the handler")
	}
}

func TestCORSWildcards(t *testing.T) {
	s := newCORSServer(t, CORS{AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"*"}})
	resp := s.do(t, http.MethodOptions, preflight("https://anything.test"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://anything.test" {
		t.Errorf("any origin: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	// "*" would not cover Authorization, so the asked headers are echoed.
	if got := resp.Header.Get("Access-Control-Allow-Headers"); got != "authorization, content-type" {
		t.Errorf("Allow-Headers = %q, want the requested ones", got)
	}
	if resp.Header.Get("Access-Control-Max-Age") != "" {
		t.Error("Max-Age sent though MaxAge is 0")
	}
}

func TestCORSOffWithoutOrigins(t *testing.T) {
	s := newCORSServer(t, CORS{})
	resp := s.do(t, http.MethodOptions, preflight("https://app.example.com"))
	if len(corsHeaders(resp.Header)) != 0 || s.calls.Load() != 1 {
		t.Errorf("CORS off: headers %v, handler calls %d", corsHeaders(resp.Header), s.calls.Load())
	}
}

func TestCORSCustomHeadersAndGuardInside(t *testing.T) {
	g := NewGuard(Policy{Keys: testKeys(t)})
	c := CORS{AllowedOrigins: []string{"https://app.example.com"}, AllowedHeaders: []string{"Authorization", "X-Custom"}}
	srv := httptest.NewServer(c.Middleware(g.Middleware(nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))))
	defer srv.Close()
	s := &corsServer{Server: srv}

	// The preflight carries no key yet succeeds: CORS answers it first.
	resp := s.do(t, http.MethodOptions, preflight("https://app.example.com"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Headers") != "Authorization, X-Custom" {
		t.Errorf("preflight: %d, Allow-Headers %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Headers"))
	}
	// The guard's refusal is readable by the page: CORS headers are on it.
	resp = s.do(t, http.MethodPost, map[string]string{"Origin": "https://app.example.com"})
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("401 without CORS headers: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
