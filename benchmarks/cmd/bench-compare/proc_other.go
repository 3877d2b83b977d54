//go:build !unix

package main

import "os/exec"

// setProcessGroup: elsewhere the default (kill the child) is used.
func setProcessGroup(cmd *exec.Cmd) {}
