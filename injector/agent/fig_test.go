package agent

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/internal/testutil"
)

// A status warning (a custom property cut to Fig's limits) recurs on every
// poll for the life of the pod; it is worth one log line, not one per poll.
func TestFigStatusWarningsAreLoggedOncePerDistinctWarning(t *testing.T) {
	var logs testutil.Buffer
	f := &figSource{log: slog.New(slog.NewTextHandler(&logs, nil))}
	for range 5 {
		f.warnOnce([]string{"property A truncated", "property B dropped"})
	}
	f.warnOnce([]string{"property A truncated", "property C dropped"})
	for _, w := range []string{"property A truncated", "property B dropped", "property C dropped"} {
		if n := strings.Count(logs.String(), w); n != 1 {
			t.Errorf("%q logged %d times, want once\n%s", w, n, logs.String())
		}
	}
}
