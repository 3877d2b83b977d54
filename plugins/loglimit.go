package plugins

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A plugin's log output (the log host function, WASI stdout and stderr) is
// rate-limited per plugin: a guest printing in a loop must not fill the
// server's disk or drown its other messages. Bursts pass whole; past them
// records are dropped and counted, and a warning says so now and then.
const (
	logRecordsPerSecond = 100
	logRecordBurst      = 500
	logBytesPerSecond   = 64 << 10
	logByteBurst        = 512 << 10
	logDropReport       = 10 * time.Second
)

type logLimiter struct {
	mu       sync.Mutex
	records  *rate.Limiter
	bytes    *rate.Limiter
	dropped  int
	reported time.Time
}

func newLogLimiter() *logLimiter {
	return &logLimiter{
		records: rate.NewLimiter(logRecordsPerSecond, logRecordBurst),
		bytes:   rate.NewLimiter(logBytesPerSecond, logByteBurst),
	}
}

// allow takes the budget for one record of n bytes. When it refuses, it may
// return a count of dropped records to report.
func (l *logLimiter) allow(n int) (ok bool, report int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.records.AllowN(now, 1) && l.bytes.AllowN(now, min(n, logByteBurst)) {
		return true, 0
	}
	l.dropped++
	if now.Sub(l.reported) < logDropReport {
		return false, 0
	}
	l.reported = now
	report, l.dropped = l.dropped, 0
	return false, report
}

// guestLog logs a record from the guest, within the plugin's budget. The
// text is made safe (guestText) only once it is known to be logged.
func (p *Plugin) guestLog(level slog.Level, msg []byte, maxRunes int, args ...any) {
	ok, dropped := p.logLimit.allow(len(msg))
	if ok {
		p.log.Log(context.Background(), level, guestText(msg, maxRunes), args...)
	} else if dropped > 0 {
		p.log.Warn("plugin log output over its limit; dropping records",
			"dropped", dropped, "records_per_second", logRecordsPerSecond, "bytes_per_second", logBytesPerSecond)
	}
}
