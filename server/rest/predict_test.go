package rest

import (
	"slices"
	"testing"
)

func TestPredictFeatures(t *testing.T) {
	s := newTestServer(t, Options{DefaultModel: "add"})
	// One flat row for a [-1,3] input becomes [1,3]; the prediction is
	// that single row, flat.
	for _, path := range []string{"/predict", "/models/add/predict"} {
		r := s.post(t, path, `{"features":[1,2,3.5]}`)
		r.wantStatus(t, 200)
		wantJSON(t, r.body, `{"prediction":[2,3,4.5],"model":"add","version":"1","variant":"add"}`)
		req := s.fake.lastRequest()
		if req.Protocol != "predict" || req.Model != "add" || !slices.Equal(req.Inputs[0].Tensor.Shape(), []int{1, 3}) ||
			req.Inputs[0].Name != "x" {
			t.Fatalf("request %+v shape %v", req, req.Inputs[0].Tensor.Shape())
		}
	}
	// Nested rows stay nested: [N,3] in, [N][3] out.
	r := s.post(t, "/predict", `{"features":[[1,2,3],[4,5,6]]}`, "X-User-ID", "beta", "X-Request-Timeout", "2s", "X-Request-ID", "p1")
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"prediction":[[2,3,4],[5,6,7]],"model":"add","version":"1","variant":"add-beta"}`)
	if r.header.Get("X-Gonyx-Variant") != "add-beta" {
		t.Fatalf("variant header %q", r.header.Get("X-Gonyx-Variant"))
	}
	req := s.fake.lastRequest()
	if !slices.Equal(req.Inputs[0].Tensor.Shape(), []int{2, 3}) || req.RoutingKey != "beta" ||
		req.Timeout.String() != "2s" || req.ID != "p1" {
		t.Fatalf("request %+v", req)
	}
	// A nested single row keeps its batch dimension.
	r = s.post(t, "/predict", `{"features":[[1,2,3]]}`)
	wantJSON(t, r.body, `{"prediction":[[2,3,4]],"model":"add","version":"1","variant":"add"}`)

	for _, c := range []struct{ body, want string }{
		{`{"features":[1,2]}`, "features have shape [2] but model input \"x\" has shape [-1 3]"},
		{`{"features":[[1,2],[3,4]]}`, "has shape [-1 3]"},
		{`{"features":[[[1,2,3]]]}`, "has shape [-1 3]"},
		{`{"features":[[1,2,3],[4,5]]}`, "not rectangular"},
		{`{"features":[[1,2,3],4]}`, "not rectangular"},
		{`{"features":["a"]}`, "expected a number, got a string"},
		{`{"features":[1,2,3],"inputs":{"x":[1]}}`, "exactly one of"},
		{`{}`, "exactly one of"},
		{``, "request body is empty"},
		{`{"inputs":{"nope":[1]}}`, `has no input "nope"; its inputs are: x`},
		{`{"features":`, "malformed JSON"},
		{`{"features":{"a":1}}`, "an object is not a tensor element"},
	} {
		r := s.post(t, "/predict", c.body)
		if r.status != 400 {
			t.Errorf("%s: status %d %s", c.body, r.status, r.body)
			continue
		}
		r.errorContains(t, 400, c.want)
	}
	s.post(t, "/models/nope/predict", `{"features":[1]}`).errorContains(t, 404, `unknown model "nope"`)
	s.post(t, "/models/add/predict", `{"features":[1]}`, "X-Request-Timeout", "x").wantStatus(t, 400)
}

func TestPredictNoDefault(t *testing.T) {
	s := newTestServer(t, Options{})
	s.post(t, "/predict", `{"features":[1,2,3]}`).errorContains(t, 404, "no default model")
}

func TestPredictInputsAndMultipleOutputs(t *testing.T) {
	s := newTestServer(t, Options{})
	// "inputs" keeps the nesting as the shape. multi's first output in its
	// metadata is "label", though the service answers "score" first.
	r := s.post(t, "/models/multi/predict", `{"inputs":{"x":[[1,2],[4,3]]}}`)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"prediction":[1,0],"outputs":{"score":[[2,4],[8,6]],"label":[1,0]},
		"model":"multi","version":"3","variant":"multi"}`)
	// A single row of features: the batch dimension is dropped everywhere,
	// so the label is a bare number.
	r = s.post(t, "/models/multi/predict", `{"features":[5,1]}`)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"prediction":0,"outputs":{"score":[10,2],"label":0},"model":"multi","version":"3","variant":"multi"}`)

	// Multiple named inputs reach the service in the model's input order.
	r = s.post(t, "/models/echo/predict", `{"inputs":{"b":[[true],[false]],"s":["x","y"],"f16":[0.5]}}`)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"prediction":[0.5],"outputs":{"f16":[0.5],"s":["x","y"],"b":[[true],[false]]},
		"model":"echo","version":"1","variant":"echo"}`)
	req := s.fake.lastRequest()
	var names []string
	for _, in := range req.Inputs {
		names = append(names, in.Name)
	}
	if !slices.Equal(names, []string{"f16", "s", "b"}) {
		t.Fatalf("input order %v", names)
	}
	s.post(t, "/models/echo/predict", `{"inputs":{"b":[1]}}`).errorContains(t, 400, "expected true or false")
}

func TestPredictLimits(t *testing.T) {
	s := newTestServer(t, Options{DefaultModel: "add", MaxElements: 6, MaxJSONDepth: 4})
	s.post(t, "/predict", `{"features":[[1,2,3],[4,5,6]]}`).wantStatus(t, 200)
	s.post(t, "/predict", `{"features":[[1,2,3],[4,5,6],[7,8,9]]}`).errorContains(t, 413, "limit of 6")
	s.post(t, "/predict", `{"features":[[[[1]]]]}`).errorContains(t, 400, "nested more than 4")
	s.post(t, "/models/echo/predict", `{"inputs":{"i64":[1,2,3,4],"b":[true,true,true]}}`).wantStatus(t, 413)
	s.post(t, "/models/echo/predict", `{"inputs":{"i64":[1,2,3,4,5,6],"b":true}}`).wantStatus(t, 413)
	s.post(t, "/models/echo/predict", `{"inputs":{"i64":[1,2,3,4,5],"b":true}}`).wantStatus(t, 200)
}

func TestPredictErrors(t *testing.T) {
	s := newTestServer(t, Options{DefaultModel: "err-resource_exhausted"})
	r := s.post(t, "/predict", `{"features":[1]}`)
	r.errorContains(t, 429, "failure resource_exhausted")
	if r.header.Get("Retry-After") != "2" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	s.post(t, "/models/err-deadline_exceeded/predict", `{"features":[1]}`).wantStatus(t, 504)
	r = s.post(t, "/models/plainerr/predict", `{"features":[1]}`)
	r.wantStatus(t, 500)
	wantJSON(t, r.body, `{"error":"internal error"}`)
}
