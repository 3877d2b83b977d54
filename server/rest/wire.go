package rest

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gonyx/gonyx/server/infer"
)

// The infer and /predict bodies are walked with jsonCursor: it checks the
// nesting depth and the syntax in the same pass that records where each
// tensor's data lies, and only the small fields (names, shapes, outputs)
// go through encoding/json. Keys are matched exactly, as KServe spells
// them; unknown keys are skipped (after validation).

// decodeWireRequest walks a KServe v2 infer request.
func decodeWireRequest(b []byte, maxDepth int) (wireRequest, error) {
	var wr wireRequest
	c := &jsonCursor{b: b, maxDepth: maxDepth}
	err := c.topObject(func(key string) error {
		var err error
		switch key {
		case "id":
			err = c.field(`field "id"`, 2, &wr.ID)
		case "parameters":
			wr.Parameters, err = c.span(2)
		case "inputs":
			wr.Inputs, err = c.inputs()
		case "outputs":
			err = c.field(`field "outputs"`, 2, &wr.Outputs)
		default:
			err = c.skipValue(2)
		}
		return err
	})
	return wr, requestJSONError(err)
}

func (c *jsonCursor) inputs() ([]wireInput, error) {
	if c.literal("null") {
		return nil, nil
	}
	if c.peek() != '[' {
		return nil, infer.Errorf(infer.InvalidArgument, `field "inputs" must be an array of input objects`)
	}
	if err := c.checkDepth(2); err != nil {
		return nil, err
	}
	var inputs []wireInput
	err := c.array(func() error {
		i := len(inputs)
		if c.peek() != '{' {
			return infer.Errorf(infer.InvalidArgument, "inputs[%d] must be an object", i)
		}
		if err := c.checkDepth(3); err != nil {
			return err
		}
		var in wireInput
		err := c.object(func(key string) error {
			var err error
			switch key {
			case "name":
				err = c.field(fmt.Sprintf(`field "inputs[%d].name"`, i), 4, &in.Name)
			case "datatype":
				err = c.field(fmt.Sprintf(`field "inputs[%d].datatype"`, i), 4, &in.Datatype)
			case "shape":
				err = c.field(fmt.Sprintf(`field "inputs[%d].shape"`, i), 4, &in.Shape)
			case "parameters":
				in.Parameters, err = c.span(4)
			case "data":
				in.Data, err = c.span(4)
			default:
				err = c.skipValue(4)
			}
			return err
		})
		inputs = append(inputs, in)
		return err
	})
	return inputs, err
}

// decodePredictBody walks {"features": ...} or {"inputs": {name: ...}}.
func decodePredictBody(b []byte, maxDepth int) (predictBody, error) {
	var pb predictBody
	c := &jsonCursor{b: b, maxDepth: maxDepth}
	err := c.topObject(func(key string) error {
		var err error
		switch key {
		case "features":
			pb.Features, err = c.span(2)
		case "inputs":
			err = c.namedData(&pb)
		default:
			err = c.skipValue(2)
		}
		return err
	})
	return pb, requestJSONError(err)
}

func (c *jsonCursor) namedData(pb *predictBody) error {
	if c.literal("null") {
		return nil
	}
	if c.peek() != '{' {
		return infer.Errorf(infer.InvalidArgument, `field "inputs" must be an object of named arrays`)
	}
	if err := c.checkDepth(2); err != nil {
		return err
	}
	pb.Inputs = make(map[string][]byte)
	return c.object(func(key string) error {
		raw, err := c.span(3)
		pb.Inputs[key] = raw
		return err
	})
}

// topObject walks the body's top-level object and checks nothing follows.
func (c *jsonCursor) topObject(field func(key string) error) error {
	c.skipSpace()
	if c.peek() != '{' {
		if c.done() {
			return infer.Errorf(infer.InvalidArgument, "request body is empty; expected a JSON object")
		}
		return infer.Errorf(infer.InvalidArgument, "the request must be a JSON object, got %s", c.describeNext())
	}
	if err := c.checkDepth(1); err != nil {
		return err
	}
	if err := c.object(field); err != nil {
		return err
	}
	return c.end()
}

// field decodes a small value with encoding/json after validating it.
func (c *jsonCursor) field(what string, depth int, v any) error {
	raw, err := c.span(depth)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonError(err, what)
	}
	return nil
}

// requestJSONError classifies an error from walking a body: our own
// *infer.Error as is, too deep and syntax errors as InvalidArgument.
func requestJSONError(err error) error {
	if err == nil {
		return nil
	}
	var e *infer.Error
	if errors.As(err, &e) {
		return e
	}
	var deep tooDeepError
	if errors.As(err, &deep) {
		return infer.Errorf(infer.InvalidArgument, "%v", err)
	}
	return &infer.Error{Code: infer.InvalidArgument, Msg: "malformed JSON in the request: " + err.Error(), Err: err}
}

// describeNext names the kind of value at pos, for error messages.
func (c *jsonCursor) describeNext() string {
	switch ch := c.peek(); {
	case ch == '[':
		return "an array"
	case ch == '"':
		return "a string"
	case ch == '-' || (ch >= '0' && ch <= '9'):
		return "a number"
	case ch == 't' || ch == 'f':
		return "true or false"
	case ch == 'n':
		return "null"
	}
	return "something else"
}
