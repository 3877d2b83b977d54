package plugins

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// exchange is what one Process call shares with the goroutine that runs an
// untrusted guest: the input message, read while it is encoded into guest
// memory, and the caller's reuse tensors, written while the reply is
// decoded. A caller that abandons a runaway call closes the exchange, which
// waits for a copy in progress; after that the call goroutine touches
// neither, so the caller may hand its buffers to another request.
type exchange struct {
	mu     sync.Mutex
	closed bool
	in     abi.Message
	size   int // abi.EncodedLen(in)
	reuse  abi.Message

	// attached: outputs a host function wrote during the call
	// (image_preprocess_output), ahead of the guest's reply; attachedBytes
	// is their data's size, which counts against MaxOutputBytes.
	attached      abi.Message
	attachedBytes int
}

var errAbandoned = errors.New("the caller abandoned the call")

// encode writes the input message into dst, which is exactly size bytes.
func (x *exchange) encode(dst []byte) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errAbandoned
	}
	b, err := abi.AppendEncode(dst[:0], x.in)
	if err != nil {
		return err
	}
	if len(b) != len(dst) || (len(b) > 0 && &b[0] != &dst[0]) {
		// EncodedLen and AppendEncode disagree: a bug of ours.
		return errors.New("internal error: encoded input does not fill its guest buffer")
	}
	return nil
}

// decode parses the reply, into the reuse tensors while the caller waits.
func (x *exchange) decode(data []byte) (abi.Message, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil, errAbandoned
	}
	return abi.DecodeReusing(data, x.reuse)
}

// attach adds a float32 tensor of the given shape named name to the
// call's output, its data (little-endian) written by fill into the tensor
// abi.TensorFor picks: the caller's reuse tensor of that name, dtype and
// shape if there is one, or a new tensor. limit bounds the attached tensors' total
// size, as MaxOutputBytes bounds a reply.
func (x *exchange) attach(name string, shape []int, limit int, fill func(dst []byte) error) error {
	n, err := tensor.NumElements(shape)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errAbandoned
	}
	for _, e := range x.attached {
		if e.Name == name {
			return fmt.Errorf("output %q attached twice", name)
		}
	}
	if size := 4 * n; size > limit-x.attachedBytes {
		return fmt.Errorf("a %d-byte output %q would take the call's outputs past the limit of %d bytes", size, name, limit)
	}
	t, data := abi.TensorFor(x.reuse, name, tensor.Float32, shape)
	if err := fill(data); err != nil {
		return err
	}
	x.attached = append(x.attached, abi.Entry{Name: name, Tensor: t})
	x.attachedBytes += 4 * n
	return nil
}

// output is the call's output message: the attached tensors, then the
// reply's entries. A name in both is an error: the caller binds entries by
// name.
func (x *exchange) output(reply abi.Message) (abi.Message, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.attached) == 0 {
		return reply, nil
	}
	for _, e := range reply {
		for _, a := range x.attached {
			if e.Name == a.Name {
				return nil, fmt.Errorf("output %q is both attached by a host function and in the reply", e.Name)
			}
		}
	}
	return append(slices.Clip(x.attached), reply...), nil
}

// close ends the caller's part: it returns once no copy is in progress.
func (x *exchange) close() {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
}
