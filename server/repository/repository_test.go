package repository

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonyx/gonyx/server/demo"
	"github.com/gonyx/gonyx/server/infer"
)

func TestNewValidatesOptions(t *testing.T) {
	open := newFakeOpener().open
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"no opener", Options{}, "Open is required"},
		{"bad mode", Options{Open: open, Mode: "sometimes"}, `unknown model control mode "sometimes"`},
		{"dir and fs", Options{Open: open, Dir: "x", FS: fstest.MapFS{}}, "not both"},
		{"negative poll", Options{Open: open, Mode: ModePoll, PollInterval: -time.Second}, "negative poll interval"},
		{"startup outside explicit", Options{Open: open, StartupModels: []string{"a"}}, "only used in explicit mode"},
		{"bad single-file name", Options{Open: open, Models: map[string]string{"a/b": "x.onnx"}}, `invalid model name "a/b"`},
		{"empty single-file path", Options{Open: open, Models: map[string]string{"a": ""}}, `model "a" has no file path`},
		{"bad defaults", Options{Open: open, Defaults: ModelConfig{Warmup: -1}}, "defaults: warmup must not be negative"},
		{"inconsistent defaults", Options{Open: open, Defaults: ModelConfig{Batching: BatchingConfig{PreferredBatchSizes: []int{2}}}}, "needs max_batch_size"},
	}
	for _, c := range cases {
		_, err := New(c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	r, err := New(Options{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	if r.opts.Mode != ModeNone || r.opts.PollInterval != DefaultPollInterval {
		t.Fatalf("defaults: mode %q, poll %v", r.opts.Mode, r.opts.PollInterval)
	}
}

func TestStartLoadsByPolicy(t *testing.T) {
	fo := newFakeOpener()
	fsys := fstest.MapFS{
		"latest1/1/model.onnx":  {Data: []byte("a")},
		"latest1/2/model.onnx":  {Data: []byte("b")},
		"latest2/config.yaml":   {Data: []byte("version_policy: {latest: 2}\n")},
		"latest2/1/model.onnx":  {Data: []byte("a")},
		"latest2/2/model.onnx":  {Data: []byte("b")},
		"latest2/3/model.onnx":  {Data: []byte("c")},
		"all/config.yaml":       {Data: []byte("version_policy: {all: true}\nmax_batch_size: 8\n")},
		"all/1/model.onnx":      {Data: []byte("a")},
		"all/5/model.onnx":      {Data: []byte("b")},
		"specific/config.yaml":  {Data: []byte("version_policy: {specific: [1, 3, 9]}\n")},
		"specific/1/model.onnx": {Data: []byte("a")},
		"specific/2/model.onnx": {Data: []byte("b")},
		"specific/3/model.onnx": {Data: []byte("c")},
		"bare/model.onnx":       {Data: []byte("bare")},
	}
	r := start(t, Options{FS: fsys, Open: fo.open, Defaults: ModelConfig{Warmup: 2}})

	want := map[string][]int64{"latest1": {2}, "latest2": {2, 3}, "all": {1, 5}, "specific": {1, 3}, "bare": {1}}
	for name, versions := range want {
		if got := r.Versions(name); !reflect.DeepEqual(got, versions) {
			t.Errorf("%s: ready versions %v, want %v", name, got, versions)
		}
	}
	if got := r.Models(); !reflect.DeepEqual(got, []string{"all", "bare", "latest1", "latest2", "specific"}) {
		t.Errorf("Models() = %v", got)
	}
	if got := len(fo.opens()); got != 8 {
		t.Errorf("%d opens, want 8 (one per selected version): %v", got, fo.opens())
	}
	if !r.Ready() {
		t.Error("not Ready with every model loaded")
	}
	h := mustAcquire(t, r, "all", 0, 5)
	defer h.Release()
	spec := servableOf(t, h).spec
	if spec.Path != "all/5/model.onnx" || spec.FS == nil || spec.Config.MaxBatchSize != 8 || spec.Config.Warmup != 2 ||
		spec.Config.Name != "all" || spec.Digest == "" || h.Config.MaxBatchSize != 8 {
		t.Errorf("spec %+v", spec)
	}
}

func TestAcquire(t *testing.T) {
	fo := newFakeOpener()
	fo.setFail("m", 3, errors.New("bad weights"))
	fsys := fstest.MapFS{
		"m/config.yaml":  {Data: []byte("version_policy: {all: true}\n")},
		"m/1/model.onnx": {Data: []byte("a")},
		"m/2/model.onnx": {Data: []byte("b")},
		"m/3/model.onnx": {Data: []byte("c")},
		"broken/1/x.txt": {Data: []byte("no model")},
	}
	r := start(t, Options{FS: fsys, Open: fo.open})

	h := mustAcquire(t, r, "m", 0, 2) // 3 failed, so 2 is the highest READY
	h.Release()
	h = mustAcquire(t, r, "m", 1, 1)
	h.Release()

	err := acquireErr(r, "m", 3)
	wantCode(t, err, infer.Unavailable, `model "m" version 3 is not ready`, "UNAVAILABLE", "bad weights")
	err = acquireErr(r, "m", 7)
	wantCode(t, err, infer.NotFound, `model "m" has no version 7`, "1, 2, 3")
	err = acquireErr(r, "nope", 0)
	wantCode(t, err, infer.NotFound, `model "nope" not found`)
	err = acquireErr(r, "broken", 0)
	wantCode(t, err, infer.Unavailable, `model "broken" has no ready version`, "no model file")
	err = acquireErr(r, "broken", 1)
	wantCode(t, err, infer.Unavailable, "no model file")
}

func TestIndexShowsFailuresWithoutAffectingOthers(t *testing.T) {
	fo := newFakeOpener()
	fo.setFail("fails", 1, errors.New("unsupported op Foo"))
	fsys := fstest.MapFS{
		"good/1/model.onnx":    {Data: []byte("a")},
		"badyaml/config.yaml":  {Data: []byte("max_batch_size: [\n")},
		"badyaml/1/model.onnx": {Data: []byte("a")},
		"nofile/config.yaml":   {Data: []byte("warmup: 1\n")},
		"fails/1/model.onnx":   {Data: []byte("a")},
		"nomatch/config.yaml":  {Data: []byte("version_policy: {specific: [4]}\n")},
		"nomatch/1/model.onnx": {Data: []byte("a")},
	}
	r := start(t, Options{FS: fsys, Open: fo.open})
	got := rows(r, false)
	want := []string{
		"badyaml  UNAVAILABLE config.yaml: line 1: did not find expected node content",
		"fails 1 UNAVAILABLE unsupported op Foo",
		"good 1 READY",
		"nofile  UNAVAILABLE no model file: expected nofile/<version>/model.onnx or nofile/model.onnx",
		"nomatch  UNAVAILABLE no version on disk matches the version policy specific [4] (on disk: [1])",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("index:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := rows(r, true); !reflect.DeepEqual(got, []string{"good 1 READY"}) {
		t.Fatalf("ready-only index %v", got)
	}
	if got := fo.opens(); !reflect.DeepEqual(got, []string{"good/1"}) {
		t.Fatalf("opens %v, want only good/1", got)
	}
	if r.Ready() {
		t.Fatal("Ready with models that failed to load")
	}
}

func TestOpenerPanicAndNilServable(t *testing.T) {
	fo := newFakeOpener()
	fo.panicOn[key("p", 1)] = true
	root := t.TempDir()
	writeFile(t, root, "p/1/model.onnx", "x")
	writeFile(t, root, "n/1/model.onnx", "x")
	var loads []string
	var mu sync.Mutex
	open := func(ctx context.Context, spec Spec) (Servable, error) {
		if spec.Name == "n" {
			return nil, nil
		}
		return fo.open(ctx, spec)
	}
	r := start(t, Options{Dir: root, Open: open, OnLoad: func(name string, v int64, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		loads = append(loads, key(name, v)+" "+errText(err))
	}})
	got := rows(r, false)
	want := []string{"n 1 UNAVAILABLE the loader returned no model", "p 1 UNAVAILABLE loading panicked: boom in p/1/model.onnx"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("index %q, want %q (the repository path scrubbed)", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(loads) != 2 {
		t.Fatalf("OnLoad calls %v, want 2", loads)
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func TestReasonsHideRepositoryPaths(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "x")
	solo := filepath.Join(t.TempDir(), "secret", "solo.onnx")
	writeFile(t, filepath.Dir(solo), "solo.onnx", "y")
	open := func(ctx context.Context, spec Spec) (Servable, error) {
		return nil, errors.New("open " + spec.Path + ": invalid protobuf")
	}
	r := start(t, Options{Dir: root, Models: map[string]string{"solo": solo}, Open: open})
	want := []string{"m 1 UNAVAILABLE open m/1/model.onnx: invalid protobuf", "solo 1 UNAVAILABLE open solo.onnx: invalid protobuf"}
	if got := rows(r, false); !reflect.DeepEqual(got, want) {
		t.Fatalf("index %q, want %q", got, want)
	}
}

func TestSingleFileModels(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.onnx", "a")
	fo := newFakeOpener()
	r := start(t, Options{Models: map[string]string{"a": filepath.Join(dir, "a.onnx")}, Open: fo.open,
		Defaults: ModelConfig{MaxBatchSize: 4}})
	h := mustAcquire(t, r, "a", 0, 1)
	defer h.Release()
	spec := servableOf(t, h).spec
	if spec.FS != nil || spec.Path != filepath.Join(dir, "a.onnx") || spec.Config.MaxBatchSize != 4 {
		t.Fatalf("spec %+v", spec)
	}
}

func TestCloseWaitsForHandles(t *testing.T) {
	fo := newFakeOpener()
	r, err := New(Options{FS: fstest.MapFS{"m/1/model.onnx": {Data: []byte("a")}}, Open: fo.open})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := mustAcquire(t, r, "m", 0, 1)
	h2 := mustAcquire(t, r, "m", 1, 1)
	defer h2.Release()
	s := servableOf(t, h)
	done := make(chan error)
	go func() { done <- r.Close() }()

	waitFor(t, "Acquire to refuse after Close", func() bool {
		h, err := r.Acquire("m", 0)
		if err == nil {
			h.Release() // Close has not begun yet
		}
		return infer.CodeOf(err) == infer.Unavailable
	})
	h.Release()
	h.Release() // a second Release must not count again and close under h2
	select {
	case <-done:
		t.Fatal("Close returned while a handle was still held")
	case <-time.After(20 * time.Millisecond):
	}
	if s.closed.Load() {
		t.Fatal("servable closed while a handle was held")
	}
	h2.Release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return after the last handle was released")
	}
	if s.closes.Load() != 1 {
		t.Fatalf("servable closed %d times, want once", s.closes.Load())
	}
	if r.Ready() {
		t.Fatal("Ready after Close")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := r.Start(context.Background()); err == nil {
		t.Fatal("Start after Close succeeded")
	}
}

func TestCloseReportsCloseErrors(t *testing.T) {
	fo := newFakeOpener()
	fo.closeErr = errors.New("flush failed")
	r, err := New(Options{FS: fstest.MapFS{"m/1/model.onnx": {Data: []byte("a")}}, Open: fo.open})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err == nil || !strings.Contains(err.Error(), "flush failed") {
		t.Fatalf("Close error %v, want the servable's close error", err)
	}
}

func TestLoadsRunAtMostTwoAtATime(t *testing.T) {
	fo := newFakeOpener()
	fo.delay = 15 * time.Millisecond
	fsys := fstest.MapFS{}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		fsys[name+"/1/model.onnx"] = &fstest.MapFile{Data: []byte(name)}
	}
	fsys["e/config.yaml"] = &fstest.MapFile{Data: []byte("version_policy: {latest: 3}\n")}
	fsys["e/2/model.onnx"] = &fstest.MapFile{Data: []byte("e2")}
	fsys["e/3/model.onnx"] = &fstest.MapFile{Data: []byte("e3")}
	r := start(t, Options{FS: fsys, Open: fo.open})
	if got := len(fo.opens()); got != 7 {
		t.Fatalf("%d opens, want 7", got)
	}
	fo.mu.Lock()
	defer fo.mu.Unlock()
	if fo.maxRunning != 2 {
		t.Fatalf("at most %d loads ran at once, want 2", fo.maxRunning)
	}
	if !r.Ready() {
		t.Fatal("not Ready")
	}
}

func TestStartCanceled(t *testing.T) {
	fo := newFakeOpener()
	fo.setBlock("m", 1)
	r, err := New(Options{FS: fstest.MapFS{"m/1/model.onnx": {Data: []byte("a")}}, Open: fo.open})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Start(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start error %v, want the deadline", err)
	}
	if r.Ready() {
		t.Fatal("Ready after an interrupted Start")
	}
}

func TestStartFailsOnUnreadableRepository(t *testing.T) {
	r, err := New(Options{Dir: filepath.Join(t.TempDir(), "missing"), Open: newFakeOpener().open})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "reading the model repository") {
		t.Fatalf("Start error %v", err)
	}
}

func TestEmptyRepositoryIsReady(t *testing.T) {
	r := start(t, Options{Open: newFakeOpener().open})
	if !r.Ready() || len(r.Index(false)) != 0 || r.Models() != nil {
		t.Fatalf("empty repository: ready %v, index %v, models %v", r.Ready(), r.Index(false), r.Models())
	}
}

func TestDemoRepository(t *testing.T) {
	fo := newFakeOpener()
	r := start(t, Options{FS: demo.Repository(), Open: fo.open})
	if got := r.Models(); !reflect.DeepEqual(got, []string{"cnn", "image", "mlp"}) {
		t.Fatalf("models %v", got)
	}
	h := mustAcquire(t, r, "mlp", 0, 1)
	defer h.Release()
	spec := servableOf(t, h).spec
	if spec.Path != "mlp/1/model.onnx" || spec.FS == nil || spec.Config.MaxBatchSize != 32 {
		t.Fatalf("spec %+v", spec)
	}
}
