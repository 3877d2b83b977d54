package plugins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/tetratelabs/wazero/sys"

	"github.com/gonyx/gonyx/server/infer"
)

// maxMessageRunes bounds a guest-provided text in our errors.
const maxMessageRunes = 1024

// guestMessage makes guest bytes safe to show in an error: valid UTF-8, no
// control characters (a message may end up in a JSON body), bounded.
func guestMessage(b []byte) string { return guestText(b, maxMessageRunes) }

// guestText is guestMessage with a chosen bound, in runes.
func guestText(b []byte, maxRunes int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	var sb strings.Builder
	n := 0
	for _, r := range s {
		if n == maxRunes {
			sb.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		sb.WriteRune(r)
		n++
	}
	return strings.TrimSpace(sb.String())
}

// failure explains a failed call into the guest. Deadline and cancellation
// keep context's errors in the chain; everything else is one line: a host
// function's complaint, or the trap or exit wazero reports (its first line:
// the wasm stack trace is for the log, not for clients), followed by the
// crash line the guest printed during the call, if any ("panic: …" is all
// a Go guest says about its panics). The guest's words come second: it can
// print anything.
func (inst *instance) failure(_ context.Context, what string, err error) error {
	if inst.fault != nil {
		return fmt.Errorf("%s: %w", what, inst.fault)
	}
	printed := ""
	if crash := inst.stderr.takeCrash(); crash != "" {
		printed = "; it printed: " + crash
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return fmt.Errorf("%s: %w", what, context.DeadlineExceeded)
		case sys.ExitCodeContextCanceled:
			return fmt.Errorf("%s: %w", what, context.Canceled)
		}
		return fmt.Errorf("%s: exited with code %d%s", what, exit.ExitCode(), printed)
	}
	for _, c := range []error{context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, c) {
			return fmt.Errorf("%s: %w", what, c)
		}
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	inst.p.log.Debug("call failed", "call", what, "error", err.Error())
	return fmt.Errorf("%s: %s%s", what, line, printed)
}

// hostFault is how a host function aborts the guest's call.
type hostFault struct{ err error }

// processError turns a failure of Process into the *infer.Error clients see.
func (p *Plugin) processError(err error, budget time.Duration) *infer.Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &infer.Error{Code: infer.DeadlineExceeded, Err: err,
			Msg: fmt.Sprintf("plugin %s exceeded its %v deadline", p.name, roundDuration(budget))}
	case errors.Is(err, context.Canceled):
		return &infer.Error{Code: infer.Canceled, Err: err, Msg: fmt.Sprintf("plugin %s: call canceled", p.name)}
	}
	return &infer.Error{Code: infer.Internal, Err: err, Msg: fmt.Sprintf("plugin %s failed: %v", p.name, err)}
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d
}
