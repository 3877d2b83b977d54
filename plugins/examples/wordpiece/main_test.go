package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/sdk"
)

// ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 want=4 ##want=5 ##ed=6 wa=7 un=8
// runn=9 ##ing=10 ","=11.
const testVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nwant\n##want\n##ed\nwa\nun\nrunn\n##ing\n,\n"

func run(t *testing.T, settings map[string]string, in abi.Message) map[string][]int64 {
	t.Helper()
	out, err := sdk.RunLocal(settings, in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, e := range out {
		if e.Tensor == nil || e.Tensor.DType() != tensor.Int64 || e.Tensor.Rank() != 2 || e.Tensor.Shape()[0] != 1 {
			t.Fatalf("output %q is not an int64 [1,L] tensor", e.Name)
		}
		got[e.Name] = tensor.Data[int64](e.Tensor)
	}
	return got
}

func body(ct, text string) abi.Message {
	return abi.Message{{Name: "content_type", Bytes: []byte(ct)}, {Name: "body", Bytes: []byte(text)}}
}

func TestPluginText(t *testing.T) {
	got := run(t, map[string]string{"vocab": testVocab}, body("text/plain", "UNwant\u00E9d, running"))
	want := map[string][]int64{
		"input_ids":      {2, 8, 5, 6, 11, 9, 10, 3},
		"attention_mask": {1, 1, 1, 1, 1, 1, 1, 1},
		"token_type_ids": {0, 0, 0, 0, 0, 0, 0, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestPluginJSONPadded(t *testing.T) {
	got := run(t, map[string]string{"vocab": testVocab, "max_len": "6", "pad": "true", "token_type_ids": "false"},
		body("application/json; charset=utf-8", `{"text": "wa want"}`))
	want := map[string][]int64{
		"input_ids":      {2, 7, 4, 3, 0, 0},
		"attention_mask": {1, 1, 1, 1, 0, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestPluginCased(t *testing.T) {
	// Cased: "Want" is not in the vocabulary, so it is [UNK].
	got := run(t, map[string]string{"vocab": testVocab, "lowercase": "false"},
		abi.Message{{Name: "text", Bytes: []byte("Want want")}})
	if want := []int64{2, 1, 4, 3}; !reflect.DeepEqual(got["input_ids"], want) {
		t.Fatalf("input_ids %v, want %v", got["input_ids"], want)
	}
}

func TestPluginErrors(t *testing.T) {
	for _, c := range []struct {
		settings map[string]string
		in       abi.Message
		want     string
	}{
		{map[string]string{}, body("", "x"), "vocab"},
		{map[string]string{"vocab": testVocab, "max_len": "x"}, body("", "x"), "max_len"},
		{map[string]string{"vocab": testVocab, "max_len": "1"}, body("", "x"), "max_len"},
		{map[string]string{"vocab": testVocab, "vocabulary": "x"}, body("", "x"), `unknown config key "vocabulary"`},
		{map[string]string{"vocab": "[UNK]\n[CLS]\n[SEP]\n", "pad": "true"}, body("", "x"), "[PAD]"},
		{map[string]string{"vocab": testVocab}, body("", "\xff\xfe"), "UTF-8"},
		{map[string]string{"vocab": testVocab}, body("application/json", `{"txt": "a"}`), `no "text"`},
		{map[string]string{"vocab": testVocab}, body("application/json", `{`), "JSON"},
		{map[string]string{"vocab": testVocab}, abi.Message{{Name: "image", Bytes: []byte("x")}}, "no text"},
	} {
		_, err := sdk.RunLocal(c.settings, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("settings %v: error %v, want one mentioning %q", c.settings, err, c.want)
		}
	}
}
