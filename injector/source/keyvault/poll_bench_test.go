package keyvault_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// BenchmarkPollRequests measures idle change detection: requests per Poll
// when nothing changed, against the naive strategy of GETting every mapped
// secret each interval (SPEC §5: ≤ min(⌈vault size/25⌉, mapped secrets)).
//
// Each iteration is one Poll, and nothing in it depends on how many there
// are, so any -benchtime measures the same thing: the emulators, the seed
// and the first Fetch are set up once per sub-benchmark (b.Loop runs the
// body once), the context has no deadline (b.Context ends with the
// benchmark, where testContext's 60 s would fail a long run), and the
// vault logs nowhere (an in-memory log would grow with b.N).
func BenchmarkPollRequests(b *testing.B) {
	cases := []struct{ vaultSize, mapped int }{
		{1, 1}, {10, 10}, {100, 100}, {1000, 1000}, // dedicated vaults
		{1000, 1}, {1000, 10}, // a few secrets in a shared vault
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("vault=%d/mapped=%d", c.vaultSize, c.mapped), func(b *testing.B) {
			e := newEnv(b)
			e.seed("s%04d", c.vaultSize)
			v := e.vault(keyvault.VaultOptions{Logger: slog.New(slog.DiscardHandler)})
			ctx := b.Context()
			snap, err := v.Fetch(ctx, mapAll("s%04d", c.mapped))
			if err != nil {
				b.Fatal(err)
			}
			total, polls := 0, 0
			for b.Loop() {
				next, changed, err := v.Poll(ctx, snap)
				if err != nil || changed {
					b.Fatalf("Poll: changed %v, err %v", changed, err)
				}
				snap = next
				total += next.Requests()
				polls++
			}
			b.ReportMetric(float64(total)/float64(polls), "requests/poll")
			b.ReportMetric(float64(c.mapped), "naive-requests/poll")
			b.ReportMetric(float64(min((c.vaultSize+keyvault.PageSize-1)/keyvault.PageSize, c.mapped)), "budget-requests/poll")
		})
	}
}
