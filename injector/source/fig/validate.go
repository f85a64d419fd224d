package fig

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// clientNameMetachars are the characters Fig's ClientNameValidator rejects
// (the regex class [\^$.*+?(){}[\]\\|]).
const clientNameMetachars = `^$.*+?(){}[]\|`

// validateClientName applies Fig's client-name rules: not empty or
// whitespace, no regular-expression metacharacters, at most 255 characters.
func validateClientName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("the Fig client name is empty; set fig.clientName (e.g. OrderService)")
	}
	if i := strings.IndexAny(name, clientNameMetachars); i >= 0 {
		return fmt.Errorf("the Fig client name %q contains %q; Fig rejects the characters %s in client names, so choose a name without them", name, name[i:i+1], clientNameMetachars)
	}
	if n := dotnet.UTF16Len(name); n > contract.MaxNameLength {
		return fmt.Errorf("the Fig client name is %d characters long; Fig allows at most %d", n, contract.MaxNameLength)
	}
	return nil
}

// Fig's client-secret rules (ClientSecretValidator).
const (
	minSecretLength      = 32
	minSecretUniqueChars = 10
)

// validateSecret applies the rules Fig checks when a client registers: at
// least 32 characters, at least 10 of them distinct (both counted in UTF-16
// code units, as .NET does). A GUID passes. The error never contains the
// secret.
func validateSecret(s string) error {
	units := utf16.Encode([]rune(s))
	if len(units) < minSecretLength {
		return fmt.Errorf("%w: it is %d characters long and Fig requires at least %d (a GUID such as the output of uuidgen works)", errInvalidSecret, len(units), minSecretLength)
	}
	distinct := map[uint16]struct{}{}
	for _, u := range units {
		distinct[u] = struct{}{}
	}
	if len(distinct) < minSecretUniqueChars {
		return fmt.Errorf("%w: it has %d distinct characters and Fig requires at least %d (a GUID such as the output of uuidgen works)", errInvalidSecret, len(distinct), minSecretUniqueChars)
	}
	return nil
}
