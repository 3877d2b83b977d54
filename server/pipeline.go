package server

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
	"github.com/gonyx/gonyx/server/repository"
)

// pluginRuntime is the wazero host shared by every model's plugins (one
// compilation cache), created on first use so servers without plugins
// never start it.
func (s *Server) pluginRuntime(ctx context.Context) (*plugins.Runtime, error) {
	s.pluginMu.Lock()
	defer s.pluginMu.Unlock()
	if s.plugins != nil {
		return s.plugins, nil
	}
	rt, err := plugins.NewRuntime(ctx, plugins.RuntimeOptions{Logger: s.log, CacheDir: s.cfg.PluginCacheDir})
	if err != nil {
		return nil, err
	}
	s.plugins = rt
	return rt, nil
}

// loadPlugins loads a model version's pre and post plugins. Relative plugin
// paths are resolved against the model's folder.
func (s *Server) loadPlugins(ctx context.Context, spec repository.Spec) (pre, post []*plugins.Plugin, err error) {
	if len(spec.Config.Pre) == 0 && len(spec.Config.Post) == 0 {
		return nil, nil, nil
	}
	rt, err := s.pluginRuntime(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			closePlugins(pre)
			closePlugins(post)
		}
	}()
	load := func(ref repository.PluginRef) (*plugins.Plugin, error) {
		cfg := plugins.Config{
			Name:     strings.TrimSuffix(path.Base(filepath.ToSlash(ref.Plugin)), ".wasm"),
			Settings: ref.Config,
			Trusted:  ref.Trusted,
			Timeout:  time.Duration(ref.Timeout),
		}
		dir := modelFolder(spec)
		switch {
		case spec.FS != nil:
			data, err := fs.ReadFile(spec.FS, path.Join(dir, filepath.ToSlash(ref.Plugin)))
			if err != nil {
				return nil, fmt.Errorf("plugin %s: %w", ref.Plugin, err)
			}
			cfg.Wasm = data
		case filepath.IsAbs(ref.Plugin):
			cfg.Path = ref.Plugin
		default:
			cfg.Path = filepath.Join(dir, ref.Plugin)
		}
		// Load reads the file and names it in its error.
		return rt.Load(ctx, cfg)
	}
	for _, ref := range spec.Config.Pre {
		p, err := load(ref)
		if err != nil {
			return pre, post, err
		}
		pre = append(pre, p)
	}
	for _, ref := range spec.Config.Post {
		p, err := load(ref)
		if err != nil {
			return pre, post, err
		}
		post = append(post, p)
	}
	return pre, post, nil
}

// modelFolder is the folder holding a model's config.yaml: the parent of
// the version folder, or the folder of a bare model.onnx.
func modelFolder(spec repository.Spec) string {
	p := spec.Path
	if spec.FS == nil {
		p = filepath.ToSlash(p)
	}
	dir := path.Dir(p)
	if path.Base(dir) == strconv.FormatInt(spec.Version, 10) {
		dir = path.Dir(dir)
	}
	if spec.FS == nil {
		return filepath.FromSlash(dir)
	}
	return dir
}

func closePlugins(ps []*plugins.Plugin) {
	for _, p := range ps {
		_ = p.Close(context.Background())
	}
}

// runPlugins feeds a message through plugins in order, timing each. The
// last one writes its tensors into those of reuse that match (see
// Plugin.ProcessInto).
func (s *Server) runPlugins(ctx context.Context, ps []*plugins.Plugin, msg, reuse abi.Message) (abi.Message, error) {
	for i, p := range ps {
		start := time.Now()
		var into abi.Message
		if i == len(ps)-1 {
			into = reuse
		}
		out, err := p.ProcessInto(ctx, msg, into)
		s.metrics.Plugin(p.Name(), time.Since(start), err)
		if err != nil {
			return nil, err
		}
		msg = out
	}
	return msg, nil
}

// rawMessage is what a pre plugin receives for an upload: content_type and
// one bytes entry per part ("body" for a plain upload).
func rawMessage(raw *infer.RawBody) abi.Message {
	msg := abi.Message{{Name: "content_type", Bytes: []byte(raw.ContentType)}}
	for _, p := range raw.Parts {
		msg = append(msg, abi.Entry{Name: p.Name, Bytes: p.Data})
	}
	return msg
}

// bindInputs maps a pre plugin's tensors to the model's inputs: by name,
// or a single tensor to a single-input model whatever its name.
func (sv *servable) bindInputs(msg abi.Message) ([]infer.Tensor, error) {
	var ts []abi.Entry
	for _, e := range msg {
		if e.Tensor != nil {
			ts = append(ts, e)
		}
	}
	if len(ts) == 1 && len(sv.inputs) == 1 {
		return []infer.Tensor{{Name: sv.inputs[0].Name, Tensor: ts[0].Tensor}}, nil
	}
	var out []infer.Tensor
	for _, e := range ts {
		if _, ok := sv.inputIdx[e.Name]; ok {
			out = append(out, infer.Tensor{Name: e.Name, Tensor: e.Tensor})
		}
	}
	if len(out) == 0 {
		return nil, infer.Errorf(infer.Internal, "model %s: the preprocessing plugins produced no tensor named like its inputs (%s)", sv.name, names(sv.inputs))
	}
	return out, nil
}

// postMessage is what a post plugin receives: the model's outputs.
func postMessage(outs []infer.Tensor) abi.Message {
	msg := make(abi.Message, len(outs))
	for i, o := range outs {
		msg[i] = abi.Entry{Name: o.Name, Tensor: o.Tensor}
	}
	return msg
}

// fromPost turns a post plugin's message into the response: tensors as
// outputs, bytes entries as BYTES outputs of one element, and "json" also
// as the whole REST answer.
func fromPost(msg abi.Message, resp *infer.Response) {
	resp.Outputs = resp.Outputs[:0]
	for _, e := range msg {
		if e.Tensor != nil {
			resp.Outputs = append(resp.Outputs, infer.Tensor{Name: e.Name, Tensor: e.Tensor})
			continue
		}
		resp.Outputs = append(resp.Outputs, infer.Tensor{Name: e.Name, Tensor: tensor.New([]int{1}, []string{string(e.Bytes)})})
		if e.Name == "json" {
			resp.Body = e.Bytes
		}
	}
}

// messagePool keeps a few finished messages. Not a sync.Pool: that one
// drops what it holds at every garbage collection, which a server making
// 600 KB of garbage per request runs often, and tests could not rely on it.
type messagePool struct {
	mu   sync.Mutex
	msgs []abi.Message
}

// maxPooledMessages bounds a pool: enough for the requests one version runs
// at once on a small machine, a few MB at most for image tensors.
const maxPooledMessages = 8

func (p *messagePool) get() abi.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.msgs) == 0 {
		return nil
	}
	m := p.msgs[len(p.msgs)-1]
	p.msgs[len(p.msgs)-1] = nil
	p.msgs = p.msgs[:len(p.msgs)-1]
	return m
}

func (p *messagePool) put(m abi.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.msgs) < maxPooledMessages {
		p.msgs = append(p.msgs, m)
	}
}

// takePreOut is a finished request's pre-plugin output, or nil.
func (sv *servable) takePreOut() abi.Message { return sv.preOut.get() }

// recyclePreOut keeps a request's pre-plugin tensors for the next upload,
// which then allocates none (a 3×224×224 float32 image costs ten times
// more to allocate than to fill). Only once nothing can read them again:
// the model has run (the request succeeded), no shadow copy of the inputs
// is in flight, and no tensor of the response shares their memory (a model
// may return an input, or a view of one, as an output).
func (sv *servable) recyclePreOut(msg abi.Message, resp *infer.Response, shadows int) {
	if shadows > 0 {
		return
	}
	keep := make(abi.Message, 0, len(msg))
	for _, e := range msg {
		b := abi.RawBytes(e.Tensor)
		if len(b) == 0 {
			continue
		}
		for _, o := range resp.Outputs {
			if abi.Overlap(b, abi.RawBytes(o.Tensor)) {
				return
			}
		}
		keep = append(keep, abi.Entry{Name: e.Name, Tensor: e.Tensor})
	}
	if len(keep) > 0 {
		sv.preOut.put(keep)
	}
}
