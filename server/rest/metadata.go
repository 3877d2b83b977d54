package rest

import (
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

func (h *handler) live(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	live := h.svc.Live()
	if !live {
		status = http.StatusServiceUnavailable
	}
	writeJSONStatus(w, status, map[string]bool{"live": live})
}

func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	ready := h.svc.Ready()
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSONStatus(w, status, map[string]bool{"ready": ready})
}

type serverMetadataJSON struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

func (h *handler) serverMetadata(w http.ResponseWriter, r *http.Request) {
	md := h.svc.ServerMetadata()
	h.ok(w, serverMetadataJSON{Name: md.Name, Version: md.Version, Extensions: nonNil(md.Extensions)})
}

type tensorMetadataJSON struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	// Shape is null when the rank is unknown: [] would claim a scalar.
	Shape []int64 `json:"shape"`
}

type modelMetadataJSON struct {
	Name     string               `json:"name"`
	Versions []string             `json:"versions"`
	Platform string               `json:"platform"`
	Inputs   []tensorMetadataJSON `json:"inputs"`
	Outputs  []tensorMetadataJSON `json:"outputs"`
}

func (h *handler) modelMetadata(w http.ResponseWriter, r *http.Request) {
	md, err := h.svc.ModelMetadata(r.Context(), r.PathValue("model"), r.PathValue("version"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.ok(w, modelMetadataJSON{
		Name:     md.Name,
		Versions: nonNil(md.Versions),
		Platform: md.Platform,
		Inputs:   tensorMetadataList(md.Inputs),
		Outputs:  tensorMetadataList(md.Outputs),
	})
}

func tensorMetadataList(ts []infer.TensorMetadata) []tensorMetadataJSON {
	out := make([]tensorMetadataJSON, len(ts))
	for i, t := range ts {
		out[i] = tensorMetadataJSON{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
	}
	return out
}

func (h *handler) modelReady(w http.ResponseWriter, r *http.Request) {
	model := r.PathValue("model")
	ready, err := h.svc.ModelReady(r.Context(), model, r.PathValue("version"))
	if err != nil {
		h.fail(w, err)
		return
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSONStatus(w, status, struct {
		Name  string `json:"name"`
		Ready bool   `json:"ready"`
	}{model, ready})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
