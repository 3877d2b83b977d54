// Package rest is the model server's HTTP front end: the KServe Open
// Inference Protocol v2 REST API (with Triton's binary tensor data
// extension) and a simple /predict API, both on top of an infer.Service.
//
// Everything that arrives from the network is validated here: body size,
// JSON nesting depth, element counts (before any tensor is allocated),
// datatypes, shapes and values. Failures become *infer.Error values and are
// answered as JSON {"error": "..."} with the error code's HTTP status.
package rest

import (
	"log/slog"
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

// Options configures NewHandler. Zero values mean the defaults.
type Options struct {
	// MaxBodyBytes caps a request body (default 64 MiB); larger → 413.
	MaxBodyBytes int64
	// MaxJSONDepth caps JSON nesting (default 64); deeper → 400.
	MaxJSONDepth int
	// MaxElements caps the total tensor elements of one request
	// (default 1<<26), checked before anything is allocated.
	MaxElements int
	// DefaultModel is the model POST /predict runs.
	DefaultModel string
	// RoutingHeader (default "X-User-ID") carries Request.RoutingKey.
	RoutingHeader string
	// Logger receives internal errors and recovered panics; may be nil.
	Logger *slog.Logger
}

const (
	defaultMaxBodyBytes = 64 << 20
	defaultMaxJSONDepth = 64
	defaultMaxElements  = 1 << 26
	defaultRouting      = "X-User-ID"
)

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBodyBytes
	}
	if o.MaxJSONDepth <= 0 {
		o.MaxJSONDepth = defaultMaxJSONDepth
	}
	if o.MaxElements <= 0 {
		o.MaxElements = defaultMaxElements
	}
	if o.RoutingHeader == "" {
		o.RoutingHeader = defaultRouting
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// handler holds what every endpoint needs.
type handler struct {
	svc  infer.Service
	opts Options
}

// NewHandler serves the REST and /predict APIs for svc.
func NewHandler(svc infer.Service, opts Options) http.Handler {
	h := &handler{svc: svc, opts: opts.withDefaults()}
	rt := newRouter()

	rt.handle("GET", "/v2/health/live", h.live)
	rt.handle("GET", "/v2/health/ready", h.ready)
	rt.handle("GET", "/v2", h.serverMetadata)

	rt.handle("GET", "/v2/models/{model}", h.modelMetadata)
	rt.handle("GET", "/v2/models/{model}/versions/{version}", h.modelMetadata)
	rt.handle("GET", "/v2/models/{model}/ready", h.modelReady)
	rt.handle("GET", "/v2/models/{model}/versions/{version}/ready", h.modelReady)
	rt.handle("POST", "/v2/models/{model}/infer", h.infer)
	rt.handle("POST", "/v2/models/{model}/versions/{version}/infer", h.infer)

	// Triton's statistics extension, so the REST API matches the gRPC one.
	rt.handle("GET", "/v2/models/stats", h.statistics)
	rt.handle("GET", "/v2/models/{model}/stats", h.statistics)
	rt.handle("GET", "/v2/models/{model}/versions/{version}/stats", h.statistics)

	rt.handle("POST", "/v2/repository/index", h.repositoryIndex)
	rt.handle("POST", "/v2/repository/models/{model}/load", h.loadModel)
	rt.handle("POST", "/v2/repository/models/{model}/unload", h.unloadModel)

	rt.handle("POST", "/predict", h.predictDefault)
	rt.handle("POST", "/models/{model}/predict", h.predict)

	return h.recoverPanics(rt.build())
}
