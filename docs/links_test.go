package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
)

// anchor is the fragment GitHub gives a heading: lower case, spaces as
// hyphens, punctuation other than '-' and '_' dropped.
func anchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the heading anchors of a Markdown file, fenced code left
// out.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if m := heading.FindStringSubmatch(line); m != nil && !fenced {
			out[anchor(m[1])] = true
		}
	}
	return out
}

// TestLinks checks that every relative link in the docs this package owns
// points at an existing file and, with a fragment, at an existing heading.
func TestLinks(t *testing.T) {
	for _, name := range []string{"architecture.md", "configuration.md", "merge-rules.md", "operations.md", "security.md", "troubleshooting.md"} {
		d := readDoc(t, name)
		for _, m := range mdLink.FindAllStringSubmatch(d.text, -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			text := d.text
			if file != "" {
				b, err := os.ReadFile(filepath.Clean(file))
				if err != nil {
					t.Errorf("%s: link %s: %v", name, target, err)
					continue
				}
				text = string(b)
			}
			if frag != "" && (file == "" || strings.HasSuffix(file, ".md")) {
				if !anchors(text)[frag] {
					t.Errorf("%s: link %s: no heading with anchor #%s", name, target, frag)
				}
			}
		}
	}
}
