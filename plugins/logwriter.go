package plugins

import (
	"bytes"
	"log/slog"
	"sync"
)

// maxLineBytes bounds a buffered stdout/stderr line: a guest writing without
// newlines gets its output logged in pieces rather than held without limit.
const maxLineBytes = 4 << 10

// lineWriter turns a guest's WASI stdout or stderr into log records, one per
// line. It also remembers the first line that reports a crash ("panic: …",
// "fatal error: …", as the Go runtime writes before exiting), which is the
// useful part of the error a failed call returns.
type lineWriter struct {
	p      *Plugin
	stream string
	level  slog.Level

	mu    sync.Mutex // WASI writes come from the calling goroutine, Flush from Close
	buf   []byte
	crash string
}

func newLineWriter(p *Plugin, stream string, level slog.Level) *lineWriter {
	return &lineWriter{p: p, stream: stream, level: level}
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			room := maxLineBytes - len(w.buf)
			if len(b) < room {
				w.buf = append(w.buf, b...)
				break
			}
			w.buf = append(w.buf, b[:room]...)
			b = b[room:]
			w.emit()
			continue
		}
		take := min(i, maxLineBytes-len(w.buf))
		w.buf = append(w.buf, b[:take]...)
		if take < i {
			b = b[take:] // the line is too long: log what fits, keep going
		} else {
			b = b[i+1:]
		}
		w.emit()
	}
	return n, nil
}

func (w *lineWriter) emit() {
	line := bytes.TrimSpace(w.buf)
	defer func() { w.buf = w.buf[:0] }()
	if len(line) == 0 {
		return
	}
	if w.crash == "" && (bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: "))) {
		w.crash = guestMessage(line)
	}
	w.p.guestLog(w.level, line, maxLineBytes, "stream", w.stream)
}

// Flush logs a pending partial line.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit()
	}
}

// takeCrash returns and forgets the remembered crash line.
func (w *lineWriter) takeCrash() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.crash
	w.crash = ""
	return c
}
