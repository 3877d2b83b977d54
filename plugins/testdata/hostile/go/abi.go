// Command go is a deliberately misbehaving gonyx plugin written in Go: the bytes entry "mode" of the input
// picks a misbehaviour that only a Go guest has (a panic without recover, the runtime's own out-of-memory
// death, a deadlock, os.Exit…). Without a mode, or with "behave", it echoes its input.
//
// ABI v1 is implemented by hand, without plugins/sdk or plugins/abi, and without fmt: a smaller module
// compiles faster in the tests. This file holds the bookkeeping exports, which behave, and the message
// codec; process.go holds gonyx_process.
package main

import (
	"encoding/binary"
	"unsafe"
)

func main() {} // a reactor: the host calls the exports

// live keeps the buffers handed to the host reachable until it frees them.
var live = map[uint32][]byte{}

//go:wasmexport gonyx_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport gonyx_alloc
func alloc(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	live[p] = b
	return p
}

//go:wasmexport gonyx_free
func free(ptr, size uint32) { delete(live, ptr) }

// pack makes a packed result: bit 63 the error flag, bits 32..62 the pointer, bits 0..31 the length.
func pack(ptr, n uint32, isErr bool) uint64 {
	v := uint64(ptr&0x7fffffff)<<32 | uint64(n)
	if isErr {
		v |= 1 << 63
	}
	return v
}

// hand gives b to the host as a packed result.
func hand(b []byte, isErr bool) uint64 {
	if len(b) == 0 {
		return pack(0, 0, isErr)
	}
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	live[p] = b
	return pack(p, uint32(len(b)), isErr)
}

func fail(msg string) uint64 { return hand([]byte(msg), true) }

// view is the guest memory the host wrote an input into.
func view(ptr, n uint32) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(nil, uintptr(ptr))), n) // wasm32: a pointer is an offset from 0
}

// bytesEntry finds the bytes entry called name in a message ("GNX1", u32 count, entries of u32 name length,
// name, u8 kind, [tensor header], u64 data length, data). Malformed input finds nothing.
func bytesEntry(m []byte, name string) ([]byte, bool) {
	if len(m) < 8 || string(m[:4]) != "GNX1" {
		return nil, false
	}
	count, rest := binary.LittleEndian.Uint32(m[4:]), m[8:]
	ok := true
	take := func(n uint64) []byte {
		if !ok || n > uint64(len(rest)) {
			ok = false
			return nil
		}
		b := rest[:n]
		rest = rest[n:]
		return b
	}
	u32 := func() uint32 {
		if b := take(4); ok {
			return binary.LittleEndian.Uint32(b)
		}
		return 0
	}
	for range count {
		nm := take(uint64(u32()))
		kind := take(1)
		if !ok {
			return nil, false
		}
		if kind[0] == 1 { // a tensor: skip dtype, rank and dimensions
			u32()
			take(8 * uint64(u32()))
		}
		var data []byte
		if h := take(8); ok {
			data = take(binary.LittleEndian.Uint64(h))
		}
		if !ok {
			return nil, false
		}
		if kind[0] == 0 && string(nm) == name {
			return data, true
		}
	}
	return nil, false
}

// message encodes bytes entries, given as name, value pairs.
func message(pairs ...string) []byte {
	b := binary.LittleEndian.AppendUint32([]byte("GNX1"), uint32(len(pairs)/2))
	for i := 0; i+1 < len(pairs); i += 2 {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(pairs[i])))
		b = append(append(b, pairs[i]...), 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(pairs[i+1])))
		b = append(b, pairs[i+1]...)
	}
	return b
}

const description = `{"name":"hostile-go","version":"0.0.1","kind":"pre",` +
	`"inputs":[{"name":"mode","datatype":"BYTES","shape":[-1]}],"outputs":[],"config":{}}`

//go:wasmexport gonyx_describe
func describe() uint64 { return hand([]byte(description), false) }

//go:wasmexport gonyx_init
func initialize(ptr, n uint32) uint64 { return 0 }
