package server

import (
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// A request's pre-plugin tensors are kept for the next upload only when
// nothing can read them any more.
func TestRecyclePreOut(t *testing.T) {
	newMsg := func() (abi.Message, *tensor.Tensor) {
		x := tensor.Zeros(tensor.Float32, 1, 3, 4, 4)
		return abi.Message{{Name: "content_type", Bytes: []byte("image/png")}, {Name: "input", Tensor: x}}, x
	}
	other := tensor.Zeros(tensor.Float32, 1, 10)

	var sv servable
	msg, x := newMsg()
	sv.recyclePreOut(msg, &infer.Response{Outputs: []infer.Tensor{{Name: "logits", Tensor: other}}}, 0)
	got := sv.takePreOut()
	if len(got) != 1 || got[0].Name != "input" || got[0].Tensor != x {
		t.Fatalf("an unshared tensor was not kept: %v", got)
	}
	if sv.takePreOut() != nil {
		t.Fatal("a message was handed out twice")
	}

	// The model returned the input itself, or a view of part of it.
	msg, x = newMsg()
	sv.recyclePreOut(msg, &infer.Response{Outputs: []infer.Tensor{{Name: "same", Tensor: x}}}, 0)
	half := tensor.New([]int{8}, tensor.Data[float32](x)[8:16])
	msg2, _ := newMsg()
	msg2[1].Tensor = x
	sv.recyclePreOut(msg2, &infer.Response{Outputs: []infer.Tensor{{Name: "view", Tensor: half}}}, 0)
	if got := sv.takePreOut(); got != nil {
		t.Fatalf("a tensor the response shares was kept: %v", got)
	}

	// Shadow variants still read the inputs.
	msg, _ = newMsg()
	sv.recyclePreOut(msg, &infer.Response{}, 1)
	if got := sv.takePreOut(); got != nil {
		t.Fatal("kept while a shadow request reads it")
	}

	// The pool is bounded.
	for range maxPooledMessages + 3 {
		msg, _ := newMsg()
		sv.recyclePreOut(msg, &infer.Response{}, 0)
	}
	n := 0
	for sv.takePreOut() != nil {
		n++
	}
	if n != maxPooledMessages {
		t.Fatalf("pool held %d messages, want %d", n, maxPooledMessages)
	}
}
