package output

import (
	"fmt"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source"
)

// resolveNames keeps one entry per output name, where name maps a key to
// the name the format writes (env: ':' → "__"; properties: ':' → '.').
// Keys the merge kept apart can meet here: Fig's ConnectionStrings__Orders
// and Key Vault's ConnectionStrings:Orders are one environment variable.
// The merge's rule decides, applied after the mapping: the higher
// precedence wins (source.Origin.Precedence); between equals, the first
// in the sorted entries. Each entry left out is a Problem naming both keys.
// Names compare case-insensitively, as .NET reads them back.
func resolveNames(entries []source.Entry, name func(string) string) ([]source.Entry, []Problem) {
	winner := make(map[string]int, len(entries)) // folded name → index into kept
	kept := make([]source.Entry, 0, len(entries))
	var problems []Problem
	for _, e := range entries {
		n := strings.ToUpper(name(e.Key))
		i, seen := winner[n]
		if !seen {
			winner[n] = len(kept)
			kept = append(kept, e)
			continue
		}
		loser := e
		if e.Origin.Precedence() > kept[i].Origin.Precedence() {
			loser, kept[i] = kept[i], e
		}
		problems = append(problems, collision(loser, kept[i], name(loser.Key)))
	}
	return kept, problems
}

// collision reports that loser was left out because winner has the same
// output name.
func collision(loser, winner source.Entry, name string) Problem {
	return Problem{Key: loser.Key, Reason: fmt.Sprintf("from %s is written as %s, as is %q from %s, which takes precedence; "+
		"%q is left out (rename one of the keys)", loser.Origin, name, winner.Key, winner.Origin, loser.Key)}
}
