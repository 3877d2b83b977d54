// Echo returns its input message unchanged.
package main

import "github.com/gonyx/gonyx/plugins/testdata/guests/gabi"

const description = `{"name":"echo","version":"1.2.3","kind":"pre",
"inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],
"outputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],
"config":{"greeting":"ignored"}}`

//go:wasmexport gonyx_describe
func describe() uint64 { return gabi.Result([]byte(description)) }

//go:wasmexport gonyx_init
func initialize(ptr, n uint32) uint64 { return 0 }

//go:wasmexport gonyx_process
func process(ptr, n uint32) uint64 {
	return gabi.Result(append([]byte(nil), gabi.Bytes(ptr, n)...))
}

func main() {}
