// Package benchjson reads the one-line JSON results printed by
// `gonyx bench --json`, shared/anchors/ort_bench.js and the peer runners in
// this module; all three use the same keys.
package benchjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Result is one benchmark invocation's JSON line.
type Result struct {
	Model      string   `json:"model"`
	Backend    string   `json:"backend"`
	Batch      int      `json:"batch"`
	Threads    int      `json:"threads"`
	MedianMS   float64  `json:"median_ms"`
	P90MS      float64  `json:"p90_ms"`
	MinMS      float64  `json:"min_ms"`
	Throughput float64  `json:"throughput_items_per_s"`
	Runs       int      `json:"runs"`
	Warmup     int      `json:"warmup"`
	Seq        int      `json:"seq"`
	Inputs     []string `json:"inputs,omitempty"`
	ORTVersion string   `json:"ort_version,omitempty"`
	// Peer runners only: the output check against the model's
	// test_data_set_0 ("ok", or "skipped: ..."), and a remark such as a
	// forced opset.
	Check   string `json:"check,omitempty"`
	Note    string `json:"note,omitempty"`
	Version string `json:"peer_version,omitempty"` // module path and version of the peer

}

// ErrNoResult means the output held no usable JSON result line.
var ErrNoResult = errors.New("no JSON result line in output")

// Parse returns the last line of out that is a JSON object with a model
// name and a median (which may round to 0 for sub-microsecond runs); other
// lines (progress, warnings) are ignored.
func Parse(out []byte) (Result, error) {
	var found *Result
	var lastErr error
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r Result
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			lastErr = fmt.Errorf("bad JSON result line: %w", err)
			continue
		}
		_ = json.Unmarshal([]byte(line), &keys)
		if _, has := keys["median_ms"]; r.Model == "" || !has || r.MedianMS < 0 {
			lastErr = fmt.Errorf("JSON line lacks model or median_ms: %s", line)
			continue
		}
		found = &r
	}
	if found != nil {
		return *found, nil
	}
	if lastErr != nil {
		return Result{}, lastErr
	}
	return Result{}, ErrNoResult
}

// FailReason condenses a failed run's stderr into one short line: the last
// non-empty line that is not a Go stack-trace frame, or the panic message
// when the process panicked.
func FailReason(stderr []byte, max int) string {
	lines := strings.Split(strings.ReplaceAll(string(stderr), "\r", "\n"), "\n")
	pick := ""
	for _, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "panic: ") || strings.HasPrefix(t, "fatal error: ") {
			pick = t
			break
		}
	}
	if pick == "" {
		for i := len(lines) - 1; i >= 0; i-- {
			t := strings.TrimSpace(lines[i])
			if t == "" || isStackLine(t) {
				continue
			}
			pick = t
			break
		}
	}
	pick = strings.Join(strings.Fields(pick), " ")
	if max > 3 && len([]rune(pick)) > max {
		pick = string([]rune(pick)[:max-1]) + "…"
	}
	return pick
}

func isStackLine(t string) bool {
	return strings.HasPrefix(t, "goroutine ") || strings.HasPrefix(t, "/") ||
		strings.HasPrefix(t, "created by ") || strings.HasPrefix(t, "exit status") ||
		strings.HasPrefix(t, "[signal ") || strings.HasPrefix(t, "at ") ||
		isFrame(t)
}

// isFrame matches a Go stack frame such as `main.run(0x1, ...)` or
// `pkg.(*T).M(...)`: no space before the first parenthesis.
func isFrame(t string) bool {
	i := strings.IndexByte(t, '(')
	return i > 0 && !strings.ContainsAny(t[:i], " \t:") && strings.HasSuffix(t, ")")
}
