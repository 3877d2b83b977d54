package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHTTPInferMLP is one client's round trip through the whole HTTP
// path (demo MLP, batching on as in the demo configuration).
func BenchmarkHTTPInferMLP(b *testing.B) {
	s, body := benchServer(b)
	url := "http://" + s.HTTPAddr() + "/v2/models/mlp/infer"
	c := &http.Client{}
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkHandlerInferMLP is the same request without the network: the
// cost of our handler chain (middleware, decode, batcher, engine, encode).
func BenchmarkHandlerInferMLP(b *testing.B) {
	s, body := benchServer(b)
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/v2/models/mlp/infer", bytes.NewReader(body)))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// benchServer starts a demo server (HTTP only) for a benchmark and returns
// it with the body of a one-row MLP request.
func benchServer(b *testing.B) (*Server, []byte) {
	cfg := testConfig()
	cfg.GRPC = "off"
	s, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	body, _ := json.Marshal(inferBody("features", []int{1, 64}, rows(1, 64, 1)))
	return s, body
}
