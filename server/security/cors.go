package security

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// CORS lets browser pages on other origins call the API.
type CORS struct {
	// AllowedOrigins are the origins ("https://app.example.com") allowed;
	// "*" allows any. Empty turns CORS off.
	AllowedOrigins []string
	// AllowedHeaders are the request headers a page may send; "*" allows
	// whatever the page asks for. Empty means defaultAllowedHeaders.
	AllowedHeaders []string
	// MaxAge is how long a browser may cache a preflight answer; 0 = not sent.
	MaxAge time.Duration
}

// defaultAllowedHeaders are the request headers the API reads.
var defaultAllowedHeaders = []string{
	"Authorization", "Content-Type", "Inference-Header-Content-Length",
	"X-Request-ID", "X-Request-Timeout", "X-User-ID",
}

// exposedHeaders are the response headers a page may read.
const exposedHeaders = "X-Gonyx-Variant, Inference-Header-Content-Length, X-Request-ID, Retry-After"

const allowedMethods = "GET, HEAD, POST, OPTIONS"

// Middleware answers preflight requests from allowed origins itself (204)
// and adds CORS headers to the other responses to them. Requests from
// origins not allowed get no CORS headers (the browser then withholds the
// response from the page) and their preflights a 403. Put it outside the
// Guard: preflights carry no credentials.
func (c CORS) Middleware(next http.Handler) http.Handler {
	if len(c.AllowedOrigins) == 0 {
		return next
	}
	anyOrigin := false
	origins := map[string]bool{}
	for _, o := range c.AllowedOrigins {
		o = strings.TrimSpace(o)
		if o == "*" {
			anyOrigin = true
		}
		// Origins are scheme://host[:port]; schemes and hosts are
		// case-insensitive and browsers send them lowercase.
		origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	anyHeader := false
	headers := c.AllowedHeaders
	if len(headers) == 0 {
		headers = defaultAllowedHeaders
	}
	for _, h := range headers {
		if strings.TrimSpace(h) == "*" {
			anyHeader = true
		}
	}
	allowHeaders := strings.Join(headers, ", ")
	maxAge := ""
	if secs := int64(c.MaxAge / time.Second); secs > 0 {
		maxAge = strconv.FormatInt(secs, 10)
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		// The answer depends on the Origin (and for preflights on what was
		// asked), so shared caches must key on them.
		h.Add("Vary", "Origin")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		allowed := anyOrigin || origins[strings.ToLower(origin)]
		if !allowed {
			if preflight {
				writeError(w, infer.Errorf(infer.InvalidArgument, "origin not allowed"), http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if !preflight {
			h.Set("Access-Control-Expose-Headers", exposedHeaders)
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Methods", allowedMethods)
		if anyHeader {
			// A literal "*" does not cover Authorization (Fetch standard),
			// so echo what the page asked for.
			if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
				h.Set("Access-Control-Allow-Headers", asked)
			}
		} else {
			h.Set("Access-Control-Allow-Headers", allowHeaders)
		}
		if maxAge != "" {
			h.Set("Access-Control-Max-Age", maxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
