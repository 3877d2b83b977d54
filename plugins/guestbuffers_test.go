package plugins

import (
	"bytes"
	"testing"

	"github.com/gonyx/gonyx/plugins/abi"
)

// The Go SDK keeps the last large input buffer for the next call: inputs of
// changing sizes around its threshold must come back byte for byte, with
// nothing of an earlier, longer input left over.
func TestGuestReusesLargeInputBuffers(t *testing.T) {
	rt := newTestRuntime(t)
	echo := load(t, rt, Config{Path: guestPath(t, "echo")})
	for i, c := range []struct {
		fill byte
		n    int
	}{{'a', 200 << 10}, {'b', 150 << 10}, {'c', 40 << 10}, {'d', 120 << 10}, {'e', 300 << 10}, {'f', 64 << 10}, {'g', 1}} {
		body := bytes.Repeat([]byte{c.fill}, c.n)
		body[0], body[len(body)-1] = byte(i), byte(i) // ends differ from call to call
		out := process(t, echo, abi.Message{{Name: "body", Bytes: body}})
		if got := entry(t, out, "body"); !bytes.Equal(got, body) {
			t.Fatalf("call %d (%d bytes of %q): echoed %d bytes, different", i, c.n, c.fill, len(got))
		}
	}
}
