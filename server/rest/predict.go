package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// The simple API: {"features": [...]} for the model's first input, or
// {"inputs": {name: nested array}}; the answer is nested like the data.
type predictBody struct {
	Features json.RawMessage
	Inputs   map[string][]byte
}

func (h *handler) predictDefault(w http.ResponseWriter, r *http.Request) {
	if h.opts.DefaultModel == "" {
		h.fail(w, infer.Errorf(infer.NotFound, "no default model is configured; use POST /models/{model}/predict"))
		return
	}
	h.runPredict(w, r, h.opts.DefaultModel)
}

func (h *handler) predict(w http.ResponseWriter, r *http.Request) {
	h.runPredict(w, r, r.PathValue("model"))
}

func (h *handler) runPredict(w http.ResponseWriter, r *http.Request, model string) {
	if isRaw(r) {
		body, err := h.readBody(w, r)
		if err != nil {
			h.fail(w, err)
			return
		}
		h.inferRaw(w, r, body, model, "", "predict")
		return
	}
	req, single, md, err := h.decodePredict(w, r, model)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp, ok := h.callInfer(w, r, req)
	if !ok {
		return
	}
	b, err := encodePredict(model, md, resp, single)
	if err != nil {
		h.fail(w, &infer.Error{Code: infer.Internal, Msg: "internal error", Err: err})
		return
	}
	if resp.Variant != "" {
		w.Header().Set(variantHeader, resp.Variant)
	}
	writeBody(w, http.StatusOK, "application/json", b)
}

// decodePredict builds the Request; single is true when the features were
// one row that was given a batch dimension of 1.
func (h *handler) decodePredict(w http.ResponseWriter, r *http.Request, model string) (
	req *infer.Request, single bool, md infer.ModelMetadata, err error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return nil, false, md, err
	}
	if isNull(body) {
		return nil, false, md, infer.Errorf(infer.InvalidArgument,
			`request body is empty; expected {"features": [...]} or {"inputs": {"name": [...]}}`)
	}
	pb, err := decodePredictBody(body, h.opts.MaxJSONDepth)
	if err != nil {
		return nil, false, md, err
	}
	hasFeatures, hasInputs := !isNull(pb.Features), len(pb.Inputs) > 0
	if hasFeatures == hasInputs {
		return nil, false, md, infer.Errorf(infer.InvalidArgument,
			`request must have exactly one of "features" and "inputs"`)
	}
	md, err = h.svc.ModelMetadata(r.Context(), model, "")
	if err != nil {
		return nil, false, md, err
	}
	req = &infer.Request{Model: model, Protocol: "predict"}
	if hasFeatures {
		var t infer.Tensor
		t, single, err = h.featuresInput(md, pb.Features)
		req.Inputs = []infer.Tensor{t}
	} else {
		req.Inputs, err = h.namedInputs(md, pb.Inputs)
	}
	if err != nil {
		return nil, false, md, err
	}
	if err := h.fromHeaders(r, req); err != nil {
		return nil, false, md, err
	}
	return req, single, md, nil
}

// featuresInput feeds "features" to the model's first input. One row
// (rank one less than the input's) gets a batch dimension of 1.
func (h *handler) featuresInput(md infer.ModelMetadata, raw json.RawMessage) (infer.Tensor, bool, error) {
	if len(md.Inputs) == 0 {
		return infer.Tensor{}, false, infer.Errorf(infer.InvalidArgument, "model %q has no inputs", md.Name)
	}
	in := md.Inputs[0]
	t, err := h.parseNamed(in, raw, h.opts.MaxElements, "features")
	if err != nil {
		return infer.Tensor{}, false, err
	}
	shape := t.Shape()
	single := false
	if in.Shape != nil {
		if len(shape) == len(in.Shape)-1 {
			shape = append([]int{1}, shape...)
			single = true
		}
		if !fits(shape, in.Shape) {
			return infer.Tensor{}, false, infer.Errorf(infer.InvalidArgument,
				"features have shape %v but model input %q has shape %v (-1 = any size)", t.Shape(), in.Name, in.Shape)
		}
		if single {
			if t, err = t.Reshape(shape...); err != nil {
				return infer.Tensor{}, false, infer.Wrap(infer.InvalidArgument, err, "features")
			}
		}
	}
	return infer.Tensor{Name: in.Name, Tensor: t}, single, nil
}

// namedInputs decodes {"inputs": {...}} in the model's input order, so
// the request does not depend on Go's map order.
func (h *handler) namedInputs(md infer.ModelMetadata, raw map[string][]byte) ([]infer.Tensor, error) {
	for name := range raw {
		if !slices.ContainsFunc(md.Inputs, func(t infer.TensorMetadata) bool { return t.Name == name }) {
			names := make([]string, len(md.Inputs))
			for i, t := range md.Inputs {
				names[i] = t.Name
			}
			return nil, infer.Errorf(infer.InvalidArgument, "model %q has no input %q; its inputs are: %s",
				md.Name, truncate(name, 64), strings.Join(names, ", "))
		}
	}
	budget := h.opts.MaxElements
	var inputs []infer.Tensor
	for _, in := range md.Inputs {
		data, ok := raw[in.Name]
		if !ok {
			continue // the service reports missing inputs
		}
		t, err := h.parseNamed(in, data, budget, fmt.Sprintf("input %q", in.Name))
		if err != nil {
			return nil, err
		}
		budget -= t.Len()
		inputs = append(inputs, infer.Tensor{Name: in.Name, Tensor: t})
	}
	return inputs, nil
}

// parseNamed decodes nested data for a model input, with its datatype and
// the shape of the nesting.
func (h *handler) parseNamed(in infer.TensorMetadata, raw []byte, budget int, what string) (*tensor.Tensor, error) {
	dt, ok := infer.DTypeOf(in.Datatype)
	s := newSink(dt, 0)
	if !ok || s == nil {
		return nil, infer.Errorf(infer.InvalidArgument,
			"model input %q has datatype %q, which this API cannot send", in.Name, in.Datatype)
	}
	if isNull(raw) {
		return nil, infer.Errorf(infer.InvalidArgument, "%s has no data", what)
	}
	shape, err := parseLearned(raw, budget, s)
	if err != nil {
		code := infer.InvalidArgument
		if errors.As(err, new(errTooMany)) {
			code = infer.TooLarge
		}
		return nil, infer.Errorf(code, "%s: %v", what, err)
	}
	t, err := s.tensor(shape)
	if err != nil {
		return nil, infer.Wrap(infer.InvalidArgument, err, what)
	}
	return t, nil
}

// fits reports whether shape matches a model shape (-1 = any size).
func fits(shape []int, model []int64) bool {
	if len(shape) != len(model) {
		return false
	}
	for i, d := range model {
		if d >= 0 && int64(shape[i]) != d {
			return false
		}
	}
	return true
}

// encodePredict answers {"prediction", "outputs" (more than one output
// only), "model", "version", "variant"}.
func encodePredict(model string, md infer.ModelMetadata, resp *infer.Response, single bool) ([]byte, error) {
	if len(resp.Outputs) == 0 {
		return nil, fmt.Errorf("the service returned no outputs")
	}
	first := resp.Outputs[0]
	if len(md.Outputs) > 0 {
		if i := slices.IndexFunc(resp.Outputs, func(t infer.Tensor) bool { return t.Name == md.Outputs[0].Name }); i >= 0 {
			first = resp.Outputs[i]
		}
	}
	b := append(make([]byte, 0, 256), `{"prediction":`...)
	b, err := appendPrediction(b, first, single)
	if err != nil {
		return nil, err
	}
	if len(resp.Outputs) > 1 || len(md.Outputs) > 1 {
		b = append(b, `,"outputs":{`...)
		for i, o := range resp.Outputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, o.Name)
			b = append(b, ':')
			if b, err = appendPrediction(b, o, single); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	b = append(b, `,"model":`...)
	b = appendString(b, model)
	b = append(b, `,"version":`...)
	b = appendString(b, resp.Version)
	b = append(b, `,"variant":`...)
	b = appendString(b, resp.Variant)
	return append(b, '}'), nil
}

// appendPrediction nests an output to its shape; for a single row the
// batch dimension of 1 is dropped, so one row in gives one row out.
func appendPrediction(b []byte, o infer.Tensor, single bool) ([]byte, error) {
	if o.Tensor == nil {
		return nil, fmt.Errorf("output %q: the service returned no tensor", o.Name)
	}
	shape := o.Tensor.Shape()
	if single && len(shape) > 0 && shape[0] == 1 {
		shape = shape[1:]
	}
	b, err := appendShaped(b, o.Tensor, shape)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", o.Name, err)
	}
	return b, nil
}
