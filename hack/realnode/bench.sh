#!/usr/bin/env bash
# hack/realnode/bench.sh — the real-node figures of docs/benchmarks.md, measured in one run on a real node
# (as root; hack/realnode/test.sh brings the node up, runs the kind walkthrough, then only the benchmarks
# of test/realnode, and takes the node down):
#   pod create -> app container running, the sample app without injection and injected (native mode)
#   Fig change (the emulator applied it) -> the app inside the running pod re-read the file holding it,
#   by the agent's poll (every 5 s) and through Fig's web hook and the relay (Fig polled every 10 min)
# Rewrites the "## Real node" section of docs/benchmarks.md in place (inserted before the micro-benchmarks
# when missing); hack/bench.sh keeps that section when it regenerates the rest.
#   hack/realnode/bench.sh            5 runs of each
#   RUNS=10 hack/realnode/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=hack/versions.sh
. hack/versions.sh
RUNS=${RUNS:-5}
DOC=docs/benchmarks.md
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash hack/realnode/test.sh -run '^$' -bench . -benchtime "${RUNS}x" | tee "$out"
metric() { awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i + 1) == u) print $i }' "$out"; }
plain=$(metric BenchmarkPodStart/plain ms/app-start)
native=$(metric BenchmarkPodStart/injected-native ms/app-start)
change=$(metric BenchmarkFigChangeToPod ms/fig-change-to-app)
hook50=$(metric BenchmarkRelayChangeToPod ms/p50-hook-to-app)
hook99=$(metric BenchmarkRelayChangeToPod ms/p99-hook-to-app)
if [ -z "$plain" ] || [ -z "$native" ] || [ -z "$change" ] || [ -z "$hook50" ] || [ -z "$hook99" ]; then echo "realnode bench: figures missing in the output" >&2; exit 1; fi
section=$(mktemp)
cat >"$section" <<MD
## Real node

Measured by \`hack/realnode/bench.sh\` (root; \`RUNS=$RUNS\`) on $(date -u '+%F %H:%M UTC'), one run, mean of $RUNS
each, on the real node of \`make realnode\` (hack/realnode: kubelet $K8S_VERSION, Debian's containerd and runc,
$(nproc) shared CPUs), with the images of \`make image\` and the kind walkthrough's chart values (Fig polled
every 5 s). Commit $(git describe --always --dirty 2>/dev/null || echo unknown).

| measure | result |
|---|---|
| pod create → app container running, sample app **without** injection (mean) | $plain ms |
| the same pod **injected**, native mode (agent renders Fig + Key Vault, startup probe passes, then the app) (mean) | $native ms |
| ratio injected / plain | $(awk -v a="$native" -v b="$plain" 'BEGIN { printf "%.1f×", a / b }') |
| Fig change (the emulator applied it) → the app in the running pod re-read the file holding it, Fig polled every 5 s (mean) | $change ms |
| the same change through Fig's web hook and the relay (\`relay.enabled\`), Fig polled every 10 min, p50 / p99 | $hook50 ms / $hook99 ms |

The injected start includes the token exchange (the Entra ID emulator verifies the kubelet's token
against the cluster's JWKS), the Fig and Key Vault reads and the kubelet's 1 s startup-probe period;
the polled change is dominated by the 5 s poll interval (half of it on average) plus the render and
the agent's POST /reload; through the relay it is the web hook, the relay's wake-up over the agent's
open subscription, one settings fetch, the render and the POST /reload (after one warm-up change: the
relay's first hook pays one bcrypt check of Fig's secret, about 0.3 s; p99 by nearest rank over $RUNS
changes: the maximum). Times come from a pod watch (start) and from the emulator's and the app's
own timestamps (change), all on one host clock.

MD
if grep -q '^## Real node' "$DOC"; then
  awk -v f="$section" '/^## Real node/ {while ((getline l < f) > 0) print l; skip = 1; next} skip && /^## / {skip = 0} !skip' "$DOC" >"$DOC.new"
else
  awk -v f="$section" '/^## Micro-benchmarks/ {while ((getline l < f) > 0) print l} {print}' "$DOC" >"$DOC.new"
fi
mv "$DOC.new" "$DOC"; rm -f "$section"
echo "realnode bench: wrote the Real node section of $DOC"
