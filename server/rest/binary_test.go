package rest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// binaryBody joins a JSON header and raw tensor bytes, and returns the
// header length for Inference-Header-Content-Length.
func binaryBody(header string, raw ...[]byte) (string, string) {
	return header + string(bytes.Join(raw, nil)), strconv.Itoa(len(header))
}

func le32s(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// splitResponse checks a binary response's headers and splits its body.
func splitResponse(t *testing.T, r result) (header map[string]any, bin []byte) {
	t.Helper()
	r.wantStatus(t, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	n, err := strconv.Atoi(r.header.Get("Inference-Header-Content-Length"))
	if err != nil || n > len(r.body) {
		t.Fatalf("Inference-Header-Content-Length %q for %d bytes", r.header.Get("Inference-Header-Content-Length"), len(r.body))
	}
	dec := json.NewDecoder(bytes.NewReader(r.body[:n]))
	dec.UseNumber()
	if err := dec.Decode(&header); err != nil {
		t.Fatalf("JSON header: %v", err)
	}
	return header, r.body[n:]
}

func TestBinaryRoundTrip(t *testing.T) {
	s := newTestServer(t, Options{})
	body, n := binaryBody(`{"id":"b1","parameters":{"binary_data_output":true},"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","parameters":{"binary_data_size":24}}]}`,
		le32s(1, 2, 3, -4, 0.5, 1e10))
	r := s.post(t, "/v2/models/add/infer", body, "Inference-Header-Content-Length", n)
	header, bin := splitResponse(t, r)
	got, _ := json.Marshal(header)
	wantJSON(t, got, `{"model_name":"add","model_version":"1","id":"b1","parameters":{"variant":"add"},
		"outputs":[{"name":"y","datatype":"FP32","shape":[2,3],"parameters":{"binary_data_size":24}}]}`)
	if len(bin) != 24 {
		t.Fatalf("%d binary bytes", len(bin))
	}
	want := []float32{2, 3, 4, -3, 1.5, 1e10 + 1}
	for i, w := range want {
		if v := math.Float32frombits(binary.LittleEndian.Uint32(bin[4*i:])); v != w {
			t.Fatalf("y[%d] = %v, want %v", i, v, w)
		}
	}
	// The input arrived as FP32 without going through JSON.
	if req := s.fake.lastRequest(); req.Parameters["binary_data_output"] != nil || req.Inputs[0].Parameters != nil {
		t.Fatalf("transport parameters leaked: %#v %#v", req.Parameters, req.Inputs[0].Parameters)
	}
}

func TestBinaryMixed(t *testing.T) {
	s := newTestServer(t, Options{})
	// Inputs: a JSON one between two binary ones; BYTES as 4-byte LE
	// length + bytes ("ab", "", "xyz" = 2+4 + 0+4 + 3+4 = 17 bytes), INT64
	// 8 bytes each, BOOL one byte each.
	bytesData := []byte{2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 3, 0, 0, 0, 'x', 'y', 'z'}
	i64 := binary.LittleEndian.AppendUint64(nil, uint64(1<<62+1))
	i64 = binary.LittleEndian.AppendUint64(i64, math.MaxUint64) // -1
	body, n := binaryBody(`{"inputs":[
		{"name":"s","shape":[3],"datatype":"BYTES","parameters":{"binary_data_size":17}},
		{"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]},
		{"name":"i","shape":[2],"datatype":"INT64","parameters":{"binary_data_size":16}},
		{"name":"h","shape":[2],"datatype":"FP16","parameters":{"binary_data_size":4}}],
		"outputs":[{"name":"s","parameters":{"binary_data":true}},{"name":"b"},{"name":"i","parameters":{"binary_data":false}},
		{"name":"h","parameters":{"binary_data":true}}]}`,
		bytesData, i64, []byte{0x66, 0x2E, 0x00, 0xC1})
	r := s.post(t, "/v2/models/echo/infer", body, "Inference-Header-Content-Length", n)
	header, bin := splitResponse(t, r)
	got, _ := json.Marshal(header)
	// BYTES and FP16 come back binary (17 + 4 bytes), the others as JSON.
	wantJSON(t, got, `{"model_name":"echo","model_version":"1","parameters":{"variant":"echo"},"outputs":[
		{"name":"s","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":17}},
		{"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]},
		{"name":"i","datatype":"INT64","shape":[2],"data":[4611686018427387905,-1]},
		{"name":"h","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}}]}`)
	want := append(append([]byte{}, bytesData...), 0x66, 0x2E, 0x00, 0xC1)
	if !bytes.Equal(bin, want) {
		t.Fatalf("binary part % x, want % x", bin, want)
	}
	req := s.fake.lastRequest()
	if !req.Outputs[0].Binary || req.Outputs[1].Binary || req.Outputs[2].Binary || !req.Outputs[3].Binary {
		t.Fatalf("output binary flags %+v", req.Outputs)
	}
}

func TestBinaryOutputOnlyPerOutput(t *testing.T) {
	s := newTestServer(t, Options{})
	// JSON request, binary answer for one output; binary_data_output true
	// with a per-output false override.
	r := s.post(t, "/v2/models/types/infer", `{"parameters":{"binary_data_output":true},
		"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[0]}],
		"outputs":[{"name":"b"},{"name":"s","parameters":{"binary_data":false}}]}`)
	header, bin := splitResponse(t, r)
	got, _ := json.Marshal(header)
	wantJSON(t, got, `{"model_name":"types","model_version":"1","parameters":{"variant":"types"},"outputs":[
		{"name":"b","datatype":"BOOL","shape":[3],"parameters":{"binary_data_size":3}},
		{"name":"s","datatype":"BYTES","shape":[2],"data":["hello","w\u00f6rld\u0000\"q"]}]}`)
	if !bytes.Equal(bin, []byte{1, 0, 1}) {
		t.Fatalf("BOOL bytes % x", bin)
	}
}

func TestBinaryErrors(t *testing.T) {
	s := newTestServer(t, Options{})
	hdr := func(size int, dt, shape string) string {
		return `{"inputs":[{"name":"x","shape":` + shape + `,"datatype":"` + dt + `","parameters":{"binary_data_size":` + strconv.Itoa(size) + `}}]}`
	}
	cases := []struct {
		name, header string
		raw          []byte
		headerLen    string // "" = the header's length
		want         string
	}{
		{"truncated", hdr(24, "FP32", "[2,3]"), le32s(1, 2, 3, 4, 5), "", "truncated"},
		{"extra bytes", hdr(4, "FP32", "[1]"), le32s(1, 2), "", "8 bytes of binary data but the inputs' binary_data_size add up to 4"},
		{"size/shape mismatch", hdr(8, "FP32", "[1]"), le32s(1, 2), "", "binary_data_size is 8 bytes but shape [1]"},
		{"odd size", hdr(6, "FP32", "[2]"), le32s(1, 2)[:6], "", "binary_data_size is 6 bytes"},
		{"header length too big", hdr(4, "FP32", "[1]"), le32s(1), "9999", "Inference-Header-Content-Length"},
		{"header length negative", hdr(4, "FP32", "[1]"), le32s(1), "-1", "Inference-Header-Content-Length"},
		{"header length not a number", hdr(4, "FP32", "[1]"), le32s(1), "12abc", "Inference-Header-Content-Length"},
		{"header length cuts the JSON", hdr(4, "FP32", "[1]"), le32s(1), "10", "malformed JSON"},
		{"bytes length past the end", hdr(6, "BYTES", "[1]"), []byte{5, 0, 0, 0, 'a', 'b'}, "", "length 5 but only 2 bytes"},
		{"bytes length cut", hdr(12, "BYTES", "[3]"), []byte{1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b', 7, 7}, "", "element 2: binary data ends inside its 4-byte length"},
		{"bytes left over", hdr(6, "BYTES", "[1]"), []byte{1, 0, 0, 0, 'a', 9}, "", "1 bytes more"},
		{"bytes too many elements", hdr(4, "BYTES", "[2]"), []byte{0, 0, 0, 0}, "", "too few for the 2 BYTES"},
		{"bool not 0/1", hdr(2, "BOOL", "[2]"), []byte{1, 2}, "", "must be 0 or 1"},
		{"data and size", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]}`,
			le32s(1), "", "both binary_data_size and data"},
		{"negative size", hdr(-4, "FP32", "[1]"), le32s(1), "", "non-negative integer"},
		// Sizes 1, 2^63-1, 2^63-1, 5: summed naively they wrap around to
		// exactly the 4 bytes sent.
		{"wrapping sizes", `{"inputs":[{"name":"a","shape":[1],"datatype":"UINT8","parameters":{"binary_data_size":1}},` +
			`{"name":"b","shape":[0],"datatype":"BYTES","parameters":{"binary_data_size":9223372036854775807}},` +
			`{"name":"c","shape":[0],"datatype":"BYTES","parameters":{"binary_data_size":9223372036854775807}},` +
			`{"name":"d","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":5}}]}`, le32s(1), "", "truncated"},
	}
	for _, c := range cases {
		body, n := binaryBody(c.header, c.raw)
		if c.headerLen != "" {
			n = c.headerLen
		}
		r := s.post(t, "/v2/models/echo/infer", body, "Inference-Header-Content-Length", n)
		if r.status != 400 {
			t.Errorf("%s: status %d %s", c.name, r.status, r.body)
			continue
		}
		r.errorContains(t, 400, c.want)
	}
	// Binary data beyond the element budget is refused by shape first.
	s2 := newTestServer(t, Options{MaxElements: 4})
	body, n := binaryBody(hdr(20, "FP32", "[5]"), le32s(1, 2, 3, 4, 5))
	s2.post(t, "/v2/models/echo/infer", body, "Inference-Header-Content-Length", n).wantStatus(t, 413)
}

// TestBinaryAllTypes sends every fixed-size datatype as binary and checks
// that it comes back byte-identical.
func TestBinaryAllTypes(t *testing.T) {
	s := newTestServer(t, Options{})
	raw := []byte{1, 0, 2, 0xff, 0x80, 0x7f, 3, 9, 0, 1, 0xfe, 0x10, 0x20, 0x30, 0x40, 0x50}
	for _, c := range []struct {
		dt    string
		count int
	}{{"UINT8", 16}, {"INT8", 16}, {"UINT16", 8}, {"INT16", 8}, {"FP16", 8}, {"BF16", 8},
		{"UINT32", 4}, {"INT32", 4}, {"FP32", 4}, {"UINT64", 2}, {"INT64", 2}, {"FP64", 2}} {
		body, n := binaryBody(`{"parameters":{"binary_data_output":true},"inputs":[{"name":"v","shape":[`+strconv.Itoa(c.count)+`],"datatype":"`+c.dt+
			`","parameters":{"binary_data_size":16}}]}`, raw)
		r := s.post(t, "/v2/models/echo/infer", body, "Inference-Header-Content-Length", n)
		_, bin := splitResponse(t, r)
		if !bytes.Equal(bin, raw) {
			t.Errorf("%s: % x, want % x", c.dt, bin, raw)
		}
	}
	// Spot-check decoding of signed and float types through JSON output.
	body, n := binaryBody(`{"inputs":[{"name":"v","shape":[2],"datatype":"INT16","parameters":{"binary_data_size":4}}]}`,
		[]byte{0xfe, 0xff, 0x00, 0x80})
	r := s.post(t, "/v2/models/echo/infer", body, "Inference-Header-Content-Length", n)
	r.wantStatus(t, 200)
	wantJSON(t, r.body, `{"model_name":"echo","model_version":"1","parameters":{"variant":"echo"},
		"outputs":[{"name":"v","datatype":"INT16","shape":[2],"data":[-2,-32768]}]}`)
}
