package plugins

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// slack is how late past a deadline a call may return on a busy 2-core CI
// machine under -race.
const slack = time.Second

func TestTimeout(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "fail"), Timeout: 200 * time.Millisecond, Instances: 1})
	t0 := time.Now()
	_, err := p.Process(context.Background(), abi.Message{{Name: "spin"}})
	took := time.Since(t0)
	wantCode(t, err, infer.DeadlineExceeded)
	if err.Error() != "plugin fail exceeded its 200ms deadline" {
		t.Errorf("message %q", err)
	}
	t.Logf("a looping guest stopped after %v", took)
	if took < 200*time.Millisecond || took > 200*time.Millisecond+slack {
		t.Errorf("stopped after %v", took)
	}
	process(t, p, abi.Message{{Name: "ok"}}) // on a new instance
}

func TestContextDeadline(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "fail"), Timeout: time.Minute, Instances: 1})

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := p.Process(ctx, abi.Message{{Name: "spin"}})
	wantCode(t, err, infer.DeadlineExceeded, "plugin fail exceeded its ")
	if took := time.Since(t0); took > 150*time.Millisecond+slack {
		t.Errorf("the request's deadline stopped the call after %v", took)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = p.Process(ctx, abi.Message{{Name: "spin"}})
	wantCode(t, err, infer.Canceled, "plugin fail: call canceled")

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = p.Process(ctx, abi.Message{{Name: "ok"}})
	wantCode(t, err, infer.Canceled, "plugin fail: call canceled")

	process(t, p, abi.Message{{Name: "ok"}})
}

// With every instance busy, a caller waits for one only as long as its
// context allows.
func TestPoolWaitHonoursContext(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "fail"), Timeout: 500 * time.Millisecond, Instances: 1})
	busy := make(chan error)
	go func() {
		_, err := p.Process(context.Background(), abi.Message{{Name: "spin"}})
		busy <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it take the only instance
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := p.Process(ctx, abi.Message{{Name: "ok"}})
	wantCode(t, err, infer.DeadlineExceeded)
	if took := time.Since(t0); took > 100*time.Millisecond+slack {
		t.Errorf("waited %v for an instance", took)
	}
	wantCode(t, <-busy, infer.DeadlineExceeded)
}

// A guest that recurses without loops cannot be stopped by wazero; its
// caller gets DeadlineExceeded on time anyway and the plugin serves on.
// (Unless a GC starts meanwhile: it waits for the runaway, and so does
// everything else; the runaway here is short enough for that to pass too.)
func TestRunawayWithoutLoops(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "fanout", Wasm: fanoutPlugin(), Timeout: 50 * time.Millisecond, Instances: 1})
	if out := process(t, p, fanoutInput(16)); len(out) != 1 { // 65536 calls: quick
		t.Fatalf("%d entries", len(out))
	}
	t0 := time.Now()
	_, err := p.Process(context.Background(), fanoutInput(27)) // 2^27 calls: about half a second here
	took := time.Since(t0)
	wantCode(t, err, infer.DeadlineExceeded, "plugin fanout exceeded its 50ms deadline")
	if took > 50*time.Millisecond+runawayGrace+slack {
		t.Errorf("returned after %v", took)
	}
	process(t, p, fanoutInput(16))                        // while the runaway may still run
	if err := p.Close(context.Background()); err != nil { // waits for it
		t.Fatal(err)
	}
	t.Logf("the call returned after %v; the runaway ended after %v", took, time.Since(t0))
}

// A trusted plugin is not interrupted, but an answer after the deadline
// still fails, and the instance stays in service.
func TestTrustedLateAnswer(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "trusted", Wasm: fanoutPlugin(), Trusted: true, Timeout: 10 * time.Millisecond, Instances: 1})
	if out := process(t, p, fanoutInput(14)); len(out) != 1 {
		t.Fatalf("%d entries", len(out))
	}
	_, err := p.Process(context.Background(), fanoutInput(26))
	wantCode(t, err, infer.DeadlineExceeded, "plugin trusted exceeded its 10ms deadline")
	process(t, p, fanoutInput(14))
}

func TestConcurrentCalls(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "echo"), Instances: 4})
	const workers, calls = 8, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				v := float32(w*1000 + i)
				in := abi.Message{
					{Name: "x", Tensor: tensor.New([]int{1, 3}, []float32{v, -v, v / 2})},
					{Name: "tag", Bytes: fmt.Appendf(nil, "worker %d call %d", w, i)},
				}
				out, err := p.Process(context.Background(), in)
				if err != nil {
					t.Error(err)
					return
				}
				x, _ := out.Get("x")
				tag, _ := out.Get("tag")
				if got := tensor.Data[float32](x.Tensor); got[0] != v || got[1] != -v || got[2] != v/2 ||
					string(tag.Bytes) != fmt.Sprintf("worker %d call %d", w, i) {
					t.Errorf("worker %d call %d got %v %q", w, i, got, tag.Bytes)
				}
			}
		})
	}
	wg.Wait()
}

func TestABIChecks(t *testing.T) {
	rt := newTestRuntime(t)
	rename := func(from string) func(string, *wasmFunc) {
		return func(name string, f *wasmFunc) {
			if name == from {
				f.export = ""
			}
		}
	}
	oneParam := func(name string, f *wasmFunc) {
		if name == abi.ExportProcess {
			f.params, f.body = []byte{tI32}, i64Const(0)
		}
	}
	fn := func(module, name string, params, results []byte) wasmImport {
		return wasmImport{module: module, name: name, params: params, results: results}
	}
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"v2", handPlugin(2, handDesc, nil), "plugin v2: reports ABI version 2; this gonyx supports version 1"},
		{"v0", handPlugin(0, handDesc, nil), "plugin v0: reports ABI version 0; this gonyx supports version 1"},
		{"noversion", handPlugin(1, handDesc, rename(abi.ExportABIVersion)),
			"plugin noversion: does not export gonyx_abi_version, which ABI v1 requires"},
		{"nodescribe", handPlugin(1, handDesc, rename(abi.ExportDescribe)),
			"plugin nodescribe: does not export gonyx_describe, which ABI v1 requires"},
		{"signature", handPlugin(1, handDesc, oneParam),
			"plugin signature: exports gonyx_process as (i32) -> (i64); ABI v1 wants (i32, i32) -> (i64)"},
		{"env", handPlugin(1, handDesc, nil, fn("env", "f", nil, nil)),
			`plugin env: imports env.f: plugins may import only from "gonyx" and "wasi_snapshot_preview1"`},
		{"nosuch", handPlugin(1, handDesc, nil, fn("gonyx", "nosuch", nil, nil)),
			"plugin nosuch: imports gonyx.nosuch, which does not exist"},
		{"logsig", handPlugin(1, handDesc, nil, fn("gonyx", "log", []byte{tI32}, nil)),
			"plugin logsig: imports gonyx.log as (i32) -> (), but it is (i32, i32, i32) -> ()"},
		{"wasisig", handPlugin(1, handDesc, nil, fn("wasi_snapshot_preview1", "fd_write", nil, []byte{tI32})),
			"plugin wasisig: imports wasi_snapshot_preview1.fd_write as () -> (i32), but it is (i32, i32, i32, i32) -> (i32)"},
		{"memory", handPlugin(1, handDesc, nil, wasmImport{module: "env", name: "memory", memory: true}),
			"plugin memory: imports memory env.memory"},
	} {
		_, err := rt.Load(context.Background(), Config{Name: tc.name, Wasm: tc.wasm})
		if err == nil || err.Error()[:min(len(err.Error()), len(tc.want))] != tc.want {
			t.Errorf("%s: got %v\n want %s", tc.name, err, tc.want)
		}
	}
	// The same module with everything right loads and echoes, and the
	// allowed imports are fine.
	ok := handPlugin(1, handDesc, nil, fn("gonyx", "log", []byte{tI32, tI32, tI32}, nil),
		fn("wasi_snapshot_preview1", "fd_write", []byte{tI32, tI32, tI32, tI32}, []byte{tI32}))
	p := load(t, rt, Config{Wasm: ok})
	if p.Name() != "hand" {
		t.Errorf("an unnamed embedded plugin is called %q, not by its description", p.Name())
	}
	in := abi.Message{{Name: "b", Bytes: []byte("hand-made")}}
	if got := string(entry(t, process(t, p, in), "b")); got != "hand-made" {
		t.Errorf("echo: %q", got)
	}
}

// The output checks, on the hand-made echo: over the size limit, outside
// memory, not a message. Each fails the call, and the next call works.
func TestOutputChecks(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "small", Wasm: handPlugin(1, handDesc, nil), MaxOutputBytes: 100, Instances: 1})
	big := abi.Message{{Name: "b", Bytes: make([]byte, 200)}}
	_, err := p.Process(context.Background(), big)
	wantCode(t, err, infer.Internal, "plugin small failed: gonyx_process returned 222 bytes, over the limit of 100")
	process(t, p, abi.Message{{Name: "b", Bytes: []byte("fits")}})

	returning := func(packed uint64) []byte {
		return handPlugin(1, handDesc, func(name string, f *wasmFunc) {
			if name == abi.ExportProcess {
				f.body = i64Const(packed)
			}
		})
	}
	for name, tc := range map[string]struct {
		wasm []byte
		want string
	}{
		"outside": {returning(abi.Pack(65536-10, 20, false)), "gonyx_process returned 20 bytes at 0xfff6, outside its 65536-byte memory"},
		"wraps":   {returning(abi.Pack(0x7ffffff0, 0xfffffff0, false)), "gonyx_process returned 4294967280 bytes at 0x7ffffff0, outside"},
		"errout":  {returning(abi.Pack(65536, 1, true)), "gonyx_process returned 1 bytes at 0x10000, outside"},
		"garbage": {returning(abi.Pack(handDescAt, uint32(len(handDesc)), false)), "undecodable output: abi: not a gonyx message"},
	} {
		p := load(t, rt, Config{Name: name, Wasm: tc.wasm, MaxOutputBytes: math.MaxInt})
		_, err := p.Process(context.Background(), abi.Message{})
		wantCode(t, err, infer.Internal, "plugin "+name+" failed: "+tc.want)
	}
}

func TestInputTooLarge(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "tiny", Wasm: handPlugin(1, handDesc, nil), MemoryLimitMiB: 1})
	_, err := p.Process(context.Background(), abi.Message{{Name: "b", Bytes: make([]byte, 1<<20)}})
	wantCode(t, err, infer.TooLarge, "plugin tiny: a 1048598-byte input does not fit its 1 MiB memory")
}
