package rest

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/gonyx/gonyx/server/infer"
)

// decodeJSON unmarshals b into v, rewording encoding/json's errors (which
// name Go types) in terms of the JSON the client sent.
func decodeJSON(b []byte, v any, what string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return jsonError(err, what)
	}
	return nil
}

func jsonError(err error, what string) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &infer.Error{Code: infer.InvalidArgument, Err: err,
			Msg: "malformed JSON in " + what + " at byte " + itoa(syn.Offset) + ": " + syn.Error()}
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		where := what
		if ute.Field != "" {
			where = "field \"" + ute.Field + "\" of " + what
		}
		return &infer.Error{Code: infer.InvalidArgument, Err: err,
			Msg: where + ": expected " + jsonKind(ute.Type) + ", got " + ute.Value}
	}
	return &infer.Error{Code: infer.InvalidArgument, Err: err, Msg: "malformed JSON in " + what}
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}
