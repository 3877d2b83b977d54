// Package infer holds what every front end of the model server shares: the
// protocol-independent request and response, model metadata, the errors with
// their HTTP and gRPC meaning, and KServe datatype names. The REST and gRPC
// packages decode into these types and call a Service; the server package
// implements Service on top of the repository, router and batchers.
package infer

import (
	"context"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
)

// Request is one inference call, decoded.
type Request struct {
	// ID is the client's request id, echoed in the response.
	ID string
	// Model is the name in the URL or RPC: a model or a router endpoint.
	Model string
	// Version is a numeric version ("" = the router or the latest ready one).
	Version string
	// Inputs in the order the client sent them.
	Inputs []Tensor
	// Outputs the client asked for; empty means all of the model's outputs.
	Outputs []OutputRequest
	// Parameters are the request-level parameters (KServe "parameters").
	Parameters map[string]any
	// RoutingKey keeps a user on one variant (from a header such as X-User-ID).
	RoutingKey string
	// Protocol is "rest", "grpc" or "predict", for metrics.
	Protocol string
	// Raw, when set, is a request body that is not a KServe request (an
	// image upload, text, a multipart form); the model's preprocessing
	// plugins turn it into the model's inputs. Inputs is then empty.
	Raw *RawBody
	// Timeout is the request's own limit (Triton's "timeout" parameter in µs,
	// the X-Request-Timeout header), applied while queued too. 0 = none;
	// context deadlines (gRPC) apply as well.
	Timeout time.Duration
}

// RawBody is a non-KServe request body, split into parts: one part named
// "body" for a plain upload, one per field of a multipart form.
type RawBody struct {
	ContentType string
	Parts       []RawPart
}

// RawPart is one part of a RawBody.
type RawPart struct {
	Name        string
	ContentType string
	Data        []byte
}

// OutputRequest names one requested output.
type OutputRequest struct {
	Name string
	// Binary asks for the output in the binary tensor data extension
	// (REST only; gRPC always answers raw).
	Binary bool
	// Parameters are the output's own parameters.
	Parameters map[string]any
}

// Tensor is a named tensor with its KServe parameters.
type Tensor struct {
	Name       string
	Tensor     *tensor.Tensor
	Parameters map[string]any
}

// Response is the answer to a Request.
type Response struct {
	ID      string
	Model   string
	Version string
	// Variant names the router variant that served (the model name when no
	// router is involved).
	Variant string
	Outputs []Tensor
	// Parameters are response-level parameters.
	Parameters map[string]any
	// Cached is true when the response came from the response cache.
	Cached bool
	// Body, when set, is the whole answer as a postprocessing plugin wrote
	// it (JSON); REST sends it as is, gRPC as a BYTES output named "json".
	Body []byte
}

// TensorMetadata describes a model input or output. Shape uses -1 for a
// dynamic dimension; a nil Shape means the rank is unknown.
type TensorMetadata struct {
	Name     string
	Datatype string
	Shape    []int64
}

// ModelMetadata answers GET /v2/models/{m}[/versions/{v}].
type ModelMetadata struct {
	Name     string
	Versions []string
	Platform string
	Inputs   []TensorMetadata
	Outputs  []TensorMetadata
}

// ServerMetadata answers GET /v2.
type ServerMetadata struct {
	Name       string
	Version    string
	Extensions []string
}

// IndexEntry is one row of the repository index.
type IndexEntry struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	State   string `json:"state,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Repository index states.
const (
	StateUnavailable = "UNAVAILABLE"
	StateLoading     = "LOADING"
	StateReady       = "READY"
	StateUnloading   = "UNLOADING"
)

// ModelStats are the statistics one model version reports.
type ModelStats struct {
	Name           string
	Version        string
	LastInference  time.Time
	InferenceCount uint64 // items (batch rows) inferred
	ExecutionCount uint64 // engine runs (batches)
	Success        DurationStat
	Fail           DurationStat
	Queue          DurationStat
	Compute        DurationStat
}

// DurationStat is a count of events and their total duration.
type DurationStat struct {
	Count uint64
	Total time.Duration
}

// Service is what the front ends call. Every method may be called
// concurrently. Errors are *Error (or wrap one) so front ends can map them;
// anything else is reported as Internal.
type Service interface {
	Live() bool
	Ready() bool
	ServerMetadata() ServerMetadata
	// ModelMetadata describes a model (or endpoint) at a version ("" = default).
	ModelMetadata(ctx context.Context, model, version string) (ModelMetadata, error)
	// ModelReady reports whether the model (version) can take requests; an
	// unknown model is a NotFound error.
	ModelReady(ctx context.Context, model, version string) (bool, error)
	Infer(ctx context.Context, req *Request) (*Response, error)
	RepositoryIndex(ctx context.Context, readyOnly bool) ([]IndexEntry, error)
	// LoadModel loads (or reloads) a model from the repository.
	LoadModel(ctx context.Context, model string) error
	UnloadModel(ctx context.Context, model string) error
	// Statistics for a model ("" = all) and version ("" = all).
	Statistics(ctx context.Context, model, version string) ([]ModelStats, error)
}
