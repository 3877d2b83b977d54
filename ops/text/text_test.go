package text

import (
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func strs(shape []int, v ...string) *tensor.Tensor { return tensor.New(shape, v) }

func wantErr(t *testing.T, name string, err error, sub string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("%s: error %v, want one mentioning %q", name, err, sub)
	}
}

// StringNormalizer: the ONNX backend test cases, then extras.
func TestStringNormalizer(t *testing.T) {
	days := strs([]int{4}, "monday", "tuesday", "wednesday", "thursday")
	op := func(attrs ...*graph.Attribute) opstest.Op {
		return opstest.Op{Type: "StringNormalizer", Opset: 10, Attrs: attrs}
	}
	cs := opstest.Int("is_case_sensitive", 1)
	stop := opstest.Strings("stopwords", "monday")
	opstest.Expect(t, op(opstest.String("case_change_action", "LOWER"), cs, stop), []*tensor.Tensor{days},
		strs([]int{3}, "tuesday", "wednesday", "thursday"))
	opstest.Expect(t, op(cs, stop), []*tensor.Tensor{days},
		strs([]int{3}, "tuesday", "wednesday", "thursday"))
	opstest.Expect(t, op(opstest.String("case_change_action", "UPPER"), cs, stop), []*tensor.Tensor{days},
		strs([]int{3}, "TUESDAY", "WEDNESDAY", "THURSDAY"))
	opstest.Expect(t, op(opstest.String("case_change_action", "UPPER"), cs, stop),
		[]*tensor.Tensor{strs([]int{2}, "monday", "monday")}, strs([]int{1}, ""))
	opstest.Expect(t, op(opstest.String("case_change_action", "UPPER"), stop),
		[]*tensor.Tensor{strs([]int{1, 6}, "Monday", "tuesday", "wednesday", "Monday", "tuesday", "wednesday")},
		strs([]int{1, 4}, "TUESDAY", "WEDNESDAY", "TUESDAY", "WEDNESDAY"))
	opstest.Expect(t, op(cs), []*tensor.Tensor{strs([]int{2}, "monday", "tuesday")}, strs([]int{2}, "monday", "tuesday"))

	// Case-sensitive stop words keep other spellings.
	opstest.Expect(t, op(cs, stop), []*tensor.Tensor{strs([]int{2}, "Monday", "monday")}, strs([]int{1}, "Monday"))
	// All dropped from a [1, C] input gives [1, 1].
	opstest.Expect(t, op(stop), []*tensor.Tensor{strs([]int{1, 2}, "MONDAY", "mOnDaY")}, strs([]int{1, 1}, ""))
	// Unicode case mapping, default and en_US locales.
	for _, loc := range []string{"", "en_US", "en_US.UTF-8", "C"} {
		opstest.Expect(t, op(opstest.String("case_change_action", "LOWER"), opstest.String("locale", loc)),
			[]*tensor.Tensor{strs([]int{3}, "ÉCOLE", "ΣΟΦΊΑ", "Straße")}, strs([]int{3}, "école", "σοφία", "straße"))
		opstest.Expect(t, op(opstest.String("case_change_action", "UPPER"), opstest.String("locale", loc)),
			[]*tensor.Tensor{strs([]int{2}, "école", "istanbul")}, strs([]int{2}, "ÉCOLE", "ISTANBUL"))
	}
	// Turkish dotted/dotless i.
	opstest.Expect(t, op(opstest.String("case_change_action", "UPPER"), opstest.String("locale", "tr_TR")),
		[]*tensor.Tensor{strs([]int{1}, "istanbul")}, strs([]int{1}, "İSTANBUL"))
	// Case-insensitive stop words match across Unicode case.
	opstest.Expect(t, op(opstest.Strings("stopwords", "été")),
		[]*tensor.Tensor{strs([]int{3}, "ÉTÉ", "Été", "hiver")}, strs([]int{1}, "hiver"))

	_, err := opstest.Run(op(), strs([]int{2, 2}, "a", "b", "c", "d"))
	wantErr(t, "2x2 input", err, "[C] or [1, C]")
	_, err = opstest.Run(op(), tensor.New([]int{2}, []int64{1, 2}))
	wantErr(t, "int input", err, "string")
	_, err = opstest.Run(op(opstest.String("case_change_action", "TITLE")), days)
	wantErr(t, "bad action", err, "case_change_action")
}

func TestTfIdfSpecCases(t *testing.T) {
	pool := opstest.Ints("pool_int64s", 2, 3, 5, 4, 5, 6, 7, 8, 6, 7)
	counts := opstest.Ints("ngram_counts", 0, 4)
	idx := opstest.Ints("ngram_indexes", 0, 1, 2, 3, 4, 5, 6)
	op := func(minN, maxN, skip int64, extra ...*graph.Attribute) opstest.Op {
		attrs := []*graph.Attribute{opstest.String("mode", "TF"), opstest.Int("min_gram_length", minN),
			opstest.Int("max_gram_length", maxN), opstest.Int("max_skip_count", skip)}
		if len(extra) == 0 {
			extra = []*graph.Attribute{pool, counts, idx}
		}
		return opstest.Op{Type: "TfIdfVectorizer", Opset: 9, Attrs: append(attrs, extra...)}
	}
	x1 := tensor.New([]int{12}, []int32{1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8})
	x2 := tensor.New([]int{2, 6}, []int32{1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8})
	f := func(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

	opstest.Expect(t, op(2, 2, 0), []*tensor.Tensor{x1}, f([]int{7}, 0, 0, 0, 0, 1, 1, 1))
	opstest.Expect(t, op(2, 2, 5), []*tensor.Tensor{x1}, f([]int{7}, 0, 0, 0, 0, 1, 3, 1))
	opstest.Expect(t, op(1, 2, 5), []*tensor.Tensor{x1}, f([]int{7}, 0, 3, 1, 0, 1, 3, 1))
	opstest.Expect(t, op(2, 2, 0, opstest.Ints("pool_int64s", 5, 6, 7, 8, 6, 7), opstest.Ints("ngram_counts", 0, 0),
		opstest.Ints("ngram_indexes", 0, 1, 2)), []*tensor.Tensor{x1}, f([]int{3}, 1, 1, 1))
	opstest.Expect(t, op(2, 2, 0), []*tensor.Tensor{x2}, f([]int{2, 7}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1))
	opstest.Expect(t, op(2, 2, 5), []*tensor.Tensor{x2}, f([]int{2, 7}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1))
	opstest.Expect(t, op(1, 2, 5), []*tensor.Tensor{x2}, f([]int{2, 7}, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1))
	// int64 input works the same as int32.
	x64 := tensor.New([]int{12}, []int64{1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8})
	opstest.Expect(t, op(1, 2, 5), []*tensor.Tensor{x64}, f([]int{7}, 0, 3, 1, 0, 1, 3, 1))
}

func TestTfIdfModesStrings(t *testing.T) {
	// Pool: 1-grams "a","b"; 2-grams ("a","b"), ("b","c"); 3-gram ("a","b","c").
	base := func(mode string, weights bool) opstest.Op {
		attrs := []*graph.Attribute{
			opstest.String("mode", mode), opstest.Int("min_gram_length", 1), opstest.Int("max_gram_length", 3),
			opstest.Int("max_skip_count", 1),
			opstest.Strings("pool_strings", "a", "b", "a", "b", "b", "c", "a", "b", "c"),
			opstest.Ints("ngram_counts", 0, 2, 6),
			// Output coordinates deliberately permuted.
			opstest.Ints("ngram_indexes", 4, 3, 2, 1, 0),
		}
		if weights {
			attrs = append(attrs, opstest.Floats("weights", 0.5, 2, 3, 4, 10))
		}
		return opstest.Op{Type: "TfIdfVectorizer", Opset: 9, Attrs: attrs}
	}
	// x = a b c a x b: a:2, b:2; (a,b): skip0 at 0-1, skip1 at 3-5 -> 2;
	// (b,c): skip0 at 1-2 -> 1; (a,b,c): skip0 at 0-1-2 -> 1 (skip1 a@0,c@2,.. no).
	x := strs([]int{6}, "a", "b", "c", "a", "x", "b")
	f := func(v ...float32) *tensor.Tensor { return tensor.New([]int{5}, v) }
	// index order: [abc, bc, ab, b, a]
	opstest.Expect(t, base("TF", false), []*tensor.Tensor{x}, f(1, 1, 2, 2, 2))
	opstest.Expect(t, base("TF", true), []*tensor.Tensor{x}, f(1, 1, 2, 2, 2)) // TF ignores weights
	opstest.Expect(t, base("IDF", false), []*tensor.Tensor{x}, f(1, 1, 1, 1, 1))
	opstest.Expect(t, base("IDF", true), []*tensor.Tensor{x}, f(10, 4, 3, 2, 0.5))
	opstest.Expect(t, base("TFIDF", true), []*tensor.Tensor{x}, f(10, 4, 6, 4, 1))
	// 2-D string input, with an empty row count.
	opstest.Expect(t, base("TF", false), []*tensor.Tensor{strs([]int{2, 3}, "a", "b", "c", "c", "b", "a")},
		tensor.New([]int{2, 5}, []float32{1, 1, 1, 1, 1, 0, 0, 0, 1, 1}))
	opstest.Expect(t, base("TF", false), []*tensor.Tensor{strs([]int{0, 3})}, tensor.New([]int{0, 5}, []float32{}))

	// Items that merely concatenate to a pool n-gram do not match it.
	tricky := opstest.Op{Type: "TfIdfVectorizer", Opset: 9, Attrs: []*graph.Attribute{
		opstest.String("mode", "TF"), opstest.Int("min_gram_length", 2), opstest.Int("max_gram_length", 2),
		opstest.Int("max_skip_count", 0), opstest.Strings("pool_strings", "ab", "c"),
		opstest.Ints("ngram_counts", 0, 0), opstest.Ints("ngram_indexes", 0)}}
	opstest.Expect(t, tricky, []*tensor.Tensor{strs([]int{2}, "a", "bc")}, tensor.New([]int{1}, []float32{0}))
	opstest.Expect(t, tricky, []*tensor.Tensor{strs([]int{2}, "ab", "c")}, tensor.New([]int{1}, []float32{1}))
}

func TestTfIdfErrors(t *testing.T) {
	mk := func(attrs ...*graph.Attribute) opstest.Op {
		return opstest.Op{Type: "TfIdfVectorizer", Opset: 9, Attrs: attrs}
	}
	common := []*graph.Attribute{opstest.Int("min_gram_length", 1), opstest.Int("max_gram_length", 1), opstest.Int("max_skip_count", 0)}
	x := tensor.New([]int{2}, []int64{1, 2})
	cases := []struct {
		name  string
		attrs []*graph.Attribute
		in    *tensor.Tensor
		want  string
	}{
		{"no mode", append(common, opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), x, "mode"},
		{"both pools", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Strings("pool_strings", "a"), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), x, "exactly one"},
		{"index count", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1, 2), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), x, "ngram_indexes"},
		{"negative index", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", -1)), x, "out of range"},
		{"bad counts", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1, 2, 3), opstest.Ints("ngram_counts", 0, 2), opstest.Ints("ngram_indexes", 0, 1, 2)), x, "2-grams"},
		{"counts past pool", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0, 5), opstest.Ints("ngram_indexes", 0)), x, "ngram_counts"},
		{"weights count", append(common, opstest.String("mode", "TFIDF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0), opstest.Floats("weights", 1, 2)), x, "weights"},
		{"string input for int pool", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), strs([]int{1}, "a"), "pool_int64s"},
		{"int input for string pool", append(common, opstest.String("mode", "TF"), opstest.Strings("pool_strings", "a"), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), x, "pool_strings"},
		{"rank 3", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), tensor.New([]int{1, 1, 2}, []int64{1, 2}), "1-D"},
		{"float input", append(common, opstest.String("mode", "TF"), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0)), tensor.New([]int{1}, []float32{1}), "int32"},
	}
	for _, c := range cases {
		_, err := opstest.Run(mk(c.attrs...), c.in)
		wantErr(t, c.name, err, c.want)
	}
	bad := mk(opstest.String("mode", "TF"), opstest.Int("min_gram_length", 2), opstest.Int("max_gram_length", 1),
		opstest.Int("max_skip_count", 0), opstest.Ints("pool_int64s", 1), opstest.Ints("ngram_counts", 0), opstest.Ints("ngram_indexes", 0))
	_, err := opstest.Run(bad, x)
	wantErr(t, "min > max", err, "min_gram_length")
}

func TestRegexFullMatch(t *testing.T) {
	op := func(p string) opstest.Op {
		return opstest.Op{Type: "RegexFullMatch", Opset: 20, Attrs: []*graph.Attribute{opstest.String("pattern", p)}}
	}
	// ONNX spec examples.
	opstest.Expect(t, op(`www\.[\w.-]+\.\bcom\b`),
		[]*tensor.Tensor{strs([]int{3}, "www.google.com", "www.facebook.com", "www.bbc.co.uk")},
		tensor.New([]int{3}, []bool{true, true, false}))
	opstest.Expect(t, op(`(\W|^)[\w.\-]{0,25}@(yahoo|gmail)\.com(\W|$)`),
		[]*tensor.Tensor{strs([]int{2, 2}, "account@gmail.com", "account@hotmail.com", "not email", "account2@yahoo.com")},
		tensor.New([]int{2, 2}, []bool{true, false, false, true}))
	// Full match, not search; alternation must still find the full match.
	opstest.Expect(t, op(`b`), []*tensor.Tensor{strs([]int{3}, "abc", "b", "")}, tensor.New([]int{3}, []bool{false, true, false}))
	opstest.Expect(t, op(`a|ab`), []*tensor.Tensor{strs([]int{2}, "ab", "a")}, tensor.New([]int{2}, []bool{true, true}))
	opstest.Expect(t, op(`(?i)hello`), []*tensor.Tensor{strs([]int{}, "HeLLo")}, tensor.New([]int{}, []bool{true}))
	// Anchors inside the pattern do not turn a multi-line match into a full one.
	opstest.Expect(t, op(`(?m)^a$`), []*tensor.Tensor{strs([]int{2}, "a\nb", "a")}, tensor.New([]int{2}, []bool{false, true}))

	_, err := opstest.Run(op(`(?<=a)b`), strs([]int{1}, "ab"))
	wantErr(t, "lookbehind", err, "RE2")
	_, err = opstest.Run(op(`(unclosed`), strs([]int{1}, "ab"))
	wantErr(t, "unclosed", err, "RE2")
	_, err = opstest.Run(opstest.Op{Type: "RegexFullMatch", Opset: 20}, strs([]int{1}, "ab"))
	wantErr(t, "no pattern", err, "pattern")
	_, err = opstest.Run(op(`a`), tensor.New([]int{1}, []int64{1}))
	wantErr(t, "int input", err, "string")
}

func TestStringConcat(t *testing.T) {
	op := opstest.Op{Type: "StringConcat", Opset: 20}
	// ONNX spec examples.
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{2}, "abc", "def"), strs([]int{2}, ".com", ".net")}, strs([]int{2}, "abc.com", "def.net"))
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{3}, "cat", "dog", "snake"), strs([]int{1}, "s")}, strs([]int{3}, "cats", "dogs", "snakes"))
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{}, "cat"), strs([]int{}, "s")}, strs([]int{}, "cats"))
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{2}, "abc", ""), strs([]int{2}, "", "abc")}, strs([]int{2}, "abc", "abc"))
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{2}, "的", "中"), strs([]int{2}, "的", "中")}, strs([]int{2}, "的的", "中中"))
	// Two-sided broadcast.
	opstest.Expect(t, op, []*tensor.Tensor{strs([]int{2, 1}, "a", "b"), strs([]int{3}, "1", "2", "3")},
		strs([]int{2, 3}, "a1", "a2", "a3", "b1", "b2", "b3"))
	_, err := opstest.Run(op, strs([]int{2}, "a", "b"), strs([]int{3}, "a", "b", "c"))
	wantErr(t, "shapes", err, "broadcast")
	_, err = opstest.Run(op, strs([]int{1}, "a"), tensor.New([]int{1}, []float32{1}))
	wantErr(t, "float input", err, "string")
}

func TestStringSplit(t *testing.T) {
	op := func(attrs ...*graph.Attribute) opstest.Op {
		return opstest.Op{Type: "StringSplit", Opset: 20, Attrs: attrs, Outputs: 2}
	}
	i64 := func(shape []int, v ...int64) *tensor.Tensor { return tensor.New(shape, v) }
	opstest.Expect(t, op(opstest.String("delimiter", "."), opstest.Int("maxsplit", 1)),
		[]*tensor.Tensor{strs([]int{2}, "abc.com", "def.net")},
		strs([]int{2, 2}, "abc", "com", "def", "net"), i64([]int{2}, 2, 2))
	opstest.Expect(t, op(opstest.Int("maxsplit", 2)),
		[]*tensor.Tensor{strs([]int{2, 2}, "hello world", "def.net", "o n n x", "the quick brown fox")},
		strs([]int{2, 2, 3}, "hello", "world", "", "def.net", "", "", "o", "n", "n x", "the", "quick", "brown fox"),
		i64([]int{2, 2}, 2, 1, 3, 3))
	opstest.Expect(t, op(opstest.String("delimiter", "-")),
		[]*tensor.Tensor{strs([]int{2}, "o-n-n--x-", "o-n----nx")},
		strs([]int{2, 6}, "o", "n", "n", "", "x", "", "o", "n", "", "", "", "nx"), i64([]int{2}, 6, 6))
	opstest.Expect(t, op(opstest.String("delimiter", "")),
		[]*tensor.Tensor{strs([]int{3}, "hello world !", "  hello   world !", " hello world   ! ")},
		strs([]int{3, 3}, "hello", "world", "!", "hello", "world", "!", "hello", "world", "!"), i64([]int{3}, 3, 3, 3))
	opstest.Expect(t, op(), []*tensor.Tensor{strs([]int{0})}, strs([]int{0, 0}), i64([]int{0}))

	// Python str.split corner cases.
	opstest.Expect(t, op(), []*tensor.Tensor{strs([]int{3}, "", "   ", "\tx\u00a0y\n")},
		strs([]int{3, 2}, "", "", "", "", "x", "y"), i64([]int{3}, 0, 0, 2))
	opstest.Expect(t, op(opstest.Int("maxsplit", 1)), []*tensor.Tensor{strs([]int{2}, "  a  b  c  ", "a  ")},
		strs([]int{2, 2}, "a", "b  c  ", "a", ""), i64([]int{2}, 2, 1))
	opstest.Expect(t, op(opstest.Int("maxsplit", 0)), []*tensor.Tensor{strs([]int{1}, "  a b ")},
		strs([]int{1, 1}, "a b "), i64([]int{1}, 1))
	opstest.Expect(t, op(opstest.String("delimiter", ",")), []*tensor.Tensor{strs([]int{2}, "", ",")},
		strs([]int{2, 2}, "", "", "", ""), i64([]int{2}, 1, 2))
	opstest.Expect(t, op(opstest.String("delimiter", "ab"), opstest.Int("maxsplit", -1)), []*tensor.Tensor{strs([]int{}, "xabyabz")},
		strs([]int{3}, "x", "y", "z"), i64([]int{}, 3))
	opstest.Expect(t, op(opstest.String("delimiter", "é")), []*tensor.Tensor{strs([]int{1}, "aébéc")},
		strs([]int{1, 3}, "a", "b", "c"), i64([]int{1}, 3))

	// A node with only the first output.
	got := opstest.MustRun(t, opstest.Op{Type: "StringSplit", Opset: 20, Outputs: 1}, strs([]int{1}, "a b"))
	if len(got) != 1 {
		t.Fatalf("%d outputs for a one-output node", len(got))
	}
	_, err := opstest.Run(op(), tensor.New([]int{1}, []int32{1}))
	wantErr(t, "int input", err, "string")
}
