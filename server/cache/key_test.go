package cache

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/server/infer"
)

func in(name string, t *tensor.Tensor) infer.Tensor { return infer.Tensor{Name: name, Tensor: t} }

func TestKeyLayout(t *testing.T) {
	// The framing written out by hand for model "m", version 2, input
	// x = float32[2]{1, 2}, output "y".
	le := func(b ...byte) []byte { return append(b, make([]byte, 8-len(b))...) } // uint64 LE
	var want []byte
	want = append(want, le(1)...)
	want = append(want, 'm')
	want = append(want, le(2)...)
	want = append(want, le(1)...) // one input
	want = append(want, le(1)...)
	want = append(want, 'x', 1)           // name, present
	want = append(want, 1, 0, 0, 0)       // dtype float32 = 1 (uint32)
	want = append(want, le(1)...)         // rank
	want = append(want, le(2)...)         // dim
	want = append(want, le(2)...)         // element count
	want = append(want, 0, 0, 0x80, 0x3f) // 1.0f
	want = append(want, 0, 0, 0, 0x40)    // 2.0f
	want = append(want, le(1)...)         // one output
	want = append(want, le(1)...)
	want = append(want, 'y')
	got := Key("m", 2, []infer.Tensor{in("x", tensor.New([]int{2}, []float32{1, 2}))}, []string{"y"})
	if got != sha256.Sum256(want) {
		t.Fatal("Key does not follow the documented layout")
	}
}

func TestKeyDiffersWhenAnythingDiffers(t *testing.T) {
	f := func(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }
	base := func() (string, int64, []infer.Tensor, []string) {
		return "m", 1, []infer.Tensor{in("x", f([]int{2, 2}, 1, 2, 3, 4)), in("z", f([]int{1}, 5))}, []string{"y"}
	}
	m, v, ins, outs := base()
	ref := Key(m, v, ins, outs)
	if Key(base()) != ref {
		t.Fatal("the same request gave two keys")
	}
	// Input order does not change the answer, so it does not change the key.
	if Key(m, v, []infer.Tensor{ins[1], ins[0]}, outs) != ref {
		t.Fatal("swapping the inputs changed the key")
	}

	variants := map[string]func() (string, int64, []infer.Tensor, []string){
		"model": func() (string, int64, []infer.Tensor, []string) {
			_, v, i, o := base()
			return "n", v, i, o
		},
		"version": func() (string, int64, []infer.Tensor, []string) {
			m, _, i, o := base()
			return m, 2, i, o
		},
		"input name": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			i[0].Name = "w"
			return m, v, i, o
		},
		"shape": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			i[0].Tensor = f([]int{4, 1}, 1, 2, 3, 4)
			return m, v, i, o
		},
		"rank": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			i[0].Tensor = f([]int{4}, 1, 2, 3, 4)
			return m, v, i, o
		},
		"data": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			i[0].Tensor = f([]int{2, 2}, 1, 2, 3, 5)
			return m, v, i, o
		},
		"dtype, same bits": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			// int32 values with the bit patterns of 1, 2, 3, 4 as float32.
			i[0].Tensor = tensor.New([]int{2, 2}, []int32{0x3f800000, 0x40000000, 0x40400000, 0x40800000})
			return m, v, i, o
		},
		"missing input": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			return m, v, i[:1], o
		},
		"nil tensor": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, o := base()
			i[1].Tensor = nil
			return m, v, i, o
		},
		"outputs": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, _ := base()
			return m, v, i, []string{"y2"}
		},
		"no outputs": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, _ := base()
			return m, v, i, nil
		},
		"more outputs": func() (string, int64, []infer.Tensor, []string) {
			m, v, i, _ := base()
			return m, v, i, []string{"y", "y"}
		},
	}
	seen := map[[32]byte]string{ref: "base"}
	for name, mk := range variants {
		k := Key(mk())
		if other, dup := seen[k]; dup {
			t.Errorf("%s: same key as %s", name, other)
		}
		seen[k] = name
	}
}

func TestKeyOutputOrderMatters(t *testing.T) {
	ins := []infer.Tensor{in("x", tensor.New([]int{1}, []float32{1}))}
	if Key("m", 1, ins, []string{"a", "b"}) == Key("m", 1, ins, []string{"b", "a"}) {
		t.Fatal("the response follows the output order, so the key must too")
	}
}

func TestKeyFraming(t *testing.T) {
	s := func(v ...string) *tensor.Tensor { return tensor.New([]int{len(v)}, v) }
	one := func(v float32) *tensor.Tensor { return tensor.New([]int{1}, []float32{v}) }
	pairs := []struct {
		what string
		a, b [32]byte
	}{
		{"string data", Key("m", 1, []infer.Tensor{in("x", s("ab", "c"))}, nil),
			Key("m", 1, []infer.Tensor{in("x", s("a", "bc"))}, nil)},
		{"empty strings", Key("m", 1, []infer.Tensor{in("x", s("", "a"))}, nil),
			Key("m", 1, []infer.Tensor{in("x", s("a", ""))}, nil)},
		{"input names", Key("m", 1, []infer.Tensor{in("ab", one(1)), in("c", one(1))}, nil),
			Key("m", 1, []infer.Tensor{in("a", one(1)), in("bc", one(1))}, nil)},
		{"output names", Key("m", 1, nil, []string{"ab", "c"}), Key("m", 1, nil, []string{"a", "bc"})},
		{"model and input name", Key("mx", 1, []infer.Tensor{in("", one(1))}, nil),
			Key("m", 1, []infer.Tensor{in("x", one(1))}, nil)},
		{"input name and output", Key("m", 1, []infer.Tensor{in("y", nil)}, nil),
			Key("m", 1, nil, []string{"y"})},
	}
	for _, p := range pairs {
		if p.a == p.b {
			t.Errorf("%s: two different requests share a key", p.what)
		}
	}
}

func TestKeyHandlesLargeAndOddTensors(t *testing.T) {
	big := strings.Repeat("z", 10000) // longer than the hashing buffer
	a := Key("m", 1, []infer.Tensor{in("x", tensor.New([]int{1}, []string{big}))}, nil)
	b := Key("m", 1, []infer.Tensor{in("x", tensor.New([]int{1}, []string{big + "z"}))}, nil)
	if a == b {
		t.Fatal("long strings differing at the end share a key")
	}
	bytes := make([]uint8, 9000)
	c := Key("m", 1, []infer.Tensor{in("x", tensor.New([]int{9000}, bytes))}, nil)
	bytes[8999] = 1
	if c == Key("m", 1, []infer.Tensor{in("x", tensor.New([]int{9000}, bytes))}, nil) {
		t.Fatal("uint8 data differing in the last byte share a key")
	}
	// A tensor with no data must not panic.
	Key("m", 1, []infer.Tensor{in("x", new(tensor.Tensor))}, nil)
	for _, tt := range []*tensor.Tensor{
		tensor.New([]int{2}, []float64{1, 2}), tensor.New([]int{2}, []tensor.BF16{1, 2}),
		tensor.New([]int{2}, []int8{1, 2}), tensor.New([]int{2}, []int16{1, 2}),
		tensor.New([]int{2}, []int64{1, 2}), tensor.New([]int{2}, []uint16{1, 2}),
		tensor.New([]int{2}, []uint32{1, 2}), tensor.New([]int{2}, []uint64{1, 2}),
		tensor.New([]int{2}, []bool{true, false}), tensor.New([]int{2}, []tensor.F16{1, 2}),
	} {
		k1 := Key("m", 1, []infer.Tensor{in("x", tt)}, nil)
		c := tt.Clone()
		// Change the second element: every dtype's data must reach the hash.
		switch d := c.Data().(type) {
		case []float64:
			d[1] = 3
		case []tensor.BF16:
			d[1] = 3
		case []int8:
			d[1] = 3
		case []int16:
			d[1] = 3
		case []int64:
			d[1] = 3
		case []uint16:
			d[1] = 3
		case []uint32:
			d[1] = 3
		case []uint64:
			d[1] = 3
		case []bool:
			d[1] = true
		case []tensor.F16:
			d[1] = 3
		}
		if Key("m", 1, []infer.Tensor{in("x", c)}, nil) == k1 {
			t.Errorf("%v: changing an element kept the key", tt.DType())
		}
	}
}
