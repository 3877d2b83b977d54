package rest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

func TestInferFlatAndNested(t *testing.T) {
	s := newTestServer(t, Options{})
	want := `{"model_name":"add","model_version":"1","id":"req-7","parameters":{"variant":"add"},
		"outputs":[{"name":"y","datatype":"FP32","shape":[2,3],"data":[2,3,4,5.5,6,-1]}]}`
	for _, data := range []string{`[1,2,3,4.5,5,-2]`, `[[1,2,3],[4.5,5,-2]]`, ` [ [ 1 , 2,3 ] ,[4.5,5e0,-2.0]]`} {
		body := `{"id":"req-7","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":` + data + `}]}`
		r := s.post(t, "/v2/models/add/infer", body)
		r.wantStatus(t, 200)
		wantJSON(t, r.body, want)
		if r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Gonyx-Variant") != "add" {
			t.Fatalf("headers %v", r.header)
		}
	}
	req := s.fake.lastRequest()
	if req.Model != "add" || req.Version != "" || req.Protocol != "rest" || req.ID != "req-7" {
		t.Fatalf("request %+v", req)
	}
	// The versioned route passes the version on.
	s.post(t, "/v2/models/add/versions/1/infer",
		`{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[0,0,0]}]}`).wantStatus(t, 200)
	if v := s.fake.lastRequest().Version; v != "1" {
		t.Fatalf("version %q", v)
	}
}

func TestInferHeaders(t *testing.T) {
	s := newTestServer(t, Options{})
	body := `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,1,1]}]}`
	r := s.post(t, "/v2/models/add/infer", body, "X-Request-ID", "hdr-id", "X-User-ID", "beta")
	r.wantStatus(t, 200)
	// The id comes from the header when the body has none; the routing
	// key picks the variant, which is reported in header and parameters.
	wantJSON(t, r.body, `{"model_name":"add","model_version":"1","id":"hdr-id","parameters":{"variant":"add-beta"},
		"outputs":[{"name":"y","datatype":"FP32","shape":[1,3],"data":[2,2,2]}]}`)
	if r.header.Get("X-Gonyx-Variant") != "add-beta" {
		t.Fatalf("variant header %q", r.header.Get("X-Gonyx-Variant"))
	}
	if req := s.fake.lastRequest(); req.RoutingKey != "beta" || req.ID != "hdr-id" {
		t.Fatalf("request %+v", req)
	}
	// The body's id wins over the header's.
	s.post(t, "/v2/models/add/infer", `{"id":"body-id",`+body[1:], "X-Request-ID", "hdr-id").wantStatus(t, 200)
	if id := s.fake.lastRequest().ID; id != "body-id" {
		t.Fatalf("id %q", id)
	}
	// A custom routing header.
	s2 := newTestServer(t, Options{RoutingHeader: "X-Tenant"})
	s2.post(t, "/v2/models/add/infer", body, "X-Tenant", "acme", "X-User-ID", "ignored").wantStatus(t, 200)
	if k := s2.fake.lastRequest().RoutingKey; k != "acme" {
		t.Fatalf("routing key %q", k)
	}
}

func TestInferParametersAndOutputs(t *testing.T) {
	s := newTestServer(t, Options{})
	r := s.post(t, "/v2/models/types/infer", `{"parameters":{"priority":2,"ratio":0.5,"tag":"a","flag":true,"nested":{"a":[1,2.5]}},
		"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[0],"parameters":{"note":"n"}}],
		"outputs":[{"name":"i"},{"name":"s","parameters":{"top":3}}]}`)
	r.wantStatus(t, 200)
	// BYTES as JSON strings (escaped), INT64 beyond 2^53 exact, requested
	// outputs in the requested order.
	wantJSON(t, r.body, `{"model_name":"types","model_version":"1","parameters":{"variant":"types"},"outputs":[
		{"name":"i","datatype":"INT64","shape":[2,2],"data":[1,-2,3,9007199254740993]},
		{"name":"s","datatype":"BYTES","shape":[2],"data":["hello","w\u00f6rld\u0000\"q"]}]}`)
	if !strings.Contains(string(r.body), `9007199254740993`) {
		t.Fatalf("INT64 lost precision: %s", r.body)
	}
	req := s.fake.lastRequest()
	if req.Parameters["priority"] != int64(2) || req.Parameters["ratio"] != 0.5 ||
		req.Parameters["tag"] != "a" || req.Parameters["flag"] != true {
		t.Fatalf("parameters %#v", req.Parameters)
	}
	if nested, _ := req.Parameters["nested"].(map[string]any); fmt.Sprintf("%#v", nested["a"]) != "[]interface {}{1, 2.5}" ||
		nested["a"].([]any)[0] != int64(1) {
		t.Fatalf("nested parameters %#v", req.Parameters["nested"])
	}
	if req.Inputs[0].Parameters["note"] != "n" {
		t.Fatalf("input parameters %#v", req.Inputs[0].Parameters)
	}
	if len(req.Outputs) != 2 || req.Outputs[0].Name != "i" || req.Outputs[1].Parameters["top"] != int64(3) || req.Outputs[0].Binary {
		t.Fatalf("outputs %#v", req.Outputs)
	}

	r = s.post(t, "/v2/models/types/infer", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[0]}],"outputs":[{"name":"b"}]}`)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"model_name":"types","model_version":"1","parameters":{"variant":"types"},
		"outputs":[{"name":"b","datatype":"BOOL","shape":[3],"data":[true,false,true]}]}`)
}

// echo sends one input through the echo model and returns the JSON
// output's data as text.
func echoData(t *testing.T, s *testServer, datatype, shape, data string) result {
	t.Helper()
	return s.post(t, "/v2/models/echo/infer",
		fmt.Sprintf(`{"inputs":[{"name":"v","shape":%s,"datatype":%q,"data":%s}]}`, shape, datatype, data))
}

func TestInferDatatypes(t *testing.T) {
	s := newTestServer(t, Options{})
	cases := []struct {
		dt, shape, data string
		check           func(*tensor.Tensor) bool
	}{
		{"INT8", "[4]", "[127,-128,3.0,1e2]", func(x *tensor.Tensor) bool {
			d := tensor.Data[int8](x)
			return len(d) == 4 && d[0] == 127 && d[1] == -128 && d[2] == 3 && d[3] == 100
		}},
		{"UINT8", "[2]", "[255,-0]", func(x *tensor.Tensor) bool {
			d := tensor.Data[uint8](x)
			return len(d) == 2 && d[0] == 255 && d[1] == 0
		}},
		{"INT64", "[2]", "[9007199254740993,-9223372036854775808]", func(x *tensor.Tensor) bool {
			d := tensor.Data[int64](x)
			return len(d) == 2 && d[0] == 9007199254740993 && d[1] == -9223372036854775808
		}},
		{"UINT64", "[1]", "[18446744073709551615]", func(x *tensor.Tensor) bool {
			d := tensor.Data[uint64](x)
			return len(d) == 1 && d[0] == 18446744073709551615
		}},
		{"INT32", "[1]", "[-2147483648]", func(x *tensor.Tensor) bool { return tensor.Data[int32](x)[0] == -2147483648 }},
		{"UINT16", "[1]", "[65535]", func(x *tensor.Tensor) bool { return tensor.Data[uint16](x)[0] == 65535 }},
		{"FP64", "[1]", "[0.1]", func(x *tensor.Tensor) bool { return tensor.Data[float64](x)[0] == 0.1 }},
		{"BOOL", "[2]", "[true,false]", func(x *tensor.Tensor) bool {
			d := tensor.Data[bool](x)
			return len(d) == 2 && d[0] && !d[1]
		}},
		{"BYTES", "[3]", `["a","\u00e9\n\"","x\\y"]`, func(x *tensor.Tensor) bool {
			d := tensor.Data[string](x)
			return len(d) == 3 && d[0] == "a" && d[1] == "é\n\"" && d[2] == `x\y`
		}},
		// FP16, rounded to nearest even, bit patterns worked out by hand:
		// 0.1 → 0x2E66; 1 → 0x3C00; -2.5 → 0xC100; 65504 (max) → 0x7BFF;
		// 2^-14 (smallest normal) → 0x0400; 2049 is halfway between 2048
		// and 2050 → the even 2048 = 0x6800; 2051 → 2052 = 0x6802;
		// 2^-25 is half the smallest subnormal → 0.
		{"FP16", "[8]", "[0.1,1,-2.5,65504,0.00006103515625,2049,2051,2.98023223876953125e-8]", func(x *tensor.Tensor) bool {
			want := []tensor.F16{0x2E66, 0x3C00, 0xC100, 0x7BFF, 0x0400, 0x6800, 0x6802, 0}
			d := tensor.Data[tensor.F16](x)
			return fmt.Sprint(d) == fmt.Sprint(want)
		}},
		// BF16: 1+2^-8 is halfway between 0x3F80 and 0x3F81 → 0x3F80;
		// 1+3·2^-8 between 0x3F81 and 0x3F82 → 0x3F82; -2 → 0xC000.
		{"BF16", "[3]", "[1.00390625,1.01171875,-2]", func(x *tensor.Tensor) bool {
			want := []tensor.BF16{0x3F80, 0x3F82, 0xC000}
			return fmt.Sprint(tensor.Data[tensor.BF16](x)) == fmt.Sprint(want)
		}},
		{"fp32", "[]", "7.5", func(x *tensor.Tensor) bool { // lower-case name, rank 0, bare value
			return x.Rank() == 0 && tensor.Data[float32](x)[0] == 7.5
		}},
		{"FP32", "[0,3]", "[]", func(x *tensor.Tensor) bool { return x.Len() == 0 && x.Shape()[1] == 3 }},
		{"FP32", "[2,0]", "[[],[]]", func(x *tensor.Tensor) bool { return x.Len() == 0 && x.Shape()[0] == 2 }},
	}
	for _, c := range cases {
		r := echoData(t, s, c.dt, c.shape, c.data)
		r.wantStatus(t, 200)
		x := s.fake.lastRequest().Inputs[0].Tensor
		if !c.check(x) {
			t.Errorf("%s %s: decoded %v %v %v", c.dt, c.data, x.DType(), x.Shape(), x.Data())
		}
	}
	// Values come back as JSON in their shortest exact form: FP16 0.1 is
	// 0.0999755859375, whose shortest float32 spelling is 0.099975586.
	r := echoData(t, s, "FP16", "[2]", "[0.1,-2.5]")
	wantJSON(t, r.body, `{"model_name":"echo","model_version":"1","parameters":{"variant":"echo"},
		"outputs":[{"name":"v","datatype":"FP16","shape":[2],"data":[0.099975586,-2.5]}]}`)
}

func TestInferBadData(t *testing.T) {
	s := newTestServer(t, Options{})
	cases := []struct{ dt, shape, data, want string }{
		{"FP32", "[2,3]", "[1,2,3,4,5]", "has 5 elements but shape [2 3] needs 6"},
		{"FP32", "[1000]", "[1,2]", "too short for the 1000 elements"},
		{"FP32", "[2,3]", "[1,2,3,4,5,6,7]", "more than the 6 elements"},
		{"FP32", "[2,2]", "[1,2,3]", "has 3 elements but shape [2 2] needs 4"},
		{"FP32", "[2,3]", "[[1,2,3],[4,5]]", "has 2 entries at depth 2"},
		{"FP32", "[2,3]", "[[1,2,3],[4,5,6],[7,8,9]]", "more than 2 entries at depth 1"},
		{"FP32", "[3,2]", "[[1,2,3],[4,5,6]]", "more than 2 entries at depth 2"},
		{"FP32", "[6]", "[[1,2,3],[4,5,6]]", "nested deeper"},
		{"FP32", "[2,3]", "[1,[2,3],4,5,6]", "mixes nested arrays and values"},
		{"FP32", "[2,3]", "[[1,2,3],4,5,6,7]", "expected an array at depth 2"},
		{"FP32", "[2]", "[1,\"2\"]", "element 1: expected a number, got a string"},
		{"FP32", "[1]", "[null]", "null"},
		{"FP32", "[1]", "[{}]", "object"},
		{"FP32", "[1]", "[1e39]", "out of range for FP32"},
		{"FP32", "[1]", "{}", "an object is not a tensor element"},
		{"FP32", "[2]", `"1234"`, "single value but shape [2] needs 2"},
		{"FP16", "[1]", "[65520]", "out of range for FP16"},
		{"INT8", "[1]", "[128]", "out of range for INT8"},
		{"INT8", "[1]", "[1.5]", "not an integer"},
		{"INT64", "[1]", "[9223372036854775808]", "out of range for INT64"},
		{"INT64", "[1]", "[1e19]", "out of range for INT64"},
		{"UINT8", "[1]", "[-1]", "out of range for UINT8"},
		{"UINT32", "[1]", "[true]", "expected a number, got true or false"},
		{"BOOL", "[1]", "[1]", "expected true or false, got a number"},
		{"BYTES", "[1]", "[1]", "expected a string, got a number"},
		{"BYTES", "[1]", "[false]", "expected a string, got true or false"},
		{"BOOL", "[1]", `["true"]`, "expected true or false, got a string"},
		{"BF16", "[1]", "[1e39]", "out of range for BF16"},
		{"UINT16", "[1]", "[1e400]", "out of range for UINT16"},
		{"FLOAT", "[1]", "[1]", `unknown datatype "FLOAT"`},
		{"FP32", "[-1]", "[1]", "negative dimension"},
		{"FP32", `["a"]`, "[1]", `field "inputs[0].shape": expected an integer, got string`},
		{"FP32", `[1.5]`, "[1]", `field "inputs[0].shape": expected an integer, got number 1.5`},
		{"FP32", "[1]", "null", "has no data"},
	}
	for _, c := range cases {
		r := echoData(t, s, c.dt, c.shape, c.data)
		if r.status != 400 {
			t.Errorf("%s %s %s: status %d %s", c.dt, c.shape, c.data, r.status, r.body)
			continue
		}
		r.errorContains(t, 400, c.want)
	}
	for _, c := range []struct{ body, want string }{
		{``, "empty"},
		{`[]`, "must be a JSON object, got an array"},
		{`"x"`, "must be a JSON object, got a string"},
		{`{"inputs":{}}`, `field "inputs" must be an array`},
		{`{"inputs":[1]}`, `inputs[0] must be an object`},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],}]}`, "malformed JSON"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[01]}]}`, "malformed JSON"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["\q"]}]}`, "malformed JSON"},
		{`{"inputs":[{"name":5}]}`, `field "inputs[0].name": expected a string, got number`},
		{`{"inputs":[]}`, "no inputs"},
		{`{"inputs":[{"name":"x","datatype":"FP32","data":[1]}]}`, "has no shape"},
		{`{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}`, "input 0 has no name"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`, "more than once"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y"},{"name":"y"}]}`, "more than once"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{}]}`, "output 0 has no name"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y","parameters":{"binary_data":1}}]}`, `"binary_data"`},
		{`{"parameters":{"binary_data_output":"yes"},"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`, `"binary_data_output"`},
		{`{"parameters":[1],"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`, "expected an object"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]} trailing`, "malformed JSON"},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]`, "malformed JSON"},
		{`{"id":5,"inputs":[]}`, `field "id"`},
		{`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`, "no Inference-Header-Content-Length"},
	} {
		r := s.post(t, "/v2/models/echo/infer", c.body)
		if r.status != 400 {
			t.Errorf("%s: status %d %s", c.body, r.status, r.body)
			continue
		}
		r.errorContains(t, 400, c.want)
	}
	// The model's own complaint comes through as a 400 too.
	s.post(t, "/v2/models/add/infer", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`).
		errorContains(t, 400, "want FP32 [-1,3]")
}

func TestInferLimits(t *testing.T) {
	s := newTestServer(t, Options{MaxBodyBytes: 1000, MaxJSONDepth: 8, MaxElements: 100})
	// Depth: object, inputs array, input object, then the data's arrays.
	deep := `{"inputs":[{"name":"x","shape":[1,1,1,1,1],"datatype":"FP32","data":[[[[[1]]]]]}]}`
	s.post(t, "/v2/models/echo/infer", deep).wantStatus(t, 200)
	deeper := `{"inputs":[{"name":"x","shape":[1,1,1,1,1,1],"datatype":"FP32","data":[[[[[[1]]]]]]}]}`
	s.post(t, "/v2/models/echo/infer", deeper).errorContains(t, 400, "nested more than 8 levels")
	// Brackets inside strings do not count.
	s.post(t, "/v2/models/echo/infer", `{"id":"[[[[[[[[[[","inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["{{{{{{{{{{\"["]}]}`).
		wantStatus(t, 200)
	// Elements: the shape is refused before anything is allocated, even
	// when the data is tiny.
	s.post(t, "/v2/models/echo/infer", `{"inputs":[{"name":"x","shape":[101],"datatype":"FP32","data":[1]}]}`).
		errorContains(t, 413, "limit of 100 tensor elements")
	s.post(t, "/v2/models/echo/infer", `{"inputs":[{"name":"x","shape":[4611686018427387904,4],"datatype":"FP32","data":[1]}]}`).
		wantStatus(t, 413)
	s.post(t, "/v2/models/echo/infer", `{"inputs":[{"name":"a","shape":[60],"datatype":"BOOL","data":[`+
		strings.Repeat("true,", 59)+`true]},{"name":"b","shape":[41],"datatype":"FP32","data":[1]}]}`).
		errorContains(t, 413, "limit of 40 tensor elements")
	// Body size: declared too big, and sent chunked with no length.
	big := `{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["` + strings.Repeat("a", 1000) + `"]}]}`
	s.post(t, "/v2/models/echo/infer", big).errorContains(t, 413, "larger than the limit of 1000 bytes")
	s.do(t, "POST", "/v2/models/echo/infer", struct{ *strings.Reader }{strings.NewReader(big)}).
		errorContains(t, 413, "larger than the limit")
	// Just under the limit is fine, chunked too.
	ok := `{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["` + strings.Repeat("a", 900) + `"]}]}`
	s.do(t, "POST", "/v2/models/echo/infer", struct{ *strings.Reader }{strings.NewReader(ok)}).wantStatus(t, 200)
}

func TestInferDefaultLimits(t *testing.T) {
	h := NewHandler(newFake(), Options{}).(interface{}) // defaults must not panic
	_ = h
	o := Options{}.withDefaults()
	if o.MaxBodyBytes != 64<<20 || o.MaxJSONDepth != 64 || o.MaxElements != 1<<26 || o.RoutingHeader != "X-User-ID" || o.Logger == nil {
		t.Fatalf("defaults %+v", o)
	}
	s := newTestServer(t, Options{})
	s.post(t, "/v2/models/echo/infer", `{"inputs":[{"name":"x","shape":[67108865],"datatype":"BOOL","data":[true]}]}`).
		errorContains(t, 413, "limit of 67108864")
	s.post(t, "/v2/models/echo/infer", `{"id":`+strings.Repeat("[", 64)+strings.Repeat("]", 64)+`}`).
		errorContains(t, 400, "nested more than 64 levels")
	s.post(t, "/v2/models/echo/infer", `{"x":`+strings.Repeat("[", 63)+strings.Repeat("]", 63)+
		`,"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`).wantStatus(t, 200)
}

func TestInferTimeout(t *testing.T) {
	s := newTestServer(t, Options{})
	body := func(params string) string {
		return `{` + params + `"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`
	}
	cases := []struct {
		params, header string
		want           time.Duration
	}{
		{"", "", 0},
		{`"parameters":{"timeout":5000},`, "", 5 * time.Millisecond},
		{"", "250ms", 250 * time.Millisecond},
		{`"parameters":{"timeout":5000},`, "1s", 5 * time.Millisecond},
		{`"parameters":{"timeout":2000000},`, "1.5s", 1500 * time.Millisecond},
		{`"parameters":{"timeout":0},`, "", 0},
		{`"parameters":{"timeout":3e3},`, "", 3 * time.Millisecond},
		{`"parameters":{"timeout":9223372036854775807},`, "", time.Duration(1<<63 - 1)},
	}
	for _, c := range cases {
		var hdr []string
		if c.header != "" {
			hdr = []string{"X-Request-Timeout", c.header}
		}
		s.post(t, "/v2/models/add/infer", body(c.params), hdr...).wantStatus(t, 200)
		if got := s.fake.lastRequest().Timeout; got != c.want {
			t.Errorf("params %q header %q: timeout %v, want %v", c.params, c.header, got, c.want)
		}
	}
	s.post(t, "/v2/models/add/infer", body(""), "X-Request-Timeout", "soon").errorContains(t, 400, "X-Request-Timeout")
	s.post(t, "/v2/models/add/infer", body(""), "X-Request-Timeout", "-1s").wantStatus(t, 400)
	s.post(t, "/v2/models/add/infer", body(`"parameters":{"timeout":-1},`)).errorContains(t, 400, `"timeout"`)
	s.post(t, "/v2/models/add/infer", body(`"parameters":{"timeout":1.5},`)).errorContains(t, 400, `"timeout"`)
}

func TestInferErrorCodes(t *testing.T) {
	s := newTestServer(t, Options{})
	want := map[infer.Code]int{
		infer.Internal: 500, infer.InvalidArgument: 400, infer.NotFound: 404, infer.Unavailable: 503,
		infer.ResourceExhausted: 429, infer.TooLarge: 413, infer.Unauthenticated: 401,
		infer.DeadlineExceeded: 504, infer.Canceled: 499,
	}
	body := `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`
	for code, status := range want {
		r := s.post(t, "/v2/models/err-"+code.String()+"/infer", body)
		r.errorContains(t, status, "failure "+code.String())
		if code == infer.ResourceExhausted {
			// 1.5 s rounds up to 2.
			if ra := r.header.Get("Retry-After"); ra != "2" {
				t.Fatalf("Retry-After %q", ra)
			}
		} else if ra := r.header.Get("Retry-After"); ra != "" {
			t.Fatalf("%v: Retry-After %q", code, ra)
		}
	}
	s.post(t, "/v2/models/nope/infer", body).errorContains(t, 404, `unknown model "nope"`)
	// A plain error's text (a path here) never reaches the client.
	r := s.post(t, "/v2/models/plainerr/infer", body)
	r.wantStatus(t, 500)
	wantJSON(t, r.body, `{"error":"internal error"}`)
	s.post(t, "/v2/models/nilresp/infer", body).wantStatus(t, 500)
}

func TestRetryAfterRounding(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want int64
	}{{0.001, 1}, {1, 1}, {1.0001, 2}, {2.5, 3}, {60, 60}, {1e12, 1<<31 - 1}} {
		if got := retryAfterSeconds(c.s); got != c.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	s := newTestServer(t, Options{})
	body := `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`
	for i := 0; i < 3; i++ {
		r := s.post(t, "/v2/models/panic/infer", body)
		r.wantStatus(t, 500)
		wantJSON(t, r.body, `{"error":"internal error"}`)
		if strings.Contains(string(r.body), "exploded") || strings.Contains(string(r.body), "goroutine") {
			t.Fatalf("panic leaked: %s", r.body)
		}
		// The server (and the same keep-alive client) keeps working.
		s.post(t, "/v2/models/add/infer", body).wantStatus(t, 200)
	}
	s.post(t, "/models/panic/predict", `{"inputs":{"x":[1]}}`).wantStatus(t, 500)
	s.post(t, "/models/add/predict", `{"features":[1,2,3]}`).wantStatus(t, 200)
}
