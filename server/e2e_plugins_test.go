package server

import (
	"bytes"
	"context"
	"math"
	"mime/multipart"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/imageops"
	"github.com/gonyx/gonyx/server/demo"
)

const testPNG = "../plugins/examples/imagenet-preprocess/testdata/gray240x320.png"

// nativeTop5 is the reference for a pipeline answer, computed outside
// WebAssembly: imageops as torchvision does it (Resize 256, CenterCrop 224,
// ImageNet normalisation), the model in-process, then the five largest
// logits.
func nativeTop5(t *testing.T, m *engine.Model, img []byte) []int {
	t.Helper()
	rgb, err := imageops.Decode(img, 1<<26)
	if err != nil {
		t.Fatal(err)
	}
	w, h := 256, 256
	if rgb.W < rgb.H {
		h = 256 * rgb.H / rgb.W
	} else {
		w = 256 * rgb.W / rgb.H
	}
	if rgb, err = imageops.Resize(rgb, w, h); err != nil {
		t.Fatal(err)
	}
	// torchvision rounds the offsets as Python does: half to even.
	x, y := int(math.RoundToEven(float64(w-224)/2)), int(math.RoundToEven(float64(h-224)/2))
	if rgb, err = imageops.Crop(rgb, x, y, 224, 224); err != nil {
		t.Fatal(err)
	}
	chw := imageops.ToCHW(rgb, [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225})
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.New([]int{1, 3, 224, 224}, chw)})
	if err != nil {
		t.Fatal(err)
	}
	logits := tensor.Data[float32](out["logits"])
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	return idx[:5]
}

func predictionIndices(t *testing.T, r reply) []int {
	t.Helper()
	preds, ok := r.body["predictions"].([]any)
	if !ok || len(preds) != 1 {
		t.Fatalf("no predictions: %s", r.raw)
	}
	var out []int
	last := 2.0
	for _, p := range preds[0].([]any) {
		e := p.(map[string]any)
		if e["label"] == "" || e["label"] == nil {
			t.Fatalf("prediction without a label: %v", e)
		}
		score := e["score"].(float64)
		if score > last {
			t.Fatalf("scores not in descending order: %s", r.raw)
		}
		last = score
		out = append(out, int(e["index"].(float64)))
	}
	return out
}

// The demo's image model behind imagenet-preprocess → model → topk: a PNG
// upload (raw or as a form) answers the same top 5 as the native pipeline.
func TestDemoImagePipeline(t *testing.T) {
	img, err := os.ReadFile(testPNG)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, testConfig())
	base := "http://" + s.HTTPAddr()
	m, err := engine.FromIR(demo.ImageModel())
	if err != nil {
		t.Fatal(err)
	}
	want := nativeTop5(t, m, img)

	r := do(t, "POST", base+"/v2/models/image/infer", img, "Content-Type", "image/png")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if got := predictionIndices(t, r); !equalInts(got, want) {
		t.Fatalf("top 5 %v, native pipeline %v", got, want)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("image", "photo.png")
	fw.Write(img)
	mw.Close()
	r = do(t, "POST", base+"/models/image/predict", form.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.status != 200 || !equalInts(predictionIndices(t, r), want) {
		t.Fatalf("multipart: %d %s", r.status, r.raw)
	}
	// The server hands each request's image tensor back to the next upload's
	// plugin: alternating pictures must never answer with a stale one.
	scene, err := os.ReadFile("../plugins/examples/imagenet-preprocess/testdata/scene320x240.png")
	if err != nil {
		t.Fatal(err)
	}
	wantScene := nativeTop5(t, m, scene)
	for i, c := range []struct {
		img  []byte
		want []int
	}{{scene, wantScene}, {img, want}, {scene, wantScene}, {img, want}} {
		r := do(t, "POST", base+"/v2/models/image/infer", c.img, "Content-Type", "image/png")
		if r.status != 200 || !equalInts(predictionIndices(t, r), c.want) {
			t.Fatalf("upload %d: %d %s, want top 5 %v", i, r.status, r.raw, c.want)
		}
	}
	// A model without plugins refuses uploads clearly.
	r = do(t, "POST", base+"/v2/models/mlp/infer", img, "Content-Type", "image/png")
	if r.status != 400 || !bytes.Contains(r.raw, []byte("preprocessing plugin")) {
		t.Fatalf("upload to mlp: %d %s", r.status, r.raw)
	}
	// Garbage instead of an image: the plugin's error, as a 400.
	r = do(t, "POST", base+"/v2/models/image/infer", []byte("not an image"), "Content-Type", "image/png")
	if r.status != 400 || !bytes.Contains(r.raw, []byte("imagenet-preprocess")) {
		t.Fatalf("garbage upload: %d %s", r.status, r.raw)
	}
	m2 := string(do(t, "GET", base+"/metrics", nil).raw)
	if metricValue(m2, `gonyx_plugin_duration_seconds_count{plugin="topk"}`) < 2 {
		t.Fatalf("plugin metrics:\n%s", grep(m2, "plugin"))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sharedModel finds a reference model (GONYX_SHARED_MODELS or
// ../shared/models next to the repository).
func sharedModel(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("GONYX_SHARED_MODELS")
	if root == "" {
		root = "../../shared/models"
	}
	p := filepath.Join(root, name, "model.onnx")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference model missing: %v", err)
		}
		t.Skipf("reference models not found (%v)", err)
	}
	abs, _ := filepath.Abs(p)
	return abs
}

// A repository holding the reference mobilenet_v2 with the example plugins:
// a PNG gets the same ImageNet top 5 as the native pipeline.
func TestMobilenetPipeline(t *testing.T) {
	model := sharedModel(t, "mobilenet_v2")
	img, err := os.ReadFile(testPNG)
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	dir := filepath.Join(repo, "mobilenet")
	if err := os.MkdirAll(filepath.Join(dir, "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(model, filepath.Join(dir, "1", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	files := demo.Repository()
	for _, p := range []string{"imagenet-preprocess.wasm", "topk.wasm"} {
		if err := os.MkdirAll(filepath.Join(dir, "plugins"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "plugins", p), files["image/plugins/"+p].Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(demo.ImageConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Repo = repo
	cfg.ModelControl = "none"
	s := startServer(t, cfg)
	m, err := engine.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	want := nativeTop5(t, m, img)
	r := do(t, "POST", "http://"+s.HTTPAddr()+"/v2/models/mobilenet/infer", img, "Content-Type", "image/png")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if got := predictionIndices(t, r); !equalInts(got, want) {
		t.Fatalf("top 5 %v, native pipeline %v", got, want)
	}
	t.Logf("mobilenet_v2 top 5 for %s: %s", filepath.Base(testPNG), r.raw)
}
