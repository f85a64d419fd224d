#!/usr/bin/env bash
# hack/promtool.sh — builds Prometheus' promtool from the Go module proxy into a version-keyed cache
# outside the repository and prints its path (hack/e2e.sh: the chart's alerting rules must pass
# `promtool check rules` and `promtool test rules`). Idempotent: a promtool already built at the pinned
# version is reused. Prometheus v3.16.0 is the Go module version v0.316.0; `go install module@version`
# accepts it (its go.mod has no replace directives), so no throwaway module is needed. The build tag
# remove_all_sd leaves out the cloud service discoveries (AWS, Azure, GCE, ...: most of the build),
# which checking and unit-testing rules never use.
set -euo pipefail
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
BIN=$CACHE/tools/promtool-$PROMTOOL_VERSION
mkdir -p "$BIN"
if [ ! -x "$BIN/promtool" ]; then
  echo "[tools] installing promtool $PROMTOOL_VERSION into $BIN" >&2
  t0=$SECONDS
  CGO_ENABLED=0 GOBIN=$BIN go install -trimpath -tags remove_all_sd -ldflags='-s -w' \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >&2
  echo "[tools] promtool built in $((SECONDS - t0))s" >&2
fi
echo "$BIN/promtool"
