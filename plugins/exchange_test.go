package plugins

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// ProcessInto writes an output into the caller's tensor of the same name,
// dtype and shape, call after call, and allocates a new one otherwise.
func TestProcessIntoReuses(t *testing.T) {
	rt := newTestRuntime(t)
	echo := load(t, rt, Config{Path: guestPath(t, "echo")})
	keep := tensor.Zeros(tensor.Float32, 2, 3)
	reuse := abi.Message{{Name: "x", Tensor: keep}}
	for call, want := range [][]float32{{1, -2.5, 3e8, 0, -0.125, 7}, {6, 5, 4, 3, 2, 1}} {
		in := abi.Message{{Name: "x", Tensor: tensor.New([]int{2, 3}, slices.Clone(want))}}
		out, err := echo.ProcessInto(context.Background(), in, reuse)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := out.Get("x")
		if x.Tensor != keep {
			t.Fatalf("call %d: the output is a new tensor, not the one handed in", call)
		}
		if got := tensor.Data[float32](keep); !slices.Equal(got, want) {
			t.Errorf("call %d: reused tensor holds %v, want %v", call, got, want)
		}
	}
	// A different shape gets a tensor of its own; the old one is left alone.
	out, err := echo.ProcessInto(context.Background(), abi.Message{{Name: "x", Tensor: tensor.New([]int{3}, []float32{9, 9, 9})}}, reuse)
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := out.Get("x"); x.Tensor == keep || !slices.Equal(tensor.Data[float32](x.Tensor), []float32{9, 9, 9}) {
		t.Errorf("shape [3]: got %v", x.Tensor)
	}
	if got := tensor.Data[float32](keep); !slices.Equal(got, []float32{6, 5, 4, 3, 2, 1}) {
		t.Errorf("a mismatched call wrote the reuse tensor: %v", got)
	}
}

// Once the caller has closed an exchange (it abandoned the call), the call
// goroutine can neither read the input nor write the reuse tensors.
func TestExchangeClosed(t *testing.T) {
	keep := tensor.New([]int{2}, []float32{1, 2})
	in := abi.Message{{Name: "x", Tensor: tensor.New([]int{2}, []float32{5, 6})}}
	reply, err := abi.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := abi.EncodedLen(in)
	x := &exchange{in: in, size: size, reuse: abi.Message{{Name: "x", Tensor: keep}}}
	dst := make([]byte, size)
	if err := x.encode(dst); err != nil || string(dst) != string(reply) {
		t.Fatalf("open exchange: encode gave %v", err)
	}
	x.close()
	if err := x.encode(make([]byte, size)); !errors.Is(err, errAbandoned) {
		t.Errorf("encode after close: %v", err)
	}
	if _, err := x.decode(reply); !errors.Is(err, errAbandoned) {
		t.Errorf("decode after close: %v", err)
	}
	if got := tensor.Data[float32](keep); !slices.Equal(got, []float32{1, 2}) {
		t.Errorf("decode after close wrote the reuse tensor: %v", got)
	}
}
