package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// MaxFigName is Fig's limit on client, setting and column names, in UTF-16
// code units as .NET counts them (NVARCHAR(255), SettingDefinitionFieldLimits).
const MaxFigName = 255

// clientNameMetachars are the characters Fig's ClientNameValidator rejects
// (the regex class [\^$.*+?(){}[\]\\|]).
const clientNameMetachars = `^$.*+?(){}[]\|`

// ErrNoClientName is ClientName's answer for an empty or blank name, so a
// caller can give the fix for a missing value.
var ErrNoClientName = errors.New("is required")

// ClientName applies Fig's client-name rules (ClientNameValidator): not
// blank, no regular-expression metacharacters, at most MaxFigName
// characters.
func ClientName(name string) error {
	if strings.TrimSpace(name) == "" {
		return ErrNoClientName
	}
	if n := FigNameLength(name); n > MaxFigName {
		return fmt.Errorf("is longer than %d characters (%d; Fig allows at most %d)", MaxFigName, n, MaxFigName)
	}
	if i := strings.IndexAny(name, clientNameMetachars); i >= 0 {
		return fmt.Errorf(`%q contains a character Fig forbids, %q (Fig forbids ^ $ . * + ? ( ) { } [ ] \ | in client names)`, name, name[i:i+1])
	}
	return nil
}

// FigNameLength is the length of s as Fig measures names: UTF-16 code units.
func FigNameLength(s string) int { return len(utf16.Encode([]rune(s))) }
