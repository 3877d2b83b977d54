package plugins_test

// plugins/examples/c-upper, a plugin in plain C (clang + wasi-libc), built
// with its own build.sh and run through the host: ABI v1 is not Go-only.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// cUpperBuild runs build.sh into a temporary directory and returns the
// module's bytes.
func cUpperBuild(t *testing.T, name string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("sh", filepath.Join("examples", "c-upper", "build.sh"), out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building c-upper: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCUpperPlugin(t *testing.T) {
	t.Parallel()
	wasm := cUpperBuild(t, "a.wasm")
	// Reproducible: a second build, into another path, gives the same bytes.
	if again := cUpperBuild(t, "b.wasm"); !bytes.Equal(wasm, again) {
		t.Errorf("two builds differ: %d and %d bytes", len(wasm), len(again))
	}
	t.Logf("c-upper.wasm: %d bytes", len(wasm))

	rt, err := plugins.NewRuntime(context.Background(), plugins.RuntimeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	p, err := rt.Load(context.Background(), plugins.Config{Wasm: wasm, Name: "c-upper", Instances: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())

	wantDesc := plugins.Description{Name: "c-upper", Version: "1.0.0", Kind: "pre",
		Inputs:  []plugins.TensorSpec{{Name: "body", Datatype: "BYTES", Shape: []int64{-1}}},
		Outputs: []plugins.TensorSpec{{Name: "body", Datatype: "BYTES", Shape: []int64{-1}}},
		Config:  map[string]string{}}
	if d := p.Description(); !reflect.DeepEqual(d, wantDesc) {
		t.Errorf("description\n got %+v\nwant %+v", d, wantDesc)
	}

	upper := func(in abi.Message) (string, error) {
		out, err := p.Process(context.Background(), in)
		if err != nil {
			return "", err
		}
		if len(out) != 1 || out[0].Name != "body" || out[0].Tensor != nil {
			t.Fatalf("want one bytes entry \"body\", got %d entries", len(out))
		}
		return string(out[0].Bytes), nil
	}
	for _, c := range []struct {
		name string
		in   abi.Message
		want string
	}{
		{"hello", abi.Message{{Name: "content_type", Bytes: []byte("text/plain")}, {Name: "body", Bytes: []byte("Hello")}}, "HELLO"},
		// ASCII letters only: the UTF-8 bytes of é and ö pass unchanged.
		{"utf-8", abi.Message{{Name: "body", Bytes: []byte("héllo, wörld 42!")}}, "HéLLO, WöRLD 42!"},
		{"empty", abi.Message{{Name: "body", Bytes: []byte{}}}, ""},
		// A tensor entry before the body must be skipped over correctly.
		{"after a tensor", abi.Message{
			{Name: "x", Tensor: tensor.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})},
			{Name: "body", Bytes: []byte("abc{xyz}`@[")}}, "ABC{XYZ}`@["},
	} {
		got, err := upper(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}

	// A megabyte of printable ASCII, against the standard library's
	// upper-casing.
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(' ' + (i*7+i>>8)%95)
	}
	got, err := upper(abi.Message{{Name: "body", Bytes: big}})
	if err != nil {
		t.Fatal(err)
	}
	if got != string(bytes.ToUpper(big)) {
		t.Error("1 MiB body: wrong upper-casing")
	}

	// Without a body, the plugin's own error, as InvalidArgument.
	_, err = p.Process(context.Background(), abi.Message{{Name: "text", Bytes: []byte("hi")}})
	var ie *infer.Error
	if !errors.As(err, &ie) || ie.Code != infer.InvalidArgument ||
		ie.Msg != `plugin c-upper: c-upper: the input has no bytes entry "body"` {
		t.Errorf("missing body: %v", err)
	}
}
