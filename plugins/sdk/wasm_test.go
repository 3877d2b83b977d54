package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/imageops"
	"github.com/gonyx/gonyx/server/infer"
)

// These tests build real guests with the SDK — its test guest and the
// wordpiece and topk examples — and run them through the gonyx host.

var guests = map[string]string{
	"sdk-test":  "./testdata/guest",
	"wordpiece": "../examples/wordpiece",
	"topk":      "../examples/topk",
}

// warmSettings are settings each guest initialises with.
var warmSettings = map[string]map[string]string{"wordpiece": {"vocab": vocab}}

// wasm holds the built modules; the builds run once per test binary, side
// by side, on first use.
var (
	buildOnce sync.Once
	wasm      = map[string][]byte{}
	buildErr  error
	rt        *plugins.Runtime
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range warm {
		p.Close(context.Background())
	}
	if rt != nil {
		rt.Close(context.Background())
	}
	os.Exit(code)
}

func build(t testing.TB) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sdk-wasm")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, pkg := range guests {
			wg.Go(func() {
				out := filepath.Join(dir, name+".wasm")
				cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, pkg)
				cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
				msg, err := cmd.CombinedOutput()
				var b []byte
				if err == nil {
					b, err = os.ReadFile(out)
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil && buildErr == nil {
					buildErr = fmt.Errorf("building %s: %v\n%s", pkg, err, msg)
				}
				wasm[name] = b
			})
		}
		wg.Wait()
		if buildErr == nil {
			rt, buildErr = plugins.NewRuntime(context.Background(), plugins.RuntimeOptions{})
		}
		if buildErr == nil {
			buildErr = warmUp()
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// warmUp compiles the guests side by side (a few seconds of CPU each) and
// keeps one plugin of each loaded, so that the runtime's compilation cache
// holds them for every later Load.
func warmUp() error {
	var wg sync.WaitGroup
	errs := make(chan error, len(guests))
	for name := range guests {
		wg.Go(func() {
			p, err := rt.Load(context.Background(), plugins.Config{Name: name, Wasm: wasm[name], Settings: warmSettings[name], Instances: 1})
			if err != nil {
				errs <- err
				return
			}
			warmMu.Lock()
			warm = append(warm, p)
			warmMu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

var (
	warmMu sync.Mutex
	warm   []*plugins.Plugin
)

func load(t *testing.T, name string, settings map[string]string) *plugins.Plugin {
	t.Helper()
	build(t)
	p, err := rt.Load(context.Background(), plugins.Config{Name: name, Wasm: wasm[name], Settings: settings, Instances: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func call(t *testing.T, p *plugins.Plugin, in abi.Message) abi.Message {
	t.Helper()
	out, err := p.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mode(m string, rest ...abi.Entry) abi.Message {
	return append(abi.Message{{Name: "mode", Bytes: []byte(m)}}, rest...)
}

func bytesOf(t *testing.T, m abi.Message, name string) string {
	t.Helper()
	e, ok := m.Get(name)
	if !ok || e.Tensor != nil {
		t.Fatalf("no bytes entry %q in %v", name, m)
	}
	return string(e.Bytes)
}

func TestGuestDescribeAndInit(t *testing.T) {
	p := load(t, "sdk-test", map[string]string{"greeting": "hey", "times": "3"})
	d := p.Description()
	if d.Name != "sdk-test" || d.Version != "0.1.0" || d.Kind != "pre" ||
		!reflect.DeepEqual(d.Outputs, []plugins.TensorSpec{{Name: "out", Datatype: "FP32", Shape: []int64{-1, 3}}}) ||
		d.Config["times"] != "an integer" {
		t.Fatalf("description %+v", d)
	}
	out := call(t, p, mode("config"))
	if g, h := bytesOf(t, out, "greeting"), bytesOf(t, out, "host"); g != "hey" || h != "hey true false" {
		t.Fatalf("greeting %q, host config %q", g, h)
	}
	for settings, want := range map[string]string{
		`{"fail":"true"}`: "asked to fail",
		`{"times":"x"}`:   `config times: "x" is not an integer`,
		`{"colour":"x"}`:  `unknown config key "colour"`,
	} {
		var s map[string]string
		json.Unmarshal([]byte(settings), &s)
		_, err := rt.Load(context.Background(), plugins.Config{Name: "sdk-test", Wasm: wasm["sdk-test"], Settings: s, Instances: 1})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sdk-test") {
			t.Errorf("load with %s: %v, want an error naming the plugin and %q", settings, err, want)
		}
	}
}

func TestGuestBytesTensorsJSON(t *testing.T) {
	p := load(t, "sdk-test", nil)
	if got := bytesOf(t, call(t, p, mode("upper", abi.Entry{Name: "body", Bytes: []byte("abc")})), "body"); got != "ABC" {
		t.Fatalf("upper: %q", got)
	}
	out := call(t, p, mode("double",
		abi.Entry{Name: "f", Tensor: tensor.New([]int{2, 1}, []float32{1, 2.5})},
		abi.Entry{Name: "i", Tensor: tensor.New([]int{3}, []int64{-4, 0, 1 << 40})}))
	f, _ := out.Get("f")
	i, _ := out.Get("i")
	if f.Tensor == nil || !reflect.DeepEqual(f.Tensor.Shape(), []int{2, 1}) || !reflect.DeepEqual(tensor.Data[float32](f.Tensor), []float32{2, 5}) ||
		i.Tensor == nil || !reflect.DeepEqual(tensor.Data[int64](i.Tensor), []int64{-8, 0, 1 << 41}) {
		t.Fatalf("double: %v", out)
	}
	got := bytesOf(t, call(t, p, mode("json", abi.Entry{Name: "body", Bytes: []byte(`{"A":40,"B":2}`)})), "json")
	if want := `{"names":["mode","body"],"sum":42}`; got != want {
		t.Fatalf("json: %s, want %s", got, want)
	}
}

func TestGuestErrors(t *testing.T) {
	p := load(t, "sdk-test", nil)
	for m, want := range map[string]string{
		"error":    "plugin sdk-test: bad request: xyz",
		"panic":    "plugin sdk-test: panic in Process: assignment to entry in nil map",
		"dup":      `plugin sdk-test: output has two entries named "a"`,
		"badimage": "plugin sdk-test: decode image: ",
		"nope":     `plugin sdk-test: unknown mode "nope"`,
	} {
		_, err := p.Process(context.Background(), mode(m, abi.Entry{Name: "body", Bytes: []byte("xyz")}))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", m, err, want)
			continue
		}
		// Errors and recovered panics are the guest's answer, not a fault:
		// the instance is kept and the next call works.
		if c := infer.CodeOf(err); c != infer.InvalidArgument {
			t.Errorf("%s: code %v, want InvalidArgument", m, c)
		}
		if got := bytesOf(t, call(t, p, mode("upper", abi.Entry{Name: "body", Bytes: []byte("ok")})), "body"); got != "OK" {
			t.Fatalf("after %s: %q", m, got)
		}
	}
}

func pngOf(t *testing.T, w, h int, at func(x, y int) color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, at(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The host kernels through the SDK: a uniform image stays uniform through
// resize and crop, so every value is known by hand.
func TestGuestImageKernels(t *testing.T) {
	p := load(t, "sdk-test", nil)
	body := pngOf(t, 7, 5, func(x, y int) color.RGBA { return color.RGBA{255, 0, 51, 255} })
	out := call(t, p, mode("image", abi.Entry{Name: "body", Bytes: body}))
	if got := bytesOf(t, out, "decoded"); got != "7x5" {
		t.Fatalf("decoded %s", got)
	}
	if got := bytesOf(t, out, "resized"); got != strings.Repeat("\xff\x00\x33", 16) {
		t.Fatalf("resized %x", got)
	}
	if got := bytesOf(t, out, "cropped"); got != strings.Repeat("\xff\x00\x33", 4) {
		t.Fatalf("cropped %x", got)
	}
	// (v/255 − 0.5)/0.5: 255 → 1, 0 → −1, 51 → (0.2 − 0.5)/0.5 = −0.6.
	tt, _ := out.Get("tensor")
	want := []float32{1, 1, 1, 1, -1, -1, -1, -1, -0.6, -0.6, -0.6, -0.6}
	got := tensor.Data[float32](tt.Tensor)
	if !reflect.DeepEqual(tt.Tensor.Shape(), []int{1, 3, 2, 2}) || len(got) != len(want) {
		t.Fatalf("tensor %v", tt.Tensor)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("tensor %v, want %v", got, want)
		}
	}
}

// A gradient image through the SDK gives the very bytes imageops gives when
// called directly: the SDK's framing and copies add nothing.
func TestGuestImageMatchesImageops(t *testing.T) {
	p := load(t, "sdk-test", nil)
	body := pngOf(t, 9, 6, func(x, y int) color.RGBA { return color.RGBA{uint8(28 * x), uint8(40 * y), uint8(x * y), 255} })
	out := call(t, p, mode("image", abi.Entry{Name: "body", Bytes: body}))
	dec, err := imageops.Decode(body, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r, err := imageops.Resize(dec, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	c, err := imageops.Crop(r, 1, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := out.Get("tensor")
	if bytesOf(t, out, "resized") != string(r.Pix) || bytesOf(t, out, "cropped") != string(c.Pix) ||
		!reflect.DeepEqual(tensor.Data[float32](tt.Tensor), imageops.ToCHW(c, [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})) {
		t.Fatal("the guest's results differ from imageops's")
	}
}

// Output.Image inside WebAssembly: the host attaches the tensor ahead of
// the reply's entries (the values are the fused kernel's, as imageops
// computes them); attaching a name twice, or a name the reply also has,
// fails the call, and so does an error after attaching, whose tensor is
// then not in any output.
func TestGuestImageOutput(t *testing.T) {
	p := load(t, "sdk-test", nil)
	body := pngOf(t, 9, 6, func(x, y int) color.RGBA { return color.RGBA{uint8(28 * x), uint8(40 * y), uint8(x * y), 255} })
	want, w, h, err := imageops.Preprocess(body, 1<<20, imageops.Transform{Resize: 4, Crop: 2, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}})
	if err != nil || w != 2 || h != 2 {
		t.Fatal(w, h, err)
	}
	out := call(t, p, mode("image-output", abi.Entry{Name: "body", Bytes: body}))
	if len(out) != 2 || out[0].Name != "pixels" || out[1].Name != "after" {
		t.Fatalf("output %v, want pixels then after", out)
	}
	if got := out[0].Tensor; got == nil || !reflect.DeepEqual(got.Shape(), []int{1, 3, 2, 2}) || !reflect.DeepEqual(tensor.Data[float32](got), want) {
		t.Fatalf("pixels %v, want %v", got, want)
	}
	for m, msg := range map[string]string{
		"image-output-twice": `output "pixels" attached twice`,
		"image-output-clash": `two entries named "pixels"`,
		"image-output-fail":  "failing after attaching",
	} {
		_, err := p.Process(context.Background(), mode(m, abi.Entry{Name: "body", Bytes: body}))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", m, err, msg)
		}
	}
	if out := call(t, p, mode("count")); len(out) != 1 {
		t.Errorf("a failed call's attached tensor reached the next output: %v", out)
	}
}

// Every buffer crossing the boundary is released: the guest's live heap
// does not grow with the number of calls.
func TestGuestNoLeak(t *testing.T) {
	p := load(t, "sdk-test", nil)
	body := pngOf(t, 128, 128, func(x, y int) color.RGBA { return color.RGBA{uint8(x), uint8(y), 7, 255} })
	heap := func() int {
		n, err := strconv.Atoi(bytesOf(t, call(t, p, mode("mem")), "heap"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	img := mode("image", abi.Entry{Name: "body", Bytes: body})
	for range 10 {
		call(t, p, img)
	}
	before := heap()
	for range 100 {
		call(t, p, img)
		p.Process(context.Background(), mode("panic"))
	}
	// A leak of the decoded image alone would be 100 × 49 KiB.
	if after := heap(); after-before > 512<<10 {
		t.Fatalf("guest heap grew from %d to %d bytes over 100 calls", before, after)
	}
}

// ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 want=4 ##want=5 ##ed=6 wa=7 un=8
// runn=9 ##ing=10 ","=11 — the vocabulary of the example's native tests.
const vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nwant\n##want\n##ed\nwa\nun\nrunn\n##ing\n,\n"

func int64s(t *testing.T, m abi.Message, name string) []int64 {
	t.Helper()
	e, ok := m.Get(name)
	if !ok || e.Tensor == nil || e.Tensor.DType() != tensor.Int64 || e.Tensor.Rank() != 2 || e.Tensor.Shape()[0] != 1 {
		t.Fatalf("%q is not an int64 [1, L] tensor in %v", name, m)
	}
	return tensor.Data[int64](e.Tensor)
}

func TestWordpieceWasm(t *testing.T) {
	p := load(t, "wordpiece", map[string]string{"vocab": vocab})
	out := call(t, p, abi.Message{{Name: "content_type", Bytes: []byte("text/plain")},
		{Name: "body", Bytes: []byte("UNwant\u00e9d, running")}})
	if got, want := int64s(t, out, "input_ids"), []int64{2, 8, 5, 6, 11, 9, 10, 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("input_ids %v, want %v", got, want)
	}
	if got := int64s(t, out, "attention_mask"); !reflect.DeepEqual(got, []int64{1, 1, 1, 1, 1, 1, 1, 1}) {
		t.Fatalf("attention_mask %v", got)
	}
	if got := int64s(t, out, "token_type_ids"); !reflect.DeepEqual(got, make([]int64, 8)) {
		t.Fatalf("token_type_ids %v", got)
	}

	padded := load(t, "wordpiece", map[string]string{"vocab": vocab, "max_len": "6", "pad": "true"})
	out = call(t, padded, abi.Message{{Name: "content_type", Bytes: []byte("application/json")},
		{Name: "body", Bytes: []byte(`{"text": "unaffable wa want"}`)}})
	// "unaffable" has no pieces here: [UNK].
	if got, want := int64s(t, out, "input_ids"), []int64{2, 1, 7, 4, 3, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("input_ids %v, want %v", got, want)
	}
	if got, want := int64s(t, out, "attention_mask"), []int64{1, 1, 1, 1, 1, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("attention_mask %v, want %v", got, want)
	}
	_, err := p.Process(context.Background(), abi.Message{{Name: "body", Bytes: []byte("\xff")}})
	if err == nil || err.Error() != "plugin wordpiece: the text is not valid UTF-8" {
		t.Fatalf("invalid UTF-8: %v", err)
	}
}

func TestTopkWasm(t *testing.T) {
	p := load(t, "topk", map[string]string{"k": "2", "labels": "cat\ndog\nbird"})
	out := call(t, p, abi.Message{{Name: "logits", Tensor: tensor.New([]int{2, 3}, []float32{1, 2, 3, 3, 1, 2})}})
	var res struct {
		Predictions [][]struct {
			Index int
			Label string
			Score float64
		}
	}
	if err := json.Unmarshal([]byte(bytesOf(t, out, "json")), &res); err != nil {
		t.Fatal(err)
	}
	// softmax(1, 2, 3) = (0.09003057, 0.24472847, 0.66524096).
	type pred = struct {
		Index int
		Label string
		Score float64
	}
	want := [][]pred{{{2, "bird", 0.66524096}, {1, "dog", 0.24472847}}, {{0, "cat", 0.66524096}, {2, "bird", 0.24472847}}}
	if len(res.Predictions) != 2 {
		t.Fatalf("%+v", res)
	}
	for r := range want {
		for j, w := range want[r] {
			g := res.Predictions[r][j]
			if g.Index != w.Index || g.Label != w.Label || math.Abs(g.Score-w.Score) > 1e-6 {
				t.Fatalf("row %d: %+v, want %+v", r, res.Predictions[r], want[r])
			}
		}
	}
	ind, _ := out.Get("indices")
	if ind.Tensor == nil || !reflect.DeepEqual(tensor.Data[int64](ind.Tensor), []int64{2, 1, 0, 2}) {
		t.Fatalf("indices %v", ind.Tensor)
	}

	in := load(t, "topk", map[string]string{"labels": "imagenet", "k": "3", "softmax": "false"})
	logits := make([]float32, 1000)
	logits[281], logits[285], logits[7] = 9, 8, 7
	got := bytesOf(t, call(t, in, abi.Message{{Name: "x", Tensor: tensor.New([]int{1, 1000}, logits)}}), "json")
	if want := `{"predictions":[[{"index":281,"label":"tabby","score":9},{"index":285,"label":"Egyptian cat","score":8},{"index":7,"label":"cock","score":7}]]}`; got != want {
		t.Fatalf("json %s\nwant %s", got, want)
	}
}

// BenchmarkGuestOutput: a call whose output is 588 KiB, a [1,3,224,224]
// float32 tensor (an image model's input) or the same size of plain bytes
// (the baseline: no tensor encoding), with and without the host's deadline
// checks.
func BenchmarkGuestOutput(b *testing.B) {
	for _, m := range []string{"floats", "bytes"} {
		for _, trusted := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/trusted=%v", m, trusted), func(b *testing.B) {
				benchCall(b, trusted, mode(m, abi.Entry{Name: "body", Bytes: []byte(strconv.Itoa(3 * 224 * 224))}))
			})
		}
	}
}

// BenchmarkGuestInput: a call whose input is that tensor, or bytes.
func BenchmarkGuestInput(b *testing.B) {
	for _, kind := range []string{"floats", "bytes"} {
		e := abi.Entry{Name: "x", Tensor: tensor.New([]int{1, 3, 224, 224}, make([]float32, 3*224*224))}
		if kind == "bytes" {
			e = abi.Entry{Name: "x", Bytes: make([]byte, 4*3*224*224)}
		}
		b.Run(kind, func(b *testing.B) { benchCall(b, false, mode("count", e)) })
	}
}

func benchCall(b *testing.B, trusted bool, in abi.Message) {
	build(b)
	p, err := rt.Load(context.Background(), plugins.Config{Name: "sdk-test", Wasm: wasm["sdk-test"], Trusted: trusted, Instances: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	b.SetBytes(3 * 224 * 224 * 4)
	for b.Loop() {
		if _, err := p.Process(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
