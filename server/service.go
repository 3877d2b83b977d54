package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/cache"
	"github.com/gonyx/gonyx/server/grpcserver"
	"github.com/gonyx/gonyx/server/infer"
	"github.com/gonyx/gonyx/server/router"
)

// Version is the server version /v2 reports; cmd/gonyx sets it.
var Version = "dev"

// The Server is the infer.Service both front ends call.
var _ infer.Service = (*Server)(nil)

// Live reports that the process is up and serving requests; it stays true
// during a drain so an orchestrator does not kill a pod that is finishing
// its work.
func (s *Server) Live() bool { return true }

// Ready reports that models are loaded and the server is not draining.
func (s *Server) Ready() bool { return !s.draining.Load() && s.repo != nil && s.repo.Ready() }

func (s *Server) ServerMetadata() infer.ServerMetadata {
	return infer.ServerMetadata{
		Name:       "gonyx",
		Version:    Version,
		Extensions: []string{"binary_tensor_data", "model_repository", "statistics", "parameters"},
	}
}

// target is what a request name resolves to.
type target struct {
	model   string
	version int64
	variant string
	shadows []router.Variant
}

// resolve maps a request's model name (a router endpoint or a model) and
// version to the model version that serves it.
func (s *Server) resolve(name, version, key string) (target, error) {
	if v, shadows, ok := s.router.Route(name, key); ok {
		if version != "" {
			return target{}, infer.Errorf(infer.InvalidArgument,
				"%q is a routed endpoint: it picks the version itself, so the request must not name one", name)
		}
		return target{model: v.Model, version: v.Version, variant: v.Name, shadows: shadows}, nil
	}
	t := target{model: name, variant: name}
	if version != "" {
		n, err := strconv.ParseInt(version, 10, 64)
		if err != nil || n < 1 {
			return target{}, infer.Errorf(infer.InvalidArgument, "model version %q: want a positive integer", version)
		}
		t.version = n
	}
	return t, nil
}

// acquire resolves and takes a reference on the serving version.
func (s *Server) acquire(model, version, key string) (target, *servable, func(), error) {
	t, err := s.resolve(model, version, key)
	if err != nil {
		return t, nil, nil, err
	}
	h, err := s.repo.Acquire(t.model, t.version)
	if err != nil {
		return t, nil, nil, err
	}
	sv, ok := h.Servable.(*servable)
	if !ok {
		h.Release()
		return t, nil, nil, fmt.Errorf("repository returned a %T", h.Servable)
	}
	return t, sv, h.Release, nil
}

func (s *Server) ModelMetadata(ctx context.Context, model, version string) (infer.ModelMetadata, error) {
	t, sv, release, err := s.acquire(model, version, "")
	if err != nil {
		return infer.ModelMetadata{}, err
	}
	defer release()
	md := infer.ModelMetadata{
		Name:     model,
		Platform: "onnx",
		Inputs:   sv.inputs,
		Outputs:  sv.outputs,
	}
	for _, v := range s.repo.Versions(t.model) {
		md.Versions = append(md.Versions, strconv.FormatInt(v, 10))
	}
	return md, nil
}

func (s *Server) ModelReady(ctx context.Context, model, version string) (bool, error) {
	_, _, release, err := s.acquire(model, version, "")
	if err != nil {
		if infer.CodeOf(err) == infer.Unavailable {
			return false, nil
		}
		return false, err
	}
	release()
	return true, nil
}

func (s *Server) RepositoryIndex(ctx context.Context, readyOnly bool) ([]infer.IndexEntry, error) {
	return s.repo.Index(readyOnly), nil
}

func (s *Server) LoadModel(ctx context.Context, model string) error {
	return s.repo.Load(ctx, model)
}

func (s *Server) UnloadModel(ctx context.Context, model string) error {
	return s.repo.Unload(ctx, model)
}

func (s *Server) Statistics(ctx context.Context, model, version string) ([]infer.ModelStats, error) {
	names := s.repo.Models()
	if model != "" {
		if !slices.Contains(names, model) {
			// Unknown and not-ready models answer as Acquire would.
			_, _, release, err := s.acquire(model, version, "")
			if err != nil {
				return nil, err
			}
			release()
		}
		names = []string{model}
	}
	var out []infer.ModelStats
	for _, name := range names {
		for _, v := range s.repo.Versions(name) {
			vs := strconv.FormatInt(v, 10)
			if version != "" && version != vs {
				continue
			}
			h, err := s.repo.Acquire(name, v)
			if err != nil {
				continue // unloaded in between
			}
			if sv, ok := h.Servable.(*servable); ok {
				out = append(out, sv.statsSnapshot())
			}
			h.Release()
		}
	}
	if version != "" && len(out) == 0 {
		return nil, infer.Errorf(infer.NotFound, "model %q has no ready version %s", model, version)
	}
	return out, nil
}

// Infer runs one request: route, check the inputs against the model, look
// in the cache, queue on the version's batcher, pick the outputs, copy to
// shadow variants.
func (s *Server) Infer(ctx context.Context, req *infer.Request) (resp *infer.Response, err error) {
	start := time.Now()
	var t target
	var sv *servable
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in inference", "model", req.Model, "panic", fmt.Sprint(r))
			resp, err = nil, infer.Errorf(infer.Internal, "internal error")
		}
		model, version := "_unknown", ""
		if sv != nil {
			model, version = sv.name, sv.versionS
		}
		s.metrics.Request(model, version, t.variant, req.Protocol, codeLabel(req.Protocol, err), time.Since(start))
		if sv != nil {
			d := uint64(time.Since(start))
			if err == nil {
				sv.stats.successN.Add(1)
				sv.stats.successT.Add(d)
			} else {
				sv.stats.failN.Add(1)
				sv.stats.failT.Add(d)
			}
		}
	}()
	var release func()
	t, sv, release, err = s.acquire(req.Model, req.Version, req.RoutingKey)
	if err != nil {
		sv = nil
		return nil, err
	}
	defer release()

	if timeout := cmp0(req.Timeout, sv.timeout); timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	inputs := req.Inputs
	var preOut abi.Message
	if req.Raw != nil {
		if len(sv.pre) == 0 {
			return nil, infer.Errorf(infer.InvalidArgument,
				"model %s has no preprocessing plugin to read a %q upload: send KServe tensors as JSON", sv.name, req.Raw.ContentType)
		}
		msg, err := s.runPlugins(ctx, sv.pre, rawMessage(req.Raw), sv.takePreOut())
		if err != nil {
			return nil, err
		}
		preOut = msg
		if inputs, err = sv.bindInputs(msg); err != nil {
			return nil, err
		}
	}
	feeds, err := sv.checkInputs(inputs)
	if err != nil {
		return nil, err
	}
	var names []string
	if len(sv.post) > 0 {
		// The post plugins get every output; the request's choice applies
		// to what they return.
		names, _ = sv.selectOutputs(nil)
	} else if names, err = sv.selectOutputs(req.Outputs); err != nil {
		return nil, err
	}
	resp = &infer.Response{ID: req.ID, Model: req.Model, Version: sv.versionS, Variant: t.variant}
	var key [32]byte
	cached := false
	if sv.cache != nil {
		key = cache.Key(sv.name, sv.version, inputs, names)
		if outs, ok := sv.cache.Get(key); ok {
			s.metrics.Cache(sv.name, true)
			resp.Outputs, resp.Cached, cached = outs, true, true
		} else {
			s.metrics.Cache(sv.name, false)
		}
	}
	if !cached {
		outs, err := sv.batcher.Submit(ctx, feeds)
		if err != nil {
			return nil, modelError(err)
		}
		for _, name := range names {
			o, ok := outs[name]
			if !ok || o == nil {
				return nil, fmt.Errorf("model %s produced no output %q", sv.name, name)
			}
			resp.Outputs = append(resp.Outputs, infer.Tensor{Name: name, Tensor: o})
		}
		if sv.cache != nil {
			sv.cache.Put(key, resp.Outputs)
		}
	}
	if len(sv.post) > 0 {
		msg, err := s.runPlugins(ctx, sv.post, postMessage(resp.Outputs), nil)
		if err != nil {
			return nil, err
		}
		fromPost(msg, resp)
		if err := keepRequested(resp, req.Outputs); err != nil {
			return nil, err
		}
	}
	s.shadow(req.Model, t.shadows, feeds)
	if preOut != nil {
		sv.recyclePreOut(preOut, resp, len(t.shadows))
	}
	return resp, nil
}

// keepRequested narrows a response to the outputs a request named.
func keepRequested(resp *infer.Response, req []infer.OutputRequest) error {
	if len(req) == 0 {
		return nil
	}
	var out []infer.Tensor
	for _, r := range req {
		found := false
		for _, o := range resp.Outputs {
			if o.Name == r.Name {
				out, found = append(out, o), true
				break
			}
		}
		if !found {
			return infer.Errorf(infer.InvalidArgument, "no output %q after postprocessing", r.Name)
		}
	}
	resp.Outputs = out
	return nil
}

// cmp0 is the request's own timeout, else the model's default.
func cmp0(req, def time.Duration) time.Duration {
	if req > 0 {
		return req
	}
	return def
}

// modelError classifies an error from the engine: the engine's own input
// checks are the client's fault; everything else stays as the batcher
// classified it (queue full, timeouts, unloading) or is an internal error.
func modelError(err error) error {
	var ie *infer.Error
	if errors.As(err, &ie) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, engine.ErrInvalidInput) {
		return infer.Wrap(infer.InvalidArgument, err, "")
	}
	return infer.Wrap(infer.Internal, err, "model execution failed")
}

// codeLabel is the metrics "code" label: the HTTP status for REST clients,
// the gRPC code name for gRPC ones.
func codeLabel(protocol string, err error) string {
	if protocol == "grpc" {
		if err == nil {
			return "OK"
		}
		return grpcCodeName(grpcserver.Code(infer.CodeOf(err)))
	}
	if err == nil {
		return "200"
	}
	return strconv.Itoa(infer.CodeOf(err).HTTPStatus())
}

// checkInputs matches the request's tensors to the model's declared inputs:
// every input present once, datatypes equal, ranks and fixed dimensions
// equal. Errors name the input and say what the model wants.
func (sv *servable) checkInputs(in []infer.Tensor) (map[string]*tensor.Tensor, error) {
	feeds := make(map[string]*tensor.Tensor, len(in))
	rows := -1
	for _, t := range in {
		i, ok := sv.inputIdx[t.Name]
		if !ok {
			return nil, infer.Errorf(infer.InvalidArgument, "model %s has no input %q (its inputs: %s)", sv.name, t.Name, names(sv.inputs))
		}
		if _, dup := feeds[t.Name]; dup {
			return nil, infer.Errorf(infer.InvalidArgument, "input %q given twice", t.Name)
		}
		if t.Tensor == nil {
			return nil, infer.Errorf(infer.InvalidArgument, "input %q has no data", t.Name)
		}
		md := sv.inputs[i]
		if got := infer.Datatype(t.Tensor.DType()); got != md.Datatype {
			return nil, infer.Errorf(infer.InvalidArgument, "input %q: datatype %s, the model wants %s", t.Name, got, md.Datatype)
		}
		shape := t.Tensor.Shape()
		if md.Shape != nil {
			if len(shape) != len(md.Shape) {
				return nil, infer.Errorf(infer.InvalidArgument, "input %q: shape %v, the model wants %s", t.Name, shape, shapeString(md.Shape))
			}
			for d, want := range md.Shape {
				if want >= 0 && int64(shape[d]) != want {
					return nil, infer.Errorf(infer.InvalidArgument, "input %q: shape %v, the model wants %s", t.Name, shape, shapeString(md.Shape))
				}
			}
		}
		if sv.batchable {
			if shape[0] == 0 {
				return nil, infer.Errorf(infer.InvalidArgument, "input %q: batch of 0 rows", t.Name)
			}
			if rows >= 0 && shape[0] != rows {
				return nil, infer.Errorf(infer.InvalidArgument, "inputs disagree on the batch size (%d and %d rows)", rows, shape[0])
			}
			if shape[0] > sv.maxBatch {
				return nil, infer.Errorf(infer.InvalidArgument, "input %q: batch of %d rows exceeds the model's max_batch_size %d", t.Name, shape[0], sv.maxBatch)
			}
			rows = shape[0]
		}
		feeds[t.Name] = t.Tensor
	}
	if len(feeds) != len(sv.inputs) {
		var missing []string
		for _, md := range sv.inputs {
			if _, ok := feeds[md.Name]; !ok {
				missing = append(missing, strconv.Quote(md.Name))
			}
		}
		return nil, infer.Errorf(infer.InvalidArgument, "model %s: missing input %s", sv.name, strings.Join(missing, ", "))
	}
	return feeds, nil
}

// selectOutputs is the requested output names, or all in model order.
func (sv *servable) selectOutputs(req []infer.OutputRequest) ([]string, error) {
	if len(req) == 0 {
		all := make([]string, len(sv.outputs))
		for i, o := range sv.outputs {
			all[i] = o.Name
		}
		return all, nil
	}
	out := make([]string, 0, len(req))
	for _, o := range req {
		if _, ok := sv.outputIdx[o.Name]; !ok {
			return nil, infer.Errorf(infer.InvalidArgument, "model %s has no output %q (its outputs: %s)", sv.name, o.Name, names(sv.outputs))
		}
		if slices.Contains(out, o.Name) {
			return nil, infer.Errorf(infer.InvalidArgument, "output %q requested twice", o.Name)
		}
		out = append(out, o.Name)
	}
	return out, nil
}

func names(ts []infer.TensorMetadata) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = strconv.Quote(t.Name)
	}
	return strings.Join(s, ", ")
}

func shapeString(shape []int64) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			s[i] = "-1"
		} else {
			s[i] = strconv.FormatInt(d, 10)
		}
	}
	return "[" + strings.Join(s, ",") + "]"
}

// shadow sends a copy of the request to each shadow variant in the
// background. Their answers are only measured; a full shadow queue drops the
// copy rather than slow the primary path.
func (s *Server) shadow(endpoint string, shadows []router.Variant, feeds map[string]*tensor.Tensor) {
	for _, v := range shadows {
		select {
		case s.shadowSlots <- struct{}{}:
		default:
			s.metrics.Shadow(endpoint, v.Name, "dropped", 0)
			continue
		}
		s.shadowWG.Add(1)
		go func(v router.Variant) {
			defer func() {
				<-s.shadowSlots
				s.shadowWG.Done()
				if r := recover(); r != nil {
					s.log.Error("panic in shadow request", "endpoint", endpoint, "variant", v.Name, "panic", fmt.Sprint(r))
				}
			}()
			start := time.Now()
			outcome := "ok"
			if err := s.runShadow(v, feeds); err != nil {
				outcome = "error"
				if infer.CodeOf(err) == infer.DeadlineExceeded {
					outcome = "timeout"
				}
				s.log.Debug("shadow request failed", "endpoint", endpoint, "variant", v.Name, "error", err)
			}
			s.metrics.Shadow(endpoint, v.Name, outcome, time.Since(start))
		}(v)
	}
}

const shadowTimeout = 10 * time.Second

func (s *Server) runShadow(v router.Variant, feeds map[string]*tensor.Tensor) error {
	h, err := s.repo.Acquire(v.Model, v.Version)
	if err != nil {
		return err
	}
	defer h.Release()
	sv, ok := h.Servable.(*servable)
	if !ok {
		return fmt.Errorf("repository returned a %T", h.Servable)
	}
	in := make([]infer.Tensor, 0, len(feeds))
	for name, t := range feeds {
		in = append(in, infer.Tensor{Name: name, Tensor: t})
	}
	checked, err := sv.checkInputs(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), shadowTimeout)
	defer cancel()
	_, err = sv.batcher.Submit(ctx, checked)
	return err
}

// grpcCodeName spells a gRPC code as the protocol does (RESOURCE_EXHAUSTED),
// not as Go's String method does (ResourceExhausted).
func grpcCodeName(c codes.Code) string {
	if c == codes.OK {
		return "OK"
	}
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
