package sdk

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// use makes p the registered plugin for one test.
func use(t *testing.T, p Plugin) {
	t.Helper()
	saved := reg
	reg = registry{}
	Register(p)
	t.Cleanup(func() { reg = saved })
}

func echo(in Input) (Output, error) {
	out := Output{}
	for _, e := range in.Message() {
		if e.Tensor != nil {
			out = out.Tensor(e.Name, e.Tensor)
		} else {
			out = out.Bytes(e.Name, e.Bytes)
		}
	}
	return out, nil
}

func TestDescribe(t *testing.T) {
	use(t, Plugin{Name: "p", Version: "1.2.3", Kind: Post,
		Inputs:  []Spec{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 10}}},
		Config:  map[string]string{"k": "how many"},
		Process: echo})
	b, err := describe()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"p","version":"1.2.3","kind":"post","inputs":[{"name":"x","datatype":"FP32","shape":[-1,10]}],"outputs":[],"config":{"k":"how many"}}`
	if string(b) != want {
		t.Fatalf("describe:\n%s\nwant\n%s", b, want)
	}
}

func TestRegisterMistakes(t *testing.T) {
	for _, c := range []struct {
		p    Plugin
		want string
	}{
		{Plugin{Kind: Pre, Process: echo}, "no Name"},
		{Plugin{Name: "p", Kind: "middle", Process: echo}, `kind "middle"`},
		{Plugin{Name: "p", Kind: Pre}, "no Process"},
		{Plugin{Name: "p", Kind: Pre, Process: echo, Inputs: []Spec{{Name: "a", Datatype: "float32"}}}, `datatype "float32"`},
		{Plugin{Name: "p", Kind: Pre, Process: echo, Outputs: []Spec{{Name: "a", Datatype: "FP32"}, {Name: "a", Datatype: "FP32"}}}, `output "a" twice`},
	} {
		use(t, c.p)
		if _, err := describe(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: describe error %v, want %q", c.p, err, c.want)
		}
		if err := initialise([]byte(`{}`)); err == nil {
			t.Errorf("%+v: init succeeded", c.p)
		}
	}
	use(t, Plugin{Name: "p", Kind: Pre, Process: echo})
	Register(Plugin{Name: "q", Kind: Pre, Process: echo})
	if _, err := describe(); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("second Register: %v", err)
	}
	reg = registry{}
	if _, err := describe(); err == nil || !strings.Contains(err.Error(), "no plugin registered") {
		t.Errorf("nothing registered: %v", err)
	}
}

func TestInit(t *testing.T) {
	var got map[string]any
	use(t, Plugin{Name: "p", Kind: Pre, Process: echo,
		Config: map[string]string{"n": "", "f": "", "b": "", "s": "", "l": ""},
		Init: func(cfg Config) error {
			n, err1 := cfg.Int("n", 7)
			f, err2 := cfg.Float("f", 0.5)
			b, err3 := cfg.Bool("b", false)
			l, err4 := cfg.Floats("l", nil)
			got = map[string]any{"n": n, "f": f, "b": b, "s": cfg.String("s", "def"), "l": l, "keys": cfg.Keys(),
				"err": errors.Join(err1, err2, err3, err4)}
			return nil
		}})
	if err := initialise([]byte(`{"n":" 42","b":"yes","l":"0.485, 0.456,0.406"}`)); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 42, "f": 0.5, "b": true, "s": "def", "l": []float64{0.485, 0.456, 0.406},
		"keys": []string{"b", "l", "n"}, "err": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if v, ok := hostConfig("n"); !ok || v != " 42" {
		t.Fatalf("ConfigValue(n) = %q %v", v, ok)
	}
	if err := initialise([]byte(`{"n":"x","f":"y","b":"maybe","l":"1,,2"}`)); err != nil {
		t.Fatal(err)
	}
	msg := got["err"].(error).Error()
	for _, w := range []string{`config n: "x" is not an integer`, `config f: "y" is not a number`,
		`config b: "maybe" is not a boolean`, `config l: "1,,2"`} {
		if !strings.Contains(msg, w) {
			t.Errorf("errors %q lack %q", msg, w)
		}
	}
	for cfg, want := range map[string]string{
		`{"zz":"1"}`: `unknown config key "zz" (this plugin knows: b, f, l, n, s)`,
		`{"n":1}`:    "not a JSON object of strings",
		`[`:          "not a JSON object of strings",
	} {
		if err := initialise([]byte(cfg)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("init %s: %v, want %q", cfg, err, want)
		}
		// A failed init makes every call fail, saying why.
		if _, err := process(mustEncode(t, nil)); err == nil || !strings.Contains(err.Error(), "failed to initialise") {
			t.Errorf("process after failed init: %v", err)
		}
	}
}

func mustEncode(t *testing.T, m abi.Message) []byte {
	t.Helper()
	b, err := abi.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProcessBeforeInit(t *testing.T) {
	use(t, Plugin{Name: "p", Kind: Pre, Process: echo})
	if _, err := process(mustEncode(t, nil)); err == nil || !strings.Contains(err.Error(), "before gonyx_init") {
		t.Fatalf("process before init: %v", err)
	}
}

func TestProcessRoundTrip(t *testing.T) {
	use(t, Plugin{Name: "p", Kind: Pre, Process: echo})
	if err := initialise(nil); err != nil {
		t.Fatal(err)
	}
	in := abi.Message{{Name: "body", Bytes: []byte("hi")}, {Name: "x", Tensor: tensor.New([]int{2}, []int64{-3, 9})}}
	out, err := process(mustEncode(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, mustEncode(t, in)) {
		t.Fatal("echo changed the message")
	}
	if _, err := process([]byte("GNX2junk")); err == nil || !strings.Contains(err.Error(), "bad input message") {
		t.Fatalf("bad message: %v", err)
	}
}

func TestProcessErrorsAndPanics(t *testing.T) {
	mode := ""
	use(t, Plugin{Name: "p", Kind: Pre, Process: func(in Input) (Output, error) {
		switch mode {
		case "error":
			return Output{}, errors.New("no good")
		case "panic":
			var s []int
			_ = s[3]
		case "dup":
			return Output{}.Bytes("a", nil).Bytes("a", nil), nil
		case "nil":
			return Output{}.Tensor("t", nil), nil
		case "json":
			return Output{}.JSON(func() {}), nil
		}
		return Output{}, nil
	}})
	if err := initialise([]byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for m, want := range map[string]string{
		"error": "no good",
		"panic": "panic in Process: runtime error: index out of range [3] with length 0",
		"dup":   `output has two entries named "a"`,
		"nil":   `output "t": nil tensor`,
		"json":  "output json: json: unsupported type: func()",
	} {
		mode = m
		_, err := process(mustEncode(t, nil))
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", m, err, want)
		}
	}
	mode = ""
	if out, err := process(mustEncode(t, nil)); err != nil || len(out) != 8 {
		t.Fatalf("after a panic: %q %v", out, err)
	}
}

func TestInitPanic(t *testing.T) {
	use(t, Plugin{Name: "p", Kind: Pre, Process: echo, Init: func(Config) error { panic("boom") }})
	if err := initialise(nil); err == nil || err.Error() != "panic in Init: boom" {
		t.Fatalf("init panic: %v", err)
	}
}

func TestInput(t *testing.T) {
	x := tensor.New([]int{1}, []float32{2})
	in := Input{msg: abi.Message{{Name: "content_type", Bytes: []byte("application/json")},
		{Name: "body", Bytes: []byte(`{"a":[1,2]}`)}, {Name: "x", Tensor: x}}}
	if got := in.Names(); !reflect.DeepEqual(got, []string{"content_type", "body", "x"}) {
		t.Fatal(got)
	}
	if in.ContentType() != "application/json" {
		t.Fatal(in.ContentType())
	}
	if b, ok := in.Bytes("body"); !ok || string(b) != `{"a":[1,2]}` {
		t.Fatal(string(b), ok)
	}
	if _, ok := in.Bytes("x"); ok {
		t.Fatal("a tensor read as bytes")
	}
	if got, ok := in.Tensor("x"); !ok || got != x {
		t.Fatal("tensor x")
	}
	if _, ok := in.Tensor("body"); ok {
		t.Fatal("bytes read as a tensor")
	}
	var v struct{ A []int }
	if err := in.JSON("body", &v); err != nil || !reflect.DeepEqual(v.A, []int{1, 2}) {
		t.Fatal(v, err)
	}
	for name, want := range map[string]string{"nope": `no entry "nope"`, "x": "is a tensor", "content_type": "not valid JSON"} {
		if err := in.JSON(name, &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("JSON(%q): %v", name, err)
		}
	}
}

// Extending one Output along two paths must not let one overwrite the other.
func TestOutputNoAliasing(t *testing.T) {
	base := Output{}.Bytes("a", []byte("1")).Bytes("b", []byte("2"))
	x := base.Bytes("c", []byte("x"))
	y := base.Bytes("c", []byte("y"))
	mx, _ := x.Message()
	my, _ := y.Message()
	mb, _ := base.Message()
	if len(mb) != 2 || string(mx[2].Bytes) != "x" || string(my[2].Bytes) != "y" {
		t.Fatalf("base %d entries, x %q, y %q", len(mb), mx[2].Bytes, my[2].Bytes)
	}
	j, err := Output{}.JSON(map[string]int{"n": 1}).Message()
	if err != nil || j[0].Name != "json" || string(j[0].Bytes) != `{"n":1}` {
		t.Fatal(j, err)
	}
	var desc map[string]any
	if err := json.Unmarshal(j[0].Bytes, &desc); err != nil {
		t.Fatal(err)
	}
}
