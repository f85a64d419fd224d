// Package bench is fig-injector's benchmark harness (issue 6): the numbers of
// docs/benchmarks.md that need the emulators, the real binary or the real
// schedule. hack/bench.sh runs it with -count and writes the document; each
// benchmark reports its figures as custom metrics (go test -bench output),
// so benchstat can take medians across runs.
//
// The benchmarks run nothing under plain `go test` (they need -bench), so
// they cost CI nothing; TestRolloutModel checks the rollout model's
// arithmetic in CI, and TestFleetCountsRequests (a few seconds) that the
// real-agent rollout harness counts every Key Vault request.
package bench
