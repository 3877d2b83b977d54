package sdk

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Config is the model's settings for this plugin: a map of strings, as the
// model's config.yaml gives them. The typed getters return the default when
// a key is absent and an error naming the key when a value does not parse.
type Config struct {
	values map[string]string
}

// NewConfig wraps settings, for tests of a plugin's Init.
func NewConfig(settings map[string]string) Config { return Config{values: settings} }

// Lookup returns the value of key and whether it was set.
func (c Config) Lookup(key string) (string, bool) {
	v, ok := c.values[key]
	return v, ok
}

// Keys returns the keys that are set, sorted.
func (c Config) Keys() []string {
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String returns the value of key, or def when it is absent.
func (c Config) String(key, def string) string {
	if v, ok := c.values[key]; ok {
		return v
	}
	return def
}

// Int returns the value of key as an integer, or def when it is absent.
func (c Config) Int(key string, def int) (int, error) {
	v, ok := c.values[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def, fmt.Errorf("config %s: %q is not an integer", key, v)
	}
	return n, nil
}

// Float returns the value of key as a number, or def when it is absent.
func (c Config) Float(key string, def float64) (float64, error) {
	v, ok := c.values[key]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return def, fmt.Errorf("config %s: %q is not a number", key, v)
	}
	return f, nil
}

// Bool returns the value of key as a boolean (true/false, 1/0, yes/no,
// on/off), or def when it is absent.
func (c Config) Bool(key string, def bool) (bool, error) {
	v, ok := c.values[key]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return def, fmt.Errorf("config %s: %q is not a boolean (true or false)", key, v)
}

// Floats returns the value of key as a comma-separated list of numbers
// (e.g. "0.485, 0.456, 0.406"), or def when it is absent.
func (c Config) Floats(key string, def []float64) ([]float64, error) {
	v, ok := c.values[key]
	if !ok {
		return def, nil
	}
	parts := strings.Split(v, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return def, fmt.Errorf("config %s: %q is not a comma-separated list of numbers", key, v)
		}
		out[i] = f
	}
	return out, nil
}
