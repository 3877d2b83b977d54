package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ChildCommand builds the command that runs one case in a child process. The
// child must print exactly one JSON Result on its stdout.
type ChildCommand func(ctx context.Context, dir string) *exec.Cmd

// RunIsolated runs every case in its own child process, at most parallel at a
// time, each bounded by timeout. Results come back in the order of cases; a
// child that crashes, hangs or prints garbage is that case's failure.
func RunIsolated(ctx context.Context, cases []string, parallel int, timeout time.Duration, child ChildCommand, progress func(Result)) []Result {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]Result, len(cases))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := runChild(ctx, cases[i], timeout, child)
				results[i] = r
				if progress != nil {
					mu.Lock()
					progress(r)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range cases {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

func runChild(ctx context.Context, dir string, timeout time.Duration, child ChildCommand) Result {
	name := CaseName(dir)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := child(cctx, dir)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if cctx.Err() != nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return Result{Name: name, Status: "fail", Reason: fmt.Sprintf("timeout after %v", timeout)}
	}
	var r Result
	if jerr := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &r); jerr != nil || r.Status == "" {
		reason := "child process failed"
		if err != nil {
			reason = fmt.Sprintf("child process: %v", err)
		}
		if msg := firstLines(errb.String(), 3); msg != "" {
			reason += ": " + msg
		}
		return Result{Name: name, Status: "fail", Reason: reason}
	}
	r.Name = name
	return r
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// ChildMain runs one case in this process and prints its Result as JSON;
// for the child side of RunIsolated.
func ChildMain(ctx context.Context, dir string, tol Tolerance) []byte {
	r := Result{Name: CaseName(dir), Status: "pass"}
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.Status, r.Reason = "fail", fmt.Sprintf("panic: %v", p)
			}
		}()
		if err := RunCase(ctx, dir, tol); err != nil {
			r.Status, r.Reason = "fail", err.Error()
		}
	}()
	b, _ := json.Marshal(r)
	return b
}
