// Fail misbehaves on request: it reports errors, refuses its settings,
// loops forever or panics, depending on the entries of its input.
package main

import (
	"bytes"
	"strings"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/testdata/guests/gabi"
)

//go:wasmexport gonyx_describe
func describe() uint64 {
	return gabi.Result([]byte(`{"name":"fail","version":"1","kind":"post","inputs":[],"outputs":[],"config":{"fail_init":"refuse to start"}}`))
}

// gonyx_init refuses settings holding the key fail_init (looked for by
// hand: encoding/json would double this guest's size and compile time).
//
//go:wasmexport gonyx_init
func initialize(ptr, n uint32) uint64 {
	settings := gabi.Bytes(ptr, n)
	if _, v, ok := bytes.Cut(settings, []byte(`"fail_init":"`)); ok {
		v, _, _ = bytes.Cut(v, []byte(`"`))
		return gabi.Error("init refused: " + string(v))
	}
	return 0
}

var sink int

//go:wasmexport gonyx_process
func process(ptr, n uint32) uint64 {
	m, err := abi.Decode(gabi.Bytes(ptr, n))
	if err != nil {
		return gabi.Error(err.Error())
	}
	if _, ok := m.Get("spin"); ok {
		for i := 0; ; i++ {
			sink = i
		}
	}
	if _, ok := m.Get("panic"); ok {
		panic("boom")
	}
	if _, ok := m.Get("nomsg"); ok {
		return 1 << 63
	}
	if _, ok := m.Get("ok"); ok {
		out, _ := abi.Encode(abi.Message{{Name: "ok", Bytes: []byte("fine")}})
		return gabi.Result(out)
	}
	var names []string
	for _, e := range m {
		names = append(names, e.Name)
	}
	return gabi.Error("bad input: " + strings.Join(names, ","))
}

func main() {}
