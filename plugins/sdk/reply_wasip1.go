//go:build wasip1

package sdk

// replyReusable reports whether the host has freed sent, the last reply,
// with gonyx_free (or was never given one), so that its buffer may be
// written again.
var replyReusable = func(sent []byte) bool {
	if len(sent) == 0 {
		return true
	}
	_, held := live[addr(sent)]
	return !held
}
