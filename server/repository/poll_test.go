package repository

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

const testPoll = 10 * time.Millisecond

func startPoll(t *testing.T, root string, fo *fakeOpener) *Repository {
	t.Helper()
	return start(t, Options{Dir: root, Mode: ModePoll, PollInterval: testPoll, Open: fo.open})
}

func indexIs(r *Repository, want ...string) func() bool {
	return func() bool { return reflect.DeepEqual(rows(r, false), want) }
}

func TestPollSwapsInNewVersion(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	h1 := mustAcquire(t, r, "m", 0, 1)
	defer h1.Release()
	s1 := servableOf(t, h1)

	writeFile(t, root, "m/2/model.onnx", "two")
	waitFor(t, "version 2 to replace version 1", func() bool { return slices.Equal(r.Versions("m"), []int64{2}) })

	// The old version is out of service but still open for h1.
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m 1 UNLOADING", "m 2 READY"}) {
		t.Fatalf("index during the swap %q", got)
	}
	h2 := mustAcquire(t, r, "m", 0, 2)
	defer h2.Release()
	err := acquireErr(r, "m", 1)
	wantCode(t, err, infer.Unavailable, "version 1 is not ready: UNLOADING")
	time.Sleep(3 * testPoll)
	if s1.closed.Load() {
		t.Fatal("version 1 closed while its handle was held")
	}

	h1.Release()
	waitFor(t, "version 1 to close", s1.closed.Load)
	waitFor(t, "version 1's row to go", indexIs(r, "m 2 READY"))
	err = acquireErr(r, "m", 1)
	wantCode(t, err, infer.NotFound, "no version 1")
	if got := fo.opens(); !reflect.DeepEqual(got, []string{"m/1", "m/2"}) {
		t.Fatalf("opens %v", got)
	}
}

func TestPollReloadsChangedFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	h := mustAcquire(t, r, "m", 0, 1)
	defer h.Release()
	old := servableOf(t, h)

	writeFile(t, root, "m/1/model.onnx", "one, retrained")
	waitFor(t, "the changed file to be loaded", func() bool { return len(fo.opens()) == 2 })
	h2 := mustAcquire(t, r, "m", 1, 1)
	if s := servableOf(t, h2); s == old || s.spec.Digest == old.spec.Digest {
		t.Fatal("Acquire after the reload still serves the old servable")
	}
	h2.Release()
	if old.closed.Load() {
		t.Fatal("old servable closed while a handle on it was held")
	}
	h.Release()
	waitFor(t, "the old servable to close", old.closed.Load)

	// A config.yaml change reloads too, with the new config.
	writeFile(t, root, "m/config.yaml", "max_batch_size: 16\n")
	waitFor(t, "the config change to be loaded", func() bool { return len(fo.opens()) == 3 })
	h3 := mustAcquire(t, r, "m", 0, 1)
	defer h3.Release()
	if h3.Config.MaxBatchSize != 16 {
		t.Fatalf("max_batch_size %d after the config change, want 16", h3.Config.MaxBatchSize)
	}
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m 1 READY"}) {
		t.Fatalf("index %q", got)
	}
}

func TestPollFailedReloadKeepsOldServing(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	h := mustAcquire(t, r, "m", 0, 1)
	first := servableOf(t, h)
	h.Release()

	fo.setFail("m", 1, errors.New("truncated model"))
	writeFile(t, root, "m/1/model.onnx", "one, half cop")
	waitFor(t, "the failed reload in the index", indexIs(r, "m 1 READY reload failed: truncated model"))
	attempts := fo.attemptCount()
	time.Sleep(5 * testPoll)
	if got := fo.attemptCount(); got != attempts {
		t.Fatalf("%d more load attempts with unchanged files; poll must retry only when the digest changes", got-attempts)
	}
	h = mustAcquire(t, r, "m", 0, 1)
	if servableOf(t, h) != first {
		t.Fatal("the old servable is not the one serving after a failed reload")
	}
	h.Release()
	if !r.Ready() {
		t.Fatal("a failed reload made the repository not ready")
	}

	fo.setFail("m", 1, nil)
	writeFile(t, root, "m/1/model.onnx", "one, copied in full")
	waitFor(t, "the fixed file to load", indexIs(r, "m 1 READY"))
	waitFor(t, "the first servable to close", first.closed.Load)
}

func TestPollFailedNewVersionKeepsOldServing(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)

	fo.setFail("m", 2, errors.New("opset 99 not supported"))
	writeFile(t, root, "m/2/model.onnx", "two")
	waitFor(t, "version 2 to fail", indexIs(r, "m 1 READY", "m 2 UNAVAILABLE opset 99 not supported"))
	h := mustAcquire(t, r, "m", 0, 1)
	h.Release()
	err := acquireErr(r, "m", 2)
	wantCode(t, err, infer.Unavailable, "opset 99 not supported")

	fo.setFail("m", 2, nil)
	writeFile(t, root, "m/2/model.onnx", "two, fixed")
	waitFor(t, "version 2 to replace version 1", indexIs(r, "m 2 READY"))
}

func TestPollRemovedVersionIsUnloaded(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/config.yaml", "version_policy: {all: true}\n")
	writeFile(t, root, "m/1/model.onnx", "one")
	writeFile(t, root, "m/2/model.onnx", "two")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	h := mustAcquire(t, r, "m", 2, 2)
	defer h.Release()
	s2 := servableOf(t, h)

	removeAll(t, root, "m/2")
	waitFor(t, "version 2 to leave service", indexIs(r, "m 1 READY", "m 2 UNLOADING"))
	h1 := mustAcquire(t, r, "m", 0, 1)
	h1.Release()
	if s2.closed.Load() {
		t.Fatal("removed version closed while its handle was held")
	}
	h.Release()
	waitFor(t, "version 2 to close", s2.closed.Load)
	waitFor(t, "version 2's row to go", indexIs(r, "m 1 READY"))
}

func TestPollModelFoldersComeAndGo(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "a/1/model.onnx", "a")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	ha := mustAcquire(t, r, "a", 0, 1) // held: removal must wait for it
	defer ha.Release()                 // Release is idempotent; this covers a failed test
	sa := servableOf(t, ha)
	writeFile(t, root, "b/model.onnx", "b")
	waitFor(t, "model b to load", func() bool { return slices.Equal(r.Models(), []string{"a", "b"}) })

	// RemoveAll deletes a/1 before a: a poll in between sees a model
	// without versions. Either way the model ends up not found.
	removeAll(t, root, "a")
	waitFor(t, "model a to be removed", func() bool {
		h, err := r.Acquire("a", 0)
		if err == nil {
			h.Release()
		}
		return infer.CodeOf(err) == infer.NotFound
	})
	err := acquireErr(r, "a", 0)
	wantCode(t, err, infer.NotFound, `model "a" not found`)
	if got := r.Models(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("models %v", got)
	}
	if sa.closed.Load() {
		t.Fatal("removed model closed while a handle was held")
	}
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"a 1 UNLOADING", "b 1 READY"}) {
		t.Fatalf("index %q", got)
	}
	ha.Release()
	waitFor(t, "model a to close", sa.closed.Load)
	waitFor(t, "model a to be forgotten", indexIs(r, "b 1 READY"))
}

func TestPollBrokenConfigKeepsServing(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	writeFile(t, root, "other/1/model.onnx", "x")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)

	writeFile(t, root, "m/config.yaml", "max_batch_size: 4\nbatch_delay: 2ms\n")
	waitFor(t, "the config error in the index", indexIs(r,
		"m 1 READY reload failed: config.yaml: line 2: field batch_delay not found in ModelConfig", "other 1 READY"))
	h := mustAcquire(t, r, "m", 0, 1)
	h.Release()

	writeFile(t, root, "m/config.yaml", "max_batch_size: 4\n")
	waitFor(t, "the fixed config to load", indexIs(r, "m 1 READY", "other 1 READY"))
	h = mustAcquire(t, r, "m", 0, 1)
	defer h.Release()
	if h.Config.MaxBatchSize != 4 {
		t.Fatalf("max_batch_size %d, want 4", h.Config.MaxBatchSize)
	}
}

func TestPollSurvivesUnreadableRepository(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "models")
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	moved := filepath.Join(parent, "elsewhere")
	if err := os.Rename(root, moved); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * testPoll)
	if got := r.Models(); !slices.Equal(got, []string{"m"}) {
		t.Fatalf("models %v while the repository folder was unreadable; a read error must not unload", got)
	}
	if err := os.Rename(moved, root); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * testPoll)
	if got := fo.opens(); !slices.Equal(got, []string{"m/1"}) {
		t.Fatalf("opens %v", got)
	}
}

func TestPollUnloadStaysUnloadedUntilLoad(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	r := startPoll(t, root, fo)
	ctx := context.Background()
	if err := r.Unload(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "m/2/model.onnx", "two")
	time.Sleep(5 * testPoll)
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m  UNAVAILABLE unloaded"}) {
		t.Fatalf("index %q, want the model to stay unloaded", got)
	}
	if r.Ready() != true {
		t.Fatal("an unloaded model made the repository not ready")
	}
	if err := r.Load(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if got := rows(r, false); !reflect.DeepEqual(got, []string{"m 2 READY"}) {
		t.Fatalf("index after Load %q", got)
	}
	if got := fo.opens(); !reflect.DeepEqual(got, []string{"m/1", "m/2"}) {
		t.Fatalf("opens %v", got)
	}
	if s := fo.all()[0]; !s.closed.Load() {
		t.Fatal("Unload returned before version 1 was closed")
	}
	if strings.Join(r.Models(), ",") != "m" {
		t.Fatal("m not listed")
	}
}
