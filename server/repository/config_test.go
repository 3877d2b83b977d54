package repository

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/demo"
)

func TestParseConfigAllFields(t *testing.T) {
	data := `
name: resnet
version_policy:
  specific: [1, 3]
max_batch_size: 16
dynamic_batching:
  max_queue_delay: 2ms
  preferred_batch_sizes: [4, 8]
  max_queue_size: 100
  default_timeout: 1.5s
warmup: 3
threads: 4
response_cache:
  enabled: true
  max_entries: 500
  max_bytes: 1048576
pre:
  - plugin: image_decode
    config: {size: 224, mode: rgb}
    trusted: true
    timeout: 50ms
post:
  - plugin: top_k
parameters:
  threshold: 0.5
  label: cat
`
	got, err := ParseConfig([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := ModelConfig{
		Name:          "resnet",
		VersionPolicy: VersionPolicy{Specific: []int64{1, 3}},
		MaxBatchSize:  16,
		Batching: BatchingConfig{
			MaxQueueDelay:       Duration(2 * time.Millisecond),
			PreferredBatchSizes: []int{4, 8},
			MaxQueueSize:        100,
			DefaultTimeout:      Duration(1500 * time.Millisecond),
		},
		Warmup:  3,
		Threads: 4,
		Cache:   CacheConfig{Enabled: true, MaxEntries: 500, MaxBytes: 1 << 20},
		Pre: []PluginRef{{Plugin: "image_decode", Config: map[string]string{"size": "224", "mode": "rgb"},
			Trusted: true, Timeout: Duration(50 * time.Millisecond)}},
		Post:       []PluginRef{{Plugin: "top_k"}},
		Parameters: map[string]string{"threshold": "0.5", "label": "cat"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseConfigEmpty(t *testing.T) {
	for _, data := range []string{"", "\n", "# only a comment\n", "---\n"} {
		got, err := ParseConfig([]byte(data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !reflect.DeepEqual(got, ModelConfig{}) {
			t.Fatalf("%q: got %+v, want the zero config", data, got)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"unknown field", "max_batch: 4\n", "field max_batch not found"},
		{"unknown nested field", "dynamic_batching:\n  delay: 2ms\n", "field delay not found"},
		{"two policies", "version_policy: {latest: 2, all: true}\n", "exactly one of latest, all, specific"},
		{"negative latest", "version_policy: {latest: -1}\n", "latest must be at least 1, got -1"},
		{"specific zero", "version_policy: {specific: [0]}\n", "versions are numbers from 1, got 0"},
		{"integer duration", "dynamic_batching:\n  max_queue_delay: 5\n", `expected a duration string such as "2ms" or "1s", got int "5"`},
		{"duration list", "dynamic_batching:\n  max_queue_delay: [1]\n", "got a list"},
		{"bad duration", "dynamic_batching:\n  max_queue_delay: soon\n", `got "soon"`},
		{"negative duration", "dynamic_batching:\n  default_timeout: -1s\n", `"-1s" is negative`},
		{"wrong type", "max_batch_size: lots\n", "cannot unmarshal !!str `lots` into int"},
		{"negative batch", "max_batch_size: -2\n", "max_batch_size must not be negative, got -2"},
		{"negative cache bytes", "response_cache: {max_bytes: -1}\n", "response_cache.max_bytes must not be negative"},
		{"zero preferred size", "dynamic_batching: {preferred_batch_sizes: [0]}\n", "preferred_batch_sizes must be at least 1, got 0"},
		{"plugin without name", "pre:\n  - config: {a: b}\n", "pre[0]: plugin name is missing"},
		{"two documents", "warmup: 1\n---\nwarmup: 2\n", "one YAML document"},
		{"not a mapping", "- a\n- b\n", "cannot unmarshal !!seq"},
		{"bad yaml", "max_batch_size: [1\n", "did not find expected"},
		{"too large", "# " + strings.Repeat("x", maxConfigSize) + "\n", "more than the 1048576 allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.data))
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q spans lines", err)
			}
		})
	}
}

func TestDurationMarshalRoundTrip(t *testing.T) {
	v, err := Duration(2 * time.Millisecond).MarshalYAML()
	if err != nil || v != "2ms" {
		t.Fatalf("MarshalYAML = %v, %v; want 2ms", v, err)
	}
}

func TestApplyDefaults(t *testing.T) {
	defaults := ModelConfig{
		VersionPolicy: VersionPolicy{Latest: 2},
		MaxBatchSize:  8,
		Warmup:        3,
		Threads:       2,
		Batching:      BatchingConfig{MaxQueueDelay: Duration(time.Millisecond), MaxQueueSize: 64},
		Cache:         CacheConfig{Enabled: true, MaxEntries: 100},
		Parameters:    map[string]string{"k": "v"},
	}
	t.Run("nothing written", func(t *testing.T) {
		got := applyDefaults(ModelConfig{}, keySet{}, defaults)
		want := defaults
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("written fields win, also when zero", func(t *testing.T) {
		data := []byte("warmup: 0\nmax_batch_size: 4\nresponse_cache: {enabled: false}\ndynamic_batching: {max_queue_delay: 5ms}\n")
		cfg, err := ParseConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		got := applyDefaults(cfg, presentKeys(data), defaults)
		want := ModelConfig{
			VersionPolicy: VersionPolicy{Latest: 2},
			MaxBatchSize:  4,
			Warmup:        0,
			Threads:       2,
			Batching:      BatchingConfig{MaxQueueDelay: Duration(5 * time.Millisecond), MaxQueueSize: 64},
			Cache:         CacheConfig{Enabled: false, MaxEntries: 100},
			Parameters:    map[string]string{"k": "v"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("built-in defaults", func(t *testing.T) {
		got := applyDefaults(ModelConfig{}, keySet{}, ModelConfig{})
		if got.VersionPolicy.Latest != 1 || got.Batching.MaxQueueSize != DefaultMaxQueueSize {
			t.Fatalf("policy %v, queue %d; want latest 1 and a queue of 1024", got.VersionPolicy, got.Batching.MaxQueueSize)
		}
	})
	t.Run("defaults are copied, not shared", func(t *testing.T) {
		got := applyDefaults(ModelConfig{}, keySet{}, defaults)
		got.Parameters["k"] = "changed"
		if defaults.Parameters["k"] != "v" {
			t.Fatal("changing a model's parameters changed the defaults")
		}
	})
}

func TestEffectiveConfigChecks(t *testing.T) {
	src := &source{}
	cases := []struct{ data, want string }{
		{"name: other\n", `name "other" does not match the model folder "m"`},
		{"dynamic_batching: {preferred_batch_sizes: [4]}\n", "needs max_batch_size > 0"},
		{"max_batch_size: 4\ndynamic_batching: {preferred_batch_sizes: [2, 8]}\n", "8 is larger than max_batch_size 4"},
	}
	for _, c := range cases {
		_, err := src.effectiveConfig("m", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.data, err, c.want)
		}
	}
	cfg, err := src.effectiveConfig("m", []byte("name: m\nmax_batch_size: 4\n"))
	if err != nil || cfg.Name != "m" || cfg.MaxBatchSize != 4 {
		t.Fatalf("got %+v, %v", cfg, err)
	}
	cfg, err = src.effectiveConfig("m", nil)
	if err != nil || cfg.Name != "m" || cfg.VersionPolicy.Latest != 1 {
		t.Fatalf("no config.yaml: got %+v, %v; want name m, latest 1", cfg, err)
	}
}

// The embedded demo repository's config must stay valid.
func TestDemoConfigParses(t *testing.T) {
	cfg, err := (&source{}).effectiveConfig("mlp", []byte(demo.Config))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBatchSize != 32 || cfg.Batching.MaxQueueDelay != Duration(2*time.Millisecond) || cfg.Warmup != 2 {
		t.Fatalf("demo config %+v", cfg)
	}
}
