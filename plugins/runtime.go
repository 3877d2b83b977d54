package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// RuntimeOptions configures a Runtime.
type RuntimeOptions struct {
	CacheDir string       // on-disk compilation cache; "" = in-memory cache shared by all plugins of this Runtime
	Logger   *slog.Logger // guest log calls and WASI stdout/stderr go here (attrs plugin=<name>); nil = discard
}

// Runtime loads plugins. It owns the compilation cache they share, so that
// loading the same module again (a second model using it, a model reload)
// skips the compile, which costs ~0.5 s for a Go guest.
type Runtime struct {
	cache wazero.CompilationCache
	log   *slog.Logger

	// keepers compile every module once (one per termination-check setting,
	// since the checks are compiled into the code) and hold it for the
	// Runtime's life. wazero drops compiled code from a shared cache when
	// the last runtime using it closes; the keepers stop a closed-and-reloaded
	// plugin from compiling again.
	keepers [2]wazero.Runtime

	mu       sync.Mutex
	closed   bool
	compiled map[compileKey]*compileEntry
	plugins  map[*Plugin]struct{}
}

type compileKey struct {
	sum     [sha256.Size]byte
	trusted bool
}

// compileEntry lets concurrent Loads of one module wait for a single compile.
type compileEntry struct {
	done chan struct{}
	err  error
}

// NewRuntime makes a Runtime.
func NewRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	rt := &Runtime{
		log:      opts.Logger,
		compiled: map[compileKey]*compileEntry{},
		plugins:  map[*Plugin]struct{}{},
	}
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheDir == "" {
		rt.cache = wazero.NewCompilationCache()
	} else {
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("plugins: compilation cache: %w", err)
		}
		rt.cache = c
	}
	for i := range rt.keepers {
		// The keepers never instantiate anything, so they take the largest
		// memory limit: the module's own runtime enforces the plugin's cap.
		rt.keepers[i] = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
			WithCompilationCache(rt.cache).
			WithCloseOnContextDone(i == 1))
	}
	return rt, nil
}

// compile makes sure the module's code is in the shared cache.
func (rt *Runtime) compile(ctx context.Context, wasm []byte, trusted bool) error {
	key := compileKey{sha256.Sum256(wasm), trusted}
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return errors.New("the plugin runtime is closed")
	}
	e, ok := rt.compiled[key]
	if !ok {
		e = &compileEntry{done: make(chan struct{})}
		rt.compiled[key] = e
	}
	rt.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	keeper := rt.keepers[0]
	if !trusted {
		keeper = rt.keepers[1]
	}
	// wazero compiles functions on one goroutine unless told otherwise; a
	// Go guest has thousands, and a server loading models waits for them.
	_, e.err = keeper.CompileModule(experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0)), wasm)
	if e.err != nil {
		// Forget failures: the error is reported now, and a later Load
		// of the same bytes should say the same thing, not hit a stale entry.
		rt.mu.Lock()
		delete(rt.compiled, key)
		rt.mu.Unlock()
	}
	close(e.done)
	return e.err
}

func (rt *Runtime) register(p *Plugin) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return errors.New("the plugin runtime is closed")
	}
	rt.plugins[p] = struct{}{}
	return nil
}

func (rt *Runtime) unregister(p *Plugin) {
	rt.mu.Lock()
	delete(rt.plugins, p)
	rt.mu.Unlock()
}

// Close closes every plugin still loaded, then the compilation cache. It
// waits for calls in flight (each bounded by its plugin's Timeout unless the
// plugin is trusted); if ctx ends first it returns ctx's error and the rest
// is released in the background when those calls return.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil
	}
	rt.closed = true
	plugins := make([]*Plugin, 0, len(rt.plugins))
	for p := range rt.plugins {
		plugins = append(plugins, p)
	}
	rt.mu.Unlock()

	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, p := range plugins {
			p.startClose()
		}
		// Compiled code is unmapped when the cache closes: no plugin may
		// still be running by then.
		for _, p := range plugins {
			<-p.closed
			errs = append(errs, p.closeErr)
		}
		bg := context.Background()
		for _, k := range rt.keepers {
			errs = append(errs, k.Close(bg))
		}
		errs = append(errs, rt.cache.Close(bg))
		done <- errors.Join(errs...)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("plugins: closing the runtime: %w (finishing in the background)", ctx.Err())
	}
}
