package plugins

import (
	"errors"
	"sync"

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

// close ends the caller's part: it returns once no copy is in progress.
func (x *exchange) close() {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
}
