package rest

import (
	"slices"
	"testing"
)

func TestRepositoryIndex(t *testing.T) {
	s := newTestServer(t, Options{})
	all := `[{"name":"add","version":"1","state":"READY"},
		{"name":"notready","version":"1","state":"UNAVAILABLE","reason":"load failed"}]`
	for _, body := range []string{"", "{}", `{"ready":false}`, "  \n"} {
		r := s.post(t, "/v2/repository/index", body)
		r.wantStatus(t, 200)
		wantJSON(t, r.body, all)
	}
	r := s.post(t, "/v2/repository/index", `{"ready":true}`)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `[{"name":"add","version":"1","state":"READY"}]`)

	s.post(t, "/v2/repository/index", `{"ready":"yes"}`).errorContains(t, 400, `field "ready"`)
	s.post(t, "/v2/repository/index", `{"ready":`).errorContains(t, 400, "malformed JSON")
}

func TestLoadUnload(t *testing.T) {
	s := newTestServer(t, Options{})
	r := s.post(t, "/v2/repository/models/add/load", "")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{}`)
	s.post(t, "/v2/repository/models/mlp/load", `{"parameters":{}}`).wantStatus(t, 200)
	s.post(t, "/v2/repository/models/add/unload", "{}").wantStatus(t, 200)
	s.fake.mu.Lock()
	loaded, unloaded := slices.Clone(s.fake.loaded), slices.Clone(s.fake.unloaded)
	s.fake.mu.Unlock()
	if !slices.Equal(loaded, []string{"add", "mlp"}) || !slices.Equal(unloaded, []string{"add"}) {
		t.Fatalf("loaded %v unloaded %v", loaded, unloaded)
	}

	s.post(t, "/v2/repository/models/missing/load", "").errorContains(t, 404, `no model "missing"`)
	s.post(t, "/v2/repository/models/missing/unload", "").wantStatus(t, 404)
	// Triton's config override cannot be honoured: refused, not ignored.
	s.post(t, "/v2/repository/models/add/load", `{"parameters":{"config":"{}"}}`).
		errorContains(t, 400, "not supported")
}
