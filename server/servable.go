package server

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/server/batcher"
	"github.com/gonyx/gonyx/server/cache"
	"github.com/gonyx/gonyx/server/infer"
	"github.com/gonyx/gonyx/server/repository"
)

// servable is one loaded model version: the engine model, its batcher, its
// metadata in KServe terms, an optional response cache and its statistics.
// The repository hands it out through refcounted handles and closes it once
// the last in-flight request has released it.
type servable struct {
	name      string
	version   int64
	versionS  string
	model     *engine.Model
	batcher   *batcher.Batcher
	batchable bool // inputs are stacked on a dynamic first axis
	maxBatch  int  // rows one request may carry when batchable
	inputs    []infer.TensorMetadata
	outputs   []infer.TensorMetadata
	inputIdx  map[string]int
	outputIdx map[string]int
	cache     *cache.Cache // nil when off
	pre, post []*plugins.Plugin
	// preOut holds pre-plugin outputs that requests have finished with,
	// for the next uploads' plugins to write into.
	preOut  messagePool
	timeout time.Duration
	stats   versionStats
	onClose func()
}

// versionStats are the counters behind ModelStatistics.
type versionStats struct {
	last               atomic.Int64 // unix nanoseconds of the last inference
	inferCount, execs  atomic.Uint64
	successN, successT atomic.Uint64
	failN, failT       atomic.Uint64
	queueN, queueT     atomic.Uint64
	computeN, computeT atomic.Uint64
}

func (s *servable) Close() error {
	s.batcher.Close()
	closePlugins(s.pre)
	closePlugins(s.post)
	s.model = nil // the last reference: the weights become garbage
	if s.onClose != nil {
		s.onClose()
	}
	return nil
}

// open is the repository's Opener: load the model, build its batcher, warm
// it up. It returns only when the version can take traffic.
func (s *Server) open(ctx context.Context, spec repository.Spec) (repository.Servable, error) {
	threads := spec.Config.Threads
	if threads == 0 {
		threads = s.cfg.Threads
	}
	var opts []engine.Option
	if threads > 0 {
		opts = append(opts, engine.WithThreads(threads))
	}
	var m *engine.Model
	var err error
	if spec.FS != nil {
		var data []byte
		data, err = fs.ReadFile(spec.FS, spec.Path)
		if err == nil {
			m, err = engine.LoadBytes(data, opts...)
		}
	} else {
		m, err = engine.Load(spec.Path, opts...)
	}
	if err != nil {
		return nil, err
	}
	sv := &servable{
		name:      spec.Name,
		version:   spec.Version,
		versionS:  strconv.FormatInt(spec.Version, 10),
		model:     m,
		inputIdx:  map[string]int{},
		outputIdx: map[string]int{},
		timeout:   time.Duration(spec.Config.Batching.DefaultTimeout),
	}
	for i, v := range m.Inputs() {
		sv.inputs = append(sv.inputs, tensorMeta(v))
		sv.inputIdx[v.Name] = i
	}
	for i, v := range m.Outputs() {
		sv.outputs = append(sv.outputs, tensorMeta(v))
		sv.outputIdx[v.Name] = i
	}
	for _, md := range append(append([]infer.TensorMetadata(nil), sv.inputs...), sv.outputs...) {
		if md.Datatype == "" {
			return nil, fmt.Errorf("value %q has a type the server cannot carry (only tensors of KServe datatypes)", md.Name)
		}
	}
	maxBatch := spec.Config.MaxBatchSize
	sv.batchable = maxBatch > 1 && firstAxisDynamic(sv.inputs) && firstAxisDynamic(sv.outputs)
	if maxBatch > 1 && !sv.batchable {
		s.log.Warn("dynamic batching off: the model's inputs and outputs need a dynamic first dimension",
			"model", spec.Name, "version", spec.Version)
		maxBatch = 1
	}
	if spec.Config.Cache.Enabled {
		entries, bytes := spec.Config.Cache.MaxEntries, spec.Config.Cache.MaxBytes
		if entries <= 0 {
			entries = 1024
		}
		if bytes <= 0 {
			bytes = 64 << 20
		}
		sv.cache = cache.New(entries, bytes)
	}
	sv.maxBatch = maxBatch
	sv.batcher = batcher.New(m.Run, batcher.Options{
		MaxBatch:  maxBatch,
		MaxDelay:  time.Duration(spec.Config.Batching.MaxQueueDelay),
		Eager:     !spec.Config.Batching.StrictDelay,
		Expect:    s.inflight.expect,
		Preferred: spec.Config.Batching.PreferredBatchSizes,
		QueueSize: spec.Config.Batching.MaxQueueSize,
		Workers:   1,
		Observer:  &batchObserver{s: s, sv: sv},
	})
	sv.onClose = func() {
		s.metrics.ForgetVersion(sv.name, sv.versionS)
		s.countLoaded()
		s.releaseMemory()
	}
	if err := warmUp(ctx, m, sv.inputs, spec.Config.Warmup); err != nil {
		sv.batcher.Close()
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if sv.pre, sv.post, err = s.loadPlugins(ctx, spec); err != nil {
		sv.batcher.Close()
		return nil, err
	}
	return sv, nil
}

func firstAxisDynamic(ts []infer.TensorMetadata) bool {
	for _, t := range ts {
		if len(t.Shape) == 0 || t.Shape[0] != -1 {
			return false
		}
	}
	return len(ts) > 0
}

func tensorMeta(v engine.ValueInfo) infer.TensorMetadata {
	md := infer.TensorMetadata{Name: v.Name, Datatype: infer.Datatype(v.DType)}
	if v.Type != nil && v.Type.Kind != graph.KindUnknown && v.Type.Kind != graph.KindTensor {
		// Sequences and optionals have no KServe representation.
		md.Datatype = ""
	}
	if v.Shape != nil {
		md.Shape = make([]int64, len(v.Shape))
		for i, d := range v.Shape {
			md.Shape[i] = d.Size
			if d.Size < 0 {
				md.Shape[i] = -1
			}
		}
	}
	return md
}

// warmUp runs the model n times on zeros (dynamic dimensions as 1), so the
// first client request does not pay for lazy initialisation, buffer pools
// and the shape memo.
func warmUp(ctx context.Context, m *engine.Model, inputs []infer.TensorMetadata, n int) error {
	if n <= 0 {
		return nil
	}
	feeds := make(map[string]*tensor.Tensor, len(inputs))
	for _, in := range inputs {
		dt, _ := infer.DTypeOf(in.Datatype)
		shape := make([]int, len(in.Shape))
		for i, d := range in.Shape {
			shape[i] = int(max(d, 1))
		}
		if _, err := tensor.NumElements(shape); err != nil {
			return err
		}
		feeds[in.Name] = tensor.Zeros(dt, shape...)
	}
	for range n {
		if _, err := m.Run(ctx, feeds); err != nil {
			return err
		}
	}
	return nil
}

// batchObserver feeds batch events to the metrics and the statistics.
type batchObserver struct {
	s  *Server
	sv *servable
}

func (o *batchObserver) Batch(rows, requests int, queued []time.Duration, compute time.Duration, err error) {
	st := &o.sv.stats
	st.execs.Add(1)
	st.computeN.Add(1)
	st.computeT.Add(uint64(compute))
	for _, q := range queued {
		st.queueN.Add(1)
		st.queueT.Add(uint64(q))
	}
	if err == nil {
		st.inferCount.Add(uint64(rows))
		st.last.Store(time.Now().UnixNano())
	}
	o.s.metrics.Batch(o.sv.name, o.sv.versionS, rows, queued, compute)
}

func (o *batchObserver) QueueDepth(n int) { o.s.metrics.QueueDepth(o.sv.name, o.sv.versionS, n) }

func (s *servable) statsSnapshot() infer.ModelStats {
	st := &s.stats
	ms := infer.ModelStats{
		Name:           s.name,
		Version:        s.versionS,
		InferenceCount: st.inferCount.Load(),
		ExecutionCount: st.execs.Load(),
		Success:        infer.DurationStat{Count: st.successN.Load(), Total: time.Duration(st.successT.Load())},
		Fail:           infer.DurationStat{Count: st.failN.Load(), Total: time.Duration(st.failT.Load())},
		Queue:          infer.DurationStat{Count: st.queueN.Load(), Total: time.Duration(st.queueT.Load())},
		Compute:        infer.DurationStat{Count: st.computeN.Load(), Total: time.Duration(st.computeT.Load())},
	}
	if ns := st.last.Load(); ns != 0 {
		ms.LastInference = time.Unix(0, ns)
	}
	return ms
}
