//go:build !(linux || darwin)

package plugins

import "github.com/tetratelabs/wazero/experimental"

func newLinearMemory(capacity, max uint64) experimental.LinearMemory {
	return newSliceMemory(capacity, max)
}
