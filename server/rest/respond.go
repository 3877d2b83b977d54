package rest

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gonyx/gonyx/server/infer"
)

type errorBody struct {
	Error string `json:"error"`
}

// writeJSONStatus answers with v as JSON. v is always one of our own types,
// but a value the service handed us (a parameter holding NaN, say) can still
// fail to marshal: that is our 500, not a broken body.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error"}`)
	}
	writeBody(w, status, "application/json", b)
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // a client that went away cannot be told anything
}

// writeError answers with err's status and message, adding Retry-After
// when the error carries one. Internal errors are logged with their cause
// (which never reaches the client).
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	e := infer.AsError(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(e.RetryAfter.Seconds()), 10))
	}
	if e.Code == infer.Internal && log != nil {
		log.Error("request failed", "error", e.Msg, "cause", e.Err)
	}
	writeJSONStatus(w, e.Code.HTTPStatus(), errorBody{Error: e.Msg})
}

// retryAfterSeconds rounds up, so a client never retries too early, and is
// at least 1 (Retry-After: 0 would invite an immediate retry).
func retryAfterSeconds(s float64) int64 {
	c := math.Ceil(s)
	if c < 1 {
		return 1
	}
	if c > math.MaxInt32 {
		return math.MaxInt32
	}
	return int64(c)
}

func (h *handler) fail(w http.ResponseWriter, err error) {
	writeError(w, h.opts.Logger, err)
}

func (h *handler) ok(w http.ResponseWriter, v any) {
	writeJSONStatus(w, http.StatusOK, v)
}
