package rest

import (
	"net/http"
	"strconv"

	"github.com/gonyx/gonyx/server/infer"
)

const variantHeader = "X-Gonyx-Variant"

// infer serves POST /v2/models/{model}[/versions/{version}]/infer.
func (h *handler) infer(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if isRaw(r) {
		h.inferRaw(w, r, body, r.PathValue("model"), r.PathValue("version"), "rest")
		return
	}
	req, prefs, err := h.decodeInferRequest(r.Header, body)
	if err != nil {
		h.fail(w, err)
		return
	}
	req.Model = r.PathValue("model")
	req.Version = r.PathValue("version")
	req.Protocol = "rest"
	if err := h.fromHeaders(r, req); err != nil {
		h.fail(w, err)
		return
	}
	resp, ok := h.callInfer(w, r, req)
	if !ok {
		return
	}
	enc, err := encodeInferResponse(req, resp, prefs)
	if err != nil {
		h.fail(w, &infer.Error{Code: infer.Internal, Msg: "internal error", Err: err})
		return
	}
	if resp.Variant != "" {
		w.Header().Set(variantHeader, resp.Variant)
	}
	if !enc.hasBinary {
		writeBody(w, http.StatusOK, "application/json", enc.json)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set(headerLengthKey, strconv.Itoa(len(enc.json)))
	hdr.Set("Content-Length", strconv.Itoa(len(enc.json)+len(enc.bin)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(enc.json); err == nil {
		_, _ = w.Write(enc.bin)
	}
}

// fromHeaders fills what a request takes from HTTP headers: routing key,
// request id (when the body has none) and timeout.
func (h *handler) fromHeaders(r *http.Request, req *infer.Request) error {
	req.RoutingKey = r.Header.Get(h.opts.RoutingHeader)
	if req.ID == "" {
		req.ID = r.Header.Get("X-Request-ID")
	}
	timeout, err := requestTimeout(r.Header.Get("X-Request-Timeout"), req.Parameters)
	if err != nil {
		return err
	}
	req.Timeout = timeout
	return nil
}

// callInfer runs a request and answers the failure itself; ok is false
// when it did. A service that returns neither a response nor an error is a
// bug on our side.
func (h *handler) callInfer(w http.ResponseWriter, r *http.Request, req *infer.Request) (*infer.Response, bool) {
	resp, err := h.svc.Infer(r.Context(), req)
	if err == nil && resp == nil {
		err = infer.Errorf(infer.Internal, "internal error")
	}
	if err != nil {
		h.fail(w, err)
		return nil, false
	}
	return resp, true
}
