package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `gonyx plugin test --json` on the embedded imagenet-preprocess plugin and
// a PNG prints exactly the documented JSON; a bad input exits non-zero.
func TestPluginTestJSON(t *testing.T) {
	wasm := "../../server/demo/plugins/imagenet-preprocess.wasm"
	png := "../../plugins/examples/imagenet-preprocess/testdata/gray240x320.png"
	out, code := capture(t, func() int { return cmdPlugin([]string{"test", wasm, "--input", png, "--json"}) })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var got struct {
		Outputs []struct {
			Name     string  `json:"name"`
			Datatype string  `json:"datatype"`
			Shape    []int64 `json:"shape"`
		} `json:"outputs"`
		DurationMS *float64 `json:"duration_ms"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if len(got.Outputs) != 1 || got.Outputs[0].Name != "input" || got.Outputs[0].Datatype != "FP32" ||
		len(got.Outputs[0].Shape) != 4 || got.Outputs[0].Shape[1] != 3 || got.Outputs[0].Shape[3] != 224 || got.DurationMS == nil {
		t.Fatalf("output %q", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.png")
	os.WriteFile(bad, []byte("not a png"), 0o644)
	if _, code := capture(t, func() int { return cmdPlugin([]string{"test", wasm, "--input", bad, "--json"}) }); code == 0 {
		t.Fatal("a bad image exited 0")
	}
}

// `gonyx plugin new` writes a plugin project pointing at this checkout and
// refuses to overwrite it.
func TestPluginNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shout")
	root, _ := filepath.Abs("../..")
	if code := cmdPlugin([]string{"new", "shout", "--dir", dir, "--gonyx", root}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.Contains(string(mod), root) {
		t.Fatalf("go.mod: %v %s", err, mod)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Fatal(err)
	}
	if code := cmdPlugin([]string{"new", "shout", "--dir", dir, "--gonyx", root}); code == 0 {
		t.Fatal("overwrote an existing plugin")
	}
}
