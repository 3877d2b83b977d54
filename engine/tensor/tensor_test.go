package tensor

import (
	"math"
	"testing"
)

func TestFloat16KnownBits(t *testing.T) {
	cases := []struct {
		f     float32
		bits  uint16
		exact bool // f is representable, so bits widen back to f
	}{
		{0, 0x0000, true}, {1, 0x3C00, true}, {-2, 0xC000, true}, {65504, 0x7BFF, true}, {0.5, 0x3800, true},
		{float32(math.Pow(2, -24)), 0x0001, true}, // smallest subnormal
		{float32(math.Pow(2, -14)), 0x0400, true}, // smallest normal
		{65520, 0x7C00, false},                    // rounds to +Inf
		{float32(math.Inf(-1)), 0xFC00, true},
		{0.1, 0x2E66, false},
	}
	for _, c := range cases {
		if got := NewF16(c.f); uint16(got) != c.bits {
			t.Errorf("NewF16(%v) = %#04x, want %#04x", c.f, uint16(got), c.bits)
		}
		if back := F16(c.bits).Float32(); c.exact && back != c.f {
			t.Errorf("F16(%#04x).Float32() = %v, want %v", c.bits, back, c.f)
		}
	}
	if !math.IsNaN(float64(NewF16(float32(math.NaN())).Float32())) {
		t.Error("NaN did not survive float16")
	}
}

func TestFloat16TiesToEven(t *testing.T) {
	// 1 + 2^-11 is halfway between 1 (even) and 1 + 2^-10.
	if got := NewF16(1 + 1.0/2048); got != 0x3C00 {
		t.Errorf("tie rounded to %#04x, want 0x3c00", uint16(got))
	}
	// 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
	if got := NewF16(1 + 3.0/2048); got != 0x3C02 {
		t.Errorf("tie rounded to %#04x, want 0x3c02", uint16(got))
	}
}

func TestNoDoubleRoundingFromFloat64(t *testing.T) {
	// Just above the halfway point between two halves: float32 would drop the
	// 2^-40 and the second rounding would go to even (down). Correct: up.
	x := 1 + math.Pow(2, -11) + math.Pow(2, -40)
	if got := F16FromFloat64(x); got != 0x3C01 {
		t.Errorf("F16FromFloat64 = %#04x, want 0x3c01", uint16(got))
	}
	y := 1 + math.Pow(2, -8) + math.Pow(2, -40) // bfloat16 has 7 mantissa bits
	if got := BF16FromFloat64(y); got != 0x3F81 {
		t.Errorf("BF16FromFloat64 = %#04x, want 0x3f81", uint16(got))
	}
}

func TestBFloat16(t *testing.T) {
	if got := NewBF16(1); got != 0x3F80 {
		t.Errorf("NewBF16(1) = %#04x", uint16(got))
	}
	if got := BF16(0x4049).Float32(); got != 3.140625 {
		t.Errorf("BF16(0x4049) = %v", got)
	}
	// 0.8203125 is exact in bfloat16; 0.81640625 + half an ulp ties to even.
	if got := NewBF16(0.818359375); got != NewBF16(0.8203125) {
		t.Errorf("tie: %#04x", uint16(got))
	}
}

func TestNumElementsBounds(t *testing.T) {
	if _, err := NumElements([]int{-1, 3}); err == nil {
		t.Error("negative dim accepted")
	}
	if _, err := NumElements([]int{1 << 20, 1 << 20, 1 << 20}); err == nil {
		t.Error("2^60 elements accepted")
	}
	if n, err := NumElements([]int{0, 1 << 40}); err != nil || n != 0 {
		t.Errorf("zero-size: %d %v", n, err)
	}
	if n, _ := NumElements([]int{}); n != 1 {
		t.Errorf("scalar has %d elements", n)
	}
}

func TestFromSliceAndReshape(t *testing.T) {
	if _, err := FromSlice([]int{2, 2}, []float32{1, 2, 3}); err == nil {
		t.Error("3 elements for [2,2] accepted")
	}
	x := New([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6})
	y, err := x.Reshape(3, 2)
	if err != nil || y.Shape()[0] != 3 || &Data[int64](y)[0] != &Data[int64](x)[0] {
		t.Fatalf("reshape: %v %v", y, err)
	}
	if _, err := x.Reshape(4, 2); err == nil {
		t.Error("reshape to 8 elements accepted")
	}
	c := x.Clone()
	Data[int64](c)[0] = 99
	if Data[int64](x)[0] != 1 {
		t.Error("Clone shares data")
	}
}

func TestConvert(t *testing.T) {
	x := New([]int{4}, []float32{1.9, -1.9, 0, 300})
	i8, err := Convert(x, Int32)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{1, -1, 0, 300}
	for i, v := range Data[int32](i8) {
		if v != want[i] {
			t.Errorf("int32[%d] = %d, want %d", i, v, want[i])
		}
	}
	b, _ := Convert(x, Bool)
	if got := Data[bool](b); !got[0] || got[2] {
		t.Errorf("bool: %v", got)
	}
	s, _ := Convert(New([]int{2}, []string{"1.5", "-2"}), Float64)
	if got := Data[float64](s); got[0] != 1.5 || got[1] != -2 {
		t.Errorf("from string: %v", got)
	}
	if _, err := Convert(New([]int{1}, []string{"abc"}), Float32); err == nil {
		t.Error("parsed \"abc\" as a number")
	}
	h, _ := Convert(New([]int{1}, []int64{3}), Float16)
	if Data[F16](h)[0] != 0x4200 {
		t.Errorf("int64 3 → float16 %#04x", uint16(Data[F16](h)[0]))
	}
	// Large int64 values survive a round trip that does not pass through float.
	big := New([]int{1}, []int64{1<<62 + 1})
	u, _ := Convert(big, Uint64)
	if Data[uint64](u)[0] != 1<<62+1 {
		t.Error("int64 → uint64 lost precision")
	}
}
