package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/demo"
)

// Flags beat environment variables, which beat the config file, which
// beats the defaults.
func TestServeConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "gonyx.yaml")
	if err := os.WriteFile(conf, []byte("http: \":7000\"\ngrpc: \":7001\"\nthreads: 3\nlog_level: warn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GONYX_CONFIG": conf, "GONYX_GRPC": ":9001", "GONYX_MAX_BATCH_SIZE": "16", "GONYX_MODEL": "a=/x/a.onnx,b=/x/b.onnx"}
	cfg, path, err := serveConfig([]string{"--threads", "2", "--model", "c=/x/c.onnx"}, func(k string) string { return env[k] }, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if path != conf {
		t.Errorf("config path %q", path)
	}
	if cfg.HTTP != ":7000" || cfg.GRPC != ":9001" || cfg.Threads != 2 || cfg.LogLevel != "warn" || cfg.ModelDefaults.MaxBatchSize != 16 {
		t.Errorf("got http %q grpc %q threads %d log %q max batch %d", cfg.HTTP, cfg.GRPC, cfg.Threads, cfg.LogLevel, cfg.ModelDefaults.MaxBatchSize)
	}
	// A flag on the command line replaces its env var entirely.
	if len(cfg.Models) != 1 || cfg.Models["c"] != "/x/c.onnx" {
		t.Errorf("models %v, want only c", cfg.Models)
	}
	if _, _, err := serveConfig([]string{"--model-control", "sometimes"}, func(string) string { return "" }, os.Stderr); err == nil {
		t.Error("a bad --model-control was accepted")
	}
	if _, _, err := serveConfig(nil, func(k string) string {
		if k == "GONYX_THREADS" {
			return "many"
		}
		return ""
	}, os.Stderr); err == nil || !strings.Contains(err.Error(), "GONYX_THREADS") {
		t.Errorf("a bad env var: %v", err)
	}
}

// startServe runs `gonyx serve` in a child process (this test binary) and
// returns it with its HTTP address, read from the start-up log line.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--access-log=false"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &bytes.Buffer{}
	var mu sync.Mutex
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "gonyx serving" {
				addr <- rec["http"].(string)
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, logs
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	return nil, "", nil
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// The load test: 64 clients for 30 s (GONYX_LOADTEST_DURATION shortens it)
// against a served repository; a new model version is written a third of
// the way in (hot reload) and SIGTERM is sent at the end while the clients
// still send. Every request the server accepted must succeed, the process
// must exit 0, and the new version must have served.
func TestServeLoadReloadSIGTERM(t *testing.T) {
	dur := 30 * time.Second
	if s := os.Getenv("GONYX_LOADTEST_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	repo := t.TempDir()
	writeDemoVersion := func(v string, delta float32) {
		ir := demo.MLP()
		for i := range tensor.Data[float32](ir.Graph.Initializers["fc2.bias"]) {
			tensor.Data[float32](ir.Graph.Initializers["fc2.bias"])[i] += delta
		}
		dir := filepath.Join(repo, "mlp", v)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "model.onnx.tmp"), onnxpb.EncodeModel(ir), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "model.onnx.tmp"), filepath.Join(dir, "model.onnx")); err != nil {
			t.Fatal(err)
		}
	}
	writeDemoVersion("1", 0)
	if err := os.WriteFile(filepath.Join(repo, "mlp", "config.yaml"), []byte(demo.Config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, addr, logs := startServe(t, "--repo", repo, "--poll-interval", "200ms", "--shutdown-timeout", "20s")
	base := "http://" + addr
	waitReady(t, base)

	body, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{
		"name": "features", "datatype": "FP32", "shape": []int{1, 64}, "data": make([]float32, 64)}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}
	var sigtermSent atomic.Bool
	var ok, v2, refused atomic.Int64
	var mu sync.Mutex
	var failures []string
	stopAt := time.Now().Add(dur + 2*time.Second)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt) {
				resp, err := client.Post(base+"/v2/models/mlp/infer", "application/json", bytes.NewReader(body))
				if err != nil {
					// Only after SIGTERM may a request go unanswered: the
					// listener is closed, so it was never accepted.
					if sigtermSent.Load() {
						refused.Add(1)
						time.Sleep(5 * time.Millisecond)
						continue
					}
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					failures = append(failures, resp.Status+" "+string(raw))
					mu.Unlock()
					return
				}
				ok.Add(1)
				if bytes.Contains(raw, []byte(`"model_version":"2"`)) {
					v2.Add(1)
				}
			}
		}()
	}
	time.Sleep(dur / 3)
	writeDemoVersion("2", 100)
	time.Sleep(dur - dur/3)
	sigtermSent.Store(true)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exit := make(chan error, 1)
	go func() { exit <- cmd.Wait() }()
	wg.Wait()
	var err error
	select {
	case err = <-exit:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30 s after SIGTERM")
	}
	if len(failures) > 0 {
		t.Fatalf("%d accepted requests failed, first: %s\nlogs:\n%s", len(failures), failures[0], logs)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) || err != nil {
		t.Fatalf("exit after SIGTERM: %v\nlogs:\n%s", err, logs)
	}
	if v2.Load() == 0 {
		t.Fatalf("version 2 never served (%d ok)", ok.Load())
	}
	t.Logf("%d requests ok (%d on version 2, %.0f/s), %d refused after SIGTERM", ok.Load(), v2.Load(), float64(ok.Load())/dur.Seconds(), refused.Load())
}
