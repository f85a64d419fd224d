package output

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source"
)

// encodeEnv writes one NAME=value line per entry.
//
// Names: the key with every ':' replaced by "__", the .NET environment
// provider's convention, so "ConnectionStrings:Orders" is read back from
// ConnectionStrings__Orders. The result must be a portable variable name
// (ASCII letters, digits and '_', not starting with a digit); otherwise the
// whole file is refused with an error listing the keys, because a line the
// shell cannot assign would break every line after it.
//
// Values, the exact rule (envValue):
//
//  1. empty → nothing after '=' (NAME=);
//  2. only ASCII letters, digits and _ @ % + = : , . / - → written bare;
//  3. anything else → wrapped in single quotes, each ' inside written as
//     '"'"' (close the quote, a double-quoted ', reopen).
//
// Inside single quotes the shell expands nothing ($, `, \, newlines, spaces
// and unicode are literal), so `. file` and `set -a; . file` read every
// value back exactly. systemd's EnvironmentFile= reads the same syntax: it
// also concatenates adjacent quoted parts and keeps newlines inside quotes
// (the usual backslash-escaped quote would NOT work there, which is why
// ' is written as '"'"').
// `docker run --env-file` does no unquoting at all: it reads the bare values
// of rule 2 correctly but keeps the quotes of rule 3 and cannot hold a
// newline. A value containing a NUL byte cannot be held by any environment
// and is refused.
func encodeEnv(entries []source.Entry) ([]byte, error) {
	var b []byte
	var badNames, nulValues []string
	for _, e := range entries {
		name, ok := envName(e.Key)
		if !ok {
			badNames = append(badNames, strconv.Quote(e.Key))
			continue
		}
		v := e.Value.Reveal()
		if strings.IndexByte(v, 0) >= 0 {
			nulValues = append(nulValues, strconv.Quote(e.Key))
			continue
		}
		b = append(b, name...)
		b = append(b, '=')
		b = append(b, envValue(v)...)
		b = append(b, '\n')
	}
	switch {
	case len(badNames) > 0:
		return nil, fmt.Errorf("env format: %d key(s) are not environment variable names after ':' becomes '__' "+
			"(use ASCII letters, digits and '_', not starting with a digit; or choose format json, yaml or properties): %s",
			len(badNames), strings.Join(badNames, ", "))
	case len(nulValues) > 0:
		return nil, fmt.Errorf("env format: the value of %s contains a NUL byte, which no environment variable can hold",
			strings.Join(nulValues, ", "))
	}
	return b, nil
}

// envName maps a configuration key to its environment variable name and
// reports whether that name is valid.
func envName(key string) (string, bool) {
	name := strings.ReplaceAll(key, ":", "__")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return name, false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return name, false
		}
	}
	return name, true
}

// envValue quotes v by the rule in encodeEnv's comment.
func envValue(v string) string {
	if v == "" {
		return ""
	}
	return shellQuote(v)
}

// shellQuote quotes v as one POSIX shell word: bare if every byte is safe,
// otherwise in single quotes with ' written as '"'"'. The empty string is
// a pair of single quotes. The template function quote is this function.
func shellQuote(v string) string {
	if v == "" {
		return "''"
	}
	if shellSafe(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'"'"'`) + "'"
}

// shellSafe reports whether v needs no quoting: ASCII letters, digits and
// _ @ % + = : , . / - only. Each is literal in a shell word, in systemd's
// unquoted values and in docker's env files (no '~', '#', '$', spaces,
// quotes, backslashes, globs or braces).
func shellSafe(v string) bool {
	for _, c := range []byte(v) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_@%+=:,./-", c) >= 0:
		default:
			return false
		}
	}
	return true
}
