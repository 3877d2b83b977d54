package repository

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

func startExplicit(t *testing.T, root string, fo *fakeOpener, startup ...string) *Repository {
	t.Helper()
	return start(t, Options{Dir: root, Mode: ModeExplicit, StartupModels: startup, Open: fo.open})
}

func TestExplicitLoadAndUnload(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "a/1/model.onnx", "a")
	writeFile(t, root, "b/1/model.onnx", "b")
	writeFile(t, root, "bad/config.yaml", "threads: -1\n")
	writeFile(t, root, "bad/1/model.onnx", "x")
	fo := newFakeOpener()
	r := startExplicit(t, root, fo, "a")
	ctx := context.Background()

	want := []string{"a 1 READY", "b  UNAVAILABLE not loaded", "bad  UNAVAILABLE config.yaml: threads must not be negative, got -1"}
	if got := rows(r, false); !reflect.DeepEqual(got, want) {
		t.Fatalf("index after Start %q, want %q", got, want)
	}
	if !r.Ready() {
		t.Fatal("models not asked for must not hold readiness back")
	}
	err := acquireErr(r, "b", 0)
	wantCode(t, err, infer.Unavailable, "not loaded")

	if err := r.Load(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	h := mustAcquire(t, r, "b", 0, 1)
	defer h.Release()
	sb := servableOf(t, h)

	err = r.Load(ctx, "bad")
	wantCode(t, err, infer.Unavailable, `loading model "bad" failed`, "threads must not be negative")

	// Unload waits for the in-flight request, within its context.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err = r.Unload(short, "b")
	wantCode(t, err, infer.DeadlineExceeded)
	err = acquireErr(r, "b", 0)
	wantCode(t, err, infer.Unavailable, "no ready version")
	if sb.closed.Load() {
		t.Fatal("servable closed while a handle was held")
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		h.Release()
	}()
	if err := r.Unload(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if !sb.closed.Load() {
		t.Fatal("Unload returned before the servable closed")
	}
	want = []string{"a 1 READY", "b  UNAVAILABLE unloaded", "bad  UNAVAILABLE config.yaml: threads must not be negative, got -1"}
	if got := rows(r, false); !reflect.DeepEqual(got, want) {
		t.Fatalf("index after Unload %q, want %q", got, want)
	}

	// Loading an unchanged, already serving model is a no-op.
	if err := r.Load(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := fo.opens(); !reflect.DeepEqual(got, []string{"a/1", "b/1"}) {
		t.Fatalf("opens %v", got)
	}

	err = r.Load(ctx, "nope")
	wantCode(t, err, infer.NotFound, `model "nope" not found`)
	err = r.Unload(ctx, "nope")
	wantCode(t, err, infer.NotFound, `model "nope" not found`)
	err = r.Load(ctx, "../a")
	wantCode(t, err, infer.NotFound)
}

func TestExplicitLoadPicksUpNewFolders(t *testing.T) {
	root := t.TempDir()
	fo := newFakeOpener()
	r := startExplicit(t, root, fo)
	ctx := context.Background()
	writeFile(t, root, "late/3/model.onnx", "x")
	if err := r.Load(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	h := mustAcquire(t, r, "late", 0, 3)
	h.Release()

	// No polling in explicit mode: a new version waits for the next Load.
	writeFile(t, root, "late/4/model.onnx", "y")
	time.Sleep(20 * time.Millisecond)
	if got := r.Versions("late"); !slices.Equal(got, []int64{3}) {
		t.Fatalf("versions %v before Load, want [3]", got)
	}
	if err := r.Load(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "version 3 to go", indexIs(r, "late 4 READY"))

	removeAll(t, root, "late")
	err := r.Load(ctx, "late")
	wantCode(t, err, infer.NotFound)
	waitFor(t, "the removed model to be forgotten", indexIs(r))
}

func TestExplicitLoadRetriesFailedVersion(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "x")
	fo := newFakeOpener()
	fo.setFail("m", 1, errors.New("out of memory"))
	r := startExplicit(t, root, fo, "*")
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m 1 UNAVAILABLE out of memory"}) {
		t.Fatalf("index %q", got)
	}
	err := r.Load(context.Background(), "m")
	wantCode(t, err, infer.Unavailable, "version 1: out of memory")

	fo.setFail("m", 1, nil)
	// Same files as the failed attempt: an explicit Load still retries.
	if err := r.Load(context.Background(), "m"); err != nil {
		t.Fatal(err)
	}
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m 1 READY"}) {
		t.Fatalf("index %q", got)
	}
	if fo.attemptCount() != 3 {
		t.Fatalf("%d attempts, want 3", fo.attemptCount())
	}
}

func TestExplicitUnknownStartupModel(t *testing.T) {
	r, err := New(Options{FS: fstest.MapFS{"a/1/model.onnx": {Data: []byte("a")}}, Mode: ModeExplicit,
		StartupModels: []string{"a", "typo"}, Open: newFakeOpener().open})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Start(context.Background()); err == nil || err.Error() != `repository: startup model "typo" is not in the repository` {
		t.Fatalf("Start error %v", err)
	}
}

func TestModeNoneRefusesControl(t *testing.T) {
	r := start(t, Options{FS: fstest.MapFS{"a/1/model.onnx": {Data: []byte("a")}}, Open: newFakeOpener().open})
	for _, op := range []func(context.Context, string) error{r.Load, r.Unload} {
		err := op(context.Background(), "a")
		wantCode(t, err, infer.Unavailable, "model control mode is none")
	}
	h := mustAcquire(t, r, "a", 0, 1)
	h.Release()
}

func TestLoadWaitsForRunningLoadOfSameModel(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "x")
	fo := newFakeOpener()
	r := startExplicit(t, root, fo)
	release := fo.setBlock("m", 1)
	ctx := context.Background()

	first := make(chan error)
	go func() { first <- r.Load(ctx, "m") }()
	waitFor(t, "the first load to start", indexIs(r, "m 1 LOADING"))
	err := acquireErr(r, "m", 0)
	wantCode(t, err, infer.Unavailable, "LOADING")
	if r.Ready() {
		t.Fatal("Ready while the model loads")
	}

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	err = r.Load(short, "m")
	wantCode(t, err, infer.DeadlineExceeded)

	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := fo.opens(); !slices.Equal(got, []string{"m/1"}) {
		t.Fatalf("opens %v", got)
	}
}

func TestCloseCancelsRunningLoad(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "x")
	fo := newFakeOpener()
	r, err := New(Options{Dir: root, Mode: ModeExplicit, Open: fo.open})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fo.setBlock("m", 1) // never released: only Close's cancelation ends it
	loadErr := make(chan error)
	go func() { loadErr <- r.Load(context.Background(), "m") }()
	waitFor(t, "the load to start", indexIs(r, "m 1 LOADING"))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-loadErr, infer.Unavailable)
	err = r.Load(context.Background(), "m")
	wantCode(t, err, infer.Unavailable, "shut down")
}
