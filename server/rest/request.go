package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

// headerLengthKey is the binary extension's header: the first N bytes of
// the body are JSON, the rest is tensor data.
const headerLengthKey = "Inference-Header-Content-Length"

// The request as KServe's JSON has it (walked by decodeWireRequest). Data
// and parameters stay raw: data is decoded into typed slices by
// dataParser, parameters with UseNumber.
type wireRequest struct {
	ID         string
	Parameters json.RawMessage
	Inputs     []wireInput
	Outputs    []wireOutput
}

type wireInput struct {
	Name       string
	Shape      []int64
	Datatype   string
	Parameters json.RawMessage
	Data       json.RawMessage
}

type wireOutput struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters"`
}

// outputPrefs says which outputs the response carries as binary data.
type outputPrefs struct {
	binaryDefault bool
	binary        map[string]bool
}

func (p outputPrefs) isBinary(name string) bool {
	if b, ok := p.binary[name]; ok {
		return b
	}
	return p.binaryDefault
}

// decodeInferRequest decodes a KServe v2 infer body (JSON, or JSON plus
// binary tensor data) into a Request without model, headers or timeout.
func (h *handler) decodeInferRequest(hdr http.Header, body []byte) (*infer.Request, outputPrefs, error) {
	var prefs outputPrefs
	jsonPart, bin, err := splitBinary(hdr, body)
	if err != nil {
		return nil, prefs, err
	}
	wr, err := decodeWireRequest(jsonPart, h.opts.MaxJSONDepth)
	if err != nil {
		return nil, prefs, err
	}
	params, err := decodeParams(wr.Parameters, "the request")
	if err != nil {
		return nil, prefs, err
	}
	// binary_data_output is about this transport, not the model.
	prefs.binaryDefault, _, err = boolParam(params, "binary_data_output", "the request")
	if err != nil {
		return nil, prefs, err
	}
	delete(params, "binary_data_output")

	inputs, err := h.decodeInputs(wr.Inputs, bin, bin != nil)
	if err != nil {
		return nil, prefs, err
	}
	outputs, err := decodeOutputs(wr.Outputs, &prefs)
	if err != nil {
		return nil, prefs, err
	}
	return &infer.Request{ID: wr.ID, Inputs: inputs, Outputs: outputs, Parameters: params}, prefs, nil
}

// splitBinary separates the JSON header from the binary tensor data; bin
// is nil when the request has no binary part.
func splitBinary(hdr http.Header, body []byte) (jsonPart, bin []byte, err error) {
	v := hdr.Get(headerLengthKey)
	if v == "" {
		return body, nil, nil
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if perr != nil || n < 0 || n > int64(len(body)) {
		return nil, nil, infer.Errorf(infer.InvalidArgument,
			"%s must be a byte count between 0 and the body size %d, got %q", headerLengthKey, len(body), truncate(v, 40))
	}
	return body[:n], body[n:len(body):len(body)], nil
}

// plannedInput is an input whose metadata passed validation and whose
// element count is known, before any data is decoded.
type plannedInput struct {
	name       string
	dtype      tensor.DType
	shape      []int
	n          int
	params     map[string]any
	binarySize int64 // -1 when the data is JSON
	data       json.RawMessage
}

func (h *handler) decodeInputs(ws []wireInput, bin []byte, hasBinary bool) ([]infer.Tensor, error) {
	if len(ws) == 0 {
		return nil, infer.Errorf(infer.InvalidArgument, "request has no inputs")
	}
	// First validate every input and count elements against the budget,
	// so nothing is allocated for a request that is too big.
	plans := make([]plannedInput, len(ws))
	seen := make(map[string]bool, len(ws))
	budget := h.opts.MaxElements
	var binaryTotal int64
	for i, w := range ws {
		p, err := planInput(w, i, budget)
		if err != nil {
			return nil, err
		}
		if seen[p.name] {
			return nil, infer.Errorf(infer.InvalidArgument, "input %q appears more than once", p.name)
		}
		seen[p.name] = true
		budget -= p.n
		if p.binarySize >= 0 {
			if !hasBinary {
				return nil, infer.Errorf(infer.InvalidArgument,
					"input %q has binary_data_size but the request has no %s header", p.name, headerLengthKey)
			}
			// Compared with what is left rather than summed first, so
			// sizes near 2^63 cannot wrap around to a plausible total.
			if p.binarySize > int64(len(bin))-binaryTotal {
				return nil, infer.Errorf(infer.InvalidArgument,
					"binary data is truncated: the inputs' binary_data_size add up to more than the %d bytes after the JSON header",
					len(bin))
			}
			binaryTotal += p.binarySize
		}
		plans[i] = p
	}
	if binaryTotal != int64(len(bin)) {
		return nil, infer.Errorf(infer.InvalidArgument,
			"the body has %d bytes of binary data but the inputs' binary_data_size add up to %d", len(bin), binaryTotal)
	}

	inputs := make([]infer.Tensor, len(plans))
	for i, p := range plans {
		var t *tensor.Tensor
		var err error
		if p.binarySize >= 0 {
			t, err = decodeBinary(p.dtype, p.shape, p.n, bin[:p.binarySize])
			bin = bin[p.binarySize:]
		} else {
			t, err = decodeJSONData(p)
		}
		if err != nil {
			return nil, infer.Errorf(infer.InvalidArgument, "input %q: %v", p.name, err)
		}
		inputs[i] = infer.Tensor{Name: p.name, Tensor: t, Parameters: p.params}
	}
	return inputs, nil
}

func planInput(w wireInput, index, budget int) (plannedInput, error) {
	p := plannedInput{name: w.Name, binarySize: -1, data: w.Data}
	if w.Name == "" {
		return p, infer.Errorf(infer.InvalidArgument, "input %d has no name", index)
	}
	what := fmt.Sprintf("input %q", w.Name)
	dt, ok := infer.DTypeOf(w.Datatype)
	if !ok {
		return p, infer.Errorf(infer.InvalidArgument, "%s: unknown datatype %q; expected one of %s",
			what, truncate(w.Datatype, 40), datatypeList)
	}
	p.dtype = dt
	if w.Shape == nil {
		return p, infer.Errorf(infer.InvalidArgument, "%s has no shape", what)
	}
	var err error
	p.shape, p.n, err = shapeElements(w.Shape, budget, what)
	if err != nil {
		return p, err
	}
	p.params, err = decodeParams(w.Parameters, what)
	if err != nil {
		return p, err
	}
	size, hasSize, err := intParam(p.params, "binary_data_size", what)
	if err != nil {
		return p, err
	}
	if hasSize {
		if !isNull(w.Data) {
			return p, infer.Errorf(infer.InvalidArgument, "%s has both binary_data_size and data", what)
		}
		p.binarySize = size
		delete(p.params, "binary_data_size")
		if len(p.params) == 0 {
			p.params = nil
		}
	} else if isNull(w.Data) {
		return p, infer.Errorf(infer.InvalidArgument, "%s has no data", what)
	}
	return p, nil
}

// shapeElements converts a client's shape and counts its elements,
// refusing negative dimensions and more elements than budget.
func shapeElements(shape []int64, budget int, what string) ([]int, int, error) {
	tooLarge := func() error {
		return infer.Errorf(infer.TooLarge,
			"%s: shape %v exceeds the limit of %d tensor elements per request", what, shape, budget)
	}
	dims := make([]int, len(shape))
	empty := false
	for i, d := range shape {
		if d < 0 {
			return nil, 0, infer.Errorf(infer.InvalidArgument, "%s: shape %v has a negative dimension", what, shape)
		}
		if d > int64(budget) {
			return nil, 0, tooLarge()
		}
		empty = empty || d == 0
		dims[i] = int(d)
	}
	if empty {
		return dims, 0, nil
	}
	n := 1
	for _, d := range dims {
		if n > budget/d {
			return nil, 0, tooLarge()
		}
		n *= d
	}
	if n > budget { // a scalar when the budget is spent
		return nil, 0, tooLarge()
	}
	return dims, n, nil
}

// decodeJSONData parses an input's JSON data into a tensor.
func decodeJSONData(p plannedInput) (*tensor.Tensor, error) {
	// n values need at least 2n-1 bytes ("1,2,3"), so a shape that claims
	// far more than the data holds fails before its slice is allocated.
	if int64(p.n) > (int64(len(p.data))+1)/2 {
		return nil, fmt.Errorf("data is %d bytes, too short for the %d elements of shape %v", len(p.data), p.n, p.shape)
	}
	s := newSink(p.dtype, p.n)
	if s == nil {
		return nil, fmt.Errorf("datatype %s is not supported", infer.Datatype(p.dtype))
	}
	if err := parseShaped(p.data, p.shape, p.n, s); err != nil {
		return nil, err
	}
	return s.tensor(p.shape)
}

func decodeOutputs(ws []wireOutput, prefs *outputPrefs) ([]infer.OutputRequest, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	outs := make([]infer.OutputRequest, len(ws))
	prefs.binary = make(map[string]bool, len(ws))
	for i, w := range ws {
		if w.Name == "" {
			return nil, infer.Errorf(infer.InvalidArgument, "requested output %d has no name", i)
		}
		if _, dup := prefs.binary[w.Name]; dup {
			return nil, infer.Errorf(infer.InvalidArgument, "output %q is requested more than once", w.Name)
		}
		what := fmt.Sprintf("requested output %q", w.Name)
		params, err := decodeParams(w.Parameters, what)
		if err != nil {
			return nil, err
		}
		bin, set, err := boolParam(params, "binary_data", what)
		if err != nil {
			return nil, err
		}
		if !set {
			bin = prefs.binaryDefault
		}
		delete(params, "binary_data")
		if len(params) == 0 {
			params = nil
		}
		prefs.binary[w.Name] = bin
		outs[i] = infer.OutputRequest{Name: w.Name, Binary: bin, Parameters: params}
	}
	return outs, nil
}

// datatypeList names the datatypes a request may use, for error messages.
var datatypeList = "BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16, BYTES"
