package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/demo"
	"github.com/gonyx/gonyx/server/inferencepb"
	"github.com/gonyx/gonyx/server/repository"
)

// A request's timeout covers its time in the batch queue: with a strict
// 300 ms batching delay, a 20 ms X-Request-Timeout answers 504 at once.
func TestTimeoutWhileQueued(t *testing.T) {
	cfg := testConfig()
	cfg.Repo = writeDemoRepo(t, "max_batch_size: 32\ndynamic_batching: {max_queue_delay: 300ms, strict_delay: true}\n")
	s := startServer(t, cfg)
	url := "http://" + s.HTTPAddr() + "/v2/models/mlp/infer"
	start := time.Now()
	r := do(t, "POST", url, inferBody("features", []int{1, 64}, rows(1, 64, 1)), "X-Request-Timeout", "20ms")
	if r.status != 504 || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("%d after %v: %s", r.status, time.Since(start), r.raw)
	}
	// Triton's "timeout" parameter in microseconds does the same.
	body := inferBody("features", []int{1, 64}, rows(1, 64, 1))
	body["parameters"] = map[string]any{"timeout": 20000}
	if r := do(t, "POST", url, body); r.status != 504 {
		t.Fatalf("timeout parameter: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", url, inferBody("features", []int{1, 64}, rows(1, 64, 1))); r.status != 200 {
		t.Fatalf("without a timeout: %d", r.status)
	}
}

// The response cache answers a repeated request without running the model
// and counts hits and misses.
func TestResponseCache(t *testing.T) {
	cfg := testConfig()
	cfg.Repo = writeDemoRepo(t, "max_batch_size: 32\nresponse_cache: {enabled: true, max_entries: 16}\n")
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	body := inferBody("features", []int{1, 64}, rows(1, 64, 4))
	first := do(t, "POST", base+"/v2/models/mlp/infer", body)
	second := do(t, "POST", base+"/v2/models/mlp/infer", body)
	if first.status != 200 || second.status != 200 {
		t.Fatal(first.status, second.status)
	}
	closeTo(t, floats(t, second.body["outputs"].([]any)[0].(map[string]any)["data"]), floats(t, first.body["outputs"].([]any)[0].(map[string]any)["data"]), "cached")
	m := string(do(t, "GET", base+"/metrics", nil).raw)
	if metricValue(m, `gonyx_cache_hits_total{model="mlp"}`) != 1 || metricValue(m, `gonyx_cache_misses_total{model="mlp"}`) != 1 {
		t.Fatalf("cache metrics:\n%s", grep(m, "gonyx_cache"))
	}
	if n := metricValue(m, `gonyx_batch_size_count{model="mlp",version="1"}`); n != 1 {
		t.Fatalf("the model ran %v times for two identical requests", n)
	}
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Explicit model control: nothing loads until asked; load and unload over
// REST change readiness and the index; statistics count requests.
func TestExplicitLoadUnloadAndStats(t *testing.T) {
	cfg := testConfig()
	cfg.Repo = writeDemoRepo(t, "max_batch_size: 8\n")
	cfg.ModelControl = "explicit"
	cfg.LoadModels = []string{"cnn"}
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	if r := do(t, "GET", base+"/v2/models/mlp/ready", nil); r.status == 200 {
		t.Fatal("mlp ready before it was loaded")
	}
	if r := do(t, "POST", base+"/v2/repository/models/mlp/load", nil); r.status != 200 {
		t.Fatalf("load: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", base+"/v2/models/mlp/infer", inferBody("features", []int{2, 64}, rows(2, 64, 1))); r.status != 200 {
		t.Fatalf("infer after load: %d %s", r.status, r.raw)
	}
	st := do(t, "GET", base+"/v2/models/mlp/stats", nil)
	if st.status != 200 || !strings.Contains(string(st.raw), `"inference_count":2`) {
		t.Fatalf("stats: %d %s", st.status, st.raw)
	}
	if r := do(t, "POST", base+"/v2/repository/models/mlp/unload", nil); r.status != 200 {
		t.Fatalf("unload: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", base+"/v2/models/mlp/infer", inferBody("features", []int{1, 64}, rows(1, 64, 1))); r.status != 503 && r.status != 404 {
		t.Fatalf("infer after unload: %d %s", r.status, r.raw)
	}
	idx := string(do(t, "POST", base+"/v2/repository/index", map[string]any{}).raw)
	if !strings.Contains(idx, `"name":"cnn","version":"1","state":"READY"`) || strings.Contains(idx, `"name":"mlp","version":"1","state":"READY"`) {
		t.Fatalf("index: %s", idx)
	}
}

// TLS on both front ends, metrics on their own port.
func TestTLSAndMetricsPort(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := selfSigned(t, cert, key)
	cfg := testConfig()
	cfg.TLS = TLSConfig{Cert: cert, Key: key}
	cfg.Metrics = "127.0.0.1:0"
	cfg.PollInterval = repository.Duration(time.Second)
	s := startServer(t, cfg)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + s.HTTPAddr() + "/v2/health/ready")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("https: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := http.Get("http://" + s.HTTPAddr() + "/v2/health/ready"); err == nil {
		// A plain-HTTP request to a TLS port gets a 400 from Go, not a
		// health answer; either way it must not be served as OK.
		r := do(t, "GET", "http://"+s.HTTPAddr()+"/v2/health/ready", nil)
		if r.status == 200 {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}
	m := do(t, "GET", "http://"+s.MetricsAddr()+"/metrics", nil)
	if m.status != 200 || !strings.Contains(string(m.raw), "gonyx_models_loaded") {
		t.Fatalf("metrics port: %d", m.status)
	}
	if r, err := client.Get("https://" + s.HTTPAddr() + "/metrics"); err == nil && r.StatusCode == 200 {
		t.Fatal("/metrics still on the API port")
	}
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	live, err := inferencepb.NewGRPCInferenceServiceClient(conn).ServerLive(ctx, &inferencepb.ServerLiveRequest{})
	if err != nil || !live.Live {
		t.Fatalf("grpc over TLS: %v %v", live, err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns a pool that
// trusts it.
func selfSigned(t *testing.T, certPath, keyPath string) *x509.CertPool {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gonyx test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return pool
}

// An unloaded version's memory goes back to the OS: load a model with
// ~48 MB of weights, unload it, and RSS falls back by most of that.
func TestUnloadReleasesMemory(t *testing.T) {
	repo := t.TempDir()
	ir := demo.MLP()
	// fc1 4096 → 3072 is 48 MB of float32.
	const in, hidden = 4096, 3072
	ir.Graph.Inputs[0].Type.Shape[1].Value = in
	ir.Graph.Initializers["fc1.weight"] = tensor.New([]int{hidden, in}, make([]float32, hidden*in))
	ir.Graph.Initializers["fc1.bias"] = tensor.New([]int{hidden}, make([]float32, hidden))
	ir.Graph.Initializers["fc2.weight"] = tensor.New([]int{10, hidden}, make([]float32, 10*hidden))
	w := tensor.Data[float32](ir.Graph.Initializers["fc1.weight"])
	for i := range w {
		w[i] = float32(i%7) * 0.01
	}
	if err := os.MkdirAll(filepath.Join(repo, "big", "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "big", "1", "model.onnx"), onnxpb.EncodeModel(ir), 0o644); err != nil {
		t.Fatal(err)
	}
	ir = nil
	cfg := testConfig()
	cfg.Repo = repo
	cfg.ModelControl = "explicit"
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	runtime.GC()
	debug.FreeOSMemory()
	before := rssMB(t)
	if r := do(t, "POST", base+"/v2/repository/models/big/load", nil); r.status != 200 {
		t.Fatalf("load: %d %s", r.status, r.raw)
	}
	loaded := rssMB(t)
	if r := do(t, "POST", base+"/v2/repository/models/big/unload", nil); r.status != 200 {
		t.Fatalf("unload: %d %s", r.status, r.raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	after := rssMB(t)
	for after > before+20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		after = rssMB(t)
	}
	t.Logf("RSS: before %.0f MB, loaded %.0f MB, after unload %.0f MB", before, loaded, after)
	if loaded-before < 40 {
		t.Fatalf("loading 48 MB of weights grew RSS by only %.0f MB: the measurement is broken", loaded-before)
	}
	if after > before+20 {
		t.Fatalf("after unload RSS is %.0f MB, %.0f MB over the start", after, after-before)
	}
}

func rssMB(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb float64
			fmt.Sscan(strings.Fields(l)[1], &kb)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
