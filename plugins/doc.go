// Package plugins runs gonyx's preprocessing and postprocessing plugins:
// WebAssembly modules speaking ABI v1 (docs/PLUGINS.md, message codec in
// plugins/abi), sandboxed in wazero.
//
// A Runtime owns the compilation cache; each Plugin loaded from it gets its
// own wazero runtime, because the memory cap and the termination checks are
// runtime-wide settings in wazero. A Plugin keeps a pool of instances (wasm
// instances are single-threaded) and replaces an instance after any failure
// that may have left it in a bad state.
package plugins
