package plugins

import (
	"encoding/binary"

	"github.com/gonyx/gonyx/plugins/abi"
)

// A tiny WebAssembly assembler for modules written by hand in tests: no
// toolchain, instant to compile, and any malformation we want.

const (
	tI32 = 0x7f
	tI64 = 0x7e
)

type wasmImport struct {
	module, name    string
	memory          bool // a memory import instead of a function
	params, results []byte
}

type wasmFunc struct {
	export          string
	params, results []byte
	body            []byte // instructions, without the final end
}

func uleb(v uint64) []byte { return binary.AppendUvarint(nil, v) }

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wasmName(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func wasmVec(items [][]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(id byte, content []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(content)))...), content...)
}

// wasmModule assembles a module with one memory page (exported as
// "memory"; imported instead if an import says so), the given imports,
// functions and active data segments.
func wasmModule(imports []wasmImport, funcs []wasmFunc, data map[uint32][]byte) []byte {
	var types, imps, fidx, exps, codes, datas [][]byte
	functype := func(params, results []byte) uint64 {
		types = append(types, append(append([]byte{0x60}, append(uleb(uint64(len(params))), params...)...),
			append(uleb(uint64(len(results))), results...)...))
		return uint64(len(types) - 1)
	}
	nImportedFuncs, ownMemory := 0, true
	for _, im := range imports {
		e := append(wasmName(im.module), wasmName(im.name)...)
		if im.memory {
			e = append(e, 0x02, 0x00, 0x01) // memory, limits min 1
			ownMemory = false
		} else {
			e = append(append(e, 0x00), uleb(functype(im.params, im.results))...)
			nImportedFuncs++
		}
		imps = append(imps, e)
	}
	for i, f := range funcs {
		fidx = append(fidx, uleb(functype(f.params, f.results)))
		if f.export != "" {
			exps = append(exps, append(append(wasmName(f.export), 0x00), uleb(uint64(nImportedFuncs+i))...))
		}
		body := append([]byte{0x00}, f.body...) // no locals
		body = append(body, 0x0b)
		codes = append(codes, append(uleb(uint64(len(body))), body...))
	}
	exps = append(exps, append(wasmName("memory"), 0x02, 0x00))
	for off, d := range data {
		seg := append([]byte{0x00, 0x41}, sleb(int64(off))...)
		seg = append(seg, 0x0b)
		seg = append(append(seg, uleb(uint64(len(d)))...), d...)
		datas = append(datas, seg)
	}
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, section(1, wasmVec(types))...)
	if len(imps) > 0 {
		m = append(m, section(2, wasmVec(imps))...)
	}
	m = append(m, section(3, wasmVec(fidx))...)
	if ownMemory {
		m = append(m, section(5, []byte{0x01, 0x00, 0x01})...) // one memory, min 1 page
	}
	m = append(m, section(7, wasmVec(exps))...)
	m = append(m, section(10, wasmVec(codes))...)
	if len(datas) > 0 {
		m = append(m, section(11, wasmVec(datas))...)
	}
	return m
}

// Instructions.
func i32Const(v int32) []byte  { return append([]byte{0x41}, sleb(int64(v))...) }
func i64Const(v uint64) []byte { return append([]byte{0x42}, sleb(int64(v))...) }

// echoProcessBody returns its input buffer as output: ptr<<32 | len.
var echoProcessBody = []byte{
	0x20, 0x00, 0xad, // local.get 0, i64.extend_i32_u
	0x42, 0x20, 0x86, // i64.const 32, i64.shl
	0x20, 0x01, 0xad, // local.get 1, i64.extend_i32_u
	0x84, // i64.or
}

const handDescAt, handAllocAt = 256, 1024

const handDesc = `{"name":"hand","version":"0","kind":"post","inputs":[],"outputs":[]}`

// handFuncs are a complete ABI v1 plugin in a few dozen bytes:
// gonyx_alloc always answers 1024 (one buffer at a time is all the host
// needs), gonyx_process echoes its input. Without imports, the functions'
// indices are 0..5 in this order.
func handFuncs(version int32, desc string) []wasmFunc {
	return []wasmFunc{
		{export: abi.ExportABIVersion, results: []byte{tI32}, body: i32Const(version)},
		{export: abi.ExportAlloc, params: []byte{tI32}, results: []byte{tI32}, body: i32Const(handAllocAt)},
		{export: abi.ExportFree, params: []byte{tI32, tI32}},
		{export: abi.ExportDescribe, results: []byte{tI64}, body: i64Const(abi.Pack(handDescAt, uint32(len(desc)), false))},
		{export: abi.ExportInit, params: []byte{tI32, tI32}, results: []byte{tI64}, body: i64Const(0)},
		{export: abi.ExportProcess, params: []byte{tI32, tI32}, results: []byte{tI64}, body: echoProcessBody},
	}
}

// handPlugin assembles handFuncs after edit (if any) changed them.
func handPlugin(version int32, desc string, edit func(name string, f *wasmFunc), imports ...wasmImport) []byte {
	funcs := handFuncs(version, desc)
	if edit != nil {
		for i := range funcs {
			edit(funcs[i].export, &funcs[i])
		}
	}
	return wasmModule(imports, funcs, map[uint32][]byte{handDescAt: []byte(desc)})
}

// fanoutPlugin is handPlugin whose gonyx_process first makes 2^(len-8)
// calls of a function without a loop — where wazero never checks the
// deadline — then echoes. An empty message (8 bytes) returns at once.
func fanoutPlugin() []byte {
	const f = 6 // the function after handFuncs
	funcs := handFuncs(1, handDesc)
	recurse := []byte{
		0x20, 0x00, 0x04, 0x40, // local.get 0, if
		0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, f, // f(n-1)
		0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, f, // f(n-1)
		0x0b, // end
	}
	funcs = append(funcs, wasmFunc{params: []byte{tI32}, body: recurse})
	funcs[5].body = append([]byte{0x20, 0x01, 0x41, 0x08, 0x6b, 0x10, f}, echoProcessBody...) // f(len-8)
	return wasmModule(nil, funcs, map[uint32][]byte{handDescAt: []byte(handDesc)})
}

// fanoutInput is a message of 8+depth bytes (depth ≥ 14).
func fanoutInput(depth int) abi.Message {
	return abi.Message{{Name: "", Bytes: make([]byte, depth-13)}} // 8 + 4+0+1+8 + data
}
