package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"unicode/utf8"

	"github.com/gonyx/gonyx/plugins/sdk"
)

// requestText finds the text to tokenize: the body (plain text, or JSON
// {"text": ...} when the content type says JSON), else a multipart field
// called "text".
func requestText(in sdk.Input) (string, error) {
	body, ok := in.Bytes("body")
	if !ok {
		if body, ok = in.Bytes("text"); !ok {
			return "", errors.New(`no text: send it as the request body or as a form field "text"`)
		}
	} else if isJSON(in.ContentType()) {
		var req struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return "", fmt.Errorf("the JSON body is not valid: %v", err)
		}
		if req.Text == nil {
			return "", errors.New(`the JSON body has no "text" string`)
		}
		return *req.Text, nil
	}
	if !utf8.Valid(body) {
		return "", errors.New("the text is not valid UTF-8")
	}
	return string(body), nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
