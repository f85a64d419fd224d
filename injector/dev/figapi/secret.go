package figapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"regexp"
	"strings"
	"unicode/utf16"
)

// Client secret rules (contracts/fig-api.md §1.2). Fig stores a bcrypt
// hash; the emulator stores a salted SHA-256, which is enough to keep the
// plain secret out of memory dumps and test output while staying fast.

// The validator's limits (ClientSecretValidator.cs), in UTF-16 code units
// as .NET counts them.
const (
	secretMinLength = 32
	secretMinUnique = 10
)

// validSecretFormat reports whether s passes Fig's format check, which only
// registration and the description update apply.
func validSecretFormat(s string) bool {
	units := utf16.Encode([]rune(s))
	if len(units) < secretMinLength {
		return false
	}
	unique := map[uint16]bool{}
	for _, u := range units {
		unique[u] = true
	}
	return len(unique) >= secretMinUnique
}

// blank reports whether a secret header counts as missing
// (string.IsNullOrWhiteSpace).
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// secretHash is a salted SHA-256 of a client secret.
type secretHash struct {
	salt [16]byte
	sum  [32]byte
}

func hashSecret(secret string) secretHash {
	var h secretHash
	_, _ = rand.Read(h.salt[:]) // crypto/rand.Read never fails on supported platforms
	h.sum = saltedSum(h.salt, secret)
	return h
}

func saltedSum(salt [16]byte, secret string) [32]byte {
	d := sha256.New()
	d.Write(salt[:])
	d.Write([]byte(secret))
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

// matches reports, in constant time, whether secret hashes to h.
func (h secretHash) matches(secret string) bool {
	sum := saltedSum(h.salt, secret)
	return subtle.ConstantTimeCompare(sum[:], h.sum[:]) == 1
}

// clientNameReserved is ClientNameValidator's pattern: characters that have
// a meaning in regular expressions.
var clientNameReserved = regexp.MustCompile(`[\^$.*+?(){}[\]\\|]`)

// clientNameError returns Fig's InvalidClientNameException message for a
// name it rejects, or "".
func clientNameError(name string) string {
	if strings.TrimSpace(name) == "" || clientNameReserved.MatchString(name) {
		return "'" + name + "' is not a valid name. Reserved characters used in regular expressions are not allowed"
	}
	return ""
}
