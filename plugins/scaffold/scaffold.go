// Package scaffold writes a new Go plugin project (`gonyx plugin new`): an
// example pre plugin using plugins/sdk, its native test, a go.mod, a
// Makefile and a README.
//
// A scaffolded plugin lives outside the gonyx module, so it has its own
// go.mod. gonyx has no published version to require, so the go.mod requires
// github.com/gonyx/gonyx v0.0.0 and replaces it with the local checkout
// given to Write; it also gets a copy of that checkout's go.sum, so the
// first build needs no network.
package scaffold

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Module is gonyx's module path.
const Module = "github.com/gonyx/gonyx"

//go:embed template
var templates embed.FS

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Write creates the project for plugin name in dir, which must not exist or
// be empty. gonyxModulePath is the root of a gonyx checkout (the directory
// of its go.mod).
func Write(dir, name, gonyxModulePath string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("scaffold: plugin name %q: use a lowercase letter then letters, digits, - or _ (at most 64)", name)
	}
	gonyx, goVersion, requires, err := checkGonyx(gonyxModulePath)
	if err != nil {
		return err
	}
	if err := emptyDir(dir); err != nil {
		return err
	}
	replacer := strings.NewReplacer("__NAME__", name, "__GO_VERSION__", goVersion, "__GONYX_PATH__", modPath(gonyx),
		"__SDK_REQUIRES__", sdkRequires(requires))
	err = fs.WalkDir(templates, "template", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := templates.ReadFile(path)
		if err != nil {
			return err
		}
		// Files are stored as *.tmpl so that Go does not compile main.go.tmpl
		// as part of this package, nor treat go.mod.tmpl as a nested module.
		rel := strings.TrimSuffix(strings.TrimPrefix(path, "template/"), ".tmpl")
		return os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte(replacer.Replace(string(text))), 0o644)
	})
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	sum, err := os.ReadFile(filepath.Join(gonyx, "go.sum"))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	} else if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	return nil
}

// checkGonyx returns the absolute path of the gonyx checkout at path and the
// go version its go.mod requires (the plugin needs at least that).
func checkGonyx(path string) (abs, goVersion string, requires map[string]string, err error) {
	if path == "" {
		return "", "", nil, errors.New("scaffold: no gonyx checkout given: a new plugin builds against one (see FindGonyx)")
	}
	if abs, err = filepath.Abs(path); err != nil {
		return "", "", nil, fmt.Errorf("scaffold: %w", err)
	}
	mod, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", "", nil, fmt.Errorf("scaffold: %s is not a gonyx checkout: %w", abs, err)
	}
	module, goVersion, requires := parseGoMod(mod)
	if module != Module {
		return "", "", nil, fmt.Errorf("scaffold: %s holds module %q, not %s", abs, module, Module)
	}
	if goVersion == "" {
		goVersion = "1.24" // the first Go with //go:wasmexport
	}
	return abs, goVersion, requires, nil
}

// sdkModules are the modules outside the standard library that a plugin's
// native build (its own tests, which run the host's image kernels in
// process) compiles through the SDK: plugins/imageops picks its AVX2
// kernels with ops/cpu, which reads CPUID with klauspost/cpuid (and that
// uses golang.org/x/sys). A module must list every module it builds
// packages from, so the plugin's go.mod requires them at the versions the
// gonyx checkout uses; TestWriteBuildsAndTests fails when one is missing.
var sdkModules = []string{"github.com/klauspost/cpuid/v2", "golang.org/x/sys"}

// sdkRequires is the go.mod lines requiring sdkModules.
func sdkRequires(requires map[string]string) string {
	var b strings.Builder
	for _, m := range sdkModules {
		if v, ok := requires[m]; ok {
			fmt.Fprintf(&b, "\t%s %s // indirect\n", m, v)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\nrequire (\n" + b.String() + ")\n"
}

// parseGoMod reads the module path, go version and required module
// versions (single lines and blocks) of a go.mod.
func parseGoMod(b []byte) (module, goVersion string, requires map[string]string) {
	requires = map[string]string{}
	inRequire := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "module":
			module = strings.Trim(f[1], `"`)
		case len(f) == 2 && f[0] == "go":
			goVersion = f[1]
		case len(f) >= 2 && f[0] == "require" && f[1] == "(":
			inRequire = true
		case inRequire && len(f) >= 1 && f[0] == ")":
			inRequire = false
		case inRequire && len(f) >= 2:
			requires[f[0]] = f[1]
		case len(f) >= 3 && f[0] == "require":
			requires[f[1]] = f[2]
		}
	}
	return module, goVersion, requires
}

// modPath writes a directory path for go.mod, quoting it when it holds
// characters go.mod would split on.
func modPath(p string) string {
	p = filepath.ToSlash(p)
	if strings.ContainsAny(p, " \t\"'`()[]{}") {
		return strconv.Quote(p)
	}
	return p
}

// emptyDir creates dir, or accepts it when it exists and is empty: Write
// never overwrites anything.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return notEmpty(dir)
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("scaffold: %w", err)
		}
		return nil
	}
	return fmt.Errorf("scaffold: %s: %w", dir, err)
}

// FindGonyx returns the gonyx checkout that holds dir: the nearest directory
// at or above dir whose go.mod declares the gonyx module.
func FindGonyx(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if m, _, _ := parseGoMod(b); m == Module {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("scaffold: no gonyx checkout (go.mod of %s) at or above %s", Module, abs)
		}
	}
}

// notEmpty is the error for an existing, non-empty target; it matches
// fs.ErrExist (os.ErrExist) for callers that test with errors.Is.
type notEmpty string

func (d notEmpty) Error() string {
	return fmt.Sprintf("scaffold: %s is not empty; choose a new directory", string(d))
}

func (notEmpty) Is(target error) bool { return target == fs.ErrExist }
