package scaffold

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gonyxRoot(t *testing.T) string {
	t.Helper()
	root, err := FindGonyx(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// goCmd runs the go tool in dir with the network off: a scaffolded plugin
// must build from what the checkout and the module cache already hold.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOPROXY=off", "GOFLAGS=", "GOWORK=off"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The scaffold builds to wasm with the real toolchain and passes its own
// native test.
func TestWriteBuildsAndTests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-plugin")
	root := gonyxRoot(t)
	if err := Write(dir, "my-plugin", root); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "replace github.com/gonyx/gonyx => "+filepath.ToSlash(root)+"\n") ||
		!strings.HasPrefix(string(mod), "module my-plugin\n") {
		t.Fatalf("go.mod:\n%s", mod)
	}
	main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if n := strings.Count(string(main), "\n"); n >= 30 || !strings.Contains(string(main), `Name: "my-plugin"`) {
		t.Fatalf("main.go has %d lines:\n%s", n, main)
	}
	// Building and testing are independent: run them side by side.
	t.Run("build wasm", func(t *testing.T) {
		t.Parallel()
		wasm := filepath.Join(t.TempDir(), "my-plugin.wasm")
		goCmd(t, dir, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}, "build", "-buildmode=c-shared",
			"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", wasm, ".")
		b, err := os.ReadFile(wasm)
		if err != nil || len(b) < 8 || string(b[:4]) != "\x00asm" {
			t.Fatalf("%s is not a wasm module (%d bytes, %v)", wasm, len(b), err)
		}
	})
	t.Run("native test", func(t *testing.T) {
		t.Parallel()
		out := goCmd(t, dir, nil, "test", "-count=1", "-v", ".")
		for _, want := range []string{"--- PASS: TestUpper", "--- PASS: TestPlugin"} {
			if !strings.Contains(out, want) {
				t.Fatalf("go test output lacks %q:\n%s", want, out)
			}
		}
	})
	for _, f := range []string{"Makefile", "README.md", "main_test.go", "go.sum"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	root := gonyxRoot(t)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, name, gonyx, want string }{
		{full, "p", root, "not empty"},
		{filepath.Join(full, "keep.txt"), "p", root, "keep.txt"},
		{t.TempDir(), "Bad Name", root, "plugin name"},
		{t.TempDir(), "9lives", root, "plugin name"},
		{t.TempDir(), "p", "", "no gonyx checkout"},
		{t.TempDir(), "p", full, "not a gonyx checkout"},
	} {
		if err := Write(c.dir, c.name, c.gonyx); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Write(%q, %q, %q) = %v, want an error mentioning %q", c.dir, c.name, c.gonyx, err, c.want)
		}
	}
	if err := Write(full, "p", root); !errors.Is(err, fs.ErrExist) {
		t.Errorf("non-empty dir: %v does not match fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "keep.txt")); string(b) != "mine" {
		t.Fatal("an existing file was overwritten")
	}
	// An existing empty directory is fine.
	if err := Write(t.TempDir(), "p", root); err != nil {
		t.Fatal(err)
	}
}

func TestModPath(t *testing.T) {
	if got := modPath("/home/a b/gonyx"); got != `"/home/a b/gonyx"` {
		t.Fatal(got)
	}
	if got := modPath("/src/gonyx"); got != "/src/gonyx" {
		t.Fatal(got)
	}
	if _, err := FindGonyx(os.TempDir()); err == nil {
		t.Fatal("found gonyx above the temp dir")
	}
}
