package plugins

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Config describes one plugin to load.
type Config struct {
	Name           string            // for errors, logs and metrics (default: the file's base name without .wasm)
	Path           string            // the .wasm file, or:
	Wasm           []byte            // its bytes (embedded plugins)
	Settings       map[string]string // passed to gonyx_init as a JSON object, and served by the `config` host function
	Trusted        bool              // no termination checks: faster loops, but a looping guest cannot be stopped
	Timeout        time.Duration     // per call (default 2s)
	MemoryLimitMiB int               // default 256
	MaxOutputBytes int               // default 64 MiB
	Instances      int               // pool size (default GOMAXPROCS); instances are not goroutine-safe
}

const (
	defaultTimeout     = 2 * time.Second
	defaultMemoryMiB   = 256
	defaultMaxOutput   = 64 << 20
	maxMemoryMiB       = 4096    // wasm32 addresses 4 GiB at most
	maxInstances       = 1024    // a typo such as 100000 must not reserve 100000 memories
	maxWasmFileBytes   = 1 << 30 // reading a bigger "plugin" is certainly a mistake
	wasmPageBytes      = 64 << 10
	pagesPerMiB        = (1 << 20) / wasmPageBytes
	embeddedPluginName = "embedded"
)

// withDefaults validates cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Name == "" {
		cfg.Name = strings.TrimSuffix(filepath.Base(cfg.Path), ".wasm")
		if cfg.Path == "" {
			cfg.Name = embeddedPluginName
		}
	}
	switch {
	case cfg.Path == "" && cfg.Wasm == nil:
		return cfg, errors.New("neither Path nor Wasm is set")
	case cfg.Path != "" && cfg.Wasm != nil:
		return cfg, errors.New("both Path and Wasm are set")
	case cfg.Timeout < 0:
		return cfg, fmt.Errorf("negative Timeout %v", cfg.Timeout)
	case cfg.MemoryLimitMiB < 0 || cfg.MemoryLimitMiB > maxMemoryMiB:
		return cfg, fmt.Errorf("MemoryLimitMiB %d is outside 1..%d", cfg.MemoryLimitMiB, maxMemoryMiB)
	case cfg.MaxOutputBytes < 0:
		return cfg, fmt.Errorf("negative MaxOutputBytes %d", cfg.MaxOutputBytes)
	case cfg.Instances < 0 || cfg.Instances > maxInstances:
		return cfg, fmt.Errorf("Instances %d is outside 1..%d", cfg.Instances, maxInstances)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MemoryLimitMiB == 0 {
		cfg.MemoryLimitMiB = defaultMemoryMiB
	}
	if cfg.MaxOutputBytes == 0 {
		cfg.MaxOutputBytes = defaultMaxOutput
	}
	if cfg.Instances == 0 {
		cfg.Instances = min(runtime.GOMAXPROCS(0), maxInstances)
	}
	return cfg, nil
}

// wasmBytes returns the module's bytes, reading Path if needed.
func (cfg Config) wasmBytes() ([]byte, error) {
	if cfg.Wasm != nil {
		return cfg.Wasm, nil
	}
	f, err := os.Open(cfg.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxWasmFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxWasmFileBytes {
		return nil, fmt.Errorf("%s is larger than the %d bytes a plugin may have", cfg.Path, maxWasmFileBytes)
	}
	return b, nil
}

// memoryLimitBytes is the guest memory cap in bytes.
func (cfg Config) memoryLimitBytes() int { return cfg.MemoryLimitMiB << 20 }
