package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// fakeService serves a few hand-written models:
//
//	add      FP32 x [-1,3] → y = x+1 (version "1"; variant "add", or
//	         "add-beta" for routing key "beta")
//	echo     returns its inputs unchanged as outputs
//	types    ignores its input; returns BYTES s, BOOL b, INT64 i
//	multi    FP32 x [-1,2] → label INT64 [N] (argmax), score FP32 = 2x;
//	         metadata lists label first, the response score first
//	err-<c>  fails with infer.Code c (resource_exhausted: RetryAfter 1.5s)
//	plainerr fails with a non-*infer.Error whose text must not leak
//	panic    panics
//	nilresp  returns nil, nil
//	notready known, never ready
type fakeService struct {
	live, ready atomic.Bool

	mu       sync.Mutex
	last     *infer.Request
	loaded   []string
	unloaded []string
}

func newFake() *fakeService {
	f := &fakeService{}
	f.live.Store(true)
	f.ready.Store(true)
	return f
}

func (f *fakeService) lastRequest() *infer.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *fakeService) Live() bool  { return f.live.Load() }
func (f *fakeService) Ready() bool { return f.ready.Load() }

func (f *fakeService) ServerMetadata() infer.ServerMetadata {
	return infer.ServerMetadata{Name: "gonyx", Version: "0.1.0", Extensions: []string{"binary_tensor_data", "model_repository"}}
}

var fakeModels = map[string]infer.ModelMetadata{
	"add": {Name: "add", Versions: []string{"1"}, Platform: "onnx",
		Inputs:  []infer.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Outputs: []infer.TensorMetadata{{Name: "y", Datatype: "FP32", Shape: []int64{-1, 3}}}},
	"echo": {Name: "echo", Versions: []string{"1"}, Platform: "onnx",
		Inputs: []infer.TensorMetadata{{Name: "f16", Datatype: "FP16"}, {Name: "i64", Datatype: "INT64"},
			{Name: "s", Datatype: "BYTES"}, {Name: "b", Datatype: "BOOL"}}},
	"types": {Name: "types", Versions: []string{"1"}, Platform: "onnx",
		Inputs: []infer.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1}}},
		Outputs: []infer.TensorMetadata{{Name: "s", Datatype: "BYTES", Shape: []int64{2}},
			{Name: "b", Datatype: "BOOL", Shape: []int64{3}}, {Name: "i", Datatype: "INT64", Shape: []int64{2, 2}}}},
	"multi": {Name: "multi", Versions: []string{"3"}, Platform: "onnx",
		Inputs: []infer.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 2}}},
		Outputs: []infer.TensorMetadata{{Name: "label", Datatype: "INT64", Shape: []int64{-1}},
			{Name: "score", Datatype: "FP32", Shape: []int64{-1, 2}}}},
	"notready": {Name: "notready", Versions: []string{"1"}},
}

var codesByName = map[string]infer.Code{}

func init() {
	for c := infer.Internal; c <= infer.Canceled; c++ {
		codesByName[c.String()] = c
	}
}

func (f *fakeService) ModelMetadata(ctx context.Context, model, version string) (infer.ModelMetadata, error) {
	md, ok := fakeModels[model]
	if model == "panic" || model == "plainerr" || strings.HasPrefix(model, "err-") {
		md, ok = infer.ModelMetadata{Name: model, Versions: []string{"1"},
			Inputs: []infer.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1}}}}, true
	}
	if !ok || (version != "" && version != md.Versions[0]) {
		return infer.ModelMetadata{}, infer.Errorf(infer.NotFound, "unknown model %q version %q", model, version)
	}
	return md, nil
}

func (f *fakeService) ModelReady(ctx context.Context, model, version string) (bool, error) {
	if _, err := f.ModelMetadata(ctx, model, version); err != nil {
		return false, err
	}
	return model != "notready", nil
}

func (f *fakeService) Infer(ctx context.Context, req *infer.Request) (*infer.Response, error) {
	f.mu.Lock()
	f.last = req
	f.mu.Unlock()
	if c, ok := strings.CutPrefix(req.Model, "err-"); ok {
		e := infer.Errorf(codesByName[c], "failure %s", c)
		if codesByName[c] == infer.ResourceExhausted {
			e.RetryAfter = 1500 * time.Millisecond
		}
		return nil, e
	}
	resp := &infer.Response{ID: req.ID, Model: req.Model, Version: "1", Variant: req.Model}
	if req.Raw != nil {
		// "raw" answers with the parts it got, as a plugin's JSON would.
		var b strings.Builder
		b.WriteString(`{"parts":[`)
		for i, p := range req.Raw.Parts {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"name":%q,"type":%q,"size":%d}`, p.Name, p.ContentType, len(p.Data))
		}
		b.WriteString("]}")
		resp.Body = []byte(b.String())
		return resp, nil
	}
	switch req.Model {
	case "plainerr":
		return nil, errors.New("open /secret/path/model.onnx: permission denied")
	case "panic":
		panic("fake model exploded")
	case "nilresp":
		return nil, nil
	case "add":
		x, err := oneFP32(req, 3)
		if err != nil {
			return nil, err
		}
		data := tensor.Data[float32](x)
		y := make([]float32, len(data))
		for i, v := range data {
			y[i] = v + 1
		}
		if req.RoutingKey == "beta" {
			resp.Variant = "add-beta"
		}
		resp.Outputs = []infer.Tensor{{Name: "y", Tensor: tensor.New(x.Shape(), y)}}
	case "echo":
		for _, in := range req.Inputs {
			resp.Outputs = append(resp.Outputs, infer.Tensor{Name: in.Name, Tensor: in.Tensor})
		}
	case "types":
		resp.Outputs = []infer.Tensor{
			{Name: "s", Tensor: tensor.New([]int{2}, []string{"hello", "w\u00f6rld\x00\"q"})},
			{Name: "b", Tensor: tensor.New([]int{3}, []bool{true, false, true})},
			{Name: "i", Tensor: tensor.New([]int{2, 2}, []int64{1, -2, 3, 9007199254740993})},
		}
	case "multi":
		x, err := oneFP32(req, 2)
		if err != nil {
			return nil, err
		}
		data := tensor.Data[float32](x)
		n := x.Shape()[0]
		labels := make([]int64, n)
		scores := make([]float32, len(data))
		for r := 0; r < n; r++ {
			if data[2*r+1] > data[2*r] {
				labels[r] = 1
			}
			scores[2*r], scores[2*r+1] = 2*data[2*r], 2*data[2*r+1]
		}
		resp.Version = "3"
		resp.Outputs = []infer.Tensor{
			{Name: "score", Tensor: tensor.New(x.Shape(), scores)},
			{Name: "label", Tensor: tensor.New([]int{n}, labels)},
		}
	default:
		return nil, infer.Errorf(infer.NotFound, "unknown model %q", req.Model)
	}
	if len(req.Outputs) > 0 {
		var kept []infer.Tensor
		for _, o := range req.Outputs {
			found := false
			for _, t := range resp.Outputs {
				if t.Name == o.Name {
					kept, found = append(kept, t), true
				}
			}
			if !found {
				return nil, infer.Errorf(infer.InvalidArgument, "no output %q", o.Name)
			}
		}
		resp.Outputs = kept
	}
	return resp, nil
}

// oneFP32 checks a request has exactly one FP32 [N, cols] input.
func oneFP32(req *infer.Request, cols int) (*tensor.Tensor, error) {
	if len(req.Inputs) != 1 {
		return nil, infer.Errorf(infer.InvalidArgument, "want 1 input, got %d", len(req.Inputs))
	}
	x := req.Inputs[0].Tensor
	if x.DType() != tensor.Float32 || x.Rank() != 2 || x.Shape()[1] != cols {
		return nil, infer.Errorf(infer.InvalidArgument, "want FP32 [-1,%d], got %v %v", cols, x.DType(), x.Shape())
	}
	return x, nil
}

func (f *fakeService) RepositoryIndex(ctx context.Context, readyOnly bool) ([]infer.IndexEntry, error) {
	all := []infer.IndexEntry{
		{Name: "add", Version: "1", State: infer.StateReady},
		{Name: "notready", Version: "1", State: infer.StateUnavailable, Reason: "load failed"},
	}
	if readyOnly {
		return all[:1], nil
	}
	return all, nil
}

func (f *fakeService) LoadModel(ctx context.Context, model string) error {
	if model == "missing" {
		return infer.Errorf(infer.NotFound, "no model %q in the repository", model)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loaded = append(f.loaded, model)
	return nil
}

func (f *fakeService) UnloadModel(ctx context.Context, model string) error {
	if model == "missing" {
		return infer.Errorf(infer.NotFound, "model %q is not loaded", model)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unloaded = append(f.unloaded, model)
	return nil
}

func (f *fakeService) Statistics(ctx context.Context, model, version string) ([]infer.ModelStats, error) {
	if model != "" && model != "add" {
		return nil, infer.Errorf(infer.NotFound, "unknown model %q", model)
	}
	return []infer.ModelStats{{
		Name: "add", Version: "1", LastInference: time.UnixMilli(1700000000123),
		InferenceCount: 7, ExecutionCount: 3,
		Success: infer.DurationStat{Count: 3, Total: 1500 * time.Microsecond},
		Queue:   infer.DurationStat{Count: 3, Total: 42 * time.Nanosecond},
	}}, nil
}

// --- HTTP helpers ---

type testServer struct {
	*httptest.Server
	fake *fakeService
}

func newTestServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	fake := newFake()
	srv := httptest.NewServer(NewHandler(fake, opts))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, fake: fake}
}

type result struct {
	status int
	header http.Header
	body   []byte
	close  bool // the server sent Connection: close (the client strips the header)
}

// do sends a request; headers are name/value pairs.
func (s *testServer) do(t testing.TB, method, path string, body io.Reader, headers ...string) result {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, b, resp.Close}
}

func (s *testServer) post(t testing.TB, path, body string, headers ...string) result {
	t.Helper()
	return s.do(t, "POST", path, strings.NewReader(body), headers...)
}

func (s *testServer) get(t testing.TB, path string) result {
	t.Helper()
	return s.do(t, "GET", path, nil)
}

// json decodes the body into a generic value (numbers as json.Number).
func (r result) json(t testing.TB) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// wantStatus checks the status and, for errors, the JSON error shape.
func (r result) wantStatus(t testing.TB, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if status >= 400 {
		var e map[string]any
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("error body is not JSON: %q", r.body)
		}
		if msg, ok := e["error"].(string); !ok || msg == "" || len(e) != 1 {
			t.Fatalf("error body = %s, want {\"error\": \"...\"}", r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("error Content-Type %q", ct)
		}
	}
}

// errorContains checks the status and that the error message mentions want.
func (r result) errorContains(t testing.TB, status int, want string) {
	t.Helper()
	r.wantStatus(t, status)
	var e struct{ Error string }
	_ = json.Unmarshal(r.body, &e)
	if !strings.Contains(e.Error, want) {
		t.Fatalf("error %q does not mention %q", e.Error, want)
	}
}

// canon re-encodes JSON so that bodies compare independent of spacing and
// key order.
func canon(t testing.TB, s []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func wantJSON(t testing.TB, got []byte, want string) {
	t.Helper()
	if c, w := canon(t, got), canon(t, []byte(want)); c != w {
		t.Fatalf("body\n got %s\nwant %s", c, w)
	}
}

func decodeBody(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
