package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gonyx/gonyx/server/infer"
)

// router registers paths without methods on a ServeMux and dispatches on
// the method itself, so that a wrong method and an unknown path get JSON
// errors (ServeMux's own 404 and 405 answers are plain text).
type router struct {
	paths   []string
	methods map[string]map[string]http.HandlerFunc
}

func newRouter() *router {
	return &router{methods: make(map[string]map[string]http.HandlerFunc)}
}

func (rt *router) handle(method, path string, h http.HandlerFunc) {
	m, ok := rt.methods[path]
	if !ok {
		m = make(map[string]http.HandlerFunc)
		rt.methods[path] = m
		rt.paths = append(rt.paths, path)
	}
	m[method] = h
}

func (rt *router) build() http.Handler {
	mux := http.NewServeMux()
	for _, path := range rt.paths {
		mux.Handle(path, methodDispatch(rt.methods[path]))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, nil, infer.Errorf(infer.NotFound, "no endpoint %s", r.URL.Path))
	})
	return mux
}

func methodDispatch(byMethod map[string]http.HandlerFunc) http.Handler {
	allowed := make([]string, 0, len(byMethod)+1)
	for m := range byMethod {
		allowed = append(allowed, m)
		if m == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := byMethod[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = byMethod[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", allow)
			writeJSONStatus(w, http.StatusMethodNotAllowed,
				errorBody{Error: "method " + r.Method + " is not allowed on " + r.URL.Path + "; use " + allow})
			return
		}
		h(w, r)
	})
}
