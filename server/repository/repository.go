package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// Spec describes one model version to load.
type Spec struct {
	Name    string
	Version int64
	// Path is the model file: an OS path when FS is nil, else a path in FS.
	Path string
	// FS is non-nil for in-memory or embedded repositories.
	FS fs.FS
	// Config has the defaults applied.
	Config ModelConfig
	// Digest changes when the model's files or config.yaml change.
	Digest string
}

// Servable is a loaded model version.
type Servable interface{ Close() error }

// Opener loads and warms up a model version. It may take seconds; the
// repository never holds its lock while calling it.
type Opener func(ctx context.Context, spec Spec) (Servable, error)

// Mode is the model control mode.
type Mode string

const (
	// ModeNone loads everything at Start and never changes it.
	ModeNone Mode = "none"
	// ModePoll loads everything at Start and follows changes on disk.
	ModePoll Mode = "poll"
	// ModeExplicit loads the StartupModels and then only on request.
	ModeExplicit Mode = "explicit"
)

// DefaultPollInterval is how often ModePoll rescans when Options leaves
// PollInterval zero.
const DefaultPollInterval = 5 * time.Second

// maxParallelLoads bounds concurrent Opener calls: loads are memory and CPU
// heavy and would otherwise starve the models already serving.
const maxParallelLoads = 2

// Options configure a Repository.
type Options struct {
	// Dir is the repository folder (may be empty).
	Dir string
	// FS is an in-memory repository with the same layout (instead of Dir).
	FS fs.FS
	// Models are extra single-file models: name → .onnx path (version 1).
	Models map[string]string
	// Mode defaults to ModeNone.
	Mode Mode
	// PollInterval is the rescan period in ModePoll (default 5s).
	PollInterval time.Duration
	// StartupModels are loaded at Start in ModeExplicit ("*" = all).
	StartupModels []string
	// Defaults fill the fields a config.yaml does not set.
	Defaults ModelConfig
	Open     Opener
	Logger   *slog.Logger
	// OnLoad is called after every load attempt, for metrics.
	OnLoad func(name string, version int64, d time.Duration, err error)
}

// Repository is the versioned model repository. All methods may be called
// concurrently.
type Repository struct {
	opts Options
	log  *slog.Logger
	src  *source
	// scrub replaces repository paths in messages that reach clients.
	scrub *strings.Replacer
	// loadSlots bounds concurrent Opener calls.
	loadSlots chan struct{}
	// base is canceled by Close; background loads and the poller use it.
	base       context.Context
	cancelBase context.CancelFunc
	// ops counts running Start, Load, Unload, poll work; Close waits for it.
	ops sync.WaitGroup
	// retiring counts servables waiting for their handles or closing.
	retiring sync.WaitGroup

	mu        sync.RWMutex
	models    map[string]*model
	started   bool
	startDone bool
	closed    bool
	// lastScanErr avoids logging the same unreadable repository every poll.
	lastScanErr string
}

// model is one model's state. versions, wanted, reason and removed are
// guarded by Repository.mu; op serializes the work that changes them
// (reconcile, load, unload) without blocking Acquire.
type model struct {
	name string
	op   chan struct{}

	versions map[int64]*versionRow
	// wanted is false after Unload (and in ModeExplicit until Load).
	wanted bool
	// reason is the model-level explanation shown when no version has a row.
	reason string
	// removed: the folder is gone; the model is forgotten once its
	// versions have closed.
	removed bool
}

// versionRow is one version's row in the index.
type versionRow struct {
	n      int64
	state  string
	reason string
	// inst is the serving instance; nil unless the version is READY.
	inst *instance
	// failedDigest is the digest of the last failed load; polling does not
	// retry the same files.
	failedDigest string
	// closing is the instance an UNLOADING version waits to close.
	closing *instance
}

// New validates the options. It scans nothing; Start does.
func New(opts Options) (*Repository, error) {
	if opts.Open == nil {
		return nil, errors.New("repository: Options.Open is required")
	}
	if opts.Mode == "" {
		opts.Mode = ModeNone
	}
	switch opts.Mode {
	case ModeNone, ModePoll, ModeExplicit:
	default:
		return nil, fmt.Errorf("repository: unknown model control mode %q (want none, poll or explicit)", opts.Mode)
	}
	if opts.Dir != "" && opts.FS != nil {
		return nil, errors.New("repository: set Options.Dir or Options.FS, not both")
	}
	if opts.PollInterval < 0 {
		return nil, fmt.Errorf("repository: negative poll interval %v", opts.PollInterval)
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if len(opts.StartupModels) > 0 && opts.Mode != ModeExplicit {
		return nil, fmt.Errorf("repository: startup models are only used in explicit mode, not %q", opts.Mode)
	}
	for name, file := range opts.Models {
		if !validModelName(name) {
			return nil, fmt.Errorf("repository: invalid model name %q (a plain name without slashes or a leading dot)", name)
		}
		if file == "" {
			return nil, fmt.Errorf("repository: model %q has no file path", name)
		}
	}
	if err := opts.Defaults.check(); err != nil {
		return nil, fmt.Errorf("repository: defaults: %w", err)
	}
	if err := applyDefaults(ModelConfig{}, keySet{}, opts.Defaults).checkEffective(); err != nil {
		return nil, fmt.Errorf("repository: defaults: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src := &source{fsys: opts.FS, files: opts.Models, defaults: opts.Defaults}
	if opts.Dir != "" {
		src.fsys = os.DirFS(opts.Dir)
		src.osDir = opts.Dir
	}
	base, cancel := context.WithCancel(context.Background())
	return &Repository{
		opts:       opts,
		log:        log,
		src:        src,
		scrub:      pathScrubber(opts),
		loadSlots:  make(chan struct{}, maxParallelLoads),
		base:       base,
		cancelBase: cancel,
		models:     map[string]*model{},
	}, nil
}

// pathScrubber removes the repository's location from messages: clients
// see "m/1/model.onnx", not where the server keeps its files.
func pathScrubber(opts Options) *strings.Replacer {
	var prefixes []string
	addDir := func(dir string) {
		if dir == "" {
			return
		}
		prefixes = append(prefixes, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
		if abs, err := filepath.Abs(dir); err == nil {
			prefixes = append(prefixes, abs+string(filepath.Separator))
		}
	}
	addDir(opts.Dir)
	for _, file := range opts.Models {
		if d := filepath.Dir(file); d != "." {
			addDir(d)
		}
	}
	// Longest first, so a nested folder is not half replaced.
	sort.Slice(prefixes, func(i, j int) bool { return len(prefixes[i]) > len(prefixes[j]) })
	var pairs []string
	for _, p := range slices.Compact(prefixes) {
		pairs = append(pairs, p, "")
	}
	return strings.NewReplacer(pairs...)
}

// Start scans the repository and loads what the mode asks for, at most
// maxParallelLoads at a time, then starts polling in ModePoll. It returns
// once the initial loads have finished; failed loads do not fail Start
// (they show in the index), an unreadable repository does.
func (r *Repository) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("repository: Start after Close")
	}
	if r.started {
		r.mu.Unlock()
		return errors.New("repository: Start called twice")
	}
	r.started = true
	r.ops.Add(1)
	r.mu.Unlock()
	defer r.ops.Done()

	scans, err := r.src.scanAll()
	if err != nil {
		return err
	}
	want := func(string) bool { return true }
	if r.opts.Mode == ModeExplicit {
		startup := map[string]bool{}
		for _, name := range r.opts.StartupModels {
			if name != "*" && scans[name] == nil {
				return fmt.Errorf("repository: startup model %q is not in the repository", name)
			}
			startup[name] = true
		}
		want = func(name string) bool { return startup["*"] || startup[name] }
	}

	r.mu.Lock()
	var load []*model
	for name, scan := range scans {
		m := &model{name: name, op: make(chan struct{}, 1), versions: map[int64]*versionRow{}, wanted: want(name)}
		switch {
		case m.wanted:
			m.reason = "loading"
			load = append(load, m)
		case scan.err != nil:
			m.reason = r.scrub.Replace(scan.err.Error())
		default:
			m.reason = "not loaded"
		}
		r.models[name] = m
	}
	r.mu.Unlock()

	ctx, stop := r.withBase(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, m := range load {
		wg.Go(func() {
			if r.lockModel(ctx, m) != nil {
				return
			}
			defer r.unlockModel(m)
			_ = r.reconcile(ctx, m, scans[m.name], false) // failures are in the index
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("repository: initial loads interrupted: %w", err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("repository: closed during Start")
	}
	r.startDone = true
	if r.opts.Mode == ModePoll {
		r.ops.Add(1)
		go r.pollLoop()
	}
	return nil
}

// withBase returns ctx, also canceled when the repository closes.
func (r *Repository) withBase(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(r.base, cancel)
	return ctx, func() { stop(); cancel() }
}

// beginOp registers work that Close must wait for; false once closed.
func (r *Repository) beginOp() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.ops.Add(1)
	return true
}

func (r *Repository) lockModel(ctx context.Context, m *model) error {
	select {
	case m.op <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Repository) tryLockModel(m *model) bool {
	select {
	case m.op <- struct{}{}:
		return true
	default:
		return false
	}
}

func (r *Repository) unlockModel(m *model) { <-m.op }

// Close stops polling, waits for running loads (canceling them), unloads
// every version and waits until each servable is closed, which happens
// once the handles acquired on it are released.
func (r *Repository) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cancelBase()
	r.ops.Wait()

	r.mu.Lock()
	var closing []*instance
	for _, m := range r.models {
		for _, e := range m.versions {
			if in := r.retireVersionLocked(m, e); in != nil {
				closing = append(closing, in)
			}
		}
		m.wanted = false
		m.reason = "repository closed"
	}
	r.mu.Unlock()
	r.retiring.Wait()
	var errs []error
	for _, in := range closing {
		if in.closeErr != nil {
			errs = append(errs, fmt.Errorf("closing %s version %d: %w", in.spec.Name, in.spec.Version, in.closeErr))
		}
	}
	return errors.Join(errs...)
}

// Ready is true when Start has finished and every model that should be
// loaded has at least one READY version. A failed new version next to a
// serving older one does not count against readiness: flipping every
// replica to not-ready because of one bad upload would be an outage.
func (r *Repository) Ready() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.startDone || r.closed {
		return false
	}
	for _, m := range r.models {
		if m.wanted && !m.removed && len(m.readyVersions()) == 0 {
			return false
		}
	}
	return true
}

// Models lists the models with at least one READY version, sorted.
func (r *Repository) Models() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for name, m := range r.models {
		for _, e := range m.versions {
			if e.inst != nil {
				out = append(out, name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// Versions lists a model's READY versions, ascending.
func (r *Repository) Versions(name string) []int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m := r.models[name]
	if m == nil {
		return nil
	}
	return m.readyVersions()
}

func (m *model) readyVersions() []int64 {
	var out []int64
	for n, e := range m.versions {
		if e.inst != nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Index has one row per known model version, sorted by name and version;
// a model without versions gets one row with an empty version, state
// UNAVAILABLE and the reason.
func (r *Repository) Index(readyOnly bool) []infer.IndexEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.models))
	for name := range r.models {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []infer.IndexEntry
	for _, name := range names {
		m := r.models[name]
		if len(m.versions) == 0 {
			if !readyOnly {
				out = append(out, infer.IndexEntry{Name: name, State: infer.StateUnavailable, Reason: m.reason})
			}
			continue
		}
		for _, n := range sortedKeys(m.versions) {
			e := m.versions[n]
			if readyOnly && e.state != infer.StateReady {
				continue
			}
			out = append(out, infer.IndexEntry{Name: name, Version: strconv.FormatInt(n, 10), State: e.state, Reason: e.reason})
		}
	}
	return out
}

// Acquire returns a handle on a READY version; version 0 means the highest
// READY one. Release the handle when done.
func (r *Repository) Acquire(name string, version int64) (*Handle, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, infer.Errorf(infer.Unavailable, "the model repository is shut down")
	}
	m := r.models[name]
	if m == nil || m.removed {
		return nil, infer.Errorf(infer.NotFound, "model %q not found", name)
	}
	var e *versionRow
	if version == 0 {
		for n, c := range m.versions {
			if c.inst != nil && (e == nil || n > e.n) {
				e = c
			}
		}
		if e == nil {
			return nil, infer.Errorf(infer.Unavailable, "model %q has no ready version: %s", name, m.describeLocked())
		}
	} else {
		e = m.versions[version]
		if e == nil {
			if len(m.versions) == 0 {
				return nil, infer.Errorf(infer.Unavailable, "model %q is not ready: %s", name, m.describeLocked())
			}
			return nil, infer.Errorf(infer.NotFound, "model %q has no version %d (versions: %s)", name, version, m.versionListLocked())
		}
		if e.inst == nil {
			return nil, infer.Errorf(infer.Unavailable, "model %q version %d is not ready: %s", name, version, e.describe())
		}
	}
	in := e.inst
	in.refs.Add(1)
	return &Handle{Name: name, Version: e.n, Config: in.spec.Config, Servable: in.servable, inst: in}, nil
}

// describeLocked says why a model has no READY version.
func (m *model) describeLocked() string {
	if len(m.versions) == 0 {
		return withReason(infer.StateUnavailable, m.reason)
	}
	nums := sortedKeys(m.versions)
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = fmt.Sprintf("version %d %s", n, m.versions[n].describe())
	}
	return strings.Join(parts, "; ")
}

func (m *model) versionListLocked() string {
	nums := make([]string, 0, len(m.versions))
	for _, n := range sortedKeys(m.versions) {
		nums = append(nums, strconv.FormatInt(n, 10))
	}
	return strings.Join(nums, ", ")
}

func (e *versionRow) describe() string { return withReason(e.state, e.reason) }

func withReason(state, reason string) string {
	if reason == "" {
		return state
	}
	return state + " (" + reason + ")"
}

func sortedKeys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
