package plugins_test

// The hostile-plugin suite: guests that loop, bomb memory, trap, lie about
// their output, escape through WASI, flood the log, or are not valid ABI v1
// plugins at all. Each must be contained: Load or Process fails with a clear
// *infer.Error naming the plugin, within bounded time and memory, and the
// next call on the same plugin succeeds.
//
// The tests run one at a time (only the hand-made modules load in parallel):
// on a 2-core machine parallel hostile calls only steal each other's CPU,
// and the suite's deadlines are short.
//
// Guests: plugins/testdata/hostile/c (C + wasi-libc, for the wasm-level
// misbehaviour), plugins/testdata/hostile/go (Go, for what only the Go
// runtime does: panics, its own out-of-memory death, deadlock), and tiny
// modules assembled by hand below for what must fail at load.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// hostileRace is whether the race detector is on. It slows wazero's own Go
// code (starting a Go guest's instance takes ~50 ms instead of ~2) and
// shadows the memory that code copies.
var hostileRace = func() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}()

// hostileTimeout is the suite's per-call deadline: short, so that stopping
// loops costs little; longer under the race detector.
var hostileTimeout = func() time.Duration {
	if hostileRace {
		return time.Second
	}
	return 200 * time.Millisecond
}()

// hostileSlack is how late past its deadline a stopped call may return:
// generous, for busy 2-core CI machines.
const hostileSlack = time.Second

// ---- building the guests, once per test binary ----

var hostileBuilt struct {
	once          sync.Once
	cWasm, goWasm []byte
	err           error
}

// hostileGuests builds the C and Go hostile guests with their build.sh
// scripts (the same commands a developer runs) into a temporary directory,
// keeps the bytes and removes the directory.
func hostileGuests(t testing.TB) (cWasm, goWasm []byte) {
	t.Helper()
	hostileBuilt.once.Do(func() {
		dir, err := os.MkdirTemp("", "gonyx-hostile-")
		if err != nil {
			hostileBuilt.err = err
			return
		}
		defer os.RemoveAll(dir)
		var wg sync.WaitGroup
		var cErr, goErr error
		wg.Go(func() { hostileBuilt.cWasm, cErr = hostileBuild(dir, "c") })
		wg.Go(func() { hostileBuilt.goWasm, goErr = hostileBuild(dir, "go") })
		wg.Wait()
		hostileBuilt.err = errors.Join(cErr, goErr)
	})
	if hostileBuilt.err != nil {
		t.Fatalf("building the hostile guests: %v", hostileBuilt.err)
	}
	return hostileBuilt.cWasm, hostileBuilt.goWasm
}

func hostileBuild(dir, name string) ([]byte, error) {
	out := filepath.Join(dir, name+".wasm")
	cmd := exec.Command("sh", filepath.Join("testdata", "hostile", name, "build.sh"), out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s guest: %v\n%s", name, err, msg)
	}
	return os.ReadFile(out)
}

// ---- one runtime for the whole file, with a log that counts ----

var hostileShared struct {
	once sync.Once
	rt   *plugins.Runtime
	logs *hostileLogCounter
	err  error
}

// hostileRuntime is shared by every test in this file so that each guest is
// compiled once (its in-memory compilation cache).
func hostileRuntime(t testing.TB) (*plugins.Runtime, *hostileLogCounter) {
	t.Helper()
	hostileShared.once.Do(func() {
		hostileShared.logs = &hostileLogCounter{}
		hostileShared.rt, hostileShared.err = plugins.NewRuntime(context.Background(),
			plugins.RuntimeOptions{Logger: slog.New(&hostileLogHandler{c: hostileShared.logs})})
	})
	if hostileShared.err != nil {
		t.Fatal(hostileShared.err)
	}
	return hostileShared.rt, hostileShared.logs
}

// hostileLogCounter adds up, per plugin, the records and bytes the host
// logs, so that a test can check a flooding guest's share is bounded.
type hostileLogCounter struct {
	mu    sync.Mutex
	count map[string][2]int // plugin → records, bytes
}

func (c *hostileLogCounter) add(plugin string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count == nil {
		c.count = map[string][2]int{}
	}
	v := c.count[plugin]
	c.count[plugin] = [2]int{v[0] + 1, v[1] + n}
}

func (c *hostileLogCounter) get(plugin string) (records, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.count[plugin]
	return v[0], v[1]
}

type hostileLogHandler struct {
	c      *hostileLogCounter
	plugin string
	attrs  int // bytes of the attributes added with WithAttrs
}

func (h *hostileLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *hostileLogHandler) Handle(_ context.Context, r slog.Record) error {
	n := h.attrs + len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		n += len(a.Key) + len(a.Value.String())
		return true
	})
	h.c.add(h.plugin, n)
	return nil
}

func (h *hostileLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	for _, a := range as {
		if a.Key == "plugin" {
			c.plugin = a.Value.String()
		}
		c.attrs += len(a.Key) + len(a.Value.String())
	}
	return &c
}

func (h *hostileLogHandler) WithGroup(string) slog.Handler { return h }

// ---- loading, calling, checking ----

// hostileMemoryMiB is the suite's memory cap. Each instance reserves its
// whole cap when it starts, and this suite starts many: a small cap keeps
// that cheap on small CI machines.
const hostileMemoryMiB = 32

// hostileLoad loads a guest under a unique name with the suite's short
// deadline and a single instance, so that the call after a failure runs on
// the instance that replaced the failed one.
func hostileLoad(t *testing.T, name string, wasm []byte, tweak func(*plugins.Config)) *plugins.Plugin {
	t.Helper()
	rt, _ := hostileRuntime(t)
	cfg := plugins.Config{Name: name, Wasm: wasm, Timeout: hostileTimeout, Instances: 1, MemoryLimitMiB: hostileMemoryMiB}
	if tweak != nil {
		tweak(&cfg)
	}
	p, err := rt.Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Errorf("Close %s: %v", name, err)
		}
	})
	return p
}

// hostileCall runs one call with a mode (and more entries, as name, value
// pairs) and returns its output, error and duration.
func hostileCall(p *plugins.Plugin, mode string, more ...string) (abi.Message, error, time.Duration) {
	in := abi.Message{{Name: "mode", Bytes: []byte(mode)}}
	for i := 0; i+1 < len(more); i += 2 {
		in = append(in, abi.Entry{Name: more[i], Bytes: []byte(more[i+1])})
	}
	t0 := time.Now()
	out, err := p.Process(context.Background(), in)
	return out, err, time.Since(t0)
}

// hostileMS is a duration in decimal milliseconds, for the guests' "ms".
func hostileMS(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// hostileBehaves checks that a well-behaved call succeeds: the guest echoes
// a message carrying random bytes.
func hostileBehaves(t *testing.T, p *plugins.Plugin) {
	t.Helper()
	payload := make([]byte, 1000)
	rand.Read(payload)
	in := abi.Message{{Name: "mode", Bytes: []byte("behave")}, {Name: "payload", Bytes: payload}}
	out, err := p.Process(context.Background(), in)
	if err != nil {
		t.Fatalf("%s: a well-behaved call after the failure: %v", p.Name(), err)
	}
	if len(out) != 2 || out[0].Name != "mode" || out[1].Name != "payload" || !bytes.Equal(out[1].Bytes, payload) {
		t.Fatalf("%s: the echo came back wrong: %d entries", p.Name(), len(out))
	}
}

// hostileWantError checks an error: an *infer.Error with the code, naming
// the plugin, holding each of words, on one line and without a Go stack.
func hostileWantError(t *testing.T, err error, code infer.Code, plugin string, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the call succeeded; want a %v error", plugin, code)
	}
	var ie *infer.Error
	if !errors.As(err, &ie) {
		t.Fatalf("%s: error %q is a %T, not an *infer.Error", plugin, err, err)
	}
	msg := ie.Error()
	if ie.Code != code {
		t.Errorf("%s: code %v, want %v (%s)", plugin, ie.Code, code, msg)
	}
	if !strings.Contains(msg, "plugin "+plugin) {
		t.Errorf("error %q does not name plugin %s", msg, plugin)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q does not say %q", plugin, msg, w)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine ") || strings.Contains(msg, ".go:") {
		t.Errorf("%s: error carries a stack or several lines: %q", plugin, msg)
	}
}

func hostileValue(t *testing.T, m abi.Message, name string) string {
	t.Helper()
	e, ok := m.Get(name)
	if !ok {
		t.Fatalf("the guest's report has no %q entry", name)
	}
	return string(e.Bytes)
}

// ---- Process: traps, deadlines, lies, escapes ----

type hostileCase struct {
	mode  string
	code  infer.Code
	words []string
	tweak func(*plugins.Config)
	more  []string // more input entries: name, value pairs
}

// hostileRun makes each case's hostile call on one plugin (a fresh one only
// for cases that need their own configuration), checks the error and the
// time it took, then that well-behaved calls succeed again. One plugin for
// the whole series also shows that it survives many different failures.
func hostileRun(t *testing.T, guest string, wasm []byte, cases []hostileCase) {
	shared := hostileLoad(t, guest, wasm, nil)
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			p, name := shared, guest
			if c.tweak != nil {
				name = guest + "-" + c.mode
				p = hostileLoad(t, name, wasm, c.tweak)
			}
			hostileBehaves(t, p)
			_, err, took := hostileCall(p, c.mode, c.more...)
			hostileWantError(t, err, c.code, name, c.words...)
			budget := hostileTimeout
			if c.tweak != nil {
				cfg := plugins.Config{Timeout: hostileTimeout}
				c.tweak(&cfg)
				budget = cfg.Timeout
			}
			if took > budget+hostileSlack {
				t.Errorf("%s: the failure took %v; the deadline is %v", name, took, budget)
			}
			if c.code == infer.DeadlineExceeded && took < budget*3/4 {
				t.Errorf("%s: stopped after %v, before its %v deadline", name, took, budget)
			}
			hostileBehaves(t, p)
			hostileBehaves(t, p)
		})
	}
}

func TestHostileCTraps(t *testing.T) {
	cWasm, _ := hostileGuests(t)
	deadline := fmt.Sprintf("exceeded its %v deadline", hostileTimeout)
	outside := "outside"
	hostileRun(t, "hostile-c", cWasm, []hostileCase{
		{mode: "loop", code: infer.DeadlineExceeded, words: []string{deadline}},
		// 2^60 calls without a loop: wazero checks its deadline only at
		// loop headers (wazero/wazero#2533), so the call cannot be stopped;
		// the caller must still get its answer on time. The guest gives up
		// by itself after 4 deadlines, so that the abandoned call ends.
		{mode: "fanout", code: infer.DeadlineExceeded, words: []string{deadline}, more: []string{"ms", hostileMS(4 * hostileTimeout)}},
		{mode: "unreachable", code: infer.Internal, words: []string{"failed", "unreachable"}},
		{mode: "divzero", code: infer.Internal, words: []string{"integer divide by zero"}},
		{mode: "oob", code: infer.Internal, words: []string{"out of bounds memory access"}},
		// The C stack lives in linear memory: overflowing it runs below
		// address 0, which wraps to the top of the 32-bit space.
		{mode: "stack", code: infer.Internal, words: []string{"out of bounds memory access"}},
		{mode: "exit", code: infer.Internal, words: []string{"exited with code 0"}},
		// A 2 GiB claim and a real 100 MiB buffer, both over the default
		// 64 MiB MaxOutputBytes.
		{mode: "claim2g", code: infer.Internal, words: []string{"2147483648 bytes, over the limit of 67108864"}},
		{mode: "big", code: infer.Internal, words: []string{"104857600 bytes, over the limit of 67108864"},
			tweak: func(c *plugins.Config) { c.MemoryLimitMiB, c.Timeout = 256, 5*time.Second }},
		{mode: "pastend", code: infer.Internal, words: []string{"16 bytes at", outside}},
		{mode: "straddle", code: infer.Internal, words: []string{"32 bytes at", outside}},
		// pointer 0x7ffffff0 + length 0xfffffff0 wraps in 32 bits; the
		// output limit is raised out of the way so that only the bounds
		// check can catch it.
		{mode: "overflow", code: infer.Internal, words: []string{"4294967280 bytes at 0x7ffffff0", outside},
			tweak: func(c *plugins.Config) { c.MaxOutputBytes = 8 << 30 }},
		{mode: "errpastend", code: infer.Internal, words: []string{"64 bytes at", outside}},
		{mode: "garbage", code: infer.Internal, words: []string{"not a gonyx message"}},
		// Host functions handed pointers outside memory abort the call.
		{mode: "logpastend", code: infer.Internal, words: []string{"host function log", outside}},
		{mode: "configpastend", code: infer.Internal, words: []string{"host function config", outside}},
		// The image host functions refuse sizes they cannot hold and
		// headers that lie; the guest passes their error on as its own.
		{mode: "resizehuge", code: infer.InvalidArgument, words: []string{"image_resize", "32768x32768"}},
		{mode: "tensorlies", code: infer.InvalidArgument, words: []string{"image_to_tensor", "1000x1000"}},
		// gonyx_alloc misbehaves when a host function calls it to return
		// its result.
		{mode: "hostallocbad", code: infer.Internal, words: []string{"host function image_resize", "returned 0xfffffff0", outside}},
		{mode: "hostalloctrap", code: infer.Internal, words: []string{"host function image_resize", "gonyx_alloc", "unreachable"}},
		{mode: "hostallocloop", code: infer.DeadlineExceeded, words: []string{deadline}},
		// A guest-reported error is the guest's answer, not a fault.
		{mode: "no-such-mode", code: infer.InvalidArgument, words: []string{"plugin hostile-c: unknown mode"}},
	})
}

func TestHostileGoTraps(t *testing.T) {
	_, goWasm := hostileGuests(t)
	hostileRun(t, "hostile-go", goWasm, []hostileCase{
		// The Go runtime prints "panic: …" on stderr and exits with code 2:
		// the error carries that line, not the goroutine dump after it.
		{mode: "panic", code: infer.Internal, words: []string{"panic: hostile-go: deliberate panic"}},
		{mode: "nilderef", code: infer.Internal, words: []string{"nil pointer dereference"}},
		{mode: "divzero", code: infer.Internal, words: []string{"integer divide by zero"}},
		{mode: "index", code: infer.Internal, words: []string{"index out of range"}},
		{mode: "loop", code: infer.DeadlineExceeded, words: []string{fmt.Sprintf("exceeded its %v deadline", hostileTimeout)}},
		{mode: "deadlock", code: infer.Internal, words: []string{"fatal error: all goroutines are asleep - deadlock!"}},
		{mode: "exit", code: infer.Internal, words: []string{"exited with code 0"}},
		// 8 MiB on stderr first: the log drops most of it, the error still
		// carries the panic.
		{mode: "floodpanic", code: infer.Internal, words: []string{"panic: hostile-go: panic after a flood"}},
		{mode: "no-such-mode", code: infer.InvalidArgument, words: []string{`plugin hostile-go: unknown mode "no-such-mode"`}},
	})
}

// TestHostileForgedCrash: a "panic: …" line a guest printed in a call that
// succeeded must not become the explanation of a later, different failure.
func TestHostileForgedCrash(t *testing.T) {
	cWasm, _ := hostileGuests(t)
	p := hostileLoad(t, "hostile-c-forged", cWasm, nil)
	if _, err, _ := hostileCall(p, "fakepanic"); err != nil {
		t.Fatal(err)
	}
	_, err, _ := hostileCall(p, "unreachable")
	hostileWantError(t, err, infer.Internal, "hostile-c-forged", "unreachable")
	hostileBehaves(t, p)
}

// TestHostileBadAlloc: a guest whose gonyx_alloc, armed by the previous
// call, returns a pointer outside its memory for the host's input copy.
func TestHostileBadAlloc(t *testing.T) {
	cWasm, _ := hostileGuests(t)
	p := hostileLoad(t, "hostile-c-badalloc", cWasm, nil)
	if _, err, _ := hostileCall(p, "armbadalloc"); err != nil {
		t.Fatalf("arming: %v", err)
	}
	_, err := p.Process(context.Background(), abi.Message{{Name: "x", Bytes: []byte("y")}})
	hostileWantError(t, err, infer.Internal, "hostile-c-badalloc", "gonyx_alloc", "returned 0xfffffff0, outside")
	hostileBehaves(t, p)
}

// TestHostileSleep: a guest sleeping 5 s in WASI must not hold a call past
// its deadline (a blocked host call cannot be interrupted, so the host must
// not really block).
func TestHostileSleep(t *testing.T) {
	cWasm, goWasm := hostileGuests(t)
	for _, g := range []struct {
		name string
		wasm []byte
	}{{"hostile-c-sleep", cWasm}, {"hostile-go-sleep", goWasm}} {
		t.Run(g.name, func(t *testing.T) {
			p := hostileLoad(t, g.name, g.wasm, nil)
			out, err, took := hostileCall(p, "sleep")
			t.Logf("%s: a 5 s sleep returned after %v: %v", g.name, took, err)
			if took > hostileTimeout+hostileSlack {
				t.Errorf("the sleeping call took %v; the deadline is %v", took, hostileTimeout)
			}
			if err != nil {
				// Go's time.Sleep re-polls until its clock says 5 s passed:
				// a busy wait that the deadline stops.
				hostileWantError(t, err, infer.DeadlineExceeded, g.name, "deadline")
			} else if ns, _ := strconv.ParseInt(hostileValue(t, out, "slept_ns"), 10, 64); ns >= int64(5*time.Second) {
				t.Errorf("the guest slept %v", time.Duration(ns))
			} else {
				t.Logf("%s: the guest's clock says it slept %v", g.name, time.Duration(ns))
			}
			hostileBehaves(t, p)
		})
	}
}

// ---- memory ----

// hostileRSS is the process's resident set size in bytes.
func hostileRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// hostilePeakRSS runs f while sampling RSS and returns the largest growth
// over the level before it.
func hostilePeakRSS(t *testing.T, f func()) int64 {
	debug.FreeOSMemory() // so that growth shows as RSS, not as reuse of pages the heap kept
	base := hostileRSS(t)
	var peak atomic.Int64
	peak.Store(base)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if r := hostileRSS(t); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if r := hostileRSS(t); r > peak.Load() {
		peak.Store(r)
	}
	return peak.Load() - base
}

// TestHostileMemory: memory bombs are stopped by MemoryLimitMiB. Not
// parallel, so that the RSS it measures is its own.
func TestHostileMemory(t *testing.T) {
	cWasm, goWasm := hostileGuests(t)
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Fatal("this test measures RSS through /proc/self/status (Linux)")
	}
	const limitMiB = 64
	// A long deadline: the bombs must be stopped by the cap, not by time.
	limit := func(c *plugins.Config) { c.MemoryLimitMiB = limitMiB; c.Timeout = 5 * time.Second }
	for _, c := range []struct {
		name, mode string
		wasm       []byte
		words      []string
	}{
		// Unbounded, each bomb would take the 4 GiB a wasm32 memory can
		// address; the host must hold no more than the cap (reserved whole
		// when the instance starts) and some slack.
		// malloc until it returns NULL, then abort() as C code does:
		{"hostile-c-bomb", "bomb", cWasm, []string{"unreachable"}},
		// The Go runtime throws when memory.grow is refused:
		{"hostile-go-bomb", "bomb", goWasm, []string{"fatal error: out of memory"}},
	} {
		p := hostileLoad(t, c.name, c.wasm, limit)
		var err error
		var took time.Duration
		growth := hostilePeakRSS(t, func() { _, err, took = hostileCall(p, c.mode) })
		t.Logf("%s: failed after %v, host RSS grew by %d MiB at most (limit %d MiB)", c.name, took, growth>>20, limitMiB)
		hostileWantError(t, err, infer.Internal, c.name, c.words...)
		if growth > (limitMiB+48)<<20 {
			t.Errorf("%s: host RSS grew by %d MiB for a %d MiB limit", c.name, growth>>20, limitMiB)
		}
		hostileBehaves(t, p)
	}

	// Image bombs: PNG headers claiming more pixels than the guest's memory
	// (6000x6000 RGB is 103 MiB) or than any image may have, over a few
	// bytes of data. image_decode must refuse from the header, before
	// allocating.
	p := hostileLoad(t, "hostile-c-pngbomb", cWasm, limit)
	for _, side := range []uint32{6000, 20000} {
		png := hostilePNGHeader(side, side)
		var err error
		var took time.Duration
		growth := hostilePeakRSS(t, func() {
			t0 := time.Now()
			_, err = p.Process(context.Background(), abi.Message{{Name: "mode", Bytes: []byte("decode")}, {Name: "image", Bytes: png}})
			took = time.Since(t0)
		})
		t.Logf("a %dx%d PNG header: refused in %v, host RSS grew by %d MiB at most", side, side, took, growth>>20)
		hostileWantError(t, err, infer.InvalidArgument, "hostile-c-pngbomb", fmt.Sprintf("%dx%d", side, side))
		if growth > 16<<20 {
			t.Errorf("refusing a %dx%d PNG header grew the host's RSS by %d MiB", side, side, growth>>20)
		}
	}
	hostileBehaves(t, p)

	// Raw memory.grow one page at a time: the guest reports where it was
	// refused, which must be the cap exactly.
	p = hostileLoad(t, "hostile-c-grow", cWasm, limit)
	out, err, _ := hostileCall(p, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if got := hostileValue(t, out, "memory_bytes"); got != strconv.Itoa(limitMiB<<20) {
		t.Errorf("the guest's memory stopped growing at %s bytes; the limit is %d", got, limitMiB<<20)
	}
	hostileBehaves(t, p)

	// Unbounded recursion, last because it may run on after its call
	// returns. The wasm call stack is host memory outside the cap, which
	// wazero grows (by doubling copies) to ~100 MiB before failing with
	// "stack overflow"; with no loop for a deadline check (see "fanout")
	// the host can only abandon the call at its deadline. The guest gives
	// up after 1.5 s by itself; RSS is watched until then.
	//
	// The answer is not always on time: while the recursing goroutine runs
	// in compiled code the collector cannot scan its stack, and each
	// doubling of that stack starts a cycle, which stalls the rest of the
	// process: gaps of 0.3-0.6 s measured here, answers after 0.3-2.6 s
	// (3 s under -race). So the bound below only says "no hang".
	p = hostileLoad(t, "hostile-c-deep", cWasm, func(c *plugins.Config) { c.MemoryLimitMiB = limitMiB })
	const runFor = 1500 * time.Millisecond
	var took time.Duration
	growth := hostilePeakRSS(t, func() {
		_, err, took = hostileCall(p, "deep", "ms", hostileMS(runFor))
		time.Sleep(runFor - took + 200*time.Millisecond)
	})
	t.Logf("hostile-c-deep: failed after %v (%v); host RSS grew by %d MiB at most within %v", took, err, growth>>20, runFor)
	if infer.CodeOf(err) == infer.DeadlineExceeded {
		hostileWantError(t, err, infer.DeadlineExceeded, "hostile-c-deep", "deadline")
	} else {
		hostileWantError(t, err, infer.Internal, "hostile-c-deep", "stack overflow")
	}
	if took > 5*time.Second {
		t.Errorf("the recursing call took %v", took)
	}
	bound := int64(256 << 20)
	if hostileRace {
		bound *= 3 // the detector shadows the stack copies wazero makes as it grows
	}
	if growth > bound {
		t.Errorf("a recursing guest grew the host's RSS by %d MiB", growth>>20)
	}
	hostileBehaves(t, p)
}

// hostilePNGHeader is the start of a PNG (signature, IHDR for an 8-bit RGB
// image of w x h, a tiny IDAT, IEND), written from the PNG specification.
func hostilePNGHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(append(b, typ...), data...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0))                            // depth 8, RGB, deflate, no filter, no interlace
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) // zlib of nothing
	chunk("IEND", nil)
	return b
}

// ---- output and the log ----

// TestHostileFlood: output floods through WASI stdout/stderr and the log
// host function end up in the log bounded, and do not break the call.
func TestHostileFlood(t *testing.T) {
	cWasm, goWasm := hostileGuests(t)
	_, logs := hostileRuntime(t)
	for _, c := range []struct {
		name, mode string
		wasm       []byte
		written    int // bytes the guest wrote
	}{
		{"hostile-c-flood", "flood", cWasm, 8 << 20},
		{"hostile-c-floodlines", "floodlines", cWasm, 100_000 * 61},
		{"hostile-c-logflood", "logflood", cWasm, 256 << 20},
		{"hostile-go-flood", "flood", goWasm, 8 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := hostileLoad(t, c.name, c.wasm, func(c *plugins.Config) { c.Timeout = 10 * time.Second })
			records0, n0 := logs.get(c.name) // not 0 when the test runs again (-count)
			out, err, took := hostileCall(p, c.mode)
			if err != nil {
				t.Fatal(err)
			}
			if e, _ := out.Get("mode"); string(e.Bytes) != c.mode {
				t.Errorf("the call did not echo its input after flooding")
			}
			records, n := logs.get(c.name)
			records, n = records-records0, n-n0
			t.Logf("%s: wrote %d MiB in %v; the log got %d records, %d KiB", c.name, c.written>>20, took, records, n>>10)
			// Bounded: a small fraction of the flood, whatever its shape.
			if n > 1<<20 || records > 1000 {
				t.Errorf("%s: the log took %d records, %d KiB of a %d MiB flood", c.name, records, n>>10, c.written>>20)
			}
			hostileBehaves(t, p)
		})
	}
}

// ---- the sandbox ----

// TestHostileSnoop: no files, no environment, empty stdin.
func TestHostileSnoop(t *testing.T) {
	cWasm, goWasm := hostileGuests(t)
	t.Run("c", func(t *testing.T) {
		p := hostileLoad(t, "hostile-c-snoop", cWasm, nil)
		out, err, _ := hostileCall(p, "snoop")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			// wasi-libc finds no preopened directory to resolve the path
			// against and fails with ENOTCAPABLE (76) without asking the host.
			"libc_open_errno": "76",
			"libc_read":       "",
			// Asking WASI directly: there is no descriptor 3 (the first
			// preopen when there are any): EBADF (8).
			"wasi_path_open_errno":   "8",
			"wasi_prestat_get_errno": "8",
			"stdin_read":             "0",
			"environ_count":          "0",
			"getenv_HOME":            "<unset>",
			"getenv_PATH":            "<unset>",
		}
		for k, v := range want {
			if got := hostileValue(t, out, k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		hostileBehaves(t, p)
	})
	t.Run("go", func(t *testing.T) {
		p := hostileLoad(t, "hostile-go-snoop", goWasm, nil)
		out, err, _ := hostileCall(p, "snoop")
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"readfile_data": "",
			"env_HOME":      "<unset>",
			"environ_count": "0",
		} {
			if got := hostileValue(t, out, k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		// Go's os package maps an absolute path onto a preopen; with none,
		// both calls fail with EBADF.
		for _, k := range []string{"readfile_error", "readdir_error"} {
			if got := hostileValue(t, out, k); !strings.Contains(strings.ToLower(got), "bad file number") {
				t.Errorf("%s = %q, want EBADF", k, got)
			}
		}
		hostileBehaves(t, p)
	})
}

// ---- concurrency ----

// TestHostileConcurrent: 8 goroutines share a plugin with 4 instances while
// some calls trap, panic or loop. Every success must carry its own payload
// back; every failure must be clean.
func TestHostileConcurrent(t *testing.T) {
	cWasm, goWasm := hostileGuests(t)
	for _, g := range []struct {
		name string
		wasm []byte
		bad  map[int]string // call number → misbehaviour
	}{
		// Call k of the 96 misbehaves as bad[k%37] says: 13 of them, 3 loops.
		{"hostile-c-concurrent", cWasm, map[int]string{3: "unreachable", 10: "oob", 17: "loop", 24: "divzero", 31: "pastend"}},
		{"hostile-go-concurrent", goWasm, map[int]string{3: "panic", 10: "nilderef", 17: "loop", 24: "exit", 31: "deadlock"}},
	} {
		t.Run(g.name, func(t *testing.T) {
			// A longer deadline than the other tests': a well-behaved call
			// takes microseconds, but here it may wait for a CPU while
			// looping calls hold both of a small machine's.
			p := hostileLoad(t, g.name, g.wasm, func(c *plugins.Config) {
				c.Instances, c.Timeout = 4, max(hostileTimeout, 500*time.Millisecond)
			})
			const workers, calls = 8, 12
			var good, bad atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range calls {
						k := w*calls + i
						mode, hostile := g.bad[k%37]
						if !hostile {
							mode = "behave"
						}
						payload := fmt.Appendf(nil, "worker %d call %d", w, i)
						out, err := p.Process(context.Background(),
							abi.Message{{Name: "mode", Bytes: []byte(mode)}, {Name: "payload", Bytes: payload}})
						if !hostile {
							if err != nil {
								t.Errorf("worker %d call %d: %v", w, i, err)
							} else if e, _ := out.Get("payload"); !bytes.Equal(e.Bytes, payload) {
								t.Errorf("worker %d call %d: got %q back", w, i, e.Bytes)
							}
							good.Add(1)
							continue
						}
						var ie *infer.Error
						want := infer.Internal
						if mode == "loop" {
							want = infer.DeadlineExceeded
						}
						if !errors.As(err, &ie) || ie.Code != want || !strings.Contains(ie.Msg, "plugin "+g.name) {
							t.Errorf("worker %d call %d (%s): %v", w, i, mode, err)
						}
						bad.Add(1)
					}
				})
			}
			wg.Wait()
			t.Logf("%s: %d good calls, %d contained failures", g.name, good.Load(), bad.Load())
			if bad.Load() == 0 || good.Load() == 0 {
				t.Fatal("the mix did not happen")
			}
			hostileBehaves(t, p)
		})
	}
}

// ---- load-time failures, with modules assembled by hand ----

// Wasm value types and the few opcodes the hand-made modules use.
const (
	wI32 = 0x7f
	wI64 = 0x7e
)

// wasmFunc is a function of a hand-assembled module: its type and its
// body's instructions (without the final end).
type wasmFunc struct {
	params, results []byte
	body            []byte
}

type wasmImport struct {
	module, name    string
	params, results []byte
}

// wasmModule is just enough of the binary format (WebAssembly core spec,
// chapter 5) for ABI tests: function imports, an optional memory import, one
// defined memory of a given size, functions, exports, a start function, one
// data segment.
type wasmModule struct {
	imports   []wasmImport
	memImport [2]string           // module, name; empty when the module defines its own
	memPages  uint32              // the defined memory's minimum, in 64 KiB pages (0 = no memory)
	funcs     map[string]wasmFunc // export name → function; "" for none
	start     string              // the export whose function is the start function
	data      []byte              // placed at wasmDataAt
}

const wasmDataAt = 32 << 10

func wasmU(b []byte, v uint64) []byte { // unsigned LEB128
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wasmS(b []byte, v int64) []byte { // signed LEB128
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wasmName(b []byte, s string) []byte { return append(wasmU(b, uint64(len(s))), s...) }

func wasmSection(b []byte, id byte, content []byte) []byte {
	return append(wasmU(append(b, id), uint64(len(content))), content...)
}

func wasmFuncType(b []byte, params, results []byte) []byte {
	b = append(wasmU(append(b, 0x60), uint64(len(params))), params...)
	return append(wasmU(b, uint64(len(results))), results...)
}

func (m wasmModule) bytes() []byte {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range m.funcs {
			if !yield(n) {
				return
			}
		}
	})
	out := []byte("\x00asm\x01\x00\x00\x00")

	var types []byte
	ntypes := len(m.imports) + len(names)
	types = wasmU(types, uint64(ntypes))
	for _, im := range m.imports {
		types = wasmFuncType(types, im.params, im.results)
	}
	for _, n := range names {
		types = wasmFuncType(types, m.funcs[n].params, m.funcs[n].results)
	}
	out = wasmSection(out, 1, types)

	var imports []byte
	nimports := len(m.imports)
	if m.memImport[0] != "" {
		nimports++
	}
	imports = wasmU(imports, uint64(nimports))
	for i, im := range m.imports {
		imports = wasmName(wasmName(imports, im.module), im.name)
		imports = wasmU(append(imports, 0x00), uint64(i))
	}
	if m.memImport[0] != "" {
		imports = wasmName(wasmName(imports, m.memImport[0]), m.memImport[1])
		imports = append(imports, 0x02, 0x00, 0x01) // memory, min 1 page, no max
	}
	out = wasmSection(out, 2, imports)

	var funcs []byte
	funcs = wasmU(funcs, uint64(len(names)))
	for i := range names {
		funcs = wasmU(funcs, uint64(len(m.imports)+i))
	}
	out = wasmSection(out, 3, funcs)

	if m.memPages > 0 {
		out = wasmSection(out, 5, wasmU([]byte{1, 0x00}, uint64(m.memPages)))
	}

	var exports []byte
	nexports := 0
	for _, n := range names {
		if n != "" && !strings.HasPrefix(n, "-") {
			nexports++
		}
	}
	hasMemory := m.memPages > 0 || m.memImport[0] != ""
	if hasMemory {
		nexports++
	}
	exports = wasmU(exports, uint64(nexports))
	for i, n := range names {
		if n != "" && !strings.HasPrefix(n, "-") { // "-name": defined but not exported
			exports = wasmU(append(wasmName(exports, n), 0x00), uint64(len(m.imports)+i))
		}
	}
	if hasMemory {
		exports = append(wasmName(exports, "memory"), 0x02, 0x00)
	}
	out = wasmSection(out, 7, exports)

	if m.start != "" {
		out = wasmSection(out, 8, wasmU(nil, uint64(len(m.imports)+slices.Index(names, m.start))))
	}

	var code []byte
	code = wasmU(code, uint64(len(names)))
	for _, n := range names {
		body := append([]byte{0x00}, m.funcs[n].body...) // no locals
		body = append(body, 0x0b)
		code = append(wasmU(code, uint64(len(body))), body...)
	}
	out = wasmSection(out, 10, code)

	if m.data != nil {
		seg := wasmS([]byte{1, 0x00, 0x41}, wasmDataAt) // one active segment: i32.const offset
		seg = append(seg, 0x0b)
		seg = append(wasmU(seg, uint64(len(m.data))), m.data...)
		out = wasmSection(out, 11, seg)
	}
	return out
}

// Instruction sequences.
var (
	wasmLoopForever = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b, 0x00} // loop { br 0 }; unreachable
	wasmTrap        = []byte{0x00}                               // unreachable
)

func wasmI32(v int32) []byte  { return wasmS([]byte{0x41}, int64(v)) }
func wasmI64(v uint64) []byte { return wasmS([]byte{0x42}, int64(v)) }

const wasmDescription = `{"name":"raw","version":"1","kind":"pre","inputs":[],"outputs":[],"config":{}}`

// wasmABI is a complete, well-behaved ABI v1 plugin in ~250 bytes: alloc
// always answers 1024 (one call at a time, inputs under 31 KiB), free does
// nothing, describe points at the JSON in the data segment, process returns
// its input unchanged.
func wasmABI() wasmModule {
	return wasmModule{
		memPages: 1,
		data:     []byte(wasmDescription),
		funcs: map[string]wasmFunc{
			abi.ExportABIVersion: {nil, []byte{wI32}, wasmI32(1)},
			abi.ExportAlloc:      {[]byte{wI32}, []byte{wI32}, wasmI32(1024)},
			abi.ExportFree:       {[]byte{wI32, wI32}, nil, nil},
			abi.ExportDescribe:   {nil, []byte{wI64}, wasmI64(abi.Pack(wasmDataAt, uint32(len(wasmDescription)), false))},
			abi.ExportInit:       {[]byte{wI32, wI32}, []byte{wI64}, wasmI64(0)},
			// (ptr << 32) | len: local.get 0, i64.extend_i32_u, i64.const 32,
			// i64.shl, local.get 1, i64.extend_i32_u, i64.or
			abi.ExportProcess: {[]byte{wI32, wI32}, []byte{wI64},
				[]byte{0x20, 0, 0xad, 0x42, 32, 0x86, 0x20, 1, 0xad, 0x84}},
		},
	}
}

// with returns a copy of m with export name set to f (or removed when f is
// nil).
func (m wasmModule) with(name string, f *wasmFunc) wasmModule {
	c := m
	c.funcs = make(map[string]wasmFunc, len(m.funcs))
	for k, v := range m.funcs {
		c.funcs[k] = v
	}
	if f == nil {
		delete(c.funcs, name)
	} else {
		c.funcs[name] = *f
	}
	return c
}

func TestHostileRawModuleWorks(t *testing.T) {
	// The hand-assembled baseline loads and echoes, so the failures below
	// come from what each case changes, not from the assembler.
	p := hostileLoad(t, "raw-ok", wasmABI().bytes(), nil)
	if d := p.Description(); d.Name != "raw" || d.Kind != "pre" {
		t.Errorf("description %+v", d)
	}
	in := abi.Message{{Name: "body", Bytes: []byte("hand-made")}}
	out, err := p.Process(context.Background(), in)
	if err != nil || len(out) != 1 || string(out[0].Bytes) != "hand-made" {
		t.Fatalf("echo: %v %v", out, err)
	}
}

func TestHostileLoad(t *testing.T) {
	loop := &wasmFunc{nil, nil, wasmLoopForever[:5]} // () -> (): loop { br 0 }
	withImport := func(module, name string, params, results []byte) []byte {
		m := wasmABI()
		m.imports = []wasmImport{{module, name, params, results}}
		return m.bytes()
	}
	importedMemory := wasmABI()
	importedMemory.memPages, importedMemory.data = 0, nil
	importedMemory.memImport = [2]string{"env", "memory"}
	startLoops := wasmABI().with("-start", loop)
	startLoops.start = "-start"
	hugeMemory := wasmABI()
	hugeMemory.memPages = 8192 // 512 MiB to begin with, over the 256 MiB cap

	desc := func(packed uint64) *wasmFunc { return &wasmFunc{nil, []byte{wI64}, wasmI64(packed)} }
	cases := []struct {
		name  string
		wasm  []byte
		words []string
	}{
		{"not-wasm", []byte("\x7fELF not a wasm module"), []string{"invalid module"}},
		{"import-env", withImport("env", "f", nil, nil), []string{"env.f", `"gonyx"`, `"wasi_snapshot_preview1"`}},
		{"import-wasi-unstable", withImport("wasi_unstable", "fd_write", []byte{wI32, wI32, wI32, wI32}, []byte{wI32}),
			[]string{"wasi_unstable.fd_write"}},
		{"import-env-memory", importedMemory.bytes(), []string{"env.memory"}},
		{"import-unknown-host-function", withImport("gonyx", "exec", []byte{wI32, wI32}, []byte{wI32}), []string{"gonyx.exec"}},
		{"import-host-function-wrong-type", withImport("gonyx", "log", []byte{wI64}, nil), []string{"gonyx.log", "(i64)"}},
		{"abi-version-2", wasmABI().with(abi.ExportABIVersion, &wasmFunc{nil, []byte{wI32}, wasmI32(2)}).bytes(),
			[]string{"version 2", "version 1"}},
		{"abi-version-traps", wasmABI().with(abi.ExportABIVersion, &wasmFunc{nil, []byte{wI32}, wasmTrap}).bytes(),
			[]string{"gonyx_abi_version", "unreachable"}},
		{"process-wrong-type", wasmABI().with(abi.ExportProcess, &wasmFunc{[]byte{wI32}, []byte{wI64}, wasmI64(0)}).bytes(),
			[]string{"gonyx_process", "(i32) -> (i64)"}},
		{"start-loops", startLoops.bytes(), []string{"deadline"}},
		{"initialize-loops", wasmABI().with("_initialize", loop).bytes(), []string{"deadline"}},
		{"describe-loops", wasmABI().with(abi.ExportDescribe, &wasmFunc{nil, []byte{wI64}, wasmLoopForever}).bytes(),
			[]string{"gonyx_describe", "deadline"}},
		{"init-loops", wasmABI().with(abi.ExportInit, &wasmFunc{[]byte{wI32, wI32}, []byte{wI64}, wasmLoopForever}).bytes(),
			[]string{"gonyx_init", "deadline"}},
		{"describe-past-end", wasmABI().with(abi.ExportDescribe, desc(abi.Pack(1<<16, 100, false))).bytes(),
			[]string{"gonyx_describe", "outside"}},
		{"describe-2g", wasmABI().with(abi.ExportDescribe, desc(abi.Pack(0, 1<<31, false))).bytes(),
			[]string{"gonyx_describe", "over the limit"}},
		{"describe-not-json", wasmABI().with(abi.ExportDescribe, desc(abi.Pack(wasmDataAt, 5, false))).bytes(),
			[]string{"gonyx_describe", "JSON"}},
		{"memory-over-cap", hugeMemory.bytes(), []string{"memory"}},
	}
	for _, name := range []string{abi.ExportABIVersion, abi.ExportAlloc, abi.ExportFree, abi.ExportDescribe,
		abi.ExportInit, abi.ExportProcess} {
		cases = append(cases, struct {
			name  string
			wasm  []byte
			words []string
		}{"missing-" + name, wasmABI().with(name, nil).bytes(), []string{"does not export " + name}})
	}
	noMemory := wasmABI()
	noMemory.memPages, noMemory.data = 0, nil
	cases = append(cases, struct {
		name  string
		wasm  []byte
		words []string
	}{"no-memory", noMemory.bytes(), []string{"memory"}})

	rt, _ := hostileRuntime(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name := "raw-" + c.name
			done := make(chan error, 1)
			t0 := time.Now()
			go func() {
				p, err := rt.Load(context.Background(), plugins.Config{Name: name, Wasm: c.wasm, Timeout: hostileTimeout})
				if err == nil {
					p.Close(context.Background())
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(hostileTimeout + 5*hostileSlack):
				t.Fatalf("Load has not returned after %v", time.Since(t0))
			}
			if took := time.Since(t0); took > hostileTimeout+hostileSlack {
				t.Errorf("Load took %v to fail", took)
			}
			if err == nil {
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "plugin "+name+":") {
				t.Errorf("error %q does not start by naming the plugin", msg)
			}
			for _, w := range c.words {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
		})
	}
}
