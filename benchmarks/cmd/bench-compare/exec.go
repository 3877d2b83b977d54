package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gonyx/gonyx/benchmarks/internal/benchjson"
)

// outcome is one child process's result.
type outcome struct {
	res      benchjson.Result
	fail     string // empty on success
	timedOut bool
	elapsed  time.Duration
}

// invoke runs argv as a child (in its own process group, killed whole on
// timeout) and parses its JSON line. stderr of a failed run is kept in
// logPath when that is not empty.
func invoke(argv []string, timeout time.Duration, logPath string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	o := outcome{elapsed: time.Since(start)}
	keepLog := func() {
		if logPath == "" {
			return
		}
		_ = os.MkdirAll(filepath.Dir(logPath), 0o755)
		content := fmt.Sprintf("$ %s\n--- stdout\n%s--- stderr\n%s", strings.Join(argv, " "), stdout.String(), stderr.String())
		_ = os.WriteFile(logPath, []byte(content), 0o644)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		o.fail, o.timedOut = fmt.Sprintf("fails: timeout after %s", timeout), true
		keepLog()
		return o
	case err != nil:
		reason := benchjson.FailReason(stderr.Bytes(), 160)
		if reason == "" {
			reason = err.Error()
		}
		o.fail = "fails: " + cleanReason(reason)
		keepLog()
		return o
	}
	res, perr := benchjson.Parse(stdout.Bytes())
	if perr != nil {
		o.fail = "fails: " + perr.Error()
		keepLog()
		return o
	}
	o.res = res
	return o
}

// cleanReason drops the tools' own name prefixes ("gonyx: ",
// "ort_bench: ", "bench-gonnx: ") and an empty trailing "()" from an
// error line.
func cleanReason(s string) string {
	s = strings.TrimSuffix(s, " ()") // onnx-go's empty detail
	for {
		i := strings.Index(s, ": ")
		if i <= 0 {
			return s
		}
		head := s[:i]
		if head == "gonyx" || head == "ort_bench" || strings.HasPrefix(head, "bench-") {
			s = s[i+2:]
			continue
		}
		return s
	}
}
