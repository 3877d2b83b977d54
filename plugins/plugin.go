package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/gonyx/gonyx/plugins/abi"
)

// Plugin is a loaded plugin: a compiled module and a pool of instances.
// Its methods are safe for concurrent use.
type Plugin struct {
	rt       *Runtime
	cfg      Config
	name     string
	autoName bool // no Name and no Path: the plugin's own name replaces the default
	log      *slog.Logger
	logLimit *logLimiter

	wr        wazero.Runtime // this plugin's own: memory cap and termination checks are per runtime
	compiled  wazero.CompiledModule
	modConfig wazero.ModuleConfig
	desc      Description
	initJSON  []byte // the settings as gonyx_init receives them

	// slots holds cfg.Instances entries; nil stands for an instance to be
	// made when next needed (at first, and after a failure replaced one).
	// Taking an entry is the permission to make a call.
	slots chan *instance

	abandoned atomic.Int64   // runaway calls left running (callWatched)
	runaways  sync.WaitGroup // the same, for Close to wait on

	closing   atomic.Bool
	closeOnce sync.Once
	closed    chan struct{} // closed when everything is released
	closeErr  error
}

// Load compiles (or finds in the cache) and checks a plugin, makes its first
// instance and initialises it with cfg.Settings. Any failure is an error
// naming the plugin.
func (rt *Runtime) Load(ctx context.Context, cfg Config) (*Plugin, error) {
	autoName := cfg.Name == "" && cfg.Path == ""
	cfg.Settings = maps.Clone(cfg.Settings) // host functions read it while the caller may change its own
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", cfg.Name, err)
	}
	p := &Plugin{
		rt:       rt,
		cfg:      cfg,
		name:     cfg.Name,
		autoName: autoName,
		logLimit: newLogLimiter(),
		slots:    make(chan *instance, cfg.Instances),
		closed:   make(chan struct{}),
	}
	p.log = rt.log.With("plugin", p.name)
	// Registered from the start so that a concurrent Runtime.Close waits for
	// this Load before closing the cache under it: Close drains every slot,
	// and the slots are filled only when Load ends.
	if err := rt.register(p); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", p.name, err)
	}
	inst, err := p.load(ctx)
	p.slots <- inst // first in line: the first call uses the instance made here
	for range cfg.Instances - 1 {
		p.slots <- nil
	}
	if err != nil {
		_ = p.Close(context.Background())
		return nil, fmt.Errorf("plugin %s: %w", p.name, err)
	}
	return p, nil
}

func (p *Plugin) load(ctx context.Context) (*instance, error) {
	wasm, err := p.cfg.wasmBytes()
	if err != nil {
		return nil, err
	}
	if err := p.rt.compile(ctx, wasm, p.cfg.Trusted); err != nil {
		return nil, fmt.Errorf("invalid module: %w", err)
	}
	p.wr = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(p.rt.cache).
		WithMemoryLimitPages(uint32(p.cfg.MemoryLimitMiB*pagesPerMiB)).
		// The whole cap is one reservation (memory.go), so growing never
		// copies; with wazero's own slices, growing step by step briefly
		// held old and new copies (~1 GB at 256 MiB).
		WithMemoryCapacityFromMax(true).
		WithCloseOnContextDone(!p.cfg.Trusted))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, p.wr); err != nil {
		return nil, fmt.Errorf("WASI: %w", err)
	}
	if err := p.instantiateHostModule(ctx); err != nil {
		return nil, fmt.Errorf("host module: %w", err)
	}
	if p.compiled, err = p.wr.CompileModule(ctx, wasm); err != nil {
		return nil, fmt.Errorf("invalid module (memory limit %d MiB): %w", p.cfg.MemoryLimitMiB, err)
	}
	if err := p.checkImports(); err != nil {
		return nil, err
	}
	if err := checkExport(p.compiled, abi.ExportABIVersion); err != nil {
		return nil, err
	}
	p.modConfig = newModuleConfig()

	callCtx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	inst, err := p.instantiate(callCtx)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			inst.close()
		}
	}()
	callCtx = context.WithValue(callCtx, instanceKey{}, inst)
	if err := inst.checkVersion(callCtx); err != nil {
		return nil, err
	}
	if err := checkExports(p.compiled); err != nil {
		return nil, err
	}
	inst.bind()
	if p.desc, err = inst.describe(callCtx); err != nil {
		return nil, err
	}
	if p.autoName && p.desc.Name != "" {
		// An embedded plugin nobody named goes by its own name.
		p.name = guestMessage([]byte(p.desc.Name))
		p.log = p.rt.log.With("plugin", p.name)
	}
	if p.initJSON, err = settingsJSON(p.cfg.Settings); err != nil {
		return nil, err
	}
	if err := inst.init(callCtx); err != nil {
		return nil, err
	}
	ok = true
	return inst, nil
}

// Name is the plugin's name as it appears in errors, logs and metrics.
func (p *Plugin) Name() string { return p.name }

// Description is what the plugin's gonyx_describe reported.
func (p *Plugin) Description() Description { return p.desc.clone() }

// Close waits for the calls in flight and releases the plugin. If ctx ends
// first it returns ctx's error and the release finishes in the background.
// Calls after Close fail with Unavailable.
func (p *Plugin) Close(ctx context.Context) error {
	p.startClose()
	select {
	case <-p.closed:
		return p.closeErr
	case <-ctx.Done():
		return fmt.Errorf("plugin %s: closing: %w (finishing in the background)", p.name, ctx.Err())
	}
}

func (p *Plugin) startClose() {
	p.closeOnce.Do(func() {
		p.closing.Store(true)
		go func() {
			var errs []error
			// Every slot comes back when its call ends: once all are here
			// nothing runs in this plugin's runtime.
			for range cap(p.slots) {
				if inst := <-p.slots; inst != nil {
					inst.close()
				}
			}
			// Closing the runtime frees the memories abandoned calls still
			// run in.
			p.runaways.Wait()
			if p.wr != nil {
				errs = append(errs, p.wr.Close(context.Background()))
			}
			p.rt.unregister(p)
			if err := errors.Join(errs...); err != nil {
				p.closeErr = fmt.Errorf("plugin %s: closing: %w", p.name, err)
			}
			close(p.closed)
		}()
	})
}
