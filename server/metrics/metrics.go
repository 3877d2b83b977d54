// Package metrics exposes the model server's Prometheus metrics. The server
// records through the methods of Metrics (each safe for concurrent use, and a
// no-op on a nil *Metrics so metrics can be switched off); Handler serves the
// text exposition for /metrics. docs/API.md lists every metric.
package metrics

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// durationBuckets run from 50µs (a cached answer) to 10s (a long queue wait
// or a slow model) in 1-2.5-5 steps, roughly ×2.5 each, so every latency
// class we care about lands in its own bucket.
var durationBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
}

// batchSizeBuckets are powers of two up to the largest batch we expect.
var batchSizeBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128}

// Metrics holds every collector of the server.
type Metrics struct {
	gatherer prometheus.Gatherer // the registry given to New, when it can gather
	err      error

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	batchSize       *prometheus.HistogramVec
	queueDuration   *prometheus.HistogramVec
	computeDuration *prometheus.HistogramVec
	queueDepth      *prometheus.GaugeVec
	modelsLoaded    prometheus.Gauge
	loadDuration    *prometheus.HistogramVec
	loadFailures    *prometheus.CounterVec
	cacheHits       *prometheus.CounterVec
	cacheMisses     *prometheus.CounterVec
	shadowRequests  *prometheus.CounterVec
	shadowDuration  *prometheus.HistogramVec
	pluginDuration  *prometheus.HistogramVec
	pluginErrors    *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	authFailures    prometheus.Counter
}

// New creates the collectors and registers them with reg, together with the
// Go runtime and process collectors (skipped when reg already has them, as
// prometheus.DefaultRegisterer does). A nil reg registers nothing, which
// tests and embedders use to record without exposing. Registering twice with
// the same registry shares the already registered collectors instead of
// failing; any other registration conflict is reported by Err.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{}
	if g, ok := reg.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	versionLabels := []string{"model", "version"}

	m.requests = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_inference_requests_total",
		Help: "Inference requests answered, by model, version, router variant, protocol and status code.",
	}, []string{"model", "version", "variant", "protocol", "code"}))
	m.requestDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_inference_request_duration_seconds",
		Help:    "Time from receiving an inference request to answering it.",
		Buckets: durationBuckets,
	}, []string{"model", "version", "variant", "protocol"}))
	m.batchSize = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_batch_size",
		Help:    "Rows per engine run after dynamic batching.",
		Buckets: batchSizeBuckets,
	}, versionLabels))
	m.queueDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_inference_queue_duration_seconds",
		Help:    "Time a request waited in the batch queue before its batch ran.",
		Buckets: durationBuckets,
	}, versionLabels))
	m.computeDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_inference_compute_duration_seconds",
		Help:    "Engine run time per batch.",
		Buckets: durationBuckets,
	}, versionLabels))
	m.queueDepth = registerVec(m, reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gonyx_queue_depth",
		Help: "Requests waiting in the batch queue.",
	}, versionLabels))
	m.modelsLoaded = registerVec(m, reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gonyx_models_loaded",
		Help: "Model versions loaded and ready.",
	}))
	m.loadDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_model_load_duration_seconds",
		Help:    "Time to load a model version, successful or not.",
		Buckets: durationBuckets,
	}, []string{"model"}))
	m.loadFailures = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_model_load_failures_total",
		Help: "Model version loads that failed.",
	}, []string{"model"}))
	m.cacheHits = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_cache_hits_total",
		Help: "Inference requests answered from the response cache.",
	}, []string{"model"}))
	m.cacheMisses = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_cache_misses_total",
		Help: "Cacheable inference requests not found in the response cache.",
	}, []string{"model"}))
	m.shadowRequests = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_shadow_requests_total",
		Help: "Requests mirrored to shadow variants, by outcome (ok, error, timeout, dropped).",
	}, []string{"endpoint", "variant", "outcome"}))
	m.shadowDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_shadow_request_duration_seconds",
		Help:    "Time a shadow variant took to answer a mirrored request (dropped copies excluded).",
		Buckets: durationBuckets,
	}, []string{"endpoint", "variant"}))
	m.pluginDuration = registerVec(m, reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gonyx_plugin_duration_seconds",
		Help:    "Time spent in a pre/post-processing plugin per call.",
		Buckets: durationBuckets,
	}, []string{"plugin"}))
	m.pluginErrors = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_plugin_errors_total",
		Help: "Plugin calls that returned an error.",
	}, []string{"plugin"}))
	m.rateLimited = registerVec(m, reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gonyx_rate_limited_total",
		Help: "Requests refused by the rate limit, by API key name.",
	}, []string{"key"}))
	m.authFailures = registerVec(m, reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gonyx_auth_failures_total",
		Help: "Requests refused for a missing or invalid API key.",
	}))

	if reg != nil {
		registerOptional(m, reg, collectors.NewGoCollector())
		registerOptional(m, reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Err reports a registration conflict from New (a different metric already
// registered under one of our names); nil when everything registered.
func (m *Metrics) Err() error {
	if m == nil {
		return nil
	}
	return m.err
}

// Handler serves the metrics gathered from g in the Prometheus exposition
// format. A nil g means the registry given to New (when it can gather),
// otherwise prometheus.DefaultGatherer.
func (m *Metrics) Handler(g prometheus.Gatherer) http.Handler {
	if g == nil && m != nil {
		g = m.gatherer
	}
	if g == nil {
		g = prometheus.DefaultGatherer
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A broken collector should cost its own series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are cheap but not free; a flood of them must not pile up.
		MaxRequestsInFlight: 8,
		Timeout:             10 * time.Second,
	})
}

// registerVec registers c and returns the collector to record into: c, or
// the identical collector an earlier New registered with reg.
func registerVec[T prometheus.Collector](m *Metrics, reg prometheus.Registerer, c T) T {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(T); ok {
			return existing
		}
	}
	// Keep recording into our unregistered collector so callers never see a
	// nil; the conflict is a programming error surfaced through Err.
	m.err = errors.Join(m.err, err)
	return c
}

// registerOptional registers a collector that may legitimately be present
// already (the default registry ships with the Go and process collectors).
func registerOptional(m *Metrics, reg prometheus.Registerer, c prometheus.Collector) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if err != nil && !errors.As(err, &already) {
		m.err = errors.Join(m.err, err)
	}
}
