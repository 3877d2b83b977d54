package text

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.Register("", "StringNormalizer", 10, buildStringNormalizer)
	ops.Register("", "TfIdfVectorizer", 9, buildTfIdf)
	ops.Register("", "RegexFullMatch", 20, buildRegexFullMatch)
	ops.Register("", "StringConcat", 20, buildStringConcat)
	ops.Register("", "StringSplit", 20, buildStringSplit)
}

// caseMapper lower- or upper-cases by Unicode rules; Turkish and Azeri
// locales get their dotted/dotless i mappings.
type caseMapper struct {
	special unicode.SpecialCase // nil: plain Unicode mapping
}

func (m caseMapper) lower(s string) string {
	if m.special != nil {
		return strings.ToLowerSpecial(m.special, s)
	}
	return strings.ToLower(s)
}

func (m caseMapper) upper(s string) string {
	if m.special != nil {
		return strings.ToUpperSpecial(m.special, s)
	}
	return strings.ToUpper(s)
}

func mapperFor(locale string) caseMapper {
	l := strings.ToLower(locale)
	if l == "tr" || l == "az" || strings.HasPrefix(l, "tr_") || strings.HasPrefix(l, "tr-") ||
		strings.HasPrefix(l, "az_") || strings.HasPrefix(l, "az-") {
		return caseMapper{special: unicode.TurkishCase}
	}
	return caseMapper{}
}

type stringNormalizer struct {
	action        string // LOWER, UPPER, NONE
	caseSensitive bool
	stop          map[string]bool // keys folded when !caseSensitive
	mapper        caseMapper
}

func buildStringNormalizer(n *ops.Node) (ops.Kernel, error) {
	action, err := n.AttrString("case_change_action", "NONE")
	if err != nil {
		return nil, err
	}
	switch action {
	case "LOWER", "UPPER", "NONE":
	default:
		return nil, fmt.Errorf("StringNormalizer: case_change_action must be LOWER, UPPER or NONE, got %q", action)
	}
	cs, err := n.AttrInt("is_case_sensitive", 0)
	if err != nil {
		return nil, err
	}
	locale, err := n.AttrString("locale", "")
	if err != nil {
		return nil, err
	}
	words, err := n.AttrStrings("stopwords", nil)
	if err != nil {
		return nil, err
	}
	k := &stringNormalizer{action: action, caseSensitive: cs != 0, mapper: mapperFor(locale)}
	k.stop = make(map[string]bool, len(words))
	for _, w := range words {
		k.stop[k.key(w)] = true
	}
	return ops.Tensors(k.run), nil
}

// key is the form in which stop words are compared.
func (k *stringNormalizer) key(s string) string {
	if k.caseSensitive {
		return s
	}
	return k.mapper.lower(k.mapper.upper(s))
}

func (k *stringNormalizer) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("StringNormalizer: input X is required")
	}
	if x.DType() != tensor.String {
		return nil, fmt.Errorf("StringNormalizer: X must be a string tensor, got %v", x.DType())
	}
	shape := x.Shape()
	twoD := false
	switch {
	case len(shape) == 1:
	case len(shape) == 2 && shape[0] == 1:
		twoD = true
	default:
		return nil, fmt.Errorf("StringNormalizer: X must have shape [C] or [1, C], got %v", shape)
	}
	src := tensor.Data[string](x)
	out := make([]string, 0, len(src))
	for _, s := range src {
		if len(k.stop) > 0 && k.stop[k.key(s)] {
			continue
		}
		switch k.action {
		case "LOWER":
			s = k.mapper.lower(s)
		case "UPPER":
			s = k.mapper.upper(s)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		// The spec's empty result: one empty string.
		out = []string{""}
	}
	oshape := []int{len(out)}
	if twoD {
		oshape = []int{1, len(out)}
	}
	return []*tensor.Tensor{tensor.New(oshape, out)}, nil
}
