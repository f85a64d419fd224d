package fig

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// maxNameLength is Fig's limit on client, setting and column names
// (NVARCHAR(255), SettingDefinitionFieldLimits).
const maxNameLength = rules.MaxFigName

// ValidateClientName applies Fig's client-name rules (rules.ClientName).
func ValidateClientName(name string) error {
	switch err := rules.ClientName(name); {
	case errors.Is(err, rules.ErrNoClientName):
		return errors.New("the Fig client name is empty; set fig.clientName (e.g. OrderService)")
	case err != nil:
		return fmt.Errorf("the Fig client name %v; use the client name registered in Fig", err)
	}
	return nil
}

// Fig's client-secret rules (ClientSecretValidator).
const (
	minSecretLength      = 32
	minSecretUniqueChars = 10
)

// ValidateSecret applies the rules Fig checks when a client registers: at
// least 32 characters, at least 10 of them distinct (both counted in UTF-16
// code units, as .NET does). A GUID passes. The error never contains the
// secret.
func ValidateSecret(s string) error {
	units := utf16.Encode([]rune(s))
	if len(units) < minSecretLength {
		return fmt.Errorf("%w: it is %d characters long and Fig requires at least %d (a GUID such as the output of uuidgen works)", ErrInvalidSecret, len(units), minSecretLength)
	}
	distinct := map[uint16]struct{}{}
	for _, u := range units {
		distinct[u] = struct{}{}
	}
	if len(distinct) < minSecretUniqueChars {
		return fmt.Errorf("%w: it has %d distinct characters and Fig requires at least %d (a GUID such as the output of uuidgen works)", ErrInvalidSecret, len(distinct), minSecretUniqueChars)
	}
	return nil
}

// EscapeDataString is .NET's Uri.EscapeDataString: every byte of the UTF-8
// text except the RFC 3986 unreserved characters (A–Z a–z 0–9 - _ . ~) is
// percent-encoded with upper-case hex. Fig.Client escapes client names and
// instances with it.
func EscapeDataString(s string) string {
	const upperHex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	return b.String()
}
