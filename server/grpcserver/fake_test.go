package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// fakeService is an infer.Service with a few scripted models:
//
//	add          FP32 [-1,3] input "x", output "sum" = x + 1
//	echo         returns every input as an output of the same name
//	multi        outputs a, b and c
//	fail-<code>  fails with that infer.Code (e.g. fail-not_found)
//	plain-error  fails with a plain error naming an internal path
//	panic        panics
//	slow         waits for its context (and Request.Timeout) to end
//	retry        queue full, retry after 1.5 s
//	nil-output   returns an output without a tensor
type fakeService struct {
	live, ready atomic.Bool

	mu          sync.Mutex
	calls       int
	last        *infer.Request
	history     []*infer.Request
	hadDeadline bool
	loaded      []string
	unloaded    []string
	indexReady  []bool
	statsArgs   [][2]string
}

func newFake() *fakeService {
	f := &fakeService{}
	f.live.Store(true)
	f.ready.Store(true)
	return f
}

func (f *fakeService) Live() bool  { return f.live.Load() }
func (f *fakeService) Ready() bool { return f.ready.Load() }

func (f *fakeService) ServerMetadata() infer.ServerMetadata {
	return infer.ServerMetadata{Name: "gonyx", Version: "0.test", Extensions: []string{"model_repository", "statistics"}}
}

func (f *fakeService) ModelMetadata(_ context.Context, model, version string) (infer.ModelMetadata, error) {
	if model != "add" || (version != "" && version != "1") {
		return infer.ModelMetadata{}, infer.Errorf(infer.NotFound, "unknown model %q version %q", model, version)
	}
	return infer.ModelMetadata{
		Name: "add", Versions: []string{"1"}, Platform: "onnx",
		Inputs:  []infer.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Outputs: []infer.TensorMetadata{{Name: "sum", Datatype: "FP32", Shape: []int64{-1, 3}}},
	}, nil
}

func (f *fakeService) ModelReady(_ context.Context, model, _ string) (bool, error) {
	switch model {
	case "add":
		return true, nil
	case "loading":
		return false, nil
	}
	return false, infer.Errorf(infer.NotFound, "unknown model %q", model)
}

func (f *fakeService) RepositoryIndex(_ context.Context, readyOnly bool) ([]infer.IndexEntry, error) {
	f.mu.Lock()
	f.indexReady = append(f.indexReady, readyOnly)
	f.mu.Unlock()
	all := []infer.IndexEntry{
		{Name: "add", Version: "1", State: infer.StateReady},
		{Name: "broken", State: infer.StateUnavailable, Reason: "load failed"},
	}
	if readyOnly {
		return all[:1], nil
	}
	return all, nil
}

func (f *fakeService) LoadModel(_ context.Context, model string) error {
	if model == "missing" {
		return infer.Errorf(infer.NotFound, "no model %q in the repository", model)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loaded = append(f.loaded, model)
	return nil
}

func (f *fakeService) UnloadModel(_ context.Context, model string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unloaded = append(f.unloaded, model)
	return nil
}

func (f *fakeService) Statistics(_ context.Context, model, version string) ([]infer.ModelStats, error) {
	f.mu.Lock()
	f.statsArgs = append(f.statsArgs, [2]string{model, version})
	f.mu.Unlock()
	if model != "" && model != "add" {
		return nil, infer.Errorf(infer.NotFound, "unknown model %q", model)
	}
	return []infer.ModelStats{{
		Name: "add", Version: "1",
		LastInference:  time.UnixMilli(1700000000123),
		InferenceCount: 10, ExecutionCount: 4,
		Success: infer.DurationStat{Count: 10, Total: 2500 * time.Millisecond},
		Fail:    infer.DurationStat{Count: 1, Total: 3 * time.Millisecond},
		Queue:   infer.DurationStat{Count: 10, Total: 40 * time.Microsecond},
		Compute: infer.DurationStat{Count: 4, Total: 2 * time.Second},
	}}, nil
}

// failModels maps "fail-<code>" to its code.
var failModels = func() map[string]infer.Code {
	m := map[string]infer.Code{}
	for c := infer.Internal; c <= infer.Canceled; c++ {
		m["fail-"+c.String()] = c
	}
	return m
}()

func (f *fakeService) Infer(ctx context.Context, req *infer.Request) (*infer.Response, error) {
	_, hasDeadline := ctx.Deadline()
	f.mu.Lock()
	f.calls++
	f.last = req
	f.history = append(f.history, req)
	f.hadDeadline = hasDeadline
	f.mu.Unlock()

	if c, ok := failModels[req.Model]; ok {
		return nil, infer.Errorf(c, "fake failure: %s", c)
	}
	switch req.Model {
	case "add":
		return f.add(req)
	case "echo":
		return &infer.Response{ID: req.ID, Model: req.Model, Version: "3", Variant: "echo",
			Outputs: req.Inputs, Parameters: map[string]any{"inputs": len(req.Inputs)}}, nil
	case "multi":
		return &infer.Response{ID: req.ID, Model: req.Model, Version: "1", Outputs: []infer.Tensor{
			{Name: "a", Tensor: tensor.New([]int{1}, []float32{1})},
			{Name: "b", Tensor: tensor.New([]int{2}, []int64{2, 3})},
			{Name: "c", Tensor: tensor.New([]int{1}, []string{"c"})},
		}}, nil
	case "plain-error":
		return nil, errors.New("open /srv/secret/model.onnx: permission denied")
	case "panic":
		panic("fake panic at /srv/secret")
	case "slow":
		if req.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, req.Timeout)
			defer cancel()
		}
		<-ctx.Done()
		return nil, ctx.Err()
	case "retry":
		return nil, &infer.Error{Code: infer.ResourceExhausted, Msg: "queue full", RetryAfter: 1500 * time.Millisecond}
	case "nil-output":
		return &infer.Response{Model: req.Model, Outputs: []infer.Tensor{{Name: "y"}}}, nil
	case "nil-response":
		return nil, nil
	}
	return nil, infer.Errorf(infer.NotFound, "unknown model %q", req.Model)
}

func (f *fakeService) add(req *infer.Request) (*infer.Response, error) {
	if len(req.Inputs) != 1 || req.Inputs[0].Name != "x" {
		return nil, infer.Errorf(infer.InvalidArgument, "add takes one input x")
	}
	x := req.Inputs[0].Tensor
	if x.DType() != tensor.Float32 || x.Rank() != 2 || x.Shape()[1] != 3 {
		return nil, infer.Errorf(infer.InvalidArgument, "x must be FP32 [-1,3], got %v %v", x.DType(), x.Shape())
	}
	in := tensor.Data[float32](x)
	sum := make([]float32, len(in))
	for i, v := range in {
		sum[i] = v + 1
	}
	id := req.ID
	return &infer.Response{ID: id, Model: "add", Version: "1", Variant: "add",
		Outputs: []infer.Tensor{{Name: "sum", Tensor: tensor.New(x.Shape(), sum)}}}, nil
}

func (f *fakeService) lastRequest() (*infer.Request, int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.calls, f.hadDeadline
}

// recorded is a copy of what the repository and statistics calls saw.
type recorded struct {
	loaded, unloaded []string
	indexReady       []bool
	statsArgs        [][2]string
}

func (f *fakeService) recorded() recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return recorded{slices.Clone(f.loaded), slices.Clone(f.unloaded), slices.Clone(f.indexReady), slices.Clone(f.statsArgs)}
}

func (f *fakeService) requests() []*infer.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.history)
}

func (f *fakeService) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// syncBuffer is a log destination the tests can read while the server
// writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
