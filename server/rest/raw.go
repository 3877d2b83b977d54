package rest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gonyx/gonyx/server/infer"
)

// isRaw reports whether a request body is an upload for the model's
// preprocessing plugins rather than a KServe request: images, audio, video,
// plain text, multipart forms, and octet-stream without the binary
// extension's header. Anything else is decoded as JSON (curl's default
// form type included, so `curl -d '{…}'` works).
func isRaw(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "image/"), strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"),
		strings.HasPrefix(ct, "multipart/"), ct == "text/plain":
		return true
	case ct == "application/octet-stream":
		return r.Header.Get(headerLengthKey) == ""
	}
	return false
}

// maxParts bounds the fields of a multipart form.
const maxParts = 64

// decodeRaw splits a raw body into parts: one "body" part, or one per field
// of a multipart form.
func decodeRaw(r *http.Request, body []byte) (*infer.RawBody, error) {
	ct := r.Header.Get("Content-Type")
	raw := &infer.RawBody{ContentType: ct}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, infer.Errorf(infer.InvalidArgument, "bad Content-Type %q: %v", ct, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		raw.Parts = []infer.RawPart{{Name: "body", ContentType: ct, Data: body}}
		return raw, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, infer.Errorf(infer.InvalidArgument, "malformed multipart body: %v", err)
		}
		if len(raw.Parts) == maxParts {
			return nil, infer.Errorf(infer.InvalidArgument, "multipart body has more than %d parts", maxParts)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, infer.Errorf(infer.InvalidArgument, "malformed multipart body: %v", err)
		}
		name := p.FormName()
		if name == "" {
			name = "body"
		}
		raw.Parts = append(raw.Parts, infer.RawPart{Name: name, ContentType: p.Header.Get("Content-Type"), Data: data})
	}
	if len(raw.Parts) == 0 {
		return nil, infer.Errorf(infer.InvalidArgument, "multipart body has no parts")
	}
	return raw, nil
}

// inferRaw serves a raw body on …/infer and …/predict: the model's plugins
// turn it into inputs and (usually) write the answer.
func (h *handler) inferRaw(w http.ResponseWriter, r *http.Request, body []byte, model, version, protocol string) {
	raw, err := decodeRaw(r, body)
	if err != nil {
		h.fail(w, err)
		return
	}
	req := &infer.Request{Model: model, Version: version, Protocol: protocol, Raw: raw}
	if err := h.fromHeaders(r, req); err != nil {
		h.fail(w, err)
		return
	}
	resp, ok := h.callInfer(w, r, req)
	if !ok {
		return
	}
	if resp.Variant != "" {
		w.Header().Set(variantHeader, resp.Variant)
	}
	if resp.Body != nil {
		writeBody(w, http.StatusOK, "application/json", resp.Body)
		return
	}
	enc, err := encodeInferResponse(req, resp, outputPrefs{})
	if err != nil {
		h.fail(w, &infer.Error{Code: infer.Internal, Msg: "internal error", Err: err})
		return
	}
	writeBody(w, http.StatusOK, "application/json", enc.json)
}
