package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzInferBody feeds arbitrary bodies (and binary header lengths) to the
// infer and predict handlers: whatever arrives, the answer is never a 500
// (which is also what a recovered panic would give).
func FuzzInferBody(f *testing.F) {
	seeds := []string{
		`{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`,
		`{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}]}`,
		`{"id":"a","parameters":{"binary_data_output":true,"timeout":10},"inputs":[{"name":"s","shape":[2],"datatype":"BYTES","data":["a","\u00e9"]}],"outputs":[{"name":"s","parameters":{"binary_data":true}}]}`,
		`{"inputs":[{"name":"x","shape":[2],"datatype":"FP16","data":[0.1,65504]},{"name":"b","shape":[1],"datatype":"BOOL","data":[true]}]}`,
		`{"inputs":[{"name":"x","shape":[1],"datatype":"INT8","data":[1e2]}]}`,
		`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}` + "\x00\x00\x80\x3f",
		`{"inputs":[{"name":"x","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":9}}]}` + "\x01\x00\x00\x00a\x00\x00\x00\x00",
		`{"features":[1,2,3]}`,
		`{"features":[[1,2,3],[4,5,6]]}`,
		`{"inputs":{"x":[[1,2,3]]}}`,
		`[[[[[[[[`,
		``,
	}
	for i, s := range seeds {
		hdr := int64(-1)
		if j := strings.Index(s, "}]}"); j >= 0 && strings.Contains(s, "binary_data_size") {
			hdr = int64(j + 3)
		}
		f.Add([]byte(s), hdr, uint8(i))
	}
	h := NewHandler(newFake(), Options{DefaultModel: "add", MaxElements: 1 << 16, MaxBodyBytes: 1 << 20})
	paths := []string{"/v2/models/add/infer", "/v2/models/echo/infer", "/v2/models/types/infer", "/predict",
		"/models/echo/predict", "/models/multi/predict"}
	f.Fuzz(func(t *testing.T, body []byte, headerLen int64, route uint8) {
		req := httptest.NewRequest("POST", paths[int(route)%len(paths)], strings.NewReader(string(body)))
		if headerLen >= 0 {
			req.Header.Set("Inference-Header-Content-Length", strconv.FormatInt(headerLen, 10))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 for body %q (header length %d): %s", body, headerLen, rec.Body.Bytes())
		}
	})
}

// FuzzJSONCursor checks that the walker's validation agrees with
// encoding/json's on arbitrary input (the walker replaced it for the
// infer and predict bodies).
func FuzzJSONCursor(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9",true,null,{}]}`, `[`, `"\ud800"`, `01`, `{"a" 1}`, `[1,]`, "\"\x01\"", `-`, ` 0 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &jsonCursor{b: b}
		err := c.skipValue(1)
		if err == nil {
			err = c.end()
		}
		if got, want := err == nil, json.Valid(b); got != want {
			t.Fatalf("cursor valid=%v (%v), encoding/json valid=%v for %q", got, err, want, b)
		}
	})
}
