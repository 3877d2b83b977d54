// Package section keeps named, generated sections of a Markdown file
// between marker comments, so that two generators (bench-compare and
// bench-serve) can share docs/PERFORMANCE.md without erasing each other.
package section

import "strings"

func markers(name string) (string, string) {
	return "<!-- " + name + ":begin -->", "<!-- " + name + ":end -->"
}

// Get returns the section called name, markers included ("" if absent).
func Get(doc, name string) string {
	begin, end := markers(name)
	i := strings.Index(doc, begin)
	if i < 0 {
		return ""
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return ""
	}
	return doc[i : i+j+len(end)]
}

// Set replaces the section called name with body (markers added), or
// appends it when the document has none.
func Set(doc, name, body string) string {
	begin, end := markers(name)
	block := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	if old := Get(doc, name); old != "" {
		return strings.Replace(doc, old, block, 1)
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + block + "\n"
}
