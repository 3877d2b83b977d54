// Command wordpiece is a gonyx pre plugin: text → BERT WordPiece ids.
//
// Input: the request body as UTF-8 text, or JSON {"text": "..."} when the
// content type is application/json (a multipart field "text" works too).
// Output: input_ids, attention_mask and token_type_ids, int64 [1, L], with
// [CLS] … [SEP] around the tokens.
package main

import (
	"errors"
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/sdk"
)

// settings is the configuration after Init.
var settings struct {
	tok     *tokenizer
	maxLen  int
	pad     bool
	typeIDs bool
}

func init() {
	ids := []int64{1, -1}
	sdk.Register(sdk.Plugin{
		Name: "wordpiece", Version: "1.0.0", Kind: sdk.Pre,
		Inputs: []sdk.Spec{{Name: "body", Datatype: "BYTES"}},
		Outputs: []sdk.Spec{{Name: "input_ids", Datatype: "INT64", Shape: ids},
			{Name: "attention_mask", Datatype: "INT64", Shape: ids},
			{Name: "token_type_ids", Datatype: "INT64", Shape: ids}},
		Config: map[string]string{
			"vocab":          "the vocabulary, one token per line (line n is id n), given inline",
			"max_len":        "most ids per sequence, [CLS] and [SEP] included (default 128)",
			"lowercase":      "lowercase and strip accents, for uncased models (default true)",
			"pad":            "pad to max_len with [PAD], attention_mask 0 (default false)",
			"token_type_ids": "also output token_type_ids, all zero (default true)",
		},
		Init:    configure,
		Process: process,
	})
}

func configure(cfg sdk.Config) error {
	var err error
	s := &settings
	if s.maxLen, err = cfg.Int("max_len", 128); err != nil {
		return err
	}
	if s.maxLen < 2 {
		return fmt.Errorf("max_len %d leaves no room for [CLS] and [SEP]", s.maxLen)
	}
	lower, err := cfg.Bool("lowercase", true)
	if err != nil {
		return err
	}
	if s.pad, err = cfg.Bool("pad", false); err != nil {
		return err
	}
	if s.typeIDs, err = cfg.Bool("token_type_ids", true); err != nil {
		return err
	}
	if s.tok, err = newTokenizer(cfg.String("vocab", ""), lower); err != nil {
		return err
	}
	if s.pad && s.tok.pad < 0 {
		return errors.New("pad is true but the vocabulary has no [PAD] token")
	}
	return nil
}

func process(in sdk.Input) (sdk.Output, error) {
	text, err := requestText(in)
	if err != nil {
		return sdk.Output{}, err
	}
	s := &settings
	ids := s.tok.encode(text, s.maxLen)
	mask := make([]int64, len(ids), max(len(ids), s.maxLen))
	for i := range mask {
		mask[i] = 1
	}
	if s.pad {
		for len(ids) < s.maxLen {
			ids = append(ids, s.tok.pad)
			mask = append(mask, 0)
		}
	}
	shape := []int{1, len(ids)}
	out := sdk.Output{}.
		Tensor("input_ids", tensor.New(shape, ids)).
		Tensor("attention_mask", tensor.New(shape, mask))
	if s.typeIDs {
		out = out.Tensor("token_type_ids", tensor.New(shape, make([]int64, len(ids))))
	}
	return out, nil
}

func main() {}
