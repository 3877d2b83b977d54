package rest

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

func (h *handler) repositoryIndex(w http.ResponseWriter, r *http.Request) {
	body, err := h.readJSONBody(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var req struct {
		Ready bool `json:"ready"`
	}
	if len(body) > 0 {
		if err := decodeJSON(body, &req, "the index request"); err != nil {
			h.fail(w, err)
			return
		}
	}
	index, err := h.svc.RepositoryIndex(r.Context(), req.Ready)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.ok(w, nonNil(index))
}

func (h *handler) loadModel(w http.ResponseWriter, r *http.Request) {
	h.repositoryAction(w, r, h.svc.LoadModel)
}

func (h *handler) unloadModel(w http.ResponseWriter, r *http.Request) {
	h.repositoryAction(w, r, h.svc.UnloadModel)
}

// repositoryAction runs a load or unload. Triton lets the body carry
// parameters (a config override, model files); the Service cannot honour
// them, so they are refused rather than silently ignored.
func (h *handler) repositoryAction(w http.ResponseWriter, r *http.Request,
	action func(ctx context.Context, model string) error) {
	body, err := h.readJSONBody(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if len(body) > 0 {
		var req struct {
			Parameters json.RawMessage `json:"parameters"`
		}
		if err := decodeJSON(body, &req, "the request"); err != nil {
			h.fail(w, err)
			return
		}
		params, err := decodeParams(req.Parameters, "the request")
		if err != nil {
			h.fail(w, err)
			return
		}
		if len(params) > 0 {
			h.fail(w, infer.Errorf(infer.InvalidArgument, "load and unload parameters are not supported"))
			return
		}
	}
	if err := action(r.Context(), r.PathValue("model")); err != nil {
		h.fail(w, err)
		return
	}
	h.ok(w, struct{}{})
}

// readJSONBody reads an optional JSON body and checks its nesting;
// whitespace alone counts as no body.
func (h *handler) readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return nil, err
	}
	if isNull(body) {
		return nil, nil
	}
	if err := checkDepth(body, h.opts.MaxJSONDepth); err != nil {
		return nil, err
	}
	return body, nil
}
