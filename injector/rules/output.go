package rules

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Formats are the output formats, the `format:` values of the agent config
// and of the fig-injector.io/format annotation (SPEC §2).
var Formats = []string{"json", "yaml", "env", "properties", "template"}

// Format reports whether s is one of Formats (case-sensitive).
func Format(s string) bool { return slices.Contains(Formats, s) }

// FormatsText lists Formats for a fix: "json, yaml, env, properties, template".
func FormatsText() string { return strings.Join(Formats, ", ") }

// FileMode parses an output file's octal permission such as "0440" (also
// "440" or "0o440"). It accepts permission bits only (at most 0777: no
// setuid, setgid or sticky bit) and requires the owner-read bit, because
// the writer reads the file back to decide whether it changed.
func FileMode(s string) (fs.FileMode, error) {
	digits := strings.TrimPrefix(s, "0o")
	if len(digits) == 4 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) != 3 || strings.Trim(digits, "01234567") != "" {
		return 0, fmt.Errorf("file mode %q: want an octal permission from 0400 to 0777, such as \"0440\"", s)
	}
	var mode fs.FileMode
	for _, d := range []byte(digits) {
		mode = mode<<3 | fs.FileMode(d-'0')
	}
	if mode&0o400 == 0 {
		return 0, fmt.Errorf("file mode %q: the owner must be able to read the file, e.g. \"0440\"", s)
	}
	return mode, nil
}
