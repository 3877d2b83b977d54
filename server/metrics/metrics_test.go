package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// series finds the sample of family name whose labels include want.
func series(t *testing.T, g prometheus.Gatherer, name string, want map[string]string) *dto.Metric {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return m
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return nil
}

// bucket is the cumulative count of the histogram bucket with upper bound le.
func bucket(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%g", le)
	return 0
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestRequestCountsByCodeAndObservesDuration(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Request("resnet", "1", "resnet", "rest", "200", 30*time.Millisecond)
	m.Request("resnet", "1", "resnet", "rest", "200", 30*time.Millisecond)
	m.Request("resnet", "1", "resnet", "rest", "429", time.Millisecond)
	m.Request("resnet", "1", "resnet", "grpc", "OK", 7*time.Second)

	if got := testutil.ToFloat64(m.requests.WithLabelValues("resnet", "1", "resnet", "rest", "200")); got != 2 {
		t.Errorf("rest 200 count = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("resnet", "1", "resnet", "rest", "429")); got != 1 {
		t.Errorf("rest 429 count = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("resnet", "1", "resnet", "grpc", "OK")); got != 1 {
		t.Errorf("grpc OK count = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(m.requests); n != 3 {
		t.Errorf("request series = %d, want 3", n)
	}

	h := series(t, reg, "gonyx_inference_request_duration_seconds",
		map[string]string{"protocol": "rest", "model": "resnet", "version": "1", "variant": "resnet"}).GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("rest duration count = %d, want 3", h.GetSampleCount())
	}
	if !near(h.GetSampleSum(), 0.061) {
		t.Errorf("rest duration sum = %v, want 0.061", h.GetSampleSum())
	}
	// 1ms is in le=0.001; the two 30ms requests first fit at le=0.05.
	if b := bucket(t, h, 0.001); b != 1 {
		t.Errorf("le=0.001 = %d, want 1", b)
	}
	if b := bucket(t, h, 0.025); b != 1 {
		t.Errorf("le=0.025 = %d, want 1", b)
	}
	if b := bucket(t, h, 0.05); b != 3 {
		t.Errorf("le=0.05 = %d, want 3", b)
	}
	g := series(t, reg, "gonyx_inference_request_duration_seconds", map[string]string{"protocol": "grpc"}).GetHistogram()
	if bucket(t, g, 5) != 0 || bucket(t, g, 10) != 1 {
		t.Errorf("7s should first fit at le=10: le5=%d le10=%d", bucket(t, g, 5), bucket(t, g, 10))
	}
}

func TestDurationBucketsSpan50usTo10s(t *testing.T) {
	if durationBuckets[0] != 50e-6 || durationBuckets[len(durationBuckets)-1] != 10 {
		t.Fatalf("buckets run %v..%v, want 5e-05..10", durationBuckets[0], durationBuckets[len(durationBuckets)-1])
	}
	for i := 1; i < len(durationBuckets); i++ {
		r := durationBuckets[i] / durationBuckets[i-1]
		if r < 2 || r > 2.5+1e-9 {
			t.Errorf("step %v -> %v is ×%.2f, want ×2..×2.5", durationBuckets[i-1], durationBuckets[i], r)
		}
	}
}

func TestBatchObservesSizeEachQueueWaitAndOneCompute(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Batch("bert", "2", 3, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}, 4*time.Millisecond)
	m.Batch("bert", "2", 16, nil, 20*time.Millisecond)

	sel := map[string]string{"model": "bert", "version": "2"}
	size := series(t, reg, "gonyx_batch_size", sel).GetHistogram()
	if size.GetSampleCount() != 2 || size.GetSampleSum() != 19 {
		t.Errorf("batch size count/sum = %d/%v, want 2/19", size.GetSampleCount(), size.GetSampleSum())
	}
	// 3 rows first fit at le=4; 16 at le=16.
	if bucket(t, size, 2) != 0 || bucket(t, size, 4) != 1 || bucket(t, size, 8) != 1 || bucket(t, size, 16) != 2 {
		t.Errorf("batch size buckets wrong: %v", size.GetBucket())
	}
	if len(size.GetBucket()) != 8 || bucket(t, size, 128) != 2 {
		t.Errorf("batch size buckets should be 1..128 (8 of them), got %d", len(size.GetBucket()))
	}
	q := series(t, reg, "gonyx_inference_queue_duration_seconds", sel).GetHistogram()
	if q.GetSampleCount() != 3 || !near(q.GetSampleSum(), 0.006) {
		t.Errorf("queue count/sum = %d/%v, want 3/0.006", q.GetSampleCount(), q.GetSampleSum())
	}
	c := series(t, reg, "gonyx_inference_compute_duration_seconds", sel).GetHistogram()
	if c.GetSampleCount() != 2 || !near(c.GetSampleSum(), 0.024) {
		t.Errorf("compute count/sum = %d/%v, want 2/0.024", c.GetSampleCount(), c.GetSampleSum())
	}
}

func TestQueueDepthAndModelsLoadedAreGauges(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.QueueDepth("a", "1", 5)
	m.QueueDepth("a", "1", 2)
	m.QueueDepth("a", "2", 7)
	if got := testutil.ToFloat64(m.queueDepth.WithLabelValues("a", "1")); got != 2 {
		t.Errorf("queue depth a/1 = %v, want 2 (last set)", got)
	}
	if got := testutil.ToFloat64(m.queueDepth.WithLabelValues("a", "2")); got != 7 {
		t.Errorf("queue depth a/2 = %v, want 7", got)
	}
	m.ModelsLoaded(4)
	m.ModelsLoaded(3)
	if got := testutil.ToFloat64(m.modelsLoaded); got != 3 {
		t.Errorf("models loaded = %v, want 3", got)
	}
}

func TestForgetVersionRemovesOnlyThatVersionsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	for _, v := range []string{"1", "2"} {
		m.Request("m", v, "m", "rest", "200", time.Millisecond)
		m.Request("m", v, "m", "grpc", "OK", time.Millisecond)
		m.Batch("m", v, 1, []time.Duration{time.Millisecond}, time.Millisecond)
		m.QueueDepth("m", v, 1)
	}
	m.Request("m10", "1", "m10", "rest", "200", time.Millisecond) // another model, same version
	m.ModelLoad("m", "1", time.Second, nil)
	m.Cache("m", true)

	m.ForgetVersion("m", "1")

	for name, c := range map[string]prometheus.Collector{
		"requests": m.requests, "request duration": m.requestDuration, "batch size": m.batchSize,
		"queue duration": m.queueDuration, "compute duration": m.computeDuration, "queue depth": m.queueDepth,
	} {
		want := 1 // m/2 remains
		switch name {
		case "requests", "request duration":
			want = 3 // m/2 rest, m/2 grpc, m10/1 rest
		}
		if n := testutil.CollectAndCount(c); n != want {
			t.Errorf("%s: %d series after ForgetVersion, want %d", name, n, want)
		}
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("m", "2", "m", "rest", "200")); got != 1 {
		t.Errorf("m/2 request count = %v, want 1 (kept)", got)
	}
	if n := testutil.CollectAndCount(m.loadDuration) + testutil.CollectAndCount(m.cacheHits); n != 2 {
		t.Errorf("per-model series should stay, got %d", n)
	}
	m.ForgetVersion("never", "seen") // nothing to delete, no trouble
}

func TestModelLoadCountsFailures(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.ModelLoad("m", "1", 2*time.Second, nil)
	m.ModelLoad("m", "2", 100*time.Millisecond, errors.New("bad onnx"))
	h := series(t, reg, "gonyx_model_load_duration_seconds", map[string]string{"model": "m"}).GetHistogram()
	if h.GetSampleCount() != 2 || !near(h.GetSampleSum(), 2.1) {
		t.Errorf("load duration count/sum = %d/%v, want 2/2.1", h.GetSampleCount(), h.GetSampleSum())
	}
	if got := testutil.ToFloat64(m.loadFailures.WithLabelValues("m")); got != 1 {
		t.Errorf("load failures = %v, want 1", got)
	}
}

func TestCacheShadowPluginRateLimitAuth(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Cache("m", true)
	m.Cache("m", true)
	m.Cache("m", false)
	m.Shadow("ep", "canary", "ok", 10*time.Millisecond)
	m.Shadow("ep", "canary", "timeout", time.Second)
	m.Shadow("ep", "canary", "timeout", time.Second)
	m.Shadow("ep", "canary", "dropped", 0) // counted, but never ran: no duration
	m.Plugin("tokenize", time.Millisecond, nil)
	m.Plugin("tokenize", time.Millisecond, errors.New("boom"))
	m.RateLimited("team-a")
	m.RateLimited("team-a")
	m.AuthFailures()

	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"cache hits", m.cacheHits.WithLabelValues("m"), 2},
		{"cache misses", m.cacheMisses.WithLabelValues("m"), 1},
		{"shadow ok", m.shadowRequests.WithLabelValues("ep", "canary", "ok"), 1},
		{"shadow timeout", m.shadowRequests.WithLabelValues("ep", "canary", "timeout"), 2},
		{"shadow dropped", m.shadowRequests.WithLabelValues("ep", "canary", "dropped"), 1},
		{"plugin errors", m.pluginErrors.WithLabelValues("tokenize"), 1},
		{"rate limited", m.rateLimited.WithLabelValues("team-a"), 2},
		{"auth failures", m.authFailures, 1},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	sh := series(t, reg, "gonyx_shadow_request_duration_seconds", map[string]string{"endpoint": "ep", "variant": "canary"}).GetHistogram()
	if sh.GetSampleCount() != 3 || !near(sh.GetSampleSum(), 2.01) {
		t.Errorf("shadow duration count/sum = %d/%v, want 3/2.01", sh.GetSampleCount(), sh.GetSampleSum())
	}
	pl := series(t, reg, "gonyx_plugin_duration_seconds", map[string]string{"plugin": "tokenize"}).GetHistogram()
	if pl.GetSampleCount() != 2 {
		t.Errorf("plugin duration count = %d, want 2", pl.GetSampleCount())
	}
}

func TestHandlerServesOurSeriesAndRuntimeCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	if err := m.Err(); err != nil {
		t.Fatalf("fresh registry: %v", err)
	}
	m.ModelsLoaded(3)
	m.AuthFailures()
	m.Request("resnet", "1", "resnet", "rest", "200", time.Millisecond)

	srv := httptest.NewServer(m.Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		"gonyx_models_loaded 3\n",
		"gonyx_auth_failures_total 1\n",
		`gonyx_inference_requests_total{code="200",model="resnet",protocol="rest",variant="resnet",version="1"} 1`,
		"# TYPE gonyx_inference_request_duration_seconds histogram",
		"\ngo_goroutines ",
		"\nprocess_",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}

	// A nil gatherer falls back to the registry New was given.
	srv2 := httptest.NewServer(m.Handler(nil))
	defer srv2.Close()
	resp, err = http.Get(srv2.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "gonyx_models_loaded 3\n") {
		t.Error("Handler(nil) did not serve New's registry")
	}
}

func TestEveryMetricIsRegistered(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Request("m", "1", "m", "rest", "200", time.Millisecond)
	m.Batch("m", "1", 1, []time.Duration{0}, 0)
	m.QueueDepth("m", "1", 0)
	m.ModelsLoaded(1)
	m.ModelLoad("m", "1", 0, errors.New("x"))
	m.Cache("m", true)
	m.Cache("m", false)
	m.Shadow("e", "v", "error", 0)
	m.Plugin("p", 0, errors.New("x"))
	m.RateLimited("k")
	m.AuthFailures()
	names := []string{
		"gonyx_inference_requests_total", "gonyx_inference_request_duration_seconds", "gonyx_batch_size",
		"gonyx_inference_queue_duration_seconds", "gonyx_inference_compute_duration_seconds", "gonyx_queue_depth",
		"gonyx_models_loaded", "gonyx_model_load_duration_seconds", "gonyx_model_load_failures_total",
		"gonyx_cache_hits_total", "gonyx_cache_misses_total", "gonyx_shadow_requests_total",
		"gonyx_shadow_request_duration_seconds", "gonyx_plugin_duration_seconds", "gonyx_plugin_errors_total",
		"gonyx_rate_limited_total", "gonyx_auth_failures_total",
	}
	for _, n := range names {
		if c, err := testutil.GatherAndCount(reg, n); err != nil || c != 1 {
			t.Errorf("%s: %d series (err %v), want 1", n, c, err)
		}
	}
}

func TestOddLabelValuesDoNotPanic(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	bad := "mo\xffdel"
	long := strings.Repeat("é", 1000) // 2000 bytes
	for _, v := range []string{bad, long, "", "a\"b\\c\nd", "{}=,"} {
		m.Request(v, v, v, v, v, time.Millisecond)
		m.Batch(v, v, -1, []time.Duration{-time.Second}, -time.Second)
		m.QueueDepth(v, v, -3)
		m.ForgetVersion(v+"x", v)
		m.ModelLoad(v, v, 0, errors.New(v))
		m.Cache(v, false)
		m.Shadow(v, v, v, 0)
		m.Plugin(v, 0, nil)
		m.RateLimited(v)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gather after odd labels: %v", err)
	}
	if got := testutil.ToFloat64(m.cacheMisses.WithLabelValues("mo\uFFFDdel")); got != 1 {
		t.Errorf("invalid UTF-8 should be replaced: count %v, want 1", got)
	}
	families, _ := reg.Gather()
	for _, f := range families {
		for _, s := range f.GetMetric() {
			for _, lp := range s.GetLabel() {
				if len(lp.GetValue()) > maxLabelLen || !utf8.ValidString(lp.GetValue()) {
					t.Errorf("%s label %s not sanitised (len %d)", f.GetName(), lp.GetName(), len(lp.GetValue()))
				}
			}
		}
	}
	if got := label(long); len(got) != 128 || got != strings.Repeat("é", 64) {
		t.Errorf("long label cut to %d bytes, want 128 (64 runes)", len(got))
	}
	if got := label("a" + strings.Repeat("é", 100)); len(got) != 127 {
		t.Errorf("cut inside a rune should back off to 127 bytes, got %d", len(got))
	}
	// A negative duration counts as zero.
	q := series(t, reg, "gonyx_inference_queue_duration_seconds", map[string]string{"model": ""}).GetHistogram()
	if q.GetSampleSum() != 0 || bucket(t, q, 0.00005) != 1 {
		t.Errorf("negative duration should be observed as 0: sum %v", q.GetSampleSum())
	}
}

func TestNewTwiceSharesCollectorsAndToleratesRuntimeCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector()) // as the default registry has
	a := New(reg)
	b := New(reg)
	if a.Err() != nil || b.Err() != nil {
		t.Fatalf("errors: %v / %v", a.Err(), b.Err())
	}
	a.AuthFailures()
	b.AuthFailures()
	if got := testutil.ToFloat64(a.authFailures); got != 2 {
		t.Errorf("shared counter = %v, want 2", got)
	}
}

func TestConflictingRegistrationIsReportedNotPanicked(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "gonyx_models_loaded", Help: "not ours"}))
	m := New(reg)
	if m.Err() == nil {
		t.Fatal("want a registration error for the clashing name")
	}
	m.ModelsLoaded(2) // still records into its own collector
	if got := testutil.ToFloat64(m.modelsLoaded); got != 2 {
		t.Errorf("models loaded = %v, want 2", got)
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	m.Request("m", "1", "m", "rest", "200", 0)
	m.Batch("m", "1", 1, nil, 0)
	m.QueueDepth("m", "1", 1)
	m.ForgetVersion("m", "1")
	m.ModelsLoaded(1)
	m.ModelLoad("m", "1", 0, nil)
	m.Cache("m", true)
	m.Shadow("e", "v", "ok", 0)
	m.Plugin("p", 0, nil)
	m.RateLimited("k")
	m.AuthFailures()
	if m.Err() != nil || m.Handler(prometheus.NewRegistry()) == nil {
		t.Error("nil Metrics should still give a handler and no error")
	}
}

func TestConcurrentRecordingAndScraping(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	h := m.Handler(reg)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				m.Request("m", "1", "m", "rest", "200", time.Millisecond)
				m.Batch("m", "1", 2, []time.Duration{time.Millisecond}, time.Millisecond)
				m.QueueDepth("m", "1", i)
				if i%50 == 0 {
					m.ForgetVersion("m", "1")
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("scrape status %d", rec.Code)
			}
		}
	}()
	wg.Wait()
}
