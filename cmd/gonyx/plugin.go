package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/scaffold"
	"github.com/gonyx/gonyx/server/infer"
)

// cmdPlugin is `gonyx plugin test|new`.
func cmdPlugin(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gonyx plugin test PLUGIN.wasm --input FILE [--config k=v]... [--timeout D] [--json]\n       gonyx plugin new NAME [--dir DIR] [--gonyx PATH]")
		return 2
	}
	switch args[0] {
	case "test":
		return cmdPluginTest(args[1:])
	case "new":
		return cmdPluginNew(args[1:])
	}
	return fail("plugin: unknown subcommand %q (test or new)", args[0])
}

// cmdPluginTest runs one call of a plugin on files and prints its outputs.
func cmdPluginTest(args []string) int {
	fs := flag.NewFlagSet("plugin test", flag.ContinueOnError)
	var inputs, settings listFlag
	var inputList, settingList []string
	inputs.l, settings.l = &inputList, &settingList
	fs.Var(inputs, "input", "input file as FILE (entry \"body\") or NAME=FILE (repeatable); its content type is guessed from the extension")
	fs.Var(settings, "config", "plugin setting KEY=VALUE (repeatable)")
	timeout := fs.Duration("timeout", 2*time.Second, "per-call deadline")
	trusted := fs.Bool("trusted", false, "turn the deadline checks off (as trusted: true in a model config)")
	jsonOut := fs.Bool("json", false, `print only {"outputs":[{"name","datatype","shape"}],"duration_ms":N}`)
	wasm, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if wasm == "" && fs.NArg() > 0 {
		wasm = fs.Arg(0)
	}
	if wasm == "" {
		return fail("plugin test: which .wasm file?")
	}
	cfg := plugins.Config{Path: wasm, Settings: map[string]string{}, Trusted: *trusted, Timeout: *timeout}
	for _, kv := range settingList {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fail("plugin test: --config %q: want KEY=VALUE", kv)
		}
		cfg.Settings[k] = v
	}
	msg := abi.Message{}
	for _, in := range inputList {
		name, file, ok := strings.Cut(in, "=")
		if !ok {
			name, file = "body", in
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fail("plugin test: %v", err)
		}
		if ct := mime.TypeByExtension(filepath.Ext(file)); ct != "" && name == "body" {
			msg = append(msg, abi.Entry{Name: "content_type", Bytes: []byte(ct)})
		}
		msg = append(msg, abi.Entry{Name: name, Bytes: data})
	}
	ctx := context.Background()
	rt, err := plugins.NewRuntime(ctx, plugins.RuntimeOptions{})
	if err != nil {
		return fail("plugin test: %v", err)
	}
	defer rt.Close(ctx)
	p, err := rt.Load(ctx, cfg)
	if err != nil {
		return fail("plugin test: %v", err)
	}
	defer p.Close(ctx)
	start := time.Now()
	out, err := p.Process(ctx, msg)
	d := time.Since(start)
	if err != nil {
		return fail("plugin test: %v", err)
	}
	type outInfo struct {
		Name     string  `json:"name"`
		Datatype string  `json:"datatype"`
		Shape    []int64 `json:"shape"`
	}
	infos := make([]outInfo, 0, len(out))
	for _, e := range out {
		oi := outInfo{Name: e.Name, Datatype: "BYTES", Shape: []int64{1}}
		if e.Tensor != nil {
			oi.Datatype = infer.Datatype(e.Tensor.DType())
			oi.Shape = make([]int64, e.Tensor.Rank())
			for i, d := range e.Tensor.Shape() {
				oi.Shape[i] = int64(d)
			}
		}
		infos = append(infos, oi)
	}
	ms := float64(d.Microseconds()) / 1000
	if *jsonOut {
		b, _ := json.Marshal(map[string]any{"outputs": infos, "duration_ms": ms})
		fmt.Println(string(b))
		return 0
	}
	desc := p.Description()
	fmt.Printf("%s %s (%s plugin): %d outputs in %.3f ms\n", desc.Name, desc.Version, desc.Kind, len(out), ms)
	for i, e := range out {
		fmt.Printf("  %s: %s %v", infos[i].Name, infos[i].Datatype, infos[i].Shape)
		switch {
		case e.Tensor != nil:
			s := e.Tensor.String()
			if len(s) > 160 {
				s = s[:160] + "…"
			}
			fmt.Printf(" %s\n", s)
		default:
			s := string(e.Bytes)
			if len(s) > 400 {
				s = s[:400] + "…"
			}
			fmt.Printf(" %s\n", s)
		}
	}
	return 0
}

// splitPositional takes the first non-flag argument out, so the .wasm file
// may come before or after the flags.
func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// cmdPluginNew scaffolds a Go plugin that builds and passes its own test.
func cmdPluginNew(args []string) int {
	fs := flag.NewFlagSet("plugin new", flag.ContinueOnError)
	dir := fs.String("dir", "", "where to create it (default ./NAME)")
	gonyx := fs.String("gonyx", "", "path of a gonyx checkout the plugin's go.mod points at (default: the current folder if it is one)")
	name, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return fail("plugin new: which name?")
	}
	if *dir == "" {
		*dir = name
	}
	mod := *gonyx
	if mod == "" {
		wd, _ := os.Getwd()
		if b, err := os.ReadFile(filepath.Join(wd, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/gonyx/gonyx\n") {
			mod = wd
		}
	}
	if mod == "" {
		return fail("plugin new: run it in a gonyx checkout or pass --gonyx PATH (the plugin's go.mod needs the SDK from there)")
	}
	abs, err := filepath.Abs(mod)
	if err != nil {
		return fail("plugin new: %v", err)
	}
	if err := scaffold.Write(*dir, name, abs); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fail("plugin new: %s already exists and is not empty", *dir)
		}
		return fail("plugin new: %v", err)
	}
	fmt.Printf("created %s: build it with `make -C %s`, test it with `gonyx plugin test %s/%s.wasm --input FILE`\n", *dir, *dir, *dir, name)
	return 0
}
