package main

import (
	"reflect"
	"strings"
	"testing"
)

// The expectations below are worked by hand, most of them the cases of
// BERT's own tokenization_test.py.

func mustTokenizer(t *testing.T, vocab []string, lower bool) *tokenizer {
	t.Helper()
	tok, err := newTokenizer(strings.Join(vocab, "\n")+"\n", lower)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var bertTestVocab = []string{"[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ","}

func TestWordPiece(t *testing.T) {
	tok := mustTokenizer(t, bertTestVocab, true)
	for text, want := range map[string][]string{
		"":                  nil,
		"unwanted running":  {"un", "##want", "##ed", "runn", "##ing"},
		"unwantedX running": {"[UNK]", "runn", "##ing"},
	} {
		if got := tok.tokenize(text); !reflect.DeepEqual(got, want) {
			t.Errorf("tokenize(%q) = %q, want %q", text, got, want)
		}
	}
}

// The BERT paper's example: "unaffable" → un ##aff ##able.
func TestUnaffable(t *testing.T) {
	tok := mustTokenizer(t, []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "aff", "able"}, true)
	if got, want := tok.tokenize("unaffable"), []string{"un", "##aff", "##able"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := tok.encode("Unaffable", 128), []int64{2, 4, 5, 6, 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
}

func TestFullTokenizer(t *testing.T) {
	tok := mustTokenizer(t, bertTestVocab, true)
	toks := tok.tokenize("UNwant\u00E9d,running")
	if want := []string{"un", "##want", "##ed", ",", "runn", "##ing"}; !reflect.DeepEqual(toks, want) {
		t.Fatalf("got %q, want %q", toks, want)
	}
	// [CLS]=1, un=7, ##want=4, ##ed=5, ","=10, runn=8, ##ing=9, [SEP]=2.
	if got, want := tok.encode("UNwant\u00E9d,running", 128), []int64{1, 7, 4, 5, 10, 8, 9, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	// Truncation keeps max_len ids, [SEP] last.
	if got, want := tok.encode("UNwant\u00E9d,running", 5), []int64{1, 7, 4, 5, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("truncated ids %v, want %v", got, want)
	}
	if got, want := tok.encode("running", 2), []int64{1, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("max_len 2: %v, want %v", got, want)
	}
}

func TestBasicTokenizer(t *testing.T) {
	lower := mustTokenizer(t, bertTestVocab, true)
	cased := mustTokenizer(t, bertTestVocab, false)
	cases := []struct {
		tok  *tokenizer
		text string
		want []string
	}{
		{lower, " \tHeLLo!how  \n Are yoU?  ", []string{"hello", "!", "how", "are", "you", "?"}},
		{lower, "H\u00E9llo", []string{"hello"}},
		{cased, " \tHeLLo!how  \n Are yoU?  ", []string{"HeLLo", "!", "how", "Are", "yoU", "?"}},
		{cased, "H\u00E9llo", []string{"H\u00E9llo"}}, // no accent stripping when cased
		{lower, "ah\u535A\u63A8zz", []string{"ah", "\u535A", "\u63A8", "zz"}},
		// Control characters vanish, U+00A0 separates, ASCII symbols split.
		{lower, "a\u0005b\u00A0c$d`e", []string{"ab", "c", "$", "d", "`", "e"}},
		{lower, "na\u00EFve caf\u00E9 \u00C5ngstr\u00F6m", []string{"naive", "cafe", "angstrom"}},
	}
	for _, c := range cases {
		if got := c.tok.basic(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("basic(%q, lower=%v) = %q, want %q", c.text, c.tok.lowercase, got, c.want)
		}
	}
}

func TestCharacterClasses(t *testing.T) {
	for _, r := range " \t\r\n\u00A0" {
		if !isWhitespace(r) {
			t.Errorf("isWhitespace(%q) = false", r)
		}
	}
	for _, r := range "A-" {
		if isWhitespace(r) {
			t.Errorf("isWhitespace(%q) = true", r)
		}
	}
	if !isControl('\u0005') {
		t.Error(`isControl("\u0005") = false`)
	}
	for _, r := range "A \t\r\U0001F4A9" {
		if isControl(r) {
			t.Errorf("isControl(%q) = true", r)
		}
	}
	for _, r := range "-$`." {
		if !isPunct(r) {
			t.Errorf("isPunct(%q) = false", r)
		}
	}
	for _, r := range "A " {
		if isPunct(r) {
			t.Errorf("isPunct(%q) = true", r)
		}
	}
}

func TestLongWords(t *testing.T) {
	tok := mustTokenizer(t, []string{"[UNK]", "[CLS]", "[SEP]", "a", "##a"}, true)
	// 100 characters split; 101 are [UNK] without trying.
	if got := tok.tokenize(strings.Repeat("a", 100)); len(got) != 100 || got[0] != "a" || got[99] != "##a" {
		t.Fatalf("100 a's: %d tokens %q…", len(got), got[:min(3, len(got))])
	}
	if got := tok.tokenize(strings.Repeat("a", 101)); !reflect.DeepEqual(got, []string{"[UNK]"}) {
		t.Fatalf("101 a's: %q", got)
	}
}

func TestVocabErrors(t *testing.T) {
	if _, err := newTokenizer("", true); err == nil {
		t.Error("empty vocabulary accepted")
	}
	if _, err := newTokenizer("[UNK]\n[CLS]\nfoo\n", true); err == nil || !strings.Contains(err.Error(), "[SEP]") {
		t.Errorf("vocabulary without [SEP]: %v", err)
	}
	// Windows line ends are tolerated.
	tok, err := newTokenizer("[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.encode("hi", 8), []int64{1, 3, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
}
