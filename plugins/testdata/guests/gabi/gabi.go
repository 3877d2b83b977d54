// Package gabi is the ABI v1 plumbing of the test guests, written by hand
// (the real SDK is plugins/sdk): buffer ownership and packed results.
// Importing it adds the exports gonyx_abi_version, gonyx_alloc, gonyx_free.
package gabi

import "unsafe"

// live keeps every buffer handed to the host reachable until it frees it:
// the Go GC does not know the host holds the pointer.
var live = map[uint32][]byte{}

//go:wasmexport gonyx_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport gonyx_alloc
func alloc(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	p := uint32(uintptr(unsafe.Pointer(&b[0])))
	live[p] = b
	return p
}

//go:wasmexport gonyx_free
func free(ptr, size uint32) { delete(live, ptr) }

// Bytes views n bytes at ptr (a buffer the host filled).
func Bytes(ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), n)
}

// Ptr is the address of b's first byte.
func Ptr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

// Result hands b to the host as a packed result.
func Result(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	p := Ptr(b)
	live[p] = b
	return uint64(p)<<32 | uint64(len(b))
}

// Error is a packed error result carrying msg.
func Error(msg string) uint64 { return Result([]byte(msg)) | 1<<63 }

// Take copies out what a host function returned (packed) and frees it.
func Take(packed uint64) (data []byte, isErr bool) {
	p, n := uint32(packed>>32)&0x7fffffff, uint32(packed)
	data = append([]byte(nil), Bytes(p, n)...)
	if p != 0 {
		free(p, n)
	}
	return data, packed>>63 == 1
}
