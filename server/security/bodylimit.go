package security

import (
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

// MaxBodyBytes limits request bodies to limit bytes (limit <= 0 = no
// limit). A body whose Content-Length is over the limit is refused at once
// with 413 and a JSON error, before anything reads it; a body without a
// length (chunked) is cut off by http.MaxBytesReader, whose read error is an
// *http.MaxBytesError the handler must answer with 413.
func MaxBodyBytes(limit int64, next http.Handler) http.Handler {
	if limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Closing the connection spares reading a body we will not use.
			w.Header().Set("Connection", "close")
			writeError(w, infer.Errorf(infer.TooLarge,
				"request body is %d bytes; the limit is %d bytes", r.ContentLength, limit), 0)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}
