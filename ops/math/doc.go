// Package math holds elementwise kernels: arithmetic, comparison, logic,
// bitwise, activations, Cast and Where.
package math
