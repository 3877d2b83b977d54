package plugins

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/gonyx/gonyx/plugins/abi"
)

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// abiExports are ABI v1's guest exports and their signatures.
var abiExports = []struct {
	name            string
	params, results []api.ValueType
}{
	{abi.ExportABIVersion, nil, []api.ValueType{i32}},
	{abi.ExportAlloc, []api.ValueType{i32}, []api.ValueType{i32}},
	{abi.ExportFree, []api.ValueType{i32, i32}, nil},
	{abi.ExportDescribe, nil, []api.ValueType{i64}},
	{abi.ExportInit, []api.ValueType{i32, i32}, []api.ValueType{i64}},
	{abi.ExportProcess, []api.ValueType{i32, i32}, []api.ValueType{i64}},
}

// checkImports lets a module import functions from our host module and WASI
// only, each with the signature we provide. wazero would refuse unknown
// imports too, but at instantiation and in its own words; this names the
// offending import in ours.
func (p *Plugin) checkImports() error {
	hosts := map[string]api.Module{
		abi.HostModule:                    p.wr.Module(abi.HostModule),
		wasi_snapshot_preview1.ModuleName: p.wr.Module(wasi_snapshot_preview1.ModuleName),
	}
	for _, def := range p.compiled.ImportedFunctions() {
		mod, name, _ := def.Import()
		host, ok := hosts[mod]
		if !ok {
			return fmt.Errorf("imports %s.%s: plugins may import only from %q and %q",
				mod, name, abi.HostModule, wasi_snapshot_preview1.ModuleName)
		}
		want, ok := host.ExportedFunctionDefinitions()[name]
		if !ok {
			return fmt.Errorf("imports %s.%s, which does not exist", mod, name)
		}
		if !sameSignature(def, want.ParamTypes(), want.ResultTypes()) {
			return fmt.Errorf("imports %s.%s as %s, but it is %s", mod, name,
				signature(def.ParamTypes(), def.ResultTypes()), signature(want.ParamTypes(), want.ResultTypes()))
		}
	}
	for _, def := range p.compiled.ImportedMemories() {
		mod, name, _ := def.Import()
		return fmt.Errorf("imports memory %s.%s: plugins must define their own memory", mod, name)
	}
	return nil
}

// checkExport checks that one ABI export exists with its signature.
func checkExport(m wazero.CompiledModule, name string) error {
	for _, e := range abiExports {
		if e.name != name {
			continue
		}
		def, ok := m.ExportedFunctions()[name]
		if !ok {
			return fmt.Errorf("does not export %s, which ABI v%d requires", name, abi.Version)
		}
		if !sameSignature(def, e.params, e.results) {
			return fmt.Errorf("exports %s as %s; ABI v%d wants %s", name,
				signature(def.ParamTypes(), def.ResultTypes()), abi.Version, signature(e.params, e.results))
		}
		return nil
	}
	panic("plugins: unknown ABI export " + name)
}

// checkExports checks all of ABI v1's exports and the memory they address.
func checkExports(m wazero.CompiledModule) error {
	for _, e := range abiExports {
		if err := checkExport(m, e.name); err != nil {
			return err
		}
	}
	return nil
}

func sameSignature(def api.FunctionDefinition, params, results []api.ValueType) bool {
	return slices.Equal(def.ParamTypes(), params) && slices.Equal(def.ResultTypes(), results)
}

// signature spells a function type as the wasm text format does.
func signature(params, results []api.ValueType) string {
	s := "("
	for i, t := range params {
		if i > 0 {
			s += ", "
		}
		s += api.ValueTypeName(t)
	}
	s += ") -> ("
	for i, t := range results {
		if i > 0 {
			s += ", "
		}
		s += api.ValueTypeName(t)
	}
	return s + ")"
}

// newModuleConfig is the sandbox of every instance: no arguments, no
// environment, no directories (file calls fail), no sockets; real clocks
// and randomness, which preprocessing may legitimately use. Sleeping is left
// at wazero's default (return at once) so that a sleeping guest stays
// interruptible by the deadline instead of blocking inside a host call.
// Reactors (Go c-shared, wasi-libc -mexec-model=reactor) initialise in
// _initialize; a module without it starts nothing.
func newModuleConfig() wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName(""). // anonymous, so one compiled module can be instantiated many times
		WithStartFunctions("_initialize").
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime()
}

// settingsJSON is the JSON object gonyx_init receives ({} when empty).
func settingsJSON(s map[string]string) ([]byte, error) {
	if s == nil {
		s = map[string]string{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return b, nil
}
