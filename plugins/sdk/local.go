package sdk

import (
	"encoding/json"
	"sync"

	"github.com/gonyx/gonyx/plugins/abi"
)

// localMu serialises RunLocal: the registry is global, as in a wasm
// instance, which runs one call at a time.
var localMu sync.Mutex

// RunLocal runs the registered plugin as the host would — describe, init
// with settings, process in — without WebAssembly, and returns its output.
// It is for a plugin's native tests.
func RunLocal(settings map[string]string, in abi.Message) (abi.Message, error) {
	localMu.Lock()
	defer localMu.Unlock()
	if _, err := describe(); err != nil {
		return nil, err
	}
	config, err := json.Marshal(settings)
	if err != nil {
		return nil, err
	}
	if err := initialise(config); err != nil {
		return nil, err
	}
	buf, err := abi.Encode(in)
	if err != nil {
		return nil, err
	}
	out, err := process(buf)
	if err != nil {
		return nil, err
	}
	return abi.Decode(out)
}
