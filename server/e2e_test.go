package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
	_ "github.com/gonyx/gonyx/ops/all"
	"github.com/gonyx/gonyx/server/demo"
	"github.com/gonyx/gonyx/server/inferencepb"
)

// testConfig listens on loopback ports chosen by the OS.
func testConfig() Config {
	cfg := Default()
	cfg.HTTP = "127.0.0.1:0"
	cfg.GRPC = "127.0.0.1:0"
	cfg.AccessLog = false
	cfg.Threads = 1
	// One compilation cache for the whole test binary: each demo server
	// loads the image model's plugins.
	cfg.PluginCacheDir = filepath.Join(os.TempDir(), "gonyx-test-wasm-cache")
	return cfg
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func do(t *testing.T, method, url string, body any, header ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// rows makes n deterministic rows of width w.
func rows(n, w int, seed float32) []float32 {
	x := make([]float32, n*w)
	for i := range x {
		x[i] = float32(math.Sin(float64(seed) + float64(i)*0.37))
	}
	return x
}

// inProcess runs a demo model in-process: the reference the server's
// answers must match.
func inProcess(t *testing.T, ir *graph.Model, input string, shape []int, x []float32) []float32 {
	t.Helper()
	m, err := engine.FromIR(ir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{input: tensor.New(shape, x)})
	if err != nil {
		t.Fatal(err)
	}
	return tensor.Data[float32](out["logits"])
}

func floats(t *testing.T, v any) []float32 {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %T %v", v, v)
	}
	out := make([]float32, 0, len(arr))
	for _, e := range arr {
		if inner, ok := e.([]any); ok {
			out = append(out, floats(t, inner)...)
			continue
		}
		f, ok := e.(float64)
		if !ok {
			t.Fatalf("not a number: %T %v", e, e)
		}
		out = append(out, float32(f))
	}
	return out
}

func closeTo(t *testing.T, got, want []float32, what string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5+1e-5*math.Abs(float64(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func inferBody(name string, shape []int, x []float32) map[string]any {
	return map[string]any{"id": "req-1", "inputs": []any{map[string]any{
		"name": name, "datatype": "FP32", "shape": shape, "data": x}}}
}

// The embedded demo repository over REST: health, metadata, inference that
// matches the in-process engine, the simple /predict API, metrics.
func TestDemoRESTEndToEnd(t *testing.T) {
	s := startServer(t, testConfig())
	base := "http://" + s.HTTPAddr()

	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/mlp/ready", "/v2/models/cnn/versions/1/ready"} {
		if r := do(t, "GET", base+p, nil); r.status != 200 {
			t.Fatalf("GET %s: %d %s", p, r.status, r.raw)
		}
	}
	r := do(t, "GET", base+"/v2", nil)
	if r.body["name"] != "gonyx" || !strings.Contains(string(r.raw), "binary_tensor_data") {
		t.Fatalf("/v2: %s", r.raw)
	}
	r = do(t, "GET", base+"/v2/models/mlp", nil)
	want := `"inputs":[{"name":"features","datatype":"FP32","shape":[-1,64]}]`
	if r.status != 200 || !strings.Contains(string(r.raw), want) {
		t.Fatalf("metadata: %d %s\nwant it to contain %s", r.status, r.raw, want)
	}

	x := rows(3, 64, 1)
	r = do(t, "POST", base+"/v2/models/mlp/infer", inferBody("features", []int{3, 64}, x))
	if r.status != 200 {
		t.Fatalf("infer: %d %s", r.status, r.raw)
	}
	if r.body["id"] != "req-1" || r.body["model_version"] != "1" {
		t.Fatalf("id/version not in response: %s", r.raw)
	}
	out := r.body["outputs"].([]any)[0].(map[string]any)
	if out["name"] != "logits" || fmt.Sprint(out["shape"]) != "[3 10]" || out["datatype"] != "FP32" {
		t.Fatalf("output: %v", out)
	}
	ref := inProcess(t, demo.MLP(), "features", []int{3, 64}, x)
	closeTo(t, floats(t, out["data"]), ref, "mlp logits")

	// The CNN through the binary tensor data extension, both ways.
	img := rows(2, 784, 2)
	head, _ := json.Marshal(map[string]any{
		"inputs":     []any{map[string]any{"name": "image", "datatype": "FP32", "shape": []int{2, 1, 28, 28}, "parameters": map[string]any{"binary_data_size": 4 * len(img)}}},
		"parameters": map[string]any{"binary_data_output": true},
	})
	body := append([]byte{}, head...)
	for _, v := range img {
		body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
	}
	r = do(t, "POST", base+"/v2/models/cnn/infer", body, "Inference-Header-Content-Length", strconv.Itoa(len(head)))
	if r.status != 200 {
		t.Fatalf("binary infer: %d %s", r.status, r.raw)
	}
	hl, err := strconv.Atoi(r.header.Get("Inference-Header-Content-Length"))
	if err != nil || hl > len(r.raw) {
		t.Fatalf("response header length %q: %v", r.header.Get("Inference-Header-Content-Length"), err)
	}
	tail := r.raw[hl:]
	if len(tail) != 4*20 {
		t.Fatalf("binary output has %d bytes, want 80", len(tail))
	}
	got := make([]float32, 20)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(tail[4*i:]))
	}
	closeTo(t, got, inProcess(t, demo.CNN(), "image", []int{2, 1, 28, 28}, img), "cnn logits")

	// /predict: a flat row answers a flat prediction.
	r = do(t, "POST", base+"/predict", map[string]any{"features": x[:64]})
	if r.status != 200 || r.body["model"] != "mlp" || r.body["version"] != "1" {
		t.Fatalf("/predict: %d %s", r.status, r.raw)
	}
	closeTo(t, floats(t, r.body["prediction"]), ref[:10], "/predict")

	m := do(t, "GET", base+"/metrics", nil)
	for _, want := range []string{
		`gonyx_inference_requests_total{code="200",model="mlp",protocol="rest",variant="mlp",version="1"} 1`,
		`gonyx_inference_requests_total{code="200",model="mlp",protocol="predict",variant="mlp",version="1"} 1`,
		`gonyx_models_loaded 3`,
		`gonyx_batch_size_count{model="cnn",version="1"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(m.raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Every kind of bad request gets its status and a JSON error, and the
// server keeps serving.
func TestErrorStatuses(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.MaxRequestBytes = 16 << 10
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	x := rows(1, 64, 0)
	cases := []struct {
		name   string
		path   string
		body   any
		status int
		says   string
	}{
		{"unknown model", "/v2/models/nope/infer", inferBody("features", []int{1, 64}, x), 404, "nope"},
		{"unknown version", "/v2/models/mlp/versions/7/infer", inferBody("features", []int{1, 64}, x), 404, "7"},
		{"bad version", "/v2/models/mlp/versions/x/infer", inferBody("features", []int{1, 64}, x), 400, "version"},
		{"wrong input name", "/v2/models/mlp/infer", inferBody("feats", []int{1, 64}, x), 400, "feats"},
		{"wrong width", "/v2/models/mlp/infer", inferBody("features", []int{2, 32}, x), 400, "[-1,64]"},
		{"wrong rank", "/v2/models/mlp/infer", inferBody("features", []int{64}, x), 400, "shape"},
		{"count mismatch", "/v2/models/mlp/infer", inferBody("features", []int{2, 64}, x), 400, ""},
		{"wrong datatype", "/v2/models/mlp/infer", map[string]any{"inputs": []any{map[string]any{"name": "features", "datatype": "INT64", "shape": []int{1, 64}, "data": make([]int, 64)}}}, 400, "FP32"},
		{"unknown output", "/v2/models/mlp/infer", map[string]any{"inputs": inferBody("features", []int{1, 64}, x)["inputs"], "outputs": []any{map[string]any{"name": "probs"}}}, 400, "probs"},
		{"over max batch", "/v2/models/mlp/infer", inferBody("features", []int{33, 64}, make([]float32, 33*64)), 400, "max_batch_size 32"},
		{"truncated JSON", "/v2/models/mlp/infer", `{"inputs":[{"name":"features"`, 400, ""},
		{"body too large", "/v2/models/mlp/infer", inferBody("features", []int{40, 64}, rows(40, 64, 9)), 413, ""},
	}
	for _, c := range cases {
		r := do(t, "POST", base+c.path, c.body)
		msg, _ := r.body["error"].(string)
		if r.status != c.status || msg == "" || !strings.Contains(msg, c.says) {
			t.Errorf("%s: %d %s; want %d with an error mentioning %q", c.name, r.status, r.raw, c.status, c.says)
		}
	}
	if r := do(t, "POST", base+"/v2/models/mlp/infer", inferBody("features", []int{1, 64}, x)); r.status != 200 {
		t.Fatalf("after the errors: %d %s", r.status, r.raw)
	}
}

// Concurrent requests are stacked into batches, and every client gets its
// own rows back.
func TestBatchingStacksAndSplits(t *testing.T) {
	// strict_delay makes the stacking certain: with the default (eager)
	// dispatch, fast requests may each find the model idle.
	cfg := testConfig()
	cfg.Repo = writeDemoRepo(t, "max_batch_size: 32\ndynamic_batching: {max_queue_delay: 100ms, strict_delay: true}\n")
	s := startServer(t, cfg)
	base := "http://" + s.HTTPAddr()
	const clients = 24
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	all := rows(clients, 784, 5)
	ref := inProcess(t, demo.CNN(), "image", []int{clients, 1, 28, 28}, all)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := do(t, "POST", base+"/v2/models/cnn/infer", inferBody("image", []int{1, 1, 28, 28}, all[i*784:(i+1)*784]))
			if r.status != 200 {
				errs <- fmt.Errorf("client %d: %d %s", i, r.status, r.raw)
				return
			}
			got := floats(t, r.body["outputs"].([]any)[0].(map[string]any)["data"])
			for j := range got {
				if math.Abs(float64(got[j]-ref[i*10+j])) > 1e-4 {
					errs <- fmt.Errorf("client %d got another row's answer: %v vs %v", i, got, ref[i*10:i*10+10])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	m := string(do(t, "GET", base+"/metrics", nil).raw)
	sum, count := metricValue(m, `gonyx_batch_size_sum{model="cnn",version="1"}`), metricValue(m, `gonyx_batch_size_count{model="cnn",version="1"}`)
	if sum != clients || count >= clients {
		t.Fatalf("batch sizes: %v rows in %v batches; want %d rows in fewer batches", sum, count, clients)
	}
}

func metricValue(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(line[len(series):]), 64)
			return v
		}
	}
	return -1
}

// gRPC with the generated client: metadata and raw-content inference equal
// to the in-process run; an unknown model is NOT_FOUND.
func TestDemoGRPCEndToEnd(t *testing.T) {
	s := startServer(t, testConfig())
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := inferencepb.NewGRPCInferenceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := c.ModelMetadata(ctx, &inferencepb.ModelMetadataRequest{Name: "mlp"})
	if err != nil || len(md.Inputs) != 1 || md.Inputs[0].Datatype != "FP32" || fmt.Sprint(md.Inputs[0].Shape) != "[-1 64]" {
		t.Fatalf("metadata: %v %v", md, err)
	}
	x := rows(2, 64, 3)
	raw := make([]byte, 0, 4*len(x))
	for _, v := range x {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	resp, err := c.ModelInfer(ctx, &inferencepb.ModelInferRequest{
		ModelName: "mlp", Id: "g1",
		Inputs:           []*inferencepb.ModelInferRequest_InferInputTensor{{Name: "features", Datatype: "FP32", Shape: []int64{2, 64}}},
		RawInputContents: [][]byte{raw},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Id != "g1" || resp.ModelVersion != "1" || len(resp.RawOutputContents) != 1 {
		t.Fatalf("response: %v", resp)
	}
	got := make([]float32, len(resp.RawOutputContents[0])/4)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(resp.RawOutputContents[0][4*i:]))
	}
	closeTo(t, got, inProcess(t, demo.MLP(), "features", []int{2, 64}, x), "grpc logits")
	if _, err := c.ModelInfer(ctx, &inferencepb.ModelInferRequest{ModelName: "nope"}); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("unknown model: %v", err)
	}
}

// writeModel writes a demo MLP whose last bias is shifted by delta, so each
// version answers differently.
func writeModel(t *testing.T, path string, delta float32) {
	t.Helper()
	ir := demo.MLP()
	b := tensor.Data[float32](ir.Graph.Initializers["fc2.bias"])
	for i := range b {
		b[i] += delta
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, onnxpb.EncodeModel(ir), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestGRPCCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{codes.OK: "OK", codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED"} {
		if got := grpcCodeName(c); got != want {
			t.Errorf("%v: %q, want %q", c, got, want)
		}
	}
}

// writeDemoRepo writes the demo repository to disk with every config.yaml
// replaced.
func writeDemoRepo(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, config); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An open health Watch stream (as a Kubernetes gRPC probe keeps) does not
// hold the drain until its deadline.
func TestShutdownEndsWatchStreams(t *testing.T) {
	cfg := testConfig()
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w, err := healthpb.NewHealthClient(conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := w.Recv(); err != nil || st.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v %v", st, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a watch open: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}
