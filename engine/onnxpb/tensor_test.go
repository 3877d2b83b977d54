package onnxpb

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/gonyx/gonyx/engine/tensor"
)

func TestDecodeTensorTypedFields(t *testing.T) {
	cases := []struct {
		name  string
		buf   pb
		dt    tensor.DType
		shape []int
		data  any
	}{
		{"float packed", pb{}.dims(2, 2).int(2, 1).packedFloats(4, 1, 2, 3, 4),
			tensor.Float32, []int{2, 2}, []float32{1, 2, 3, 4}},
		{"float unpacked", pb{}.dims(2).int(2, 1).float(4, 1.5).float(4, -2),
			tensor.Float32, []int{2}, []float32{1.5, -2}},
		{"dims packed", pb{}.packedVarints(1, 1, 2).int(2, 1).packedFloats(4, 7, 8),
			tensor.Float32, []int{1, 2}, []float32{7, 8}},
		{"int32 negative", pb{}.dims(2).int(2, 6).packedVarints(5, -1, 2),
			tensor.Int32, []int{2}, []int32{-1, 2}},
		{"int8 in int32_data", pb{}.dims(2).int(2, 3).packedVarints(5, -128, 127),
			tensor.Int8, []int{2}, []int8{-128, 127}},
		{"uint8 in int32_data", pb{}.dims(2).int(2, 2).int(5, 255).int(5, 0),
			tensor.Uint8, []int{2}, []uint8{255, 0}},
		{"int16", pb{}.dims(1).int(2, 5).packedVarints(5, -300),
			tensor.Int16, []int{1}, []int16{-300}},
		{"uint16", pb{}.dims(1).int(2, 4).packedVarints(5, 65535),
			tensor.Uint16, []int{1}, []uint16{65535}},
		{"bool", pb{}.dims(3).int(2, 9).packedVarints(5, 0, 1, 0),
			tensor.Bool, []int{3}, []bool{false, true, false}},
		{"float16 bits", pb{}.dims(2).int(2, 10).packedVarints(5, 0x3C00, 0xC000),
			tensor.Float16, []int{2}, []tensor.F16{0x3C00, 0xC000}},
		{"bfloat16 bits", pb{}.dims(1).int(2, 16).packedVarints(5, 0x3F80),
			tensor.BFloat16, []int{1}, []tensor.BF16{0x3F80}},
		{"int64 packed", pb{}.dims(2).int(2, 7).packedVarints(7, -5, 1<<40),
			tensor.Int64, []int{2}, []int64{-5, 1 << 40}},
		{"int64 unpacked", pb{}.dims(2).int(2, 7).int(7, 3).int(7, -4),
			tensor.Int64, []int{2}, []int64{3, -4}},
		{"double packed", pb{}.dims(2).int(2, 11).bytes(10, le64(math.Float64bits(1.5), math.Float64bits(-2.25))),
			tensor.Float64, []int{2}, []float64{1.5, -2.25}},
		{"double unpacked", pb{}.dims(1).int(2, 11).fixed64(10, math.Float64bits(0.125)),
			tensor.Float64, []int{1}, []float64{0.125}},
		{"uint32 in uint64_data", pb{}.dims(2).int(2, 12).packedVarints(11, 4294967295, 7),
			tensor.Uint32, []int{2}, []uint32{4294967295, 7}},
		{"uint64", pb{}.dims(1).int(2, 13).varint(11, 1<<63),
			tensor.Uint64, []int{1}, []uint64{1 << 63}},
		{"strings", pb{}.dims(3).int(2, 8).str(6, "a").str(6, "").str(6, "héllo"),
			tensor.String, []int{3}, []string{"a", "", "héllo"}},
		{"scalar", pb{}.int(2, 7).int(7, 42),
			tensor.Int64, []int{}, []int64{42}},
		{"zero elements", pb{}.dims(0, 3).int(2, 1),
			tensor.Float32, []int{0, 3}, []float32{}},
		{"zero elements raw", pb{}.dims(0).int(2, 7).bytes(9, nil),
			tensor.Int64, []int{0}, []int64{}},
		{"data before data_type", pb{}.bytes(9, le32(3)).dims(1).int(2, 1),
			tensor.Float32, []int{1}, []float32{3}},
		{"unknown fields skipped", pb{}.dims(1).str(12, "doc").int(99, 5).int(2, 1).packedFloats(4, 9).msg(16, pb{}.str(1, "k")),
			tensor.Float32, []int{1}, []float32{9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := DecodeTensor(c.buf)
			if err != nil {
				t.Fatal(err)
			}
			checkTensor(t, got, c.dt, c.shape, c.data)
		})
	}
}

func TestDecodeTensorRaw(t *testing.T) {
	cases := []struct {
		dt   tensor.DType
		raw  []byte
		data any
	}{
		{tensor.Float32, le32(1, -2), []float32{1, -2}},
		{tensor.Float64, le64(math.Float64bits(3.5), math.Float64bits(-1)), []float64{3.5, -1}},
		{tensor.Int8, []byte{0xff, 0x01}, []int8{-1, 1}},
		{tensor.Uint8, []byte{0xff, 0x01}, []uint8{255, 1}},
		{tensor.Int16, []byte{0xfe, 0xff, 0x01, 0x02}, []int16{-2, 0x0201}},
		{tensor.Uint16, []byte{0x01, 0x02, 0xff, 0xff}, []uint16{0x0201, 0xffff}},
		{tensor.Int32, []byte{0xfe, 0xff, 0xff, 0xff, 1, 0, 0, 0}, []int32{-2, 1}},
		{tensor.Uint32, []byte{0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0}, []uint32{0xffffffff, 256}},
		{tensor.Int64, le64(uint64(1<<64-3), 1<<40), []int64{-3, 1 << 40}},
		{tensor.Uint64, le64(1<<63, 5), []uint64{1 << 63, 5}},
		{tensor.Bool, []byte{0, 1}, []bool{false, true}},
		{tensor.Float16, []byte{0x00, 0x3c, 0x00, 0xc0}, []tensor.F16{0x3C00, 0xC000}},
		{tensor.BFloat16, []byte{0x80, 0x3f, 0x00, 0x40}, []tensor.BF16{0x3F80, 0x4000}},
	}
	for _, portable := range []bool{false, true} {
		for _, c := range cases {
			t.Run(c.dt.String(), func(t *testing.T) {
				if portable {
					defer setLittleEndian(false)()
				}
				got, name, err := DecodeTensor(pb{}.dims(2).int(2, int64(c.dt)).str(8, "w").bytes(9, c.raw))
				if err != nil {
					t.Fatal(err)
				}
				if name != "w" {
					t.Fatalf("name %q", name)
				}
				checkTensor(t, got, c.dt, []int{2}, c.data)
			})
		}
	}
}

// setLittleEndian switches the decoder's idea of the host byte order (to run
// the portable path on a little-endian machine) and returns the undo.
func setLittleEndian(v bool) func() {
	old := hostLittleEndian
	hostLittleEndian = v
	return func() { hostLittleEndian = old }
}

func TestDecodeTensorErrors(t *testing.T) {
	valid := pb{}.dims(2).int(2, 1).str(8, "w").bytes(9, le32(1, 2))
	cases := []struct {
		name string
		buf  []byte
		want string
	}{
		{"truncated", valid[:len(valid)-1], "malformed"},
		{"truncated varint", []byte{0x08, 0x80}, "malformed"},
		{"field zero", []byte{0x00}, "malformed field tag"},
		{"end group", []byte{0x0c}, "malformed"},
		{"unknown dtype", pb{}.dims(1).int(2, 99).bytes(9, []byte{1}), "not supported"},
		{"complex64", pb{}.dims(1).int(2, 14).packedFloats(4, 1, 2), "complex64"},
		{"float8", pb{}.dims(1).int(2, 17).bytes(9, []byte{1}), "float8e4m3fn"},
		{"no dtype", pb{}.dims(1).packedFloats(4, 1), "data_type"},
		{"negative dim", pb{}.dims(-1).int(2, 1), "negative"},
		{"huge dims", pb{}.dims(1<<20, 1<<20).int(2, 1).bytes(9, le32(1)), "elements"},
		{"huge dim", pb{}.dims(1<<62).int(2, 1).bytes(9, le32(1)), "too large"},
		{"typed count mismatch", pb{}.dims(3).int(2, 1).packedFloats(4, 1, 2), "needs 3 elements"},
		{"raw size mismatch", pb{}.dims(3).int(2, 1).bytes(9, le32(1, 2)), "need 12 bytes"},
		{"bool raw size", pb{}.dims(3).int(2, 9).bytes(9, []byte{1}), "need 3 bytes"},
		{"no data", pb{}.dims(2).int(2, 1), "carries no data"},
		{"scalar without data", pb{}.int(2, 1), "carries no data"},
		{"segment", pb{}.dims(1).int(2, 1).msg(3, pb{}.int(1, 0).int(2, 1)).packedFloats(4, 1), "segment"},
		{"raw and typed", pb{}.dims(1).int(2, 1).packedFloats(4, 1).bytes(9, le32(1)), "more than one"},
		{"two typed", pb{}.dims(1).int(2, 7).packedVarints(7, 1).packedVarints(5, 1), "more than one"},
		{"wrong typed field", pb{}.dims(1).int(2, 1).packedVarints(7, 1), "float_data"},
		{"string raw", pb{}.dims(1).int(2, 8).bytes(9, []byte("a")), "string_data"},
		{"external without dir", pb{}.dims(1).int(2, 1).msg(13, pb{}.str(1, "location").str(2, "w.bin")).int(14, 1), "folder"},
		{"bad location", pb{}.dims(1).int(2, 1).packedFloats(4, 1).int(14, 2), "data_location"},
		{"name as varint", pb{}.dims(1).int(2, 1).int(8, 3).packedFloats(4, 1), "wire type"},
		{"dtype as bytes", pb{}.dims(1).str(2, "x"), "wire type"},
		{"packed floats ragged", pb{}.dims(1).int(2, 1).bytes(4, []byte{1, 2, 3}), "multiple of 4"},
		{"packed doubles ragged", pb{}.dims(1).int(2, 11).bytes(10, []byte{1, 2, 3}), "multiple of 8"},
		{"packed varint broken", pb{}.dims(1).int(2, 7).bytes(7, []byte{0x80}), "malformed packed"},
		{"dtype overflow", pb{}.dims(1).int(2, 1<<40), "int32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := DecodeTensor(c.buf)
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// A tiny file declaring a huge tensor must be rejected before anything of
// the declared size is allocated.
func TestDecodeTensorNoHugeAllocation(t *testing.T) {
	buf := pb{}.dims(1<<16, 1<<16).int(2, 1).bytes(9, le32(1, 2, 3)) // 4G elements declared
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		if _, _, err := DecodeTensor(buf); err == nil {
			t.Fatal("no error")
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("decoding a bogus 4G-element tensor allocated %d bytes", grew)
	}
}

func TestEncodeTensorBytes(t *testing.T) {
	got := EncodeTensor("x", tensor.New([]int{2}, []float32{1, 2}))
	want := pb{}.dims(2).int(2, 1).str(8, "x").bytes(9, le32(1, 2))
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
	got = EncodeTensor("s", tensor.New([]int{2}, []string{"ab", ""}))
	want = pb{}.dims(2).int(2, 8).str(8, "s").str(6, "ab").str(6, "")
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
	got = EncodeTensor("b", tensor.New([]int{}, []bool{true}))
	want = pb{}.int(2, 9).str(8, "b").bytes(9, []byte{1})
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
}

func roundTripTensors() []*tensor.Tensor {
	return []*tensor.Tensor{
		tensor.New([]int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}),
		tensor.New([]int{2}, []float64{math.Pi, -1e300}),
		tensor.New([]int{3}, []tensor.F16{tensor.NewF16(1), tensor.NewF16(-2.5), 0x7c00}),
		tensor.New([]int{2}, []tensor.BF16{tensor.NewBF16(3), tensor.NewBF16(-0.5)}),
		tensor.New([]int{3}, []int8{-128, 0, 127}),
		tensor.New([]int{2}, []int16{-32768, 32767}),
		tensor.New([]int{2}, []int32{math.MinInt32, 7}),
		tensor.New([]int{2}, []int64{math.MinInt64, math.MaxInt64}),
		tensor.New([]int{2}, []uint8{0, 255}),
		tensor.New([]int{2}, []uint16{1, 65535}),
		tensor.New([]int{2}, []uint32{0, math.MaxUint32}),
		tensor.New([]int{2}, []uint64{1, math.MaxUint64}),
		tensor.New([]int{4}, []bool{true, false, false, true}),
		tensor.New([]int{1, 3}, []string{"", "x", "日本"}),
		tensor.New([]int{}, []float32{42}),
		tensor.New([]int{0, 4}, []int64{}),
		tensor.New([]int{0}, []string{}),
		tensor.New([]int{20}, make([]float64, 20)), // > zeroCopyMin bytes
	}
}

func TestTensorRoundTrip(t *testing.T) {
	for _, portable := range []bool{false, true} {
		for _, want := range roundTripTensors() {
			t.Run(want.DType().String(), func(t *testing.T) {
				if portable {
					defer setLittleEndian(false)()
				}
				buf := EncodeTensor("t_"+want.DType().String(), want)
				got, name, err := DecodeTensor(buf)
				if err != nil {
					t.Fatal(err)
				}
				if name != "t_"+want.DType().String() {
					t.Fatalf("name %q", name)
				}
				checkTensor(t, got, want.DType(), want.Shape(), want.Data())
				// Decoding with an owned buffer (zero-copy path) gives the same.
				d := &decoder{opts: Options{OwnBuffer: true}, bufLen: len(buf)}
				got, _, err = d.tensor(buf)
				if err != nil {
					t.Fatal(err)
				}
				checkTensor(t, got, want.DType(), want.Shape(), want.Data())
			})
		}
	}
}

// dataPtr is the address of a tensor's first element.
func dataPtr(t *tensor.Tensor) uintptr {
	b := bytesOf(t.Data())
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

func inside(p uintptr, buf []byte) bool {
	start := uintptr(unsafe.Pointer(&buf[0]))
	return p >= start && p < start+uintptr(len(buf))
}

func TestZeroCopyAlignment(t *testing.T) {
	const n = 16
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(i*1000 - 7)
	}
	raw := make([]byte, 0, 8*n)
	for _, v := range vals {
		raw = append(raw, le64(uint64(v))...)
	}
	// Typical layout: dims, data_type and name precede raw_data, so there
	// is always room to shift the payload to an 8-byte boundary.
	typical := pb{}.dims(n).int(2, 7).str(8, "weights").bytes(9, raw)
	// raw_data first: only its 1-byte tag and 2-byte length precede it.
	rawFirst := pb{}.bytes(9, raw).dims(n).int(2, 7)
	for pad := 0; pad < 8; pad++ {
		for _, own := range []bool{true, false} {
			for _, c := range []struct {
				name string
				msg  pb
			}{{"typical", typical}, {"raw first", rawFirst}} {
				backing := make([]byte, pad+len(c.msg))
				copy(backing[pad:], c.msg)
				msg := backing[pad:]
				d := &decoder{opts: Options{OwnBuffer: own}, bufLen: len(backing)}
				got, _, err := d.tensor(msg)
				if err != nil {
					t.Fatal(err)
				}
				checkTensor(t, got, tensor.Int64, []int{n}, vals)
				p := dataPtr(got)
				if p%8 != 0 {
					t.Fatalf("%s pad %d: misaligned data at %#x", c.name, pad, p)
				}
				aliased := inside(p, backing)
				payload := uintptr(unsafe.Pointer(&backing[0])) + uintptr(pad+bytes.Index(c.msg, raw))
				shift := int(payload % 8)
				wantAlias := own && (c.name == "typical" || shift <= 3)
				if aliased != wantAlias {
					t.Fatalf("%s pad %d own %v (shift %d): aliased = %v, want %v", c.name, pad, own, shift, aliased, wantAlias)
				}
				if !own && !bytes.Equal(msg, c.msg) {
					t.Fatalf("buffer modified without OwnBuffer")
				}
			}
		}
	}
}

func TestZeroCopySmallTensorsCopied(t *testing.T) {
	buf := pb{}.dims(4).int(2, 1).str(8, "w").bytes(9, le32(1, 2, 3, 4)) // 16 bytes < zeroCopyMin
	d := &decoder{opts: Options{OwnBuffer: true}, bufLen: len(buf)}
	got, _, err := d.tensor(buf)
	if err != nil {
		t.Fatal(err)
	}
	if inside(dataPtr(got), buf) {
		t.Fatal("small tensor aliases the buffer")
	}
	checkTensor(t, got, tensor.Float32, []int{4}, []float32{1, 2, 3, 4})
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	// Two tensors in one file: 3 float32 at offset 0, 2 int64 at offset 16.
	file := append(append(le32(1, 2, 3), 0, 0, 0, 0), le64(uint64(1<<64-9), 5)...)
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "b.bin"), []byte{1, 0, 1}, 0o644); err != nil {
		t.Fatal(err)
	}
	ext := func(kv ...string) pb {
		var b pb
		for i := 0; i < len(kv); i += 2 {
			b = b.msg(13, pb{}.str(1, kv[i]).str(2, kv[i+1]))
		}
		return b.int(14, 1)
	}
	decode := func(b pb) (*tensor.Tensor, error) {
		d := &decoder{opts: Options{Dir: dir}, bufLen: len(b)}
		tt, _, err := d.tensor(b)
		return tt, err
	}
	got, err := decode(append(pb{}.dims(3).int(2, 1).str(8, "a"), ext("location", "weights.bin", "offset", "0", "length", "12")...))
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, got, tensor.Float32, []int{3}, []float32{1, 2, 3})
	for _, portable := range []bool{false, true} {
		func() {
			if portable {
				defer setLittleEndian(false)()
			}
			// No length: the data runs to the end of the file.
			got, err = decode(append(pb{}.dims(2).int(2, 7), ext("location", "weights.bin", "offset", "16")...))
			if err != nil {
				t.Fatal(err)
			}
			checkTensor(t, got, tensor.Int64, []int{2}, []int64{-9, 5})
		}()
	}
	got, err = decode(append(pb{}.dims(3).int(2, 9), ext("location", "sub/b.bin")...))
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, got, tensor.Bool, []int{3}, []bool{true, false, true})

	bad := []struct {
		buf  pb
		want string
	}{
		{append(pb{}.dims(3).int(2, 1), ext("location", "../weights.bin")...), `".."`},
		{append(pb{}.dims(3).int(2, 1), ext("location", "sub/../../x")...), `".."`},
		{append(pb{}.dims(3).int(2, 1), ext("location", `sub\..\..\x`)...), `".."`},
		{append(pb{}.dims(3).int(2, 1), ext("location", "/etc/passwd")...), "absolute"},
		{append(pb{}.dims(3).int(2, 1), ext("location", `C:\x.bin`)...), "absolute"},
		{append(pb{}.dims(3).int(2, 1), ext("offset", "0")...), "no location"},
		{append(pb{}.dims(3).int(2, 1), ext("location", "missing.bin")...), "no such file"},
		{append(pb{}.dims(3).int(2, 1), ext("location", "weights.bin", "length", "8")...), "needs 12 bytes"},
		{append(pb{}.dims(3).int(2, 1), ext("location", "weights.bin", "offset", "24", "length", "12")...), "holds 8 bytes"},
		{append(pb{}.dims(3).int(2, 1), ext("location", "weights.bin", "offset", "99")...), "beyond the end"},
		{append(pb{}.dims(3).int(2, 1), ext("location", "weights.bin", "offset", "-1")...), "not a valid byte count"},
		{append(pb{}.dims(1<<30).int(2, 1), ext("location", "weights.bin")...), "needs 4294967296 bytes"},
		{append(pb{}.dims(1).int(2, 8), ext("location", "weights.bin")...), "string"},
		{append(pb{}.dims(3).int(2, 1).packedFloats(4, 1, 2, 3), ext("location", "weights.bin")...), "inline data"},
	}
	for _, c := range bad {
		_, err := decode(c.buf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestSparseTensor(t *testing.T) {
	values := pb{}.dims(3).int(2, 1).str(8, "sp").packedFloats(4, 1, 2, 3)
	linear := pb{}.dims(3).int(2, 7).packedVarints(7, 1, 4, 5)
	coords := pb{}.dims(3, 2).int(2, 7).packedVarints(7, 0, 1, 1, 1, 1, 2)
	for _, c := range []struct {
		name    string
		indices pb
	}{{"linear", linear}, {"coordinates", coords}} {
		t.Run(c.name, func(t *testing.T) {
			buf := pb{}.msg(1, values).msg(2, c.indices).packedVarints(3, 2, 3)
			d := &decoder{bufLen: len(buf)}
			got, name, err := d.sparseTensor(buf)
			if err != nil {
				t.Fatal(err)
			}
			if name != "sp" {
				t.Fatalf("name %q", name)
			}
			checkTensor(t, got, tensor.Float32, []int{2, 3}, []float32{0, 1, 0, 0, 2, 3})
		})
	}
	bad := []struct {
		buf  pb
		want string
	}{
		{pb{}.msg(1, values).msg(2, pb{}.dims(3).int(2, 7).packedVarints(7, 1, 4, 6)).packedVarints(3, 2, 3), "out of range"},
		{pb{}.msg(1, values).msg(2, pb{}.dims(3, 2).int(2, 7).packedVarints(7, 0, 1, 1, 1, 2, 0)).packedVarints(3, 2, 3), "out of range"},
		{pb{}.msg(1, values).msg(2, pb{}.dims(2).int(2, 7).packedVarints(7, 1, 4)).packedVarints(3, 2, 3), "does not fit"},
		{pb{}.msg(1, values).packedVarints(3, 2, 3), "indices are missing"},
		{pb{}.msg(2, linear).packedVarints(3, 2, 3), "values are missing"},
		{pb{}.msg(1, values).msg(2, pb{}.dims(3).int(2, 1).packedFloats(4, 1, 2, 3)).packedVarints(3, 2, 3), "int64"},
		{pb{}.msg(1, values).msg(2, linear).packedVarints(3, 1<<14, 1<<14), "allowed for a sparse tensor"},
		{pb{}.msg(1, values).msg(2, linear).packedVarints(3, -2, 3), "negative"},
	}
	for _, c := range bad {
		d := &decoder{bufLen: len(c.buf)}
		_, _, err := d.sparseTensor(c.buf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
