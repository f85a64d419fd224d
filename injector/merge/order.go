package merge

import "strings"

// foldKey maps a key to the form two keys share when IConfiguration treats
// them as the same key. .NET compares keys with OrdinalIgnoreCase, which
// maps each character to its simple upper case; unicode.ToUpper is that
// mapping, and strings.ToUpper applies exactly it, rune by rune, with a fast
// path for ASCII (strings.EqualFold would also fold e.g. the Kelvin sign
// into "k", which .NET does not).
//
// The result also orders the output: sorting by folded key is the
// case-insensitive ordinal order. Folded keys are unique after a merge, so
// the ordinal tie-break on the original spelling is never needed there.
func foldKey(k string) string {
	return strings.ToUpper(k)
}
