package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gonyx/gonyx/plugins/abi"
	"runtime/debug"
	"sort"
	"strings"
)

// registry is the one plugin of this module and its state. A wasm instance
// runs one goroutine at a time and the host calls it serially, so it needs
// no lock; the native build (RunLocal) serialises its callers itself.
type registry struct {
	registered bool
	plugin     Plugin
	err        error // a registration mistake, reported by describe

	initialised bool
	initErr     error
	settings    map[string]string
}

var reg registry

// describe answers gonyx_describe.
func describe() ([]byte, error) {
	if err := reg.ready(); err != nil {
		return nil, err
	}
	var out []byte
	err := guard("describe", func() error {
		var err error
		out, err = json.Marshal(reg.plugin.description())
		return err
	})
	return out, err
}

func (r *registry) ready() error {
	if !r.registered {
		return errors.New("no plugin registered: call sdk.Register from an init function of package main")
	}
	return r.err
}

// initialise answers gonyx_init: config is a JSON object of strings.
func initialise(config []byte) error {
	reg.initialised, reg.initErr = true, nil
	reg.initErr = initPlugin(config)
	return reg.initErr
}

func initPlugin(config []byte) error {
	if err := reg.ready(); err != nil {
		return err
	}
	settings := map[string]string{}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &settings); err != nil {
			return fmt.Errorf("configuration is not a JSON object of strings: %v", err)
		}
	}
	if schema := reg.plugin.Config; schema != nil {
		for k := range settings {
			if _, ok := schema[k]; !ok {
				return fmt.Errorf("unknown config key %q (this plugin knows: %s)", k, knownKeys(schema))
			}
		}
	}
	reg.settings = settings
	if reg.plugin.Init == nil {
		return nil
	}
	return guard("Init", func() error { return reg.plugin.Init(Config{values: settings}) })
}

func knownKeys(schema map[string]string) string {
	if len(schema) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(schema))
	for k := range schema {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// process answers gonyx_process: a message in, a message out.
func process(buf []byte) ([]byte, error) {
	if err := reg.ready(); err != nil {
		return nil, err
	}
	if !reg.initialised {
		return nil, errors.New("gonyx_process called before gonyx_init")
	}
	if reg.initErr != nil {
		return nil, fmt.Errorf("plugin failed to initialise: %v", reg.initErr)
	}
	in, err := abi.Decode(buf)
	if err != nil {
		return nil, fmt.Errorf("bad input message: %v", err)
	}
	reply.start()
	var out Output
	if err := guard("Process", func() error {
		var err error
		out, err = reg.plugin.Process(Input{msg: in})
		return err
	}); err != nil {
		return nil, err
	}
	msg, err := out.Message()
	if err != nil {
		return nil, err
	}
	if err := checkNames(msg, out.attached); err != nil {
		return nil, err
	}
	return reply.finish(msg)
}

// guard runs f, turning a panic into an error: a trap would cost the host
// the whole instance, an error costs only this call. The stack goes to the
// log, not into the error, which reaches API clients.
func guard(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			Log(Error, fmt.Sprintf("panic in %s: %v\n%s", what, r, debug.Stack()))
			err = fmt.Errorf("panic in %s: %v", what, r)
		}
	}()
	return f()
}
