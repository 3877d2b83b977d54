package main

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxWordChars is BERT's max_input_chars_per_word: longer words become
// [UNK] without trying to split them.
const maxWordChars = 100

// tokenizer is BERT's FullTokenizer: basic tokenization (clean, split on
// whitespace and punctuation, CJK characters apart, optional lowercasing
// with accent stripping) followed by greedy longest-match-first WordPiece.
type tokenizer struct {
	vocab     map[string]int64
	lowercase bool
	unk       int64
	cls       int64
	sep       int64
	pad       int64 // -1 when the vocabulary has no [PAD]
}

// newTokenizer reads a vocabulary given as one token per line; a token's id
// is its line number from 0, as in BERT's vocab.txt.
func newTokenizer(vocab string, lowercase bool) (*tokenizer, error) {
	if vocab == "" {
		return nil, errors.New("the vocab setting is empty: give the vocabulary, one token per line")
	}
	lines := strings.Split(strings.TrimSuffix(vocab, "\n"), "\n")
	t := &tokenizer{vocab: make(map[string]int64, len(lines)), lowercase: lowercase, pad: -1}
	for i, tok := range lines {
		t.vocab[strings.TrimSuffix(tok, "\r")] = int64(i)
	}
	for _, sp := range []struct {
		tok string
		id  *int64
	}{{"[UNK]", &t.unk}, {"[CLS]", &t.cls}, {"[SEP]", &t.sep}} {
		id, ok := t.vocab[sp.tok]
		if !ok {
			return nil, fmt.Errorf("the vocabulary has no %s token", sp.tok)
		}
		*sp.id = id
	}
	if id, ok := t.vocab["[PAD]"]; ok {
		t.pad = id
	}
	return t, nil
}

// tokenize splits text into WordPiece tokens.
func (t *tokenizer) tokenize(text string) []string {
	var out []string
	for _, word := range t.basic(text) {
		out = append(out, t.wordpiece(word)...)
	}
	return out
}

// encode returns the ids of [CLS] tokens… [SEP], keeping at most maxLen ids
// in all (the tokens are truncated; [SEP] always closes the sequence).
func (t *tokenizer) encode(text string, maxLen int) []int64 {
	toks := t.tokenize(text)
	if len(toks) > maxLen-2 {
		toks = toks[:max(maxLen-2, 0)]
	}
	ids := make([]int64, 0, len(toks)+2)
	ids = append(ids, t.cls)
	for _, tok := range toks {
		ids = append(ids, t.vocab[tok])
	}
	return append(ids, t.sep)
}

// basic is BERT's BasicTokenizer.
func (t *tokenizer) basic(text string) []string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == 0 || r == unicode.ReplacementChar || isControl(r):
			// dropped, as BERT's _clean_text does
		case isWhitespace(r):
			b.WriteByte(' ')
		case isCJK(r):
			// CJK characters are words of their own.
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var out []string
	for _, tok := range strings.Fields(b.String()) {
		if t.lowercase {
			tok = stripAccents(strings.ToLower(tok))
		}
		out = append(out, splitPunct(tok)...)
	}
	return out
}

// stripAccents decomposes (NFD) and drops the combining marks: "é" → "e".
func stripAccents(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(s))
}

// splitPunct makes every punctuation character a token of its own.
func splitPunct(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if isPunct(r) {
			if i > start {
				out = append(out, s[start:i])
			}
			out = append(out, string(r))
			start = i + len(string(r))
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// wordpiece splits one word greedily, longest match first, continuations
// prefixed "##"; a word with any unmatched part is [UNK] as a whole.
func (t *tokenizer) wordpiece(word string) []string {
	chars := []rune(word)
	if len(chars) > maxWordChars {
		return []string{"[UNK]"}
	}
	var out []string
	for start := 0; start < len(chars); {
		end := len(chars)
		piece := ""
		for ; end > start; end-- {
			s := string(chars[start:end])
			if start > 0 {
				s = "##" + s
			}
			if _, ok := t.vocab[s]; ok {
				piece = s
				break
			}
		}
		if piece == "" {
			return []string{"[UNK]"}
		}
		out = append(out, piece)
		start = end
	}
	return out
}

// isWhitespace is BERT's _is_whitespace.
func isWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r)
}

// isControl is BERT's _is_control: \t, \n and \r count as whitespace.
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isPunct is BERT's _is_punctuation: every non-alphanumeric ASCII symbol
// ("$", "^", "`" are not Unicode punctuation but count) and category P.
func isPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

// isCJK is BERT's _is_chinese_char: the CJK Unified Ideographs blocks (not
// Hiragana, Katakana or Hangul, which are split like other scripts).
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}
