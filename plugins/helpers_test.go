package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// testCacheDir is one on-disk compilation cache for the whole test binary,
// so each guest is compiled once however many tests load it.
var testCacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gonyx-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCacheDir = filepath.Join(dir, "cache")
	guestDir = filepath.Join(dir, "guests")
	code := m.Run()
	if sharedRuntime.rt != nil {
		if err := sharedRuntime.rt.Close(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "closing the shared runtime:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// The Go test guests under testdata/guests, built once per test binary.
var (
	guestDir   string
	guestOnce  sync.Once
	guestErrs  map[string]error
	guestNames = []string{"echo", "upper", "hostcalls", "fail"}
)

// buildGuests builds every test guest, concurrently, the way plugins are
// built for release (reactor, reproducible flags).
func buildGuests() {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	guestErrs = map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range guestNames {
		wg.Go(func() {
			cmd := exec.Command(goTool, "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=",
				"-o", filepath.Join(guestDir, name+".wasm"), "./testdata/guests/"+name)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				guestErrs[name] = fmt.Errorf("building guest %s: %v\n%s", name, err, out)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// guestPath is the path of a built test guest.
func guestPath(t testing.TB, name string) string {
	t.Helper()
	if !slices.Contains(guestNames, name) {
		t.Fatalf("no guest %q", name)
	}
	guestOnce.Do(buildGuests)
	if err := guestErrs[name]; err != nil {
		t.Fatal(err)
	}
	return filepath.Join(guestDir, name+".wasm")
}

// sharedRuntime is the Runtime of the tests: each guest is compiled once
// for the whole test binary (and kept on disk for the tests that make
// their own Runtime), so that later Loads only decode the module. Its log
// goes to sharedLogs; tests tell their records apart by plugin name.
var (
	sharedRuntime struct {
		once sync.Once
		rt   *Runtime
		err  error
	}
	sharedLogs = newLogRecorder()
)

func newTestRuntime(t testing.TB) *Runtime {
	t.Helper()
	sharedRuntime.once.Do(func() {
		sharedRuntime.rt, sharedRuntime.err = NewRuntime(context.Background(),
			RuntimeOptions{CacheDir: testCacheDir, Logger: slog.New(sharedLogs)})
	})
	if sharedRuntime.err != nil {
		t.Fatal(sharedRuntime.err)
	}
	return sharedRuntime.rt
}

// load loads a plugin, failing the test on error, and closes it when the
// test ends.
func load(t testing.TB, rt *Runtime, cfg Config) *Plugin {
	t.Helper()
	p, err := rt.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return p
}

// logRecord is one captured log record, its attributes flattened.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newLogRecorder() *logRecorder {
	return &logRecorder{mu: new(sync.Mutex), records: new([]logRecord)}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), as...)
	return &c
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

// of returns the records of one plugin.
func (h *logRecorder) of(plugin string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var rs []logRecord
	for _, r := range *h.records {
		if r.Attrs["plugin"] == plugin {
			rs = append(rs, r)
		}
	}
	return rs
}
