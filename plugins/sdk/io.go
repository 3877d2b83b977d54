package sdk

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
)

// Input is the message a call receives: bytes entries (a pre plugin gets
// "content_type" and "body", or one entry per multipart field) and tensors
// (a post plugin gets the model's outputs).
type Input struct {
	msg abi.Message
}

// NewInput wraps a message, for tests of a plugin's Process.
func NewInput(m abi.Message) Input { return Input{msg: m} }

// Message returns every entry, in order.
func (in Input) Message() abi.Message { return in.msg }

// Names returns the entries' names, in order.
func (in Input) Names() []string {
	names := make([]string, len(in.msg))
	for i, e := range in.msg {
		names[i] = e.Name
	}
	return names
}

// Bytes returns the bytes entry called name. The slice aliases the call's
// input buffer, without a copy; it stays valid after Process returns (the
// host's gonyx_free only lets Go's collector reclaim it once unreferenced).
func (in Input) Bytes(name string) ([]byte, bool) {
	e, ok := in.msg.Get(name)
	if !ok || e.Tensor != nil {
		return nil, false
	}
	return e.Bytes, true
}

// ContentType returns the "content_type" entry a pre plugin receives ("" if
// there is none).
func (in Input) ContentType() string {
	b, _ := in.Bytes("content_type")
	return string(b)
}

// Tensor returns the tensor entry called name.
func (in Input) Tensor(name string) (*tensor.Tensor, bool) {
	e, ok := in.msg.Get(name)
	if !ok || e.Tensor == nil {
		return nil, false
	}
	return e.Tensor, true
}

// JSON decodes the bytes entry called name into v.
func (in Input) JSON(name string, v any) error {
	e, ok := in.msg.Get(name)
	if !ok {
		return fmt.Errorf("input has no entry %q", name)
	}
	if e.Tensor != nil {
		return fmt.Errorf("input %q is a tensor, not JSON bytes", name)
	}
	if err := json.Unmarshal(e.Bytes, v); err != nil {
		return fmt.Errorf("input %q is not valid JSON: %v", name, err)
	}
	return nil
}

// Output is what Process returns. Build it by chaining:
//
//	return sdk.Output{}.Tensor("input_ids", ids).Tensor("attention_mask", mask), nil
//
// Each method returns a new Output; the receiver is not changed.
type Output struct {
	msg abi.Message
	err error // a failed JSON encoding or a nil tensor, reported by the call

	// attached names the outputs the host added to the call's output
	// itself (Output.Image inside WebAssembly): they are not in msg, and
	// no entry of msg may take their names.
	attached []string
}

// Tensor adds a tensor entry.
func (o Output) Tensor(name string, t *tensor.Tensor) Output {
	if t == nil {
		return o.fail(fmt.Errorf("output %q: nil tensor", name))
	}
	return o.add(abi.Entry{Name: name, Tensor: t})
}

// Float32 adds a float32 tensor entry of the given shape and returns its
// values, zeroed, for the plugin to fill before Process returns. Inside
// WebAssembly they are laid out in the reply itself, so a large output is
// written once instead of being copied into the reply; for that, reserve
// the outputs first and in the order they are added. The values belong to
// the SDK once Process returns: it reuses their memory for the next reply,
// so a plugin must not keep them across calls. A bad shape gives nil values
// and an Output that fails the call.
func (o Output) Float32(name string, shape ...int) (Output, []float32) {
	t, vals, err := reply.float32s(name, shape, false)
	if err != nil {
		return o.fail(err), nil
	}
	return o.add(abi.Entry{Name: name, Tensor: t}), vals
}

// Bytes adds a bytes entry.
func (o Output) Bytes(name string, b []byte) Output {
	if b == nil {
		b = []byte{}
	}
	return o.add(abi.Entry{Name: name, Bytes: b})
}

// JSON adds v, encoded as JSON, as the bytes entry "json": a post plugin's
// "json" entry becomes the response body.
func (o Output) JSON(v any) Output {
	b, err := json.Marshal(v)
	if err != nil {
		return o.fail(fmt.Errorf("output json: %v", err))
	}
	return o.add(abi.Entry{Name: "json", Bytes: b})
}

// Message returns the entries added so far and the first error met.
func (o Output) Message() (abi.Message, error) { return o.msg, o.err }

func (o Output) add(e abi.Entry) Output {
	// The three-index slice forces append to copy, so an Output that was
	// extended twice along different paths never shares entries.
	o.msg = append(o.msg[:len(o.msg):len(o.msg)], e)
	return o
}

func (o Output) fail(err error) Output {
	if o.err == nil {
		o.err = err
	}
	return o
}

// checkNames rejects an output naming two entries alike, counting the
// outputs the host attached: the host binds entries by name, so the second
// would silently lose.
func checkNames(m abi.Message, attached []string) error {
	seen := make(map[string]bool, len(m)+len(attached))
	for _, name := range attached {
		if seen[name] {
			return fmt.Errorf("output has two entries named %q", name)
		}
		seen[name] = true
	}
	for _, e := range m {
		if e.Name == "" {
			return errors.New("output has an entry without a name")
		}
		if seen[e.Name] {
			return fmt.Errorf("output has two entries named %q", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}
