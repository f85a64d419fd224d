// Package docs_test checks the documentation in this directory against the
// code, so that neither can change without the other: the configuration
// reference (config fields, flags, environment, annotations, webhook config,
// chart values), the metrics in operations.md, the worked example in
// merge-rules.md and the links between the pages. The other files of this
// package hold one check each; this one holds the Markdown helpers they share.
package docs_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// doc is one Markdown file of this directory.
type doc struct {
	name string
	text string
}

func readDoc(t *testing.T, name string) doc {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return doc{name: name, text: string(b)}
}

// section returns the lines under the heading line that equals heading
// (e.g. "## Metrics"), up to the next heading of the same or a higher level.
// Headings inside fenced code blocks do not count.
func (d doc) section(t *testing.T, heading string) string {
	t.Helper()
	level := strings.Index(heading, " ")
	var out []string
	in, fenced := false, false
	for _, line := range strings.Split(d.text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			l := strings.Index(line, " ")
			switch {
			case line == heading:
				in = true
				continue
			case in && l > 0 && l <= level:
				return strings.Join(out, "\n")
			}
		}
		if in {
			out = append(out, line)
		}
	}
	if !in {
		t.Fatalf("%s: no heading %q", d.name, heading)
	}
	return strings.Join(out, "\n")
}

// separatorRow matches a table's header separator, e.g. "|---|:--|".
var separatorRow = regexp.MustCompile(`^\|[\s:|-]+\|$`)

// rows returns the body rows of every table in text, each split into
// trimmed cells; header rows (those followed by a separator) are dropped.
func rows(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case !strings.HasPrefix(line, "|"):
			continue
		case separatorRow.MatchString(line):
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			continue
		}
		out = append(out, cells(line))
	}
	return out
}

// cells splits a table row on its unescaped pipes ("\|" is a literal pipe).
func cells(line string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	out = append(out, strings.TrimSpace(cur.String()))
	// The row's leading and trailing pipes leave an empty cell at each end.
	return out[1 : len(out)-1]
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// ticks returns the contents of the `code spans` in s, in order.
func ticks(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// rowsByFirstTick indexes rows by every code span of their first cell, so
// a row whose first cell names several things is found by each.
func rowsByFirstTick(rs [][]string) map[string][]string {
	out := map[string][]string{}
	for _, r := range rs {
		if len(r) == 0 {
			continue
		}
		for _, k := range ticks(r[0]) {
			out[k] = r
		}
	}
	return out
}

// hasTick reports whether s contains want as a whole code span.
func hasTick(s, want string) bool {
	for _, k := range ticks(s) {
		if k == want {
			return true
		}
	}
	return false
}

// afterMarker returns the text that follows the line
// "<!-- docs-test:NAME -->" in d.
func (d doc) afterMarker(t *testing.T, name string) string {
	t.Helper()
	marker := "<!-- docs-test:" + name + " -->"
	_, rest, ok := strings.Cut(d.text, marker+"\n")
	if !ok {
		t.Fatalf("%s: no %s marker", d.name, marker)
	}
	return rest
}

// firstTable returns the rows of the table that starts text.
func firstTable(text string) [][]string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "|") {
			break
		}
		lines = append(lines, line)
	}
	return rows(strings.Join(lines, "\n"))
}

// firstCodeBlock returns the content of the first fenced code block in
// text, with its final newline.
func firstCodeBlock(t *testing.T, text string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "```")
	if !ok {
		t.Fatal("no fenced code block after the marker")
	}
	_, body, _ := strings.Cut(rest, "\n") // drop the info string
	content, _, ok := strings.Cut(body, "\n```")
	if !ok {
		t.Fatal("unterminated fenced code block")
	}
	return content + "\n"
}
