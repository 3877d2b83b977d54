package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/repository"
	"github.com/gonyx/gonyx/server/router"
)

// Two model files serve one endpoint 50/50 with a shadow copy: the variant
// is reported, a user key sticks to one variant, both variants are used,
// the shadow gets traffic that is only counted in metrics.
func TestRouterABStickyShadow(t *testing.T) {
	dir := t.TempDir()
	writeModel(t, filepath.Join(dir, "a.onnx"), 0)
	writeModel(t, filepath.Join(dir, "b.onnx"), 100)
	cfg := testConfig()
	cfg.Models = map[string]string{"mlp_a": filepath.Join(dir, "a.onnx"), "mlp_b": filepath.Join(dir, "b.onnx")}
	cfg.Endpoints = []router.Endpoint{{Name: "classifier", Variants: []router.Variant{
		{Name: "a", Model: "mlp_a", Weight: 50},
		{Name: "b", Model: "mlp_b", Weight: 50},
		{Name: "shadow-b", Model: "mlp_b", Weight: 1, Shadow: true},
	}}}
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))

	seen := map[string]int{}
	for u := range 40 {
		user := fmt.Sprintf("user-%d", u)
		first := ""
		for range 3 {
			r := do(t, "POST", base+"/v2/models/classifier/infer", body, "X-User-ID", user)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			v := r.header.Get("X-Gonyx-Variant")
			// Variant b's logits are shifted by 100: the answer must come
			// from the model the header names.
			logit := floats(t, r.body["outputs"].([]any)[0].(map[string]any)["data"])[0]
			if (v == "b") != (logit > 50) {
				t.Fatalf("variant %q answered logit %v", v, logit)
			}
			if first == "" {
				first = v
			} else if v != first {
				t.Fatalf("%s moved from %s to %s", user, first, v)
			}
		}
		seen[first]++
	}
	if seen["a"] < 8 || seen["b"] < 8 || len(seen) != 2 {
		t.Fatalf("variants over 40 users: %v", seen)
	}
	if r := do(t, "POST", base+"/v2/models/classifier/versions/1/infer", body); r.status != 400 {
		t.Fatalf("a version on an endpoint: %d %s", r.status, r.raw)
	}
	// 120 primary requests → 120 shadow copies, recorded asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := string(do(t, "GET", base+"/metrics", nil).raw)
		n := metricValue(m, `gonyx_shadow_requests_total{endpoint="classifier",outcome="ok",variant="shadow-b"}`)
		if n == 120 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shadow requests recorded: %v, want 120", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Endpoints change when the configuration file changes, without a restart.
func TestEndpointsReloadFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	writeModel(t, filepath.Join(dir, "a.onnx"), 0)
	writeModel(t, filepath.Join(dir, "b.onnx"), 100)
	conf := filepath.Join(dir, "gonyx.yaml")
	write := func(weightA, weightB int) {
		y := fmt.Sprintf(`endpoints:
  - name: classifier
    variants:
      - {name: a, model: mlp_a, weight: %d}
      - {name: b, model: mlp_b, weight: %d}
`, weightA, weightB)
		replaceFile(t, conf, y)
	}
	write(1, 0)
	cfg, err := LoadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP, cfg.GRPC, cfg.AccessLog = "127.0.0.1:0", "off", false
	cfg.Models = map[string]string{"mlp_a": filepath.Join(dir, "a.onnx"), "mlp_b": filepath.Join(dir, "b.onnx")}
	old := configPollInterval
	configPollInterval = 20 * time.Millisecond
	defer func() { configPollInterval = old }()
	s, err := New(cfg, Options{ConfigPath: conf})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	url := "http://" + s.HTTPAddr() + "/v2/models/classifier/infer"
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))
	if v := do(t, "POST", url, body).header.Get("X-Gonyx-Variant"); v != "a" {
		t.Fatalf("before: variant %q", v)
	}
	write(0, 1)
	future := time.Now().Add(time.Second)
	_ = os.Chtimes(conf, future, future)
	deadline := time.Now().Add(5 * time.Second)
	for do(t, "POST", url, body).header.Get("X-Gonyx-Variant") != "b" {
		if time.Now().After(deadline) {
			t.Fatal("endpoint weights not reloaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A broken file keeps the running endpoints.
	replaceFile(t, conf, "endpoints: [{name: classifier, variants: []}]\n")
	if err := s.ReloadConfig(); err == nil {
		t.Fatal("an endpoint without variants was accepted")
	}
	if v := do(t, "POST", url, body).header.Get("X-Gonyx-Variant"); v != "b" {
		t.Fatalf("after a bad reload: variant %q", v)
	}
}

// replaceFile writes a file as configuration tools do, through a
// temporary file and a rename: the server's 20 ms poll could otherwise
// read it truncated, an empty and valid configuration without endpoints.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// API keys: inference needs a key, health and metrics do not (by default);
// a key over its rate gets 429 with Retry-After; the keys file is re-read.
func TestAuthAndRateLimit(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("# test keys\nalice alice-secret-0123456789\nbob bob-secret-0123456789xx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Auth = AuthConfig{KeysFile: keys, RatePerSecond: 0.5, Burst: 3}
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))
	url := base + "/v2/models/mlp/infer"
	if r := do(t, "POST", url, body); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no key: %d %v", r.status, r.header)
	}
	if r := do(t, "POST", url, body, "Authorization", "Bearer wrong-secret-0123456789"); r.status != 401 {
		t.Fatalf("wrong key: %d", r.status)
	}
	if r := do(t, "GET", base+"/v2/health/ready", nil); r.status != 200 {
		t.Fatalf("health without key: %d", r.status)
	}
	if r := do(t, "GET", base+"/metrics", nil); r.status != 200 {
		t.Fatalf("metrics without key: %d", r.status)
	}
	for i := range 3 {
		if r := do(t, "POST", url, body, "Authorization", "Bearer alice-secret-0123456789"); r.status != 200 {
			t.Fatalf("alice request %d: %d %s", i, r.status, r.raw)
		}
	}
	r := do(t, "POST", url, body, "Authorization", "Bearer alice-secret-0123456789")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("alice over her rate: %d %v", r.status, r.header)
	}
	if r := do(t, "POST", url, body, "Authorization", "Bearer bob-secret-0123456789xx"); r.status != 200 {
		t.Fatalf("bob is not limited by alice: %d", r.status)
	}
	if r := do(t, "POST", base+"/v2/repository/index", nil); r.status != 401 {
		t.Fatalf("repository without key: %d", r.status)
	}
}

// Hot reload under load: a new version is loaded and swapped in while
// clients keep sending; a broken version is reported and the good one keeps
// serving; no request fails.
func TestHotReloadUnderLoad(t *testing.T) {
	repo := t.TempDir()
	writeModel(t, filepath.Join(repo, "m", "1", "model.onnx"), 0)
	if err := os.WriteFile(filepath.Join(repo, "m", "config.yaml"), []byte("max_batch_size: 8\ndynamic_batching: {max_queue_delay: 1ms}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Repo = repo
	cfg.PollInterval = repository.Duration(30 * time.Millisecond)
	s := startServer(t, cfg)
	url := "http://" + s.HTTPAddr() + "/v2/models/m/infer"
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))

	var stop atomic.Bool
	var failures, v2 atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				r := do(t, "POST", url, body)
				if r.status != 200 {
					failures.Add(1)
					t.Errorf("during reload: %d %s", r.status, r.raw)
					return
				}
				if r.body["model_version"] == "2" {
					v2.Add(1)
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	writeModel(t, filepath.Join(repo, "m", "2", "model.onnx"), 100)
	deadline := time.Now().Add(10 * time.Second)
	for v2.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Version 3 is garbage: it fails to load, 2 keeps serving.
	if err := os.MkdirAll(filepath.Join(repo, "m", "3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "m", "3", "model.onnx"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	var idx string
	for time.Now().Before(deadline) {
		idx = string(do(t, "POST", "http://"+s.HTTPAddr()+"/v2/repository/index", map[string]any{}).raw)
		if strings.Contains(idx, `"version":"3"`) && strings.Contains(idx, "UNAVAILABLE") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if v2.Load() < 20 {
		t.Fatalf("version 2 never took traffic (%d answers)", v2.Load())
	}
	if !strings.Contains(idx, `"version":"3"`) || !strings.Contains(idx, "UNAVAILABLE") || !strings.Contains(idx, `"version":"2","state":"READY"`) {
		t.Fatalf("index after a broken version: %s", idx)
	}
	if r := do(t, "POST", url, body); r.status != 200 || r.body["model_version"] != "2" {
		t.Fatalf("after the broken version: %d %s", r.status, r.raw)
	}
	if failures.Load() != 0 {
		t.Fatalf("%d requests failed during the reload", failures.Load())
	}
}

// Shutdown drains: readiness goes false at once, requests already queued
// finish with 200.
func TestShutdownDrainsInFlight(t *testing.T) {
	repo := t.TempDir()
	writeModel(t, filepath.Join(repo, "m", "1", "model.onnx"), 0)
	// A long queue delay keeps requests waiting in the batcher while
	// Shutdown starts.
	if err := os.WriteFile(filepath.Join(repo, "m", "config.yaml"), []byte("max_batch_size: 32\ndynamic_batching: {max_queue_delay: 300ms, strict_delay: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Repo = repo
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	url := "http://" + s.HTTPAddr() + "/v2/models/m/infer"
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))
	statuses := make(chan int, 6)
	for range 6 {
		go func() { statuses <- do(t, "POST", url, body).status }()
	}
	time.Sleep(80 * time.Millisecond)
	done := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	time.Sleep(10 * time.Millisecond)
	if s.Ready() {
		t.Fatal("still ready while draining")
	}
	for range 6 {
		if st := <-statuses; st != http.StatusOK {
			t.Fatalf("an in-flight request got %d", st)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
