package section

import "testing"

func TestSetGet(t *testing.T) {
	doc := "# Perf\n\ntable\n"
	doc = Set(doc, "server", "## Server\nrow 1\n")
	want := "# Perf\n\ntable\n\n<!-- server:begin -->\n## Server\nrow 1\n<!-- server:end -->\n"
	if doc != want {
		t.Fatalf("append:\n%q\nwant\n%q", doc, want)
	}
	doc = Set(doc+"tail\n", "server", "## Server\nrow 2")
	want = "# Perf\n\ntable\n\n<!-- server:begin -->\n## Server\nrow 2\n<!-- server:end -->\ntail\n"
	if doc != want {
		t.Fatalf("replace:\n%q\nwant\n%q", doc, want)
	}
	if got := Get(doc, "server"); got != "<!-- server:begin -->\n## Server\nrow 2\n<!-- server:end -->" {
		t.Fatalf("get: %q", got)
	}
	if Get(doc, "other") != "" {
		t.Fatal("absent section")
	}
}
