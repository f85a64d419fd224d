package agent_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
)

// figAnswering is a Fig API in test code whose settings answer is body.
func figAnswering(body func(w io.Writer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch {
		case strings.HasPrefix(r.URL.Path, "/statuses/"):
			_, _ = io.WriteString(w, `{"SettingUpdateAvailable":false}`)
		case strings.HasPrefix(r.URL.Path, "/clients/"):
			body(w)
		default:
			http.NotFound(w, r)
		}
	})
}

// renderOnceError runs one init render with the memory limit given and
// returns its error.
func (f *fixture) renderOnceError(memory int64) error {
	f.t.Helper()
	f.cfg.InitTimeout = config.Dur(2 * time.Second)
	opts := f.options()
	opts.MemoryLimit = memory
	a, err := agent.New(context.Background(), f.cfg, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.RenderOnce(context.Background())
}

// TestLimitsFollowTheMemoryLimit is issue 12 item 10: under the chart's
// 96Mi limit the agent accepted 64 MiB Fig answers (10 MiB reached ~90 MiB
// RSS) and any number of distinct Key Vault references. Both now follow the
// memory limit and fail with a clear "too large".
func TestLimitsFollowTheMemoryLimit(t *testing.T) {
	const memory = 96 << 20
	t.Run("a Fig answer above 1/16 of the memory limit", func(t *testing.T) {
		f := newFixture(t)
		f.useHostileFig(figAnswering(func(w io.Writer) {
			// 7 MiB of JSON white space around an empty list: valid, harmless
			// to parse, and larger than the 6 MiB a 96 MiB agent accepts.
			_, _ = w.Write([]byte(strings.Repeat(" ", 7<<20) + "[]"))
		}))
		err := f.renderOnceError(memory)
		for _, want := range []string{"too large", fmt.Sprint(memory / 16), "memory limit"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to name %q", err, want)
			}
		}
	})
	t.Run("more distinct Key Vault references than the memory allows", func(t *testing.T) {
		f := newFixture(t)
		const refs = 2000 // a 96 MiB agent takes 1536
		f.useHostileFig(figAnswering(func(w io.Writer) {
			settings := make([]string, refs)
			for i := range settings {
				settings[i] = fmt.Sprintf(`{"name":"S%d","isSecret":true,"value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts",`+
					`"value":"@Microsoft.KeyVault(VaultName=orders-kv;SecretName=s-%d)"}}`, i, i)
			}
			_, _ = io.WriteString(w, "["+strings.Join(settings, ",")+"]")
		}))
		err := f.renderOnceError(memory)
		for _, want := range []string{"too large", "more than 1536 distinct Key Vault references", "memory limit 96 MiB", "fix: raise the agent container's memory limit"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to name %q", err, want)
			}
		}
		if n := f.env.Vaults["orders-kv"].Requests("get"); n > 0 {
			t.Errorf("the vault got %d GETs for references beyond the limit", n)
		}
	})
}
