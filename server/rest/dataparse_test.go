package rest

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

func TestParseLearnedShapes(t *testing.T) {
	cases := []struct {
		raw   string
		shape []int
		data  []float32
	}{
		{`5`, []int{}, []float32{5}},
		{`[]`, []int{0}, []float32{}},
		{`[1,2,3]`, []int{3}, []float32{1, 2, 3}},
		{`[[1,2],[3,4],[5,6]]`, []int{3, 2}, []float32{1, 2, 3, 4, 5, 6}},
		{`[[],[]]`, []int{2, 0}, []float32{}},
		{`[[[1],[2]],[[3],[4]]]`, []int{2, 2, 1}, []float32{1, 2, 3, 4}},
		{" \n[ [ 1 ] ]\t", []int{1, 1}, []float32{1}},
		{`[-0.5e-1,1E+2,0]`, []int{3}, []float32{-0.05, 100, 0}},
	}
	for _, c := range cases {
		s := newSink(tensor.Float32, 0)
		shape, err := parseLearned([]byte(c.raw), 100, s)
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		x, err := s.tensor(shape)
		if err != nil || !slices.Equal(shape, c.shape) || !slices.Equal(tensor.Data[float32](x), c.data) {
			t.Errorf("%s: shape %v data %v err %v; want %v %v", c.raw, shape, x, err, c.shape, c.data)
		}
	}
}

func TestParseRejects(t *testing.T) {
	// Raw bytes straight into the parser, without encoding/json's
	// validation in front: the parser must stand on its own.
	bad := []string{
		``, ` `, `[`, `[1`, `[1,`, `[1,]`, `[,1]`, `[1 2]`, `[1]]`, `[1] x`, `]`,
		`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `0x10`, `NaN`, `Infinity`, `-Infinity`, `1_0`,
		`[[1],[2,3]]`, `[[1],2]`, `[1,[2]]`, `[[[]],[]]`, `[[1],[]]`,
		`[nul]`, `[tru]`, `[null]`, `[{}]`, `["a"]`, `[true]`,
	}
	for _, raw := range bad {
		s := newSink(tensor.Float32, 0)
		if shape, err := parseLearned([]byte(raw), 100, s); err == nil {
			t.Errorf("parseLearned(%q) = %v, want an error", raw, shape)
		}
		s = newSink(tensor.Float32, 1)
		if err := parseShaped([]byte(raw), []int{1}, 1, s); err == nil && raw != `[1] x` {
			// `[1] x` is caught by the trailing-data check below.
			t.Errorf("parseShaped(%q) accepted", raw)
		}
	}
	if err := parseShaped([]byte(`[1] x`), []int{1}, 1, newSink(tensor.Float32, 1)); err == nil {
		t.Error("trailing data accepted")
	}
	if _, err := parseLearned([]byte(strings.Repeat("1,", 10)+"1"), 5, newSink(tensor.Float32, 0)); err == nil {
		t.Error("bare list accepted")
	}
	if _, err := parseLearned([]byte("["+strings.Repeat("1,", 10)+"1]"), 5, newSink(tensor.Float32, 0)); err == nil ||
		!strings.Contains(err.Error(), "limit of 5") {
		t.Errorf("element limit: %v", err)
	}
}

func TestParseStrings(t *testing.T) {
	cases := map[string]string{
		`"plain"`:                "plain",
		`"tab\there"`:            "tab\there",
		`"\u00e9\ud83d\ude00"`:   "é😀",
		`"q\"b\\s\/"`:            `q"b\s/`,
		"\"raw \xff bytes\"":     "raw \xff bytes", // kept as sent: BYTES are bytes
		`"brackets [ ] { } ,"`:   "brackets [ ] { } ,",
		`"escaped quote \" ]"`:   `escaped quote " ]`,
		`"trailing backslash\\"`: `trailing backslash\`,
	}
	for raw, want := range cases {
		s := newSink(tensor.String, 1)
		if err := parseShaped([]byte("["+raw+"]"), []int{1}, 1, s); err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		x, _ := s.tensor([]int{1})
		if got := tensor.Data[string](x)[0]; got != want {
			t.Errorf("%s: got %q, want %q", raw, got, want)
		}
	}
	for _, raw := range []string{`["abc]`, "[\"a\nb\"]", `["\x"]`, `["\u12"]`, `["a\"]`} {
		if err := parseShaped([]byte(raw), []int{1}, 1, newSink(tensor.String, 1)); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
}

func TestShapeElements(t *testing.T) {
	cases := []struct {
		shape  []int64
		budget int
		n      int
		code   infer.Code
	}{
		{[]int64{}, 10, 1, -1},
		{[]int64{2, 5}, 10, 10, -1},
		{[]int64{0, 1 << 40}, 10, 0, infer.TooLarge}, // a huge dim is refused even if another is 0
		{[]int64{0, 7}, 10, 0, -1},
		{[]int64{2, 6}, 10, 0, infer.TooLarge},
		{[]int64{1 << 32, 1 << 32}, math.MaxInt, 0, infer.TooLarge},
		{[]int64{3, -1}, 10, 0, infer.InvalidArgument},
		{[]int64{}, 0, 0, infer.TooLarge},
	}
	for _, c := range cases {
		_, n, err := shapeElements(c.shape, c.budget, "x")
		if code := infer.CodeOf(err); code != c.code || (err == nil && n != c.n) {
			t.Errorf("shapeElements(%v, %d) = %d, %v; want %d, code %v", c.shape, c.budget, n, err, c.n, c.code)
		}
	}
}

func TestAppendString(t *testing.T) {
	cases := map[string]string{
		"":               `""`,
		"abc":            `"abc"`,
		"a\"b\\c":        `"a\"b\\c"`,
		"\n\r\t\x00\x1f": `"\n\r\t\u0000\u001f"`,
		"é😀":             `"é😀"`,
		"bad\xffutf8":    `"bad\ufffdutf8"`,
		"</script>":      `"</script>"`,
	}
	for in, want := range cases {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEncodeSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	req := &infer.Request{Model: "m"}
	resp := &infer.Response{Outputs: []infer.Tensor{
		{Name: "f", Tensor: tensor.New([]int{4}, []float32{nan, float32(math.Inf(1)), 1e-45, 3.4028235e38})},
		{Name: "u", Tensor: tensor.New([]int{1}, []uint64{math.MaxUint64})},
		{Name: "h", Tensor: tensor.New([]int{2}, []tensor.BF16{0x3F80, 0x7FC0})},
	}}
	enc, err := encodeInferResponse(req, resp, outputPrefs{})
	if err != nil {
		t.Fatal(err)
	}
	// JSON has no NaN or infinity: they become null. 1e-45 is the
	// smallest float32 subnormal, printed in its shortest form.
	wantJSON(t, enc.json, `{"model_name":"m","outputs":[
		{"name":"f","datatype":"FP32","shape":[4],"data":[null,null,1e-45,3.4028235e+38]},
		{"name":"u","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},
		{"name":"h","datatype":"BF16","shape":[2],"data":[1,null]}]}`)

	resp.Outputs = []infer.Tensor{{Name: "nil"}}
	if _, err := encodeInferResponse(req, resp, outputPrefs{}); err == nil {
		t.Error("nil tensor encoded")
	}
	resp.Outputs = nil
	resp.Parameters = map[string]any{"bad": math.NaN()}
	if _, err := encodeInferResponse(req, resp, outputPrefs{}); err == nil {
		t.Error("unmarshalable parameter encoded")
	}
}

func TestAppendShaped(t *testing.T) {
	x := tensor.New([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{[]int{2, 3}, "[[1,2,3],[4,5,6]]"},
		{[]int{3, 2}, "[[1,2],[3,4],[5,6]]"},
		{[]int{6}, "[1,2,3,4,5,6]"},
		{[]int{1, 6, 1}, "[[[1],[2],[3],[4],[5],[6]]]"},
	} {
		b, err := appendShaped(nil, x, c.shape)
		if err != nil || string(b) != c.want {
			t.Errorf("%v: %s %v", c.shape, b, err)
		}
	}
	if _, err := appendShaped(nil, x, []int{5}); err == nil {
		t.Error("wrong shape accepted")
	}
	b, _ := appendShaped(nil, tensor.New([]int{0, 2}, []int32{}), []int{0, 2})
	if string(b) != "[]" {
		t.Errorf("empty: %s", b)
	}
	b, _ = appendShaped(nil, tensor.New([]int{}, []string{"s"}), []int{})
	if string(b) != `"s"` {
		t.Errorf("scalar: %s", b)
	}
}
