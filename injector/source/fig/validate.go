package fig

import (
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// validateClientName applies Fig's client-name rules (rules.ClientName).
func validateClientName(name string) error {
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
