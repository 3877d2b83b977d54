package rest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func rawPost(t *testing.T, srv *httptest.Server, path, contentType string, body []byte, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// Uploads (images, text, forms) reach the service as raw parts on both
// …/infer and …/predict, and a plugin's JSON answer is sent as is.
func TestRawBodies(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(NewHandler(f, Options{DefaultModel: "raw"}))
	defer srv.Close()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	for _, path := range []string{"/v2/models/raw/infer", "/models/raw/predict", "/predict"} {
		code, body, _ := rawPost(t, srv, path, "image/png", png, "X-Request-Timeout", "1s")
		if code != 200 || body != `{"parts":[{"name":"body","type":"image/png","size":12}]}` {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		req := f.lastRequest()
		if req.Raw == nil || !bytes.Equal(req.Raw.Parts[0].Data, png) || req.Timeout.String() != "1s" || req.Model != "raw" {
			t.Fatalf("%s: request %+v", path, req)
		}
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("image", "cat.jpg")
	fw.Write([]byte("jpegdata"))
	mw.WriteField("threshold", "0.5")
	mw.Close()
	code, body, _ := rawPost(t, srv, "/v2/models/raw/infer", mw.FormDataContentType(), form.Bytes())
	if code != 200 || !strings.Contains(body, `{"name":"image","type":"application/octet-stream","size":8}`) || !strings.Contains(body, `{"name":"threshold","type":"","size":3}`) {
		t.Fatalf("multipart: %d %s", code, body)
	}
	if code, body, _ := rawPost(t, srv, "/v2/models/raw/infer", "multipart/form-data; boundary=x", []byte("--x\r\nbroken")); code != 400 {
		t.Fatalf("broken multipart: %d %s", code, body)
	}
	// curl's default form type still means JSON.
	code, _, _ = rawPost(t, srv, "/v2/models/add/infer", "application/x-www-form-urlencoded",
		[]byte(`{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`))
	if code != 200 || f.lastRequest().Raw != nil {
		t.Fatalf("JSON sent as a form: %d", code)
	}
}
