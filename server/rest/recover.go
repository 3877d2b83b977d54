package rest

import (
	"net/http"
	"runtime/debug"
)

// recoverPanics turns a panic anywhere below (our code or the service) into
// a 500 {"error":"internal error"}; the stack goes to the log only. The
// connection stays usable, so one bad request does not cost other clients.
func (h *handler) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's own way to abort a response: let it do so
			}
			h.opts.Logger.Error("panic while serving request",
				"method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if tw.wroteHeader {
				// Part of an answer is already out; the client must see a
				// broken response rather than a wrong one.
				panic(http.ErrAbortHandler)
			}
			hdr := w.Header()
			for k := range hdr {
				delete(hdr, k) // drop headers the failed handler had set
			}
			writeJSONStatus(w, http.StatusInternalServerError, errorBody{Error: "internal error"})
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the status line has been sent.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wroteHeader = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wroteHeader = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
