package metrics

import (
	"strings"
	"time"
	"unicode/utf8"
)

// maxLabelLen caps a label value. Model names and the like come from
// clients' URLs; a megabyte-long name must not become a megabyte-long series.
const maxLabelLen = 128

// label makes s a safe label value: client_golang refuses (and its
// WithLabelValues panics on) invalid UTF-8, so it is replaced, and long
// values are cut at a rune boundary.
func label(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= maxLabelLen {
		return s
	}
	cut := maxLabelLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// labels applies label to each value.
func labels(values ...string) []string {
	for i, v := range values {
		values[i] = label(v)
	}
	return values
}

// seconds converts d for a histogram; a negative duration (a clock step)
// counts as zero rather than landing below every bucket.
func seconds(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}
