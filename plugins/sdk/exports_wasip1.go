//go:build wasip1

package sdk

import "github.com/gonyx/gonyx/plugins/abi"

// The guest side of ABI v1 (docs/PLUGINS.md). The host calls these
// serially on one instance.

//go:wasmexport gonyx_abi_version
func exportABIVersion() int32 { return abi.Version }

//go:wasmexport gonyx_alloc
func exportAlloc(size int32) uint32 {
	if size < 0 || size > maxAlloc {
		return 0
	}
	return hostBuffers.alloc(int(size))
}

//go:wasmexport gonyx_free
func exportFree(ptr, size uint32) { hostBuffers.free(ptr) }

//go:wasmexport gonyx_describe
func exportDescribe() uint64 { return result(describe()) }

//go:wasmexport gonyx_init
func exportInit(ptr, n uint32) uint64 {
	config, err := borrow(ptr, n)
	if err == nil {
		err = initialise(config)
	}
	return result(nil, err)
}

//go:wasmexport gonyx_process
func exportProcess(ptr, n uint32) uint64 {
	in, err := borrow(ptr, n)
	if err != nil {
		return result(nil, err)
	}
	return result(process(in))
}
