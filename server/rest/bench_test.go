package rest

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// 224×224×3: one ImageNet-sized image.
const benchElems = 150528

func fp32JSONBody() []byte {
	b := []byte(`{"inputs":[{"name":"x","shape":[1,3,224,224],"datatype":"FP32","data":[`)
	for i := 0; i < benchElems; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(i%1000)/997, 'g', 8, 32)
	}
	return append(b, "]}]}"...)
}

// BenchmarkDecodeFP32 decodes a 150528-element JSON FP32 request into a
// Request (body already in memory).
func BenchmarkDecodeFP32(b *testing.B) {
	body := fp32JSONBody()
	h := &handler{opts: Options{}.withDefaults()}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _, err := h.decodeInferRequest(http.Header{}, body)
		if err != nil || req.Inputs[0].Tensor.Len() != benchElems {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFP32Binary is the same tensor through the binary
// extension, for comparison.
func BenchmarkDecodeFP32Binary(b *testing.B) {
	header := `{"inputs":[{"name":"x","shape":[1,3,224,224],"datatype":"FP32","parameters":{"binary_data_size":602112}}]}`
	body := []byte(header)
	for i := 0; i < benchElems; i++ {
		body = binary.LittleEndian.AppendUint32(body, math.Float32bits(float32(i)))
	}
	hdr := http.Header{}
	hdr.Set(headerLengthKey, strconv.Itoa(len(header)))
	h := &handler{opts: Options{}.withDefaults()}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.decodeInferRequest(hdr, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInferFP32 is the whole handler: read, decode, infer (the
// echo fake), encode the 150528-element answer as JSON.
func BenchmarkInferFP32(b *testing.B) {
	body := fp32JSONBody()
	h := NewHandler(newFake(), Options{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v2/models/echo/infer", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
