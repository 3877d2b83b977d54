//go:build !wasip1

package sdk

// replyReusable is never true natively: RunLocal's caller and a plugin's
// tests keep what earlier calls returned, and nothing frees it explicitly.
// Tests of the reuse itself replace this function.
var replyReusable = func(sent []byte) bool { return false }
