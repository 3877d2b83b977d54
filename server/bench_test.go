package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHTTPInferMLP is one client's round trip through the whole HTTP
// path (demo MLP, batching on as in the demo configuration).
func BenchmarkHTTPInferMLP(b *testing.B) {
	cfg := testConfig()
	cfg.GRPC = "off"
	s, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(b.Context())
	body, _ := json.Marshal(inferBody("features", []int{1, 64}, rows(1, 64, 1)))
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
	cfg := testConfig()
	cfg.GRPC = "off"
	s, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(b.Context())
	body, _ := json.Marshal(inferBody("features", []int{1, 64}, rows(1, 64, 1)))
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
