package plugins

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// wantCode checks that err is an *infer.Error with code and a message
// containing every part.
func wantCode(t *testing.T, err error, code infer.Code, parts ...string) {
	t.Helper()
	var e *infer.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *infer.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code %v, want %v (%q)", e.Code, code, e.Msg)
	}
	for _, p := range parts {
		if !strings.Contains(e.Msg, p) {
			t.Fatalf("message %q does not contain %q", e.Msg, p)
		}
	}
	if strings.Contains(e.Msg, "goroutine ") || strings.Contains(e.Msg, "wasm stack trace") || strings.Contains(e.Msg, "\n") {
		t.Fatalf("message %q carries a stack trace", e.Msg)
	}
}

func TestLoadDescribe(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "echo")})
	if p.Name() != "echo" {
		t.Errorf("name %q, want the file's base name echo", p.Name())
	}
	// As written in testdata/guests/echo/main.go.
	want := Description{Name: "echo", Version: "1.2.3", Kind: "pre",
		Inputs:  []TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Outputs: []TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Config:  map[string]string{"greeting": "ignored"}}
	d := p.Description()
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("description\n got %+v\nwant %+v", d, want)
	}
	d.Inputs[0].Shape[0] = 7 // a copy: the plugin's own stays
	if p.Description().Inputs[0].Shape[0] != -1 {
		t.Error("Description returns the plugin's own slices")
	}
}

func TestInitReceivesSettings(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "hostcalls"), Settings: map[string]string{"greeting": "hi", "n": "3"}})
	out := process(t, p, abi.Message{{Name: "key", Bytes: []byte("greeting")}})
	if got := string(entry(t, out, "init")); got != `{"greeting":"hi","n":"3"}` {
		t.Errorf("gonyx_init got %s", got)
	}
}

func TestInitFailure(t *testing.T) {
	rt := newTestRuntime(t)
	_, err := rt.Load(context.Background(), Config{Name: "picky", Path: guestPath(t, "fail"),
		Settings: map[string]string{"fail_init": "nope"}})
	if err == nil || err.Error() != "plugin picky: gonyx_init failed: init refused: nope" {
		t.Fatalf("got %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	rt := newTestRuntime(t)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Path: "/nonexistent/thing.wasm"}, "plugin thing: open /nonexistent/thing.wasm"},
		{Config{Name: "junk", Wasm: []byte("\x00asm junk")}, "plugin junk: invalid module"},
		{Config{Name: "both", Path: "x.wasm", Wasm: []byte{0}}, "plugin both: both Path and Wasm are set"},
		{Config{}, "plugin embedded: neither Path nor Wasm is set"},
		{Config{Name: "mem", Wasm: handPlugin(1, handDesc, nil), MemoryLimitMiB: 5000}, "plugin mem: MemoryLimitMiB 5000"},
		{Config{Name: "kind", Wasm: handPlugin(1, `{"name":"k","kind":"middle"}`, nil)},
			`plugin kind: gonyx_describe: kind is "middle"`},
		{Config{Name: "dtype", Wasm: handPlugin(1, `{"kind":"pre","inputs":[{"name":"a","datatype":"FP33"}]}`, nil)},
			`plugin dtype: gonyx_describe: tensor "a" has unknown datatype "FP33"`},
		{Config{Name: "json", Wasm: handPlugin(1, `{"kind":`, nil)}, "plugin json: gonyx_describe returned invalid JSON"},
	} {
		_, err := rt.Load(context.Background(), tc.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v, want %q…", err, tc.want)
		}
	}
}

// process calls p.Process and fails the test on error.
func process(t testing.TB, p *Plugin, in abi.Message) abi.Message {
	t.Helper()
	out, err := p.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// entry is the bytes of a named entry.
func entry(t testing.TB, m abi.Message, name string) []byte {
	t.Helper()
	e, ok := m.Get(name)
	if !ok {
		var names []string
		for _, e := range m {
			names = append(names, e.Name)
		}
		t.Fatalf("no entry %q in %v", name, names)
	}
	return e.Bytes
}

func TestProcessRoundTrip(t *testing.T) {
	rt := newTestRuntime(t)
	echo := load(t, rt, Config{Path: guestPath(t, "echo")})
	in := abi.Message{
		{Name: "body", Bytes: []byte("\x89PNG\r\n\x1a\n raw bytes")},
		{Name: "x", Tensor: tensor.New([]int{2, 3}, []float32{1, -2.5, 3e8, 0, -0.125, 7})},
		{Name: "ids", Tensor: tensor.New([]int{3}, []int64{-1, 1 << 40, 0})},
		{Name: "words", Tensor: tensor.New([]int{2}, []string{"héllo", ""})},
		{Name: "mask", Tensor: tensor.New([]int{1, 2}, []bool{true, false})},
		{Name: "empty", Bytes: []byte{}},
	}
	out := process(t, echo, in)
	if len(out) != len(in) {
		t.Fatalf("%d entries back, sent %d", len(out), len(in))
	}
	for i := range in {
		if out[i].Name != in[i].Name || string(out[i].Bytes) != string(in[i].Bytes) {
			t.Errorf("entry %d: got %q %q", i, out[i].Name, out[i].Bytes)
		}
		if in[i].Tensor != nil && (!reflect.DeepEqual(out[i].Tensor.Shape(), in[i].Tensor.Shape()) ||
			!reflect.DeepEqual(out[i].Tensor.Data(), in[i].Tensor.Data())) {
			t.Errorf("tensor %s: got %v", in[i].Name, out[i].Tensor)
		}
	}

	upper := load(t, rt, Config{Path: guestPath(t, "upper")})
	out = process(t, upper, abi.Message{
		{Name: "text", Bytes: []byte("Hello, wasm!")},
		{Name: "n", Tensor: tensor.New([]int{1}, []int64{42})},
	})
	if got := string(entry(t, out, "text")); got != "HELLO, WASM!" {
		t.Errorf("upper: %q", got)
	}
	if n, _ := out.Get("n"); n.Tensor == nil || tensor.Data[int64](n.Tensor)[0] != 42 {
		t.Errorf("upper changed the tensor: %v", n.Tensor)
	}
}

func TestGuestError(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Path: guestPath(t, "fail")})
	_, err := p.Process(context.Background(), abi.Message{{Name: "a"}, {Name: "b"}})
	wantCode(t, err, infer.InvalidArgument)
	if msg := err.Error(); msg != "plugin fail: bad input: a,b" {
		t.Errorf("message %q", msg)
	}
	_, err = p.Process(context.Background(), abi.Message{{Name: "nomsg"}})
	wantCode(t, err, infer.InvalidArgument, "plugin fail: failed without a message")
	// A reported error leaves the instance as it was.
	if got := string(entry(t, process(t, p, abi.Message{{Name: "ok"}}), "ok")); got != "fine" {
		t.Errorf("got %q", got)
	}
}

func TestGuestPanic(t *testing.T) {
	rt := newTestRuntime(t)
	p := load(t, rt, Config{Name: "panicky", Path: guestPath(t, "fail"), Instances: 1})
	_, err := p.Process(context.Background(), abi.Message{{Name: "panic"}})
	wantCode(t, err, infer.Internal, "plugin panicky failed: gonyx_process: ", "; it printed: panic: boom")
	// The Go runtime's goroutine dump went to the log, not to the client.
	found := false
	for _, r := range sharedLogs.of("panicky") {
		found = found || strings.HasPrefix(r.Msg, "goroutine ") && r.Attrs["stream"] == "stderr"
	}
	if !found {
		t.Error("the guest's stderr is not in the log")
	}
	process(t, p, abi.Message{{Name: "ok"}})
}

func TestClose(t *testing.T) {
	rt, err := NewRuntime(context.Background(), RuntimeOptions{CacheDir: testCacheDir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := rt.Load(context.Background(), Config{Path: guestPath(t, "echo")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := rt.Load(context.Background(), Config{Name: "other", Path: guestPath(t, "echo")})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = p.Process(context.Background(), nil)
	wantCode(t, err, infer.Unavailable, "plugin echo is closed")
	if err := rt.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = q.Process(context.Background(), nil)
	wantCode(t, err, infer.Unavailable, "plugin other is closed")
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("closing a plugin twice: %v", err)
	}
	if _, err := rt.Load(context.Background(), Config{Path: guestPath(t, "echo")}); err == nil {
		t.Error("Load on a closed runtime")
	}
}
