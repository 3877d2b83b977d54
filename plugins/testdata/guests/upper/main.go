// Upper upper-cases every bytes entry of its input; tensors pass through.
package main

import (
	"bytes"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/testdata/guests/gabi"
)

//go:wasmexport gonyx_describe
func describe() uint64 {
	return gabi.Result([]byte(`{"name":"upper","version":"0.1","kind":"post","inputs":[],"outputs":[]}`))
}

//go:wasmexport gonyx_init
func initialize(ptr, n uint32) uint64 { return 0 }

//go:wasmexport gonyx_process
func process(ptr, n uint32) uint64 {
	m, err := abi.Decode(gabi.Bytes(ptr, n))
	if err != nil {
		return gabi.Error(err.Error())
	}
	for i := range m {
		if m[i].Tensor == nil {
			m[i].Bytes = bytes.ToUpper(m[i].Bytes)
		}
	}
	out, err := abi.Encode(m)
	if err != nil {
		return gabi.Error(err.Error())
	}
	return gabi.Result(out)
}

func main() {}
