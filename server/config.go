package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gonyx/gonyx/server/repository"
	"github.com/gonyx/gonyx/server/router"
)

// Config is everything `gonyx serve` can be told, as the YAML file given with
// --config spells it. Flags and GONYX_* environment variables override the
// file (cmd/gonyx binds them); Default gives the values used for anything
// left unset.
type Config struct {
	// Listeners. GRPC "off" disables gRPC; Metrics "" serves /metrics on HTTP.
	HTTP    string `yaml:"http"`
	GRPC    string `yaml:"grpc"`
	Metrics string `yaml:"metrics"`

	// Models: a repository folder and/or single files (name → path). With
	// neither, the embedded demo repository is served.
	Repo   string            `yaml:"repo"`
	Models map[string]string `yaml:"models"`
	// ModelControl is none, poll or explicit (default: poll when Repo is
	// set, none otherwise). LoadModels names the models explicit mode loads
	// at start ("*" for all).
	ModelControl string              `yaml:"model_control"`
	PollInterval repository.Duration `yaml:"poll_interval"`
	LoadModels   []string            `yaml:"load_models"`
	// ModelDefaults applies to models whose config.yaml leaves a field out.
	ModelDefaults repository.ModelConfig `yaml:"model_defaults"`
	// Threads is the engine's intra-op threads per model (0 = GOMAXPROCS).
	Threads int `yaml:"threads"`
	// DefaultModel serves POST /predict (default: the only model, or "mlp"
	// in the demo).
	DefaultModel string `yaml:"default_model"`

	// PluginCacheDir keeps compiled WebAssembly plugins between starts
	// (compiling a Go plugin takes seconds, loading it from the cache
	// milliseconds); "" keeps them in memory only.
	PluginCacheDir string `yaml:"plugin_cache_dir"`

	// Endpoints are router endpoints (A/B, canary, shadow). They are re-read
	// from the config file when it changes or on SIGHUP.
	Endpoints []router.Endpoint `yaml:"endpoints"`
	// RoutingHeader carries the sticky routing key (default X-User-ID).
	RoutingHeader string `yaml:"routing_header"`

	Auth   AuthConfig   `yaml:"auth"`
	TLS    TLSConfig    `yaml:"tls"`
	Limits LimitsConfig `yaml:"limits"`
	CORS   CORSConfig   `yaml:"cors"`

	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM.
	ShutdownTimeout repository.Duration `yaml:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error; LogFormat json or text.
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`
	// AccessLog logs one line per HTTP request.
	AccessLog bool `yaml:"access_log"`
}

// AuthConfig turns API keys and rate limits on.
type AuthConfig struct {
	// KeysFile holds "<name> <secret>" lines; empty = auth off (a warning is
	// logged at start). The file is re-read when it changes.
	KeysFile       string  `yaml:"keys_file"`
	ProtectHealth  bool    `yaml:"protect_health"`
	ProtectMetrics bool    `yaml:"protect_metrics"`
	RatePerSecond  float64 `yaml:"rate_per_second"` // per key (per client IP when auth is off); 0 = unlimited
	Burst          int     `yaml:"burst"`
}

// TLSConfig serves HTTP and gRPC over TLS when both files are given. The pair
// is re-read when the files change.
type TLSConfig struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// LimitsConfig bounds what one request may cost.
type LimitsConfig struct {
	MaxRequestBytes int64               `yaml:"max_request_bytes"` // → 413
	MaxJSONDepth    int                 `yaml:"max_json_depth"`
	MaxElements     int                 `yaml:"max_elements"` // tensor elements per request
	ReadTimeout     repository.Duration `yaml:"read_timeout"`
	WriteTimeout    repository.Duration `yaml:"write_timeout"`
	IdleTimeout     repository.Duration `yaml:"idle_timeout"`
}

// CORSConfig lets browser clients on other origins call the API.
type CORSConfig struct {
	AllowedOrigins []string            `yaml:"allowed_origins"`
	AllowedHeaders []string            `yaml:"allowed_headers"`
	MaxAge         repository.Duration `yaml:"max_age"`
}

// Default is the configuration of a bare `gonyx serve`.
func Default() Config {
	return Config{
		HTTP:          ":8000",
		GRPC:          ":8001",
		PollInterval:  repository.Duration(5 * time.Second),
		RoutingHeader: "X-User-ID",
		Limits: LimitsConfig{
			MaxRequestBytes: 64 << 20,
			MaxJSONDepth:    64,
			MaxElements:     1 << 26,
			ReadTimeout:     repository.Duration(60 * time.Second),
			WriteTimeout:    repository.Duration(60 * time.Second),
			IdleTimeout:     repository.Duration(120 * time.Second),
		},
		ShutdownTimeout: repository.Duration(30 * time.Second),
		LogLevel:        "info",
		LogFormat:       "json",
		AccessLog:       true,
		ModelDefaults: repository.ModelConfig{
			Warmup: 1,
		},
		PluginCacheDir: defaultPluginCache(),
	}
}

// defaultPluginCache is $XDG_CACHE_HOME/gonyx/wasm (~/.cache/gonyx/wasm).
func defaultPluginCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "gonyx", "wasm")
}

// ParseConfig reads a YAML configuration over Default. Unknown keys are
// errors: a misspelt option must not be silently ignored.
func ParseConfig(data []byte) (Config, error) {
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty document decodes as io.EOF: that is an empty configuration.
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, cfg.Validate()
}

// LoadConfig reads ParseConfig from a file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Default(), fmt.Errorf("config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks values that would otherwise fail later, less clearly.
func (c *Config) Validate() error {
	var errs []string
	switch c.ModelControl {
	case "", "none", "poll", "explicit":
	default:
		errs = append(errs, fmt.Sprintf("model_control %q: want none, poll or explicit", c.ModelControl))
	}
	if c.HTTP == "" {
		errs = append(errs, "http address is empty")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, "tls needs both cert and key")
	}
	if c.Limits.MaxRequestBytes <= 0 {
		errs = append(errs, "limits.max_request_bytes must be > 0")
	}
	if c.Threads < 0 {
		errs = append(errs, "threads must be ≥ 0")
	}
	if c.Auth.RatePerSecond < 0 || c.Auth.Burst < 0 {
		errs = append(errs, "auth rate and burst must be ≥ 0")
	}
	if c.Auth.RatePerSecond > 0 && c.Auth.Burst == 0 {
		c.Auth.Burst = max(1, int(c.Auth.RatePerSecond))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Sprintf("log_format %q: want json or text", c.LogFormat))
	}
	for name, path := range c.Models {
		if name == "" || path == "" {
			errs = append(errs, fmt.Sprintf("model %q=%q: want NAME=PATH", name, path))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// mode is the repository control mode the configuration asks for.
func (c *Config) mode() repository.Mode {
	switch c.ModelControl {
	case "poll":
		return repository.ModePoll
	case "explicit":
		return repository.ModeExplicit
	case "none":
		return repository.ModeNone
	}
	if c.Repo != "" {
		return repository.ModePoll
	}
	return repository.ModeNone
}
