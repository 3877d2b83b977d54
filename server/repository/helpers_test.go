package repository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// fakeServable records its spec and whether (and while what) it was closed.
type fakeServable struct {
	spec   Spec
	id     int
	closed atomic.Bool
	// inUse counts test goroutines holding a handle on it; Close while it
	// is non-zero is the bug the repository must never have.
	inUse       atomic.Int32
	closedInUse atomic.Bool
	closes      atomic.Int32
	closeErr    error
}

func (f *fakeServable) Close() error {
	f.closes.Add(1)
	if f.inUse.Load() != 0 {
		f.closedInUse.Store(true)
	}
	f.closed.Store(true)
	return f.closeErr
}

// fakeOpener records opens and can be told to fail or block per model
// version ("name/version" keys) or for every load.
type fakeOpener struct {
	mu       sync.Mutex
	opened   []*fakeServable
	fail     map[string]error
	block    map[string]chan struct{}
	panicOn  map[string]bool
	closeErr error
	// running and maxRunning measure concurrent opens.
	running, maxRunning int
	// delay makes every open take this long.
	delay time.Duration
	// attempts counts every open call, failed ones included.
	attempts int
}

func newFakeOpener() *fakeOpener {
	return &fakeOpener{fail: map[string]error{}, block: map[string]chan struct{}{}, panicOn: map[string]bool{}}
}

func key(name string, v int64) string { return fmt.Sprintf("%s/%d", name, v) }

func (f *fakeOpener) open(ctx context.Context, spec Spec) (Servable, error) {
	k := key(spec.Name, spec.Version)
	f.mu.Lock()
	f.running++
	f.attempts++
	f.maxRunning = max(f.maxRunning, f.running)
	block, fail, panics, delay := f.block[k], f.fail[k], f.panicOn[k], f.delay
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if delay > 0 {
		time.Sleep(delay)
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if panics {
		panic("boom in " + spec.Path)
	}
	if fail != nil {
		return nil, fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeServable{spec: spec, id: len(f.opened) + 1, closeErr: f.closeErr}
	f.opened = append(f.opened, s)
	return s, nil
}

func (f *fakeOpener) setFail(name string, v int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, key(name, v))
	} else {
		f.fail[key(name, v)] = err
	}
}

func (f *fakeOpener) setBlock(name string, v int64) chan struct{} {
	ch := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block[key(name, v)] = ch
	return ch
}

// opens lists "name/version" of every successful open, in order.
func (f *fakeOpener) opens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.opened {
		out = append(out, key(s.spec.Name, s.spec.Version))
	}
	return out
}

func (f *fakeOpener) attemptCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

func (f *fakeOpener) all() []*fakeServable {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.opened)
}

// writeFile writes root/rel, creating folders.
func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeAll(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// start makes and starts a repository over opts, closed when the test ends.
func start(t *testing.T, opts Options) *Repository {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { closeWithin(t, r, 5*time.Second) })
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r
}

// closeWithin closes r, failing (instead of hanging) when a handle a
// failed test still holds keeps Close waiting.
func closeWithin(t *testing.T, r *Repository, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(limit):
		t.Errorf("Close still waiting after %v: a handle was not released", limit)
	}
}

// waitFor polls cond until it holds or 3 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rows renders the index as "name version state reason" lines.
func rows(r *Repository, readyOnly bool) []string {
	var out []string
	for _, e := range r.Index(readyOnly) {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Name, e.Version, e.State, e.Reason)))
	}
	return out
}

func servableOf(t *testing.T, h *Handle) *fakeServable {
	t.Helper()
	s, ok := h.Servable.(*fakeServable)
	if !ok {
		t.Fatalf("handle holds %T", h.Servable)
	}
	return s
}

// mustAcquire acquires and checks the version served.
func mustAcquire(t *testing.T, r *Repository, name string, v, wantVersion int64) *Handle {
	t.Helper()
	h, err := r.Acquire(name, v)
	if err != nil {
		t.Fatalf("Acquire(%q, %d): %v", name, v, err)
	}
	if h.Version != wantVersion || h.Name != name {
		t.Fatalf("Acquire(%q, %d) served %s version %d, want version %d", name, v, h.Name, h.Version, wantVersion)
	}
	if servableOf(t, h).closed.Load() {
		t.Fatalf("Acquire(%q, %d) handed out a closed servable", name, v)
	}
	return h
}

// wantCode checks err is an *infer.Error with code and a message holding each part.
func wantCode(t *testing.T, err error, code infer.Code, parts ...string) {
	t.Helper()
	var ie *infer.Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *infer.Error", err, err)
	}
	if ie.Code != code {
		t.Fatalf("error %q has code %v, want %v", ie.Msg, ie.Code, code)
	}
	for _, p := range parts {
		if !strings.Contains(ie.Msg, p) {
			t.Fatalf("error %q does not mention %q", ie.Msg, p)
		}
	}
}

// acquireErr is Acquire for calls expected to fail; a handle it gets anyway
// is released so the test's Close does not wait for it.
func acquireErr(r *Repository, name string, v int64) error {
	h, err := r.Acquire(name, v)
	if err == nil {
		h.Release()
	}
	return err
}
