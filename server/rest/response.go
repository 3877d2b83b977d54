package rest

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/gonyx/gonyx/server/infer"
)

// encodedResponse is a KServe v2 infer response: the JSON, and the binary
// tensor data that follows it when any output travels as binary.
type encodedResponse struct {
	json      []byte
	bin       []byte
	hasBinary bool
}

// encodeInferResponse writes the response by hand: output data goes
// straight from typed slices into the buffer.
func encodeInferResponse(req *infer.Request, resp *infer.Response, prefs outputPrefs) (encodedResponse, error) {
	var out encodedResponse
	b := make([]byte, 0, 256)
	b = append(b, `{"model_name":`...)
	b = appendString(b, req.Model)
	if resp.Version != "" {
		b = append(b, `,"model_version":`...)
		b = appendString(b, resp.Version)
	}
	id := req.ID
	if id == "" {
		id = resp.ID
	}
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	params := resp.Parameters
	if resp.Variant != "" {
		params = maps.Clone(params)
		if params == nil {
			params = make(map[string]any, 1)
		}
		params["variant"] = resp.Variant
	}
	var err error
	if len(params) > 0 {
		b = append(b, `,"parameters":`...)
		if b, err = appendJSON(b, params); err != nil {
			return out, fmt.Errorf("response parameters: %w", err)
		}
	}
	b = append(b, `,"outputs":[`...)
	for i, o := range resp.Outputs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = out.appendOutput(b, o, prefs.isBinary(o.Name)); err != nil {
			return out, fmt.Errorf("output %q: %w", o.Name, err)
		}
	}
	out.json = append(b, "]}"...)
	return out, nil
}

func (out *encodedResponse) appendOutput(b []byte, o infer.Tensor, binary bool) ([]byte, error) {
	if o.Tensor == nil {
		return nil, fmt.Errorf("the service returned no tensor")
	}
	dt := infer.Datatype(o.Tensor.DType())
	if dt == "" {
		return nil, fmt.Errorf("datatype %v has no KServe name", o.Tensor.DType())
	}
	b = append(b, `{"name":`...)
	b = appendString(b, o.Name)
	b = append(b, `,"datatype":"`...)
	b = append(b, dt...)
	b = append(b, `","shape":[`...)
	for i, d := range o.Tensor.Shape() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendInt(b, d)
	}
	b = append(b, ']')

	params := o.Parameters
	var err error
	if binary {
		before := len(out.bin)
		if out.bin, err = appendBinary(out.bin, o.Tensor); err != nil {
			return nil, err
		}
		out.hasBinary = true
		params = maps.Clone(params)
		if params == nil {
			params = make(map[string]any, 1)
		}
		params["binary_data_size"] = len(out.bin) - before
	}
	if len(params) > 0 {
		b = append(b, `,"parameters":`...)
		if b, err = appendJSON(b, params); err != nil {
			return nil, err
		}
	}
	if !binary {
		b = append(b, `,"data":`...)
		if b, err = appendFlat(b, o.Tensor); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

func appendInt(b []byte, v int) []byte {
	return append(b, itoa(v)...)
}
