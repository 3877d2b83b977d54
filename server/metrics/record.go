package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The recording methods use the error-returning GetMetricWithLabelValues:
// with sanitised label values it cannot fail, and if it ever did a lost
// sample is better than a panic in the request path.

// Request records one answered inference request. code is the HTTP status
// number for REST and predict ("200", "429") and the gRPC code name ("OK",
// "RESOURCE_EXHAUSTED") for gRPC.
func (m *Metrics) Request(model, version, variant, protocol, code string, d time.Duration) {
	if m == nil {
		return
	}
	if c, err := m.requests.GetMetricWithLabelValues(labels(model, version, variant, protocol, code)...); err == nil {
		c.Inc()
	}
	if h, err := m.requestDuration.GetMetricWithLabelValues(labels(model, version, variant, protocol)...); err == nil {
		h.Observe(seconds(d))
	}
}

// Batch records one engine run of rows rows: one queue observation per
// request in the batch (queued holds each request's wait) and one compute
// observation for the run.
func (m *Metrics) Batch(model, version string, rows int, queued []time.Duration, compute time.Duration) {
	if m == nil {
		return
	}
	lv := labels(model, version)
	if h, err := m.batchSize.GetMetricWithLabelValues(lv...); err == nil {
		h.Observe(float64(rows))
	}
	if h, err := m.queueDuration.GetMetricWithLabelValues(lv...); err == nil {
		for _, q := range queued {
			h.Observe(seconds(q))
		}
	}
	if h, err := m.computeDuration.GetMetricWithLabelValues(lv...); err == nil {
		h.Observe(seconds(compute))
	}
}

// QueueDepth sets the number of requests waiting for a model version.
func (m *Metrics) QueueDepth(model, version string, n int) {
	if m == nil {
		return
	}
	if g, err := m.queueDepth.GetMetricWithLabelValues(labels(model, version)...); err == nil {
		g.Set(float64(n))
	}
}

// ForgetVersion deletes every series of an unloaded model version, so a
// server that cycles through versions does not keep exporting dead ones.
// Per-model series (loads, cache) stay: the model itself may still exist.
func (m *Metrics) ForgetVersion(model, version string) {
	if m == nil {
		return
	}
	match := prometheus.Labels{"model": label(model), "version": label(version)}
	m.requests.DeletePartialMatch(match)
	m.requestDuration.DeletePartialMatch(match)
	m.batchSize.DeletePartialMatch(match)
	m.queueDuration.DeletePartialMatch(match)
	m.computeDuration.DeletePartialMatch(match)
	m.queueDepth.DeletePartialMatch(match)
}

// ModelsLoaded sets the number of loaded, ready model versions.
func (m *Metrics) ModelsLoaded(n int) {
	if m == nil {
		return
	}
	m.modelsLoaded.Set(float64(n))
}

// ModelLoad records one load of a model version that took d; a non-nil err
// counts a failure. version is accepted for symmetry with the other calls
// but not used as a label: load history is per model.
func (m *Metrics) ModelLoad(model, version string, d time.Duration, err error) {
	if m == nil {
		return
	}
	lv := label(model)
	if h, e := m.loadDuration.GetMetricWithLabelValues(lv); e == nil {
		h.Observe(seconds(d))
	}
	if err != nil {
		if c, e := m.loadFailures.GetMetricWithLabelValues(lv); e == nil {
			c.Inc()
		}
	}
}

// Cache records one response-cache lookup.
func (m *Metrics) Cache(model string, hit bool) {
	if m == nil {
		return
	}
	vec := m.cacheMisses
	if hit {
		vec = m.cacheHits
	}
	if c, err := vec.GetMetricWithLabelValues(label(model)); err == nil {
		c.Inc()
	}
}

// Shadow records one mirrored request; outcome is "ok", "error" or
// "timeout", or "dropped" when the copy was never sent (shadow capacity
// full) — that one is counted but has no duration to observe.
func (m *Metrics) Shadow(endpoint, variant, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	if c, err := m.shadowRequests.GetMetricWithLabelValues(labels(endpoint, variant, outcome)...); err == nil {
		c.Inc()
	}
	if outcome == "dropped" {
		return
	}
	if h, err := m.shadowDuration.GetMetricWithLabelValues(labels(endpoint, variant)...); err == nil {
		h.Observe(seconds(d))
	}
}

// Plugin records one plugin call that took d; a non-nil err counts an error.
func (m *Metrics) Plugin(plugin string, d time.Duration, err error) {
	if m == nil {
		return
	}
	lv := label(plugin)
	if h, e := m.pluginDuration.GetMetricWithLabelValues(lv); e == nil {
		h.Observe(seconds(d))
	}
	if err != nil {
		if c, e := m.pluginErrors.GetMetricWithLabelValues(lv); e == nil {
			c.Inc()
		}
	}
}

// RateLimited counts a request refused by the rate limit. key is the API key
// name (never the secret); the security package passes "anonymous" when
// limits are per client address, so addresses never become series.
func (m *Metrics) RateLimited(key string) {
	if m == nil {
		return
	}
	if c, err := m.rateLimited.GetMetricWithLabelValues(label(key)); err == nil {
		c.Inc()
	}
}

// AuthFailures counts a request refused for a missing or invalid API key.
func (m *Metrics) AuthFailures() {
	if m == nil {
		return
	}
	m.authFailures.Inc()
}
