package text

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func stringInput(op string, in []*tensor.Tensor, i int, name string) ([]string, *tensor.Tensor, error) {
	x := ops.Input(in, i)
	if x == nil {
		return nil, nil, fmt.Errorf("%s: input %s is required", op, name)
	}
	if x.DType() != tensor.String {
		return nil, nil, fmt.Errorf("%s: input %s must be a string tensor, got %v", op, name, x.DType())
	}
	return tensor.Data[string](x), x, nil
}

// RegexFullMatch (opset 20): Y[i] = pattern matches all of X[i]. Patterns
// use RE2 syntax (Go's regexp); one RE2 cannot compile is a load-time error.
func buildRegexFullMatch(n *ops.Node) (ops.Kernel, error) {
	if !n.HasAttr("pattern") {
		return nil, fmt.Errorf("RegexFullMatch: attribute pattern is required")
	}
	pat, err := n.AttrString("pattern", "")
	if err != nil {
		return nil, err
	}
	// Check the pattern alone first so the error names the user's text.
	if _, err := regexp.Compile(pat); err != nil {
		return nil, fmt.Errorf("RegexFullMatch: pattern %q is not a valid RE2 expression: %v", pat, err)
	}
	re, err := regexp.Compile(`\A(?:` + pat + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("RegexFullMatch: pattern %q: %v", pat, err)
	}
	return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		xs, x, err := stringInput("RegexFullMatch", in, 0, "X")
		if err != nil {
			return nil, err
		}
		y := make([]bool, len(xs))
		for i, s := range xs {
			y[i] = re.MatchString(s)
		}
		return []*tensor.Tensor{tensor.New(x.Shape(), y)}, nil
	}), nil
}

// StringConcat (opset 20): element-wise X + Y with numpy broadcasting.
func buildStringConcat(n *ops.Node) (ops.Kernel, error) {
	return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		const op = "StringConcat"
		xs, x, err := stringInput(op, in, 0, "X")
		if err != nil {
			return nil, err
		}
		ys, y, err := stringInput(op, in, 1, "Y")
		if err != nil {
			return nil, err
		}
		shape, err := ops.BroadcastShapes(x.Shape(), y.Shape())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		total, err := tensor.NumElements(shape)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out := make([]string, total)
		if ops.ShapeEqual(x.Shape(), y.Shape()) {
			for i := range out {
				out[i] = xs[i] + ys[i]
			}
		} else {
			idx := ops.BroadcastIndex(shape, x.Shape(), y.Shape())
			for i := range out {
				out[i] = xs[idx[0][i]] + ys[idx[1][i]]
			}
		}
		return []*tensor.Tensor{tensor.New(shape, out)}, nil
	}), nil
}

type stringSplit struct {
	delim    string // "" splits on runs of whitespace
	maxsplit int    // < 0: unlimited
	nOut     int
}

// StringSplit (opset 20): splits each element on delimiter (or on runs of
// whitespace when delimiter is unset or ""), at most maxsplit times, as
// Python's str.split does. Y has X's shape plus one axis as long as the most
// substrings any element produced, padded with ""; Z holds the counts.
func buildStringSplit(n *ops.Node) (ops.Kernel, error) {
	d, err := n.AttrString("delimiter", "")
	if err != nil {
		return nil, err
	}
	ms, err := n.AttrInt("maxsplit", -1)
	if err != nil {
		return nil, err
	}
	k := &stringSplit{delim: d, maxsplit: -1, nOut: len(n.Outputs)}
	if k.nOut < 1 || k.nOut > 2 {
		return nil, fmt.Errorf("StringSplit: want 1 or 2 outputs, node has %d", k.nOut)
	}
	if ms >= 0 {
		k.maxsplit = int(min(ms, int64(1<<40)))
	}
	return ops.Tensors(k.run), nil
}

// isSpace matches Python's str.isspace: Unicode White_Space plus the
// information separators U+001C..U+001F.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func (k *stringSplit) split(s string) []string {
	if k.delim != "" {
		if k.maxsplit < 0 {
			return strings.Split(s, k.delim)
		}
		return strings.SplitN(s, k.delim, k.maxsplit+1)
	}
	var out []string
	i := 0
	for {
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isSpace(r) {
				break
			}
			i += size
		}
		if i >= len(s) {
			return out
		}
		if k.maxsplit >= 0 && len(out) == k.maxsplit {
			// The remainder, leading whitespace dropped, trailing kept.
			return append(out, s[i:])
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if isSpace(r) {
				break
			}
			j += size
		}
		out = append(out, s[i:j])
		i = j
	}
}

func (k *stringSplit) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	const op = "StringSplit"
	xs, x, err := stringInput(op, in, 0, "X")
	if err != nil {
		return nil, err
	}
	parts := make([][]string, len(xs))
	counts := make([]int64, len(xs))
	width := 0
	for i, s := range xs {
		parts[i] = k.split(s)
		counts[i] = int64(len(parts[i]))
		width = max(width, len(parts[i]))
	}
	yshape := append(append([]int{}, x.Shape()...), width)
	total, err := tensor.NumElements(yshape)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", op, err)
	}
	y := make([]string, total)
	for i, p := range parts {
		copy(y[i*width:], p)
	}
	outs := []*tensor.Tensor{tensor.New(yshape, y), tensor.New(x.Shape(), counts)}
	return outs[:k.nOut], nil
}
