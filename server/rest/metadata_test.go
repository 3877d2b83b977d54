package rest

import (
	"net/http"
	"testing"
)

func TestHealth(t *testing.T) {
	s := newTestServer(t, Options{})
	r := s.get(t, "/v2/health/live")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"live":true}`)
	s.get(t, "/v2/health/ready").wantStatus(t, 200)

	s.fake.ready.Store(false)
	r = s.get(t, "/v2/health/ready")
	if r.status != 503 {
		t.Fatalf("ready while not ready: %d", r.status)
	}
	wantJSON(t, r.body, `{"ready":false}`)
	s.get(t, "/v2/health/live").wantStatus(t, 200)

	s.fake.live.Store(false)
	if r := s.get(t, "/v2/health/live"); r.status != 503 {
		t.Fatalf("live while not live: %d", r.status)
	}
	// HEAD works wherever GET does (load balancers probe with it).
	if r := s.do(t, "HEAD", "/v2/health/ready", nil); r.status != 503 || len(r.body) != 0 {
		t.Fatalf("HEAD: %d %q", r.status, r.body)
	}
}

func TestServerMetadata(t *testing.T) {
	s := newTestServer(t, Options{})
	r := s.get(t, "/v2")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"name":"gonyx","version":"0.1.0","extensions":["binary_tensor_data","model_repository"]}`)
}

func TestModelMetadata(t *testing.T) {
	s := newTestServer(t, Options{})
	want := `{"name":"add","versions":["1"],"platform":"onnx",
		"inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],
		"outputs":[{"name":"y","datatype":"FP32","shape":[-1,3]}]}`
	for _, path := range []string{"/v2/models/add", "/v2/models/add/versions/1"} {
		r := s.get(t, path)
		r.wantStatus(t, 200)
		wantJSON(t, r.body, want)
	}
	// Unknown rank is null, not [] (a scalar); no outputs is [].
	r := s.get(t, "/v2/models/echo")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"name":"echo","versions":["1"],"platform":"onnx","inputs":[
		{"name":"f16","datatype":"FP16","shape":null},{"name":"i64","datatype":"INT64","shape":null},
		{"name":"s","datatype":"BYTES","shape":null},{"name":"b","datatype":"BOOL","shape":null}],"outputs":[]}`)

	s.get(t, "/v2/models/nope").errorContains(t, 404, `unknown model "nope"`)
	s.get(t, "/v2/models/add/versions/9").wantStatus(t, 404)
}

func TestModelReady(t *testing.T) {
	s := newTestServer(t, Options{})
	r := s.get(t, "/v2/models/add/ready")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"name":"add","ready":true}`)
	s.get(t, "/v2/models/add/versions/1/ready").wantStatus(t, 200)
	if r := s.get(t, "/v2/models/notready/ready"); r.status != 503 {
		t.Fatalf("not-ready model: %d", r.status)
	}
	s.get(t, "/v2/models/nope/ready").wantStatus(t, 404)
	s.get(t, "/v2/models/add/versions/2/ready").wantStatus(t, 404)
}

func TestStatistics(t *testing.T) {
	s := newTestServer(t, Options{})
	want := `{"model_stats":[{"name":"add","version":"1","last_inference":1700000000123,
		"inference_count":7,"execution_count":3,"inference_stats":{
		"success":{"count":3,"ns":1500000},"fail":{"count":0,"ns":0},
		"queue":{"count":3,"ns":42},"compute_infer":{"count":0,"ns":0}}}]}`
	for _, path := range []string{"/v2/models/stats", "/v2/models/add/stats", "/v2/models/add/versions/1/stats"} {
		r := s.get(t, path)
		r.wantStatus(t, 200)
		wantJSON(t, r.body, want)
	}
	s.get(t, "/v2/models/nope/stats").wantStatus(t, 404)
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, path := range []string{"/", "/v1/models/add", "/v2/models/add/extra/stuff", "/v2/health/", "/v2/models/add/infer/"} {
		s.get(t, path).errorContains(t, 404, "no endpoint")
	}
	r := s.get(t, "/v2/models/add/infer")
	r.errorContains(t, http.StatusMethodNotAllowed, "use POST")
	if r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	r = s.post(t, "/v2/health/live", "")
	r.wantStatus(t, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	s.do(t, "DELETE", "/v2/repository/index", nil).wantStatus(t, http.StatusMethodNotAllowed)
	s.get(t, "/predict").wantStatus(t, http.StatusMethodNotAllowed)
}
