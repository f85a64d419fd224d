#!/usr/bin/env bash
# hack/bench.sh — `make bench`: runs every benchmark several times and writes docs/benchmarks.md from
# scratch, each figure next to the command that produced it (medians over the runs; ratios against
# the baselines the benchmarks implement). Also runs each fuzz target for FUZZTIME and records the
# result. Raw outputs stay in $OUT for inspection.
#
#   hack/bench.sh                     about 15 minutes on 2 cores
#   COUNT=3 FUZZTIME=10s hack/bench.sh
#
# Environment (all optional):
#   COUNT      runs per benchmark (default 5; the slow, wall-clock-bound ones use min(COUNT,3))
#   FUZZTIME   duration of each fuzz run (default 30s)
#   OUT        directory for raw outputs (default: a new temp dir)
#   RESUME     set to 1 with OUT naming an earlier invocation's directory: benchmarks and fuzz runs whose
#              raw output is there already are not run again (the document lists which were reused)
#   BASELINE   a git ref (e.g. a release tag or the merge base): its agent binary is built from a clean
#              export and run through the process benchmark in the same invocation, so the agent's
#              memory and CPU are reported against it measured on the same machine at the same time
#   FIG_INJECTOR_CACHE / XDG_CACHE_HOME   tools cache (benchstat), as hack/tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
SLOW=$((COUNT < 3 ? COUNT : 3))
FUZZTIME=${FUZZTIME:-30s}
OUT=${OUT:-$(mktemp -d -t fig-injector-bench.XXXXXX)}
DOC=docs/benchmarks.md
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
BENCHSTAT_VERSION=${BENCHSTAT_VERSION:-v0.0.0-20260908200009-22c9c6c9d4da}
mkdir -p "$OUT" docs
COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown) # before the figures and the document are rewritten
log() { printf '[bench] %s\n' "$*" >&2; }

# benchstat, when the module proxy can be reached; the medians below do not depend on it.
TOOLS=$CACHE/tools/benchstat-$BENCHSTAT_VERSION
BENCHSTAT=$TOOLS/benchstat
if [ ! -x "$BENCHSTAT" ]; then
  mkdir -p "$TOOLS"
  GOBIN=$TOOLS go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" >&2 || log "benchstat unavailable; medians only"
fi

# 1. The binaries as the images ship them: the agent image's (-tags agentonly), which every pod runs
#    and the process benchmark measures, and the product image's (webhook, dev), for its size.
BIN=$OUT/fig-injector-agent
CGO_ENABLED=0 go build -trimpath -tags agentonly -ldflags "-s -w" -o "$BIN" ./cmd/fig-injector
BIN_BYTES=$(stat -c %s "$BIN")
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/fig-injector" ./cmd/fig-injector
FULL_BIN_BYTES=$(stat -c %s "$OUT/fig-injector")
BASE_BIN=''
if [ -n "${BASELINE:-}" ]; then
  BASE_REV=$(git rev-parse --short "$BASELINE^{commit}")
  mkdir -p "$OUT/baseline-src"
  git archive "$BASE_REV" | tar -x -C "$OUT/baseline-src"
  BASE_BIN=$OUT/fig-injector-agent-baseline
  (cd "$OUT/baseline-src" && CGO_ENABLED=0 go build -trimpath -tags agentonly -ldflags "-s -w" -o "$BASE_BIN" ./cmd/fig-injector)
  BASE_BIN_BYTES=$(stat -c %s "$BASE_BIN")
fi

# run NAME CMD...: runs a go test benchmark command, keeping its output as $OUT/NAME.txt and the
# command line for the document.
declare -A CMDS
REUSED=''
run() {
  local name=$1
  shift
  CMDS[$name]="$*"
  if [ -n "${RESUME:-}" ] && [ -s "$OUT/$name.txt" ]; then
    log "$name: reusing $OUT/$name.txt"
    REUSED+="${REUSED:+, }$name ($(date -r "$OUT/$name.txt" -u '+%H:%M UTC'))"
    return
  fi
  log "$name: $*"
  "$@" >"$OUT/$name.txt" 2>"$OUT/$name.err" || { cat "$OUT/$name.err" >&2; exit 1; }
}
# The figures the benchmarks draw (docs/img, embedded below): drawn again on every run, never left
# over (with RESUME, a reused run's figures stay as that run drew them).
FIGURES=$PWD/docs/img
mkdir -p "$FIGURES"
[ -n "${RESUME:-}" ] || rm -f "$FIGURES/rollout-keyvault.svg" "$FIGURES/propagation-latency.svg"
run micro go test -run '^$' -bench . -count "$COUNT" ./injector/merge ./injector/output ./injector/source/fig ./injector/source/keyvault ./injector/webhook
run first go test -run '^$' -bench '^BenchmarkFirstRender$' -benchtime 20x -count "$COUNT" ./test/bench
run change go test -run '^$' -bench '^BenchmarkChangeToFile$' -benchtime 10x -count "$SLOW" ./test/bench
run kv go test -run '^$' -bench '^BenchmarkKeyVaultRequestsPerInterval$' -benchtime 5x -count "$SLOW" ./test/bench
run rollout env FIG_INJECTOR_BENCH_FIGURES="$FIGURES" go test -run '^$' -bench '^BenchmarkRollout$' -benchtime 1x -count "$COUNT" ./test/bench
run agents go test -run '^$' -bench '^BenchmarkRolloutAgents$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
# Issue 14: the relay against per-pod polling.
run propagation env FIG_INJECTOR_BENCH_FIGURES="$FIGURES" go test -run '^$' -bench '^BenchmarkPropagation$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
run killed go test -run '^$' -bench '^BenchmarkRelayKilled$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
run relayproc env FIG_INJECTOR_RELAY_BIN="$OUT/fig-injector" go test -run '^$' -bench '^BenchmarkRelayProcess$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
# Start from the offline copy while Fig is down: BenchmarkOfflineStart comes with the offline-start work
# (relay /v1/offline); its row appears as soon as the benchmark exists.
OFFLINE=''
if go test -list '^BenchmarkOfflineStart$' ./test/bench 2>/dev/null | grep -x 'BenchmarkOfflineStart' >/dev/null; then
  run offline go test -run '^$' -bench '^BenchmarkOfflineStart$' -benchtime 5x -count "$SLOW" -timeout 30m ./test/bench
  OFFLINE=1
fi
run process env FIG_INJECTOR_BIN="$BIN" go test -run '^$' -bench '^BenchmarkAgentProcess$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
if [ -n "$BASE_BIN" ]; then
  run process_base env FIG_INJECTOR_BIN="$BASE_BIN" go test -run '^$' -bench '^BenchmarkAgentProcess$' -benchtime 1x -count "$SLOW" -timeout 30m ./test/bench
fi

# median FILE BENCH UNIT: the median of UNIT over every line of benchmark BENCH (name without -N).
median() {
  awk -v b="$2" -v u="$3" '
    { name = $1; sub(/-[0-9]+$/, "", name) }
    name == b { for (i = 3; i < NF; i++) if ($(i+1) == u) v[n++] = $i }
    END {
      if (n == 0) { print "n/a"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      m = (n % 2) ? v[int(n/2)] : (v[n/2-1] + v[n/2]) / 2
      printf (m == int(m) && m < 1e12) ? "%d" : "%.3g", m
    }' "$OUT/$1.txt"
}
runs() { awk -v b="$2" '{ n = $1; sub(/-[0-9]+$/, "", n) } n == b { c++ } END { print c + 0 }' "$OUT/$1.txt"; }
ms() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.3g", v / 1e6 }'; }

# 2. Fuzzing: every target, FUZZTIME each.
FUZZ_ROWS=''
fuzz() { # fuzz PKG TARGET
  local pkg=$1 target=$2 f=$OUT/fuzz-$2.txt result execs
  if [ -n "${RESUME:-}" ] && [ -s "$f" ]; then
    log "fuzz $target: reusing $f"
    REUSED+="${REUSED:+, }fuzz $target"
  else
    log "fuzz $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg" >"$f" 2>&1 || true
  fi
  if grep -q '^ok' "$f"; then result=pass; else result="**FAIL** (see $pkg/testdata/fuzz/$target)"; fi
  execs=$(grep -o 'execs: [0-9]*' "$f" | tail -1 | cut -d' ' -f2)
  FUZZ_ROWS+="| \`$target\` ($pkg) | \`go test -run '^\$' -fuzz '^$target\$' -fuzztime $FUZZTIME $pkg\` | ${execs:-?} | $result |"$'\n'
}
fuzz ./injector/source/fig FuzzDecode
fuzz ./injector/source/keyvault FuzzParseReference
fuzz ./injector/output FuzzEnv
fuzz ./injector/output FuzzProperties
fuzz ./test/fuzz FuzzParse
fuzz ./test/fuzz FuzzParseRequest
fuzz ./test/fuzz FuzzCheckOutputPath
fuzz ./test/fuzz FuzzConfinedPaths

# 3. Image sizes: only what hack/image.sh left in dist/ (docker archives: uncompressed tars of the
#    layers, so about the unpacked size). The target applies to the agent image, the one every pod pulls.
mbytes() { awk -v b="$1" 'BEGIN { printf "%.1f", b/1e6 }'; }
archive() { # archive FILE: "<size> MB (<file>, <date>)", or why it is not measured
  if [ -f "$1" ]; then echo "$(mbytes "$(stat -c %s "$1")") MB ($1, $(date -r "$1" -u '+%F %H:%M UTC'))"
  else echo "not measured ($1 is absent: run \`make image\` as root, then \`make bench\`)"; fi
}
IMAGE="agent image $(archive dist/fig-injector-agent-image.tar); product image (webhook, dev) $(archive dist/fig-injector-image.tar)"
if [ -f dist/fig-injector-agent-image.tar ]; then
  IMAGE_VERDICT=$(awk -v b="$(stat -c %s dist/fig-injector-agent-image.tar)" 'BEGIN { print (b < 20e6) ? "met (agent image)" : "**not met**" }')
else
  IMAGE_VERDICT="not measured"
fi

# 4. The document.
K=BenchmarkKeyVaultRequestsPerInterval
P=BenchmarkAgentProcess
R=BenchmarkRollout
C=BenchmarkChangeToFile
F=BenchmarkFirstRender
kvrow() { # kvrow CASE
  echo "| $1 | $(median kv "$K/$1" agent-req/interval) | $(median kv "$K/$1" naive-req/interval) | **$(median kv "$K/$1" naive/agent)×** | $(median kv "$K/$1" spec-budget-req/interval) | $(median kv "$K/$1" warmup-req/interval) |"
}
rorow() { # rorow CASE [steady-]: a row of the rollout table (with steady-: of the steady-state one)
  echo "| $1 | $(ro "$1" "${2:-}peak-req/10s-naive") | $(ro "$1" "${2:-}peak-req/10s-no-jitter") | $(ro "$1" "${2:-}peak-req/10s-early-startup") | **$(ro "$1" "${2:-}peak-req/10s-jittered")** | $(ro "$1" "${2:-}peak-req/10s-relay") |"
}
ro() { median rollout "$R/$1" "$2"; } # ro CASE UNIT
A=BenchmarkRolloutAgents
agrow() { # agrow VARIANT LABEL: a row of the measured rollout table
  echo "| $2 | **$(median agents $A "peak-req/window-$1")** | **$(median agents $A "steady-peak-req/window-$1")** | $(median agents $A "idle-req/window-$1") | $(median agents $A "model-peak-req/window-$1") | $(median agents $A "model-steady-peak-req/window-$1") | $(median agents $A "model-idle-req/window-$1") | $(median agents $A "requests-$1") |"
}
# ratio A B: A ÷ B (two significant figures, whole numbers from 10 on), n/a when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else { r = a / b; printf (r >= 10 ? "%.0f" : "%.2g"), r } }'; }
# dur MS: a latency in ms or, from a second on, in s.
dur() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else if (v < 1000) printf "%.3g ms", v; else printf "%.3g s", v / 1000 }'; }
PR=BenchmarkPropagation
KL=BenchmarkRelayKilled
RP=BenchmarkRelayProcess
OF=BenchmarkOfflineStart
prop() { median propagation $PR "$1"; }
proprow() { # proprow VARIANT LABEL
  echo "| $2 | $(dur "$(prop "$1-p50-ms")") | $(dur "$(prop "$1-p99-ms")") | $(dur "$(prop "$1-max-ms")") | **$(ratio "$(prop "$1-p99-ms")" "$(prop relay-p99-ms)")×** |"
}
rp() { median relayproc $RP "$1"; }
# metricrows FILE BENCH: one row per metric of BENCH (every unit but ns/op), with its median.
metricrows() {
  awk -v b="$2" '{ n = $1; sub(/-[0-9]+$/, "", n) } n == b { for (i = 5; i < NF; i += 2) u[$(i+1)] = 1 } END { for (k in u) print k }' "$OUT/$1.txt" |
    sort | while read -r u; do echo "| $u | $(median "$1" "$2" "$u") |"; done
}
AGENT_GOGC=50
BASELINE_NOTE=''
if [ -n "$BASE_BIN" ]; then
  BASELINE_NOTE="
**Baseline**: the agent at $BASE_REV (\`BASELINE=$BASELINE\`), built and measured the same way in the same
invocation: \`${CMDS[process_base]}\` ($(runs process_base $P) runs). Its stripped binary is $(mbytes "$BASE_BIN_BYTES") MB against $(mbytes "$BIN_BYTES") MB now."
fi
IDLE_RSS=$(median process $P idle-RSS-MiB)
IDLE_ANON=$(median process $P idle-RSS-anon-MiB)
PEAK_RSS=$(median process $P peak-RSS-MiB)
CPU_REQ=$(median process $P idle-CPU-ms/request)
prow() { # prow LABEL UNIT SUFFIX [GOAL]: a row of the agent process table (with the baseline when measured)
  local now base ratio=''
  now=$(median process $P "$2")
  if [ -n "$BASE_BIN" ]; then
    base=$(median process_base $P "$2")
    ratio=$(awk -v a="$now" -v b="$base" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }')
    echo "| $1 | **$now$3** | $base$3 | $ratio | ${4:-} |"
  else
    echo "| $1 | **$now$3** | ${4:-} |"
  fi
}
FIRST=$(median first $F render-after-token-ms)
CHG_FIG=$(median change "$C/fig" change-to-file-ms)
CHG_KV=$(median change "$C/keyvault" change-to-file-ms)
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v != "n/a" && v + 0 < lim + 0) ? "met" : "**not met**" }'; }
if [ -n "$OFFLINE" ]; then
  OFF_DOWN=$(median offline "$OF/fig-down" first-file-ms)
  OFF_UP=$(median offline "$OF/fig-up" first-file-ms)
  OFFLINE_SECTION="An agent starts while Fig drops every connection (accepted and closed at once: a transport
error, not a timeout; a Fig that hangs adds \`fig.requestTimeout\` first) and the relay (in-process, real TLS) holds the client's
encrypted copy: agent start → first complete file, against the same start with Fig up (baseline).
\`${CMDS[offline]}\` ($(runs offline "$OF/fig-down") runs)

| start | first file (median) | ratio to Fig up |
|---|---|---|
| Fig up (baseline) | $(dur "$OFF_UP") | 1 |
| Fig down, from the relay's offline copy | $(dur "$OFF_DOWN") | **$(ratio "$OFF_DOWN" "$OFF_UP")×** |

Without the relay a pod cannot start at all while Fig is down (it waits for Fig, as before issue 14)."
else
  OFFLINE_SECTION="Not measured in this run: \`$OF\` (test/bench) does not exist at this commit."
fi
REUSED_NOTE=''
if [ -n "$REUSED" ]; then
  REUSED_NOTE="
Reused from an earlier invocation's raw outputs (RESUME=1; written at the times shown): $REUSED."
fi
# The real-node section is written by hack/realnode/bench.sh (it needs root and a node): kept as it is.
REALNODE_SECTION=$(awk '/^## Real node/ {f = 1; print; next} f && /^## / {f = 0} f' "$DOC" 2>/dev/null || true)
{
cat <<MD
# Benchmarks

Generated by \`make bench\` (hack/bench.sh) on $(date -u '+%F %H:%M UTC'); do not edit by hand.
Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), shared with other work),
$(go version | cut -d' ' -f3-), commit $COMMIT.
Every figure is the **median** over the runs named; raw outputs were kept in \`$OUT\`.$REUSED_NOTE
The emulators are the product's own (\`injector/dev\`), over TLS on loopback.

## SPEC §5 targets

| target | measured (median) | verdict |
|---|---|---|
| change detected → file replaced < 100 ms | Fig $CHG_FIG ms, Key Vault $CHG_KV ms | $(verdict "$CHG_FIG" 100) / $(verdict "$CHG_KV" 100) |
| first render < 100 ms after the token is in hand | $FIRST ms | $(verdict "$FIRST" 100) |
| idle Key Vault requests per interval ≤ min(⌈vault/25⌉, mapped) | see the table below: equal to the budget in every case | met |
| agent RSS < 20 MiB (1,000 settings, 100 secrets) | $IDLE_RSS MiB idle, $PEAK_RSS MiB peak | $(verdict "$IDLE_RSS" 20) |
| static image < 20 MB | $IMAGE; the static binaries alone (\`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w"\`, with \`-tags agentonly\` for the agent) are $(mbytes "$BIN_BYTES") MB and $(mbytes "$FULL_BIN_BYTES") MB | $IMAGE_VERDICT |

Where a target is not met, why. **RSS**: most of the agent's resident memory is the binary's own
pages (file-backed and clean: the page cache of the image layer, shared by every agent on a node
that runs the same image, and dropped first under memory pressure); nearly all of the stripped
binary ends up mapped, because the kernel maps 64 KiB around each page the program touches. The
rest is anonymous memory: the Go heap (about 1.4 MiB live when idle with 1,000 settings and 100
secrets, the heap goal at least 4 MiB × GOGC/100) and the runtime's own (GC metadata, goroutine
and thread stacks). See "Agent process" below for the split, the issue 13 goals and what stands
in the way.

## Key Vault requests per pod per interval (the headline)

Idle polls of the real agent (sidecar mode, 1 s interval) against a vault of the given size with
the given number of explicitly mapped secrets, after warm-up, versus the naive strategy of the
Secrets Store CSI driver (one GET per mapped secret per interval, run with the Azure SDK against
the same emulator). Counts come from the agent's \`polled key vault\` lines and agree with the
emulator's request counters.

\`${CMDS[kv]}\` ($(runs kv "$K/vault=1000/mapped=1000") runs)

| vault/mapped | agent | naive (CSI) | naive ÷ agent | SPEC budget | first polls (warm-up) |
|---|---|---|---|---|---|
$(kvrow vault=1/mapped=1)
$(kvrow vault=10/mapped=10)
$(kvrow vault=100/mapped=100)
$(kvrow vault=1000/mapped=1000)
$(kvrow vault=1000/mapped=10)

With a dedicated vault the agent lists (25 per page) and fetches only what changed: 25× fewer
requests from 100 secrets up. With few secrets in a big shared vault, listing would cost more than
the GETs, so the agent GETs each one, exactly as the naive strategy does (ratio 1). Warm-up: secrets
written less than 2 s before they were read are read once more (Key Vault's \`updated\` has one-second
resolution); the seed was written just before the agent started, so its first polls pay that.
The CSI driver's default rotation interval is 2 minutes against our 60 s default, so per *minute*
the ratio halves; per poll it is as shown.

## Latency

\`${CMDS[first]}\` ($(runs first $F) runs)

| figure | median |
|---|---|
| agent.New + RenderOnce, example seed, new TLS connections and token exchange | $(median first $F first-render-ms) ms |
| of which the Entra ID token request (server side) | $(median first $F token-ms) ms |
| first render after the token is in hand | $FIRST ms |

\`${CMDS[change]}\` ($(runs change "$C/fig") runs of 10 changes each)

| change | change → file (agent histogram \`fig_injector_change_to_file_seconds\`, mean) | share under 100 ms |
|---|---|---|
| Fig value | $CHG_FIG ms | $(median change "$C/fig" %-under-100ms) % |
| Key Vault rotation | $CHG_KV ms | $(median change "$C/keyvault" %-under-100ms) % |

Detection is the start of the fetch that found the change, so the figure includes that fetch and
the agent's 25 ms coalescing window; the poll wait itself is excluded, as SPEC §5 says.

## Agent process: memory and CPU

The real binary as the agent image ships it (\`fig-injector agent --mode=sidecar\`, built with
\`-trimpath -tags agentonly -ldflags "-s -w"\`, its runtime settings its own: GOMAXPROCS 1, GOGC
$AGENT_GOGC),
1,000 Fig settings + 100 prefix secrets, the demo poll intervals dev writes (Fig 2 s, Key Vault
5 s: busier than the 30 s / 60 s defaults). RSS from /proc/PID/status; CPU per second from
/proc/PID/stat; CPU per idle request from the threads' schedstat (nanoseconds) over the 60
requests after the first 10 s (a Fig status PUT every 2 s, four list pages every 5 s), counted by
the emulators.

\`${CMDS[process]}\` ($(runs process $P) runs)
$BASELINE_NOTE

$(if [ -n "$BASE_BIN" ]; then echo '| figure | median | baseline | ratio | goal (issue 13) |'; echo '|---|---|---|---|---|'; else echo '| figure | median | goal (issue 13) |'; echo '|---|---|---|'; fi)
$(prow "exec → first file" exec-to-first-file-ms " ms")
$(prow "idle RSS (VmRSS after 10 s idle)" idle-RSS-MiB " MiB" "< 13 MiB: $(verdict "$IDLE_RSS" 13)")
$(prow "… of which anonymous (heap, stacks)" idle-RSS-anon-MiB " MiB" "< 6 MiB: $(verdict "$IDLE_ANON" 6)")
$(prow "… of which the binary's own pages" idle-RSS-file-MiB " MiB")
$(prow "peak RSS (VmHWM, after the storm)" peak-RSS-MiB " MiB" "< 16 MiB: $(verdict "$PEAK_RSS" 16)")
$(prow "idle CPU per request the agent makes" idle-CPU-ms/request " ms" "< 1 ms: $(verdict "$CPU_REQ" 1)")
$(prow "idle CPU" idle-CPU-ms/s " ms per s")
$(prow "change storm: changes/s applied to Fig" storm-changes/s "")
$(prow "storm CPU" storm-CPU-ms/s " ms per s")
$(prow "warn log lines per second while idle" idle-warn-log-lines/s "")

What stands in the way of the memory goals is the binary: its pages are most of the RSS, and
the agent's dependencies are the brief's (azidentity and MSAL, azsecrets and azcore with
golang.org/x/net/http2, net/http and crypto/tls, encoding/json and XML for MSAL, fsnotify,
sigs.k8s.io/yaml); client_golang, protobuf and prometheus/common are gone from the agent build
(it writes its /metrics itself, \`injector/status\`). Anonymous memory is mostly the Go heap's
goal, not its data, and the runtime's own: the agent runs with GOGC 50, which holds about 1 MiB
less than the default 100 for about a tenth more CPU per idle request
(\`FIG_INJECTOR_AGENT_ENV="GOGC=100"\` runs the benchmark with the default; lower values cost CPU
in every GC cycle for a fraction of a MiB). Vault Agent for comparison: 64 Mi requested, ~13 Mi
used.

## Push: the cluster relay (issue 14)

What \`fig-injector relay\` changes, measured side by side in this run. The relay is the product's
own code (\`injector/relay\`: web hook handler, hub, server, Key Vault list pass): in-process over TLS
for the agent benchmarks (\`injector/dev/devrelay\`, which \`make demo\` runs too) and the real binary
for its own memory and CPU. The agents are real (\`agent.New\` + \`Run\` in sidecar mode, in one
process) against the emulators over TLS, and the Fig emulator posts its web hooks as Fig does.

### Fig change → file

\`${CMDS[propagation]}\` ($(runs propagation $PR) runs of $(prop samples) samples: 20 agents of one client × 10 changes, each change timed from the admin's edit to each agent's write of the new value)

| path | p50 | p99 | max | p99 ÷ the relay's |
|---|---|---|---|---|
$(proprow polling "polling at the default 30 s (measured at 3 s, ×10)")
$(proprow relay "**relay**: Fig's web hook → relay → wake-up → fetch → file")

Issue 14's goal, a Fig change in every affected pod's file in under 1 s (p99): $(verdict "$(prop relay-p99-ms)" 1000).
With the relay the agents still poll Fig every 30 s, so no poll brings a change before the push
does. Polling was run 10× faster (Fig's status polled every 3 s, the agents started 0.15 s apart so
their poll phases spread, each change made at a random phase) and its latencies multiplied back by
10, the fetch's few milliseconds included (overstating by under 1%): it is the poll's wait, uniform
over one interval ±10% jitter, plus the fetch.

![Fig change → file: share of pods updated within x seconds, relay vs polling](img/propagation-latency.svg)

### Idle Key Vault requests: 1,000 pods of one app on one vault

Simulation: \`${CMDS[rollout]}\`, the example app started within 30 s (details under "Rollout"
below). Real agents: \`${CMDS[agents]}\` (see "Measured with real agents"; time ×10, so a 1 s window is 10 s).

| figure | per-pod polling (product) | product + relay | polling ÷ relay |
|---|---|---|---|
| simulation, 1,000 pods: requests per 10 s, steady-state mean | $(ro example-app/start-within-30s idle-req/10s-jittered) | **$(ro example-app/start-within-30s idle-req/10s-relay)** | **$(ratio "$(ro example-app/start-within-30s idle-req/10s-jittered)" "$(ro example-app/start-within-30s idle-req/10s-relay)")×** |
| simulation, 1,000 pods: busiest 10 s of the steady state | $(ro example-app/start-within-30s steady-peak-req/10s-jittered) | $(ro example-app/start-within-30s steady-peak-req/10s-relay) | $(ratio "$(ro example-app/start-within-30s steady-peak-req/10s-jittered)" "$(ro example-app/start-within-30s steady-peak-req/10s-relay)")× |
| simulation, 1,000 pods: busiest 10 s of the rollout | $(ro example-app/start-within-30s peak-req/10s-jittered) | $(ro example-app/start-within-30s peak-req/10s-relay) | $(ratio "$(ro example-app/start-within-30s peak-req/10s-jittered)" "$(ro example-app/start-within-30s peak-req/10s-relay)")× |
| $(median agents $A agents) real agents: requests per window, steady-state mean | $(median agents $A idle-req/window-jittered) | **$(median agents $A idle-req/window-relay)** | **$(ratio "$(median agents $A idle-req/window-jittered)" "$(median agents $A idle-req/window-relay)")×** |
| $(median agents $A agents) real agents: busiest window of the steady state | $(median agents $A steady-peak-req/window-jittered) | $(median agents $A steady-peak-req/window-relay) | $(ratio "$(median agents $A steady-peak-req/window-jittered)" "$(median agents $A steady-peak-req/window-relay)")× |

![Key Vault requests per 10 s while 1,000 pods start and then idle, per-pod polling vs relay](img/rollout-keyvault.svg)

With the relay the cluster lists the vault once per interval (one request per 25 secrets), and each
pod's own poll becomes a safety poll every 10 intervals (\`agent.RelaySafetyFactor\`): idle traffic
falls about tenfold. What is left is still proportional to the pods, the safety polls (1,000 pods ×
10 s ÷ 600 s ≈ 17 per 10 s against the relay's one list a minute), so issue 14's "grows with vaults,
not pods" holds for the relay's share only; the safety factor sets the rest. The rollout's peak is
the first renders, which the relay does not change: every new pod still reads its secrets itself.
A pod's first safety poll is drawn uniformly over [5, 15] intervals once the relay watches its vault
(\`agent.Schedule.AfterRelayWord\`), so pods that subscribed together do not keep their safety polls
in one burst: with ±10% alone the busiest steady 10 s fell only 1.9× (109 requests) in the same
simulation.

### Relay process: 1,000 subscribers

\`${CMDS[relayproc]}\` ($(runs relayproc $RP) runs)

The real binary (\`fig-injector relay\`, the product image's, stripped) with $(rp subscribers) subscribers, light
NDJSON clients in the benchmark's process (\`injector/relay/subscribe\`, the agent's own client), each
over its own TCP and TLS connection. The relay authenticates each subscription with a TokenReview
and a pod read; a stand-in Kubernetes API in the benchmark answers both (a real API server's cost
is not the relay's). RSS from /proc/PID/status, CPU from /proc/PID/stat (idle: one heartbeat
interval, 15 s, in which every stream writes one line) and the threads' schedstat (fan-out: a Fig
change → the emulator's web hook → a settingsChanged line to every subscriber, 10 times).

| figure | median |
|---|---|
| RSS before any subscriber | $(rp base-RSS-MiB) MiB |
| idle RSS with every subscriber connected | **$(rp idle-RSS-MiB) MiB** ($(rp idle-RSS-anon-MiB) MiB anonymous) |
| … per subscriber | $(rp RSS-KiB/subscriber) KiB |
| peak RSS (VmHWM) | $(rp peak-RSS-MiB) MiB |
| idle CPU | **$(rp idle-CPU-ms/s) ms per s** |
| all subscribers accepted, from the first attempt | $(rp subscribe-all-ms) ms |
| one hook → every subscriber's line: p50 / max of 10 | $(rp fanout-p50-ms) ms / $(rp fanout-max-ms) ms |
| relay CPU per fan-out to every subscriber | $(rp fanout-CPU-ms) ms |

### Relay killed

\`${CMDS[killed]}\` ($(runs killed $KL) runs of 20 agents)

The relay watches the vault (so the agents' own Key Vault polls are stretched tenfold) and is then
stopped as a crash stops it: every stream cut, no list pass any more. At that instant a Fig value
changes and a secret is rotated. Time runs 10× faster (Key Vault polled every 6 s, Fig every 3 s);
the figures are multiplied back.

| figure | median |
|---|---|
| agents with both changes in their file (none lost) | $(median killed $KL agents-with-both) of 20 per run |
| relay killed → rotation in every agent's file (max) | **$(median killed $KL keyvault-max-s) s** = $(median killed $KL keyvault-max/interval) × the 60 s interval |
| … p50 | $(median killed $KL keyvault-p50-s) s |
| relay killed → Fig change in every agent's file (max) | $(median killed $KL fig-max-s) s = $(median killed $KL fig-max/interval) × the 30 s interval |

A lost stream puts each vault back on the agent's own interval at once (its next poll within one
interval, up to 10% sooner: \`agent.Schedule.AfterRelayWord\`; the excess over 1× is the poll and the
render); Fig's status poll never stopped (at its interval ±10%, as before). A relay that vanishes without closing its
connections (a node lost) is noticed after the subscriber's read timeout instead (35 s: two
missed heartbeats and a margin), then the same.

### Start from the offline copy while Fig is down

$OFFLINE_SECTION

## Rollout: 1,000 agents on one vault

Peak Key Vault requests in any 10 s window (Key Vault's limit: 4,000 per 10 s per vault, all clients
together) while 1,000 pods of one app start against one vault, over 30 minutes of simulated time
with the default 60 s poll interval. Five ways of polling, each with the same start times:

- **product**: the agent's request budget and its own \`agent.DefaultSchedule\`. The first render
  is immediate (the pod is not ready before it); the first poll comes uniformly in [interval/2,
  3·interval/2] after it (one interval on average, never sooner than 30 s), later polls every
  interval ±10%.
- **no jitter**: the same budget, every pod polling exactly every 60 s after it started.
- **first poll from 0**: the same budget with the start-up rule the agent had before, first poll
  uniform in [0, interval] after the render.
- **naive**: no jitter and one GET per secret at start and at every poll, as the Secrets Store CSI
  driver's rotation does.
- **product + relay** (issue 14): the product's agent subscribed to \`fig-injector relay\`, which
  lists the vault once per interval for the whole cluster (one list page per 25 secrets); told
  that the relay watches the vault right after its first render, each pod polls the vault itself
  only every \`agent.RelaySafetyFactor\` (10) intervals ±10%, as a safety net, the first of them
  uniformly in [5, 15] intervals.

The example app (the \`dev\` seed: 2 secrets, in a vault of their own) costs the agent 3 requests
at start (1 list + 2 GETs) and 1 list per poll, and the naive strategy 2 GETs each time; the
"10-GETs" app maps 10 secrets in a shared vault, 10 GETs each time either way (listing a big shared
vault would cost more). This simulates the schedule (\`test/bench/rollout_test.go\`, its arithmetic
checked by \`TestRolloutModel\`); it does not run 1,000 agents.

\`${CMDS[rollout]}\` ($(runs rollout "$R/example-app/start-at-once") runs; the simulation seed is fixed, so runs agree)

During the rollout (peak over the whole 30 minutes):

| fleet | naive | no jitter | first poll from 0 | product | product + relay |
|---|---|---|---|---|---|
$(rorow example-app/start-within-30s)
$(rorow example-app/start-at-once)
$(rorow 10-GETs-app/start-within-30s)
$(rorow 10-GETs-app/start-at-once)

Steady state (10 s windows from 5 intervals after the last start on):

| fleet | naive | no jitter | first poll from 0 | product | product + relay |
|---|---|---|---|---|---|
$(rorow example-app/start-within-30s steady-)
$(rorow example-app/start-at-once steady-)
$(rorow 10-GETs-app/start-within-30s steady-)
$(rorow 10-GETs-app/start-at-once steady-)

What it shows:

- **The rollout peak is the first renders.** Rendering is never delayed, so 1,000 pods starting
  within 30 s put about a third of their first-render requests into each 10 s, and pods starting
  at once put all of them into one. No polling schedule lowers that; a schedule can only add to
  it. With the first poll at least half an interval after the render, every first poll of a fleet
  that starts within half an interval comes after the last pod's render, so the first polls do not
  add to the render peak. Started within 30 s, the example app peaks at $(ro example-app/start-within-30s peak-req/10s-jittered) requests
  (no jitter: $(ro example-app/start-within-30s peak-req/10s-no-jitter)) and the 10-GETs app at $(ro 10-GETs-app/start-within-30s peak-req/10s-jittered) (no jitter: $(ro 10-GETs-app/start-within-30s peak-req/10s-no-jitter)), under the limit.
  The earlier rule, first poll from 0, put first polls on top of other pods' renders: $(ro example-app/start-within-30s peak-req/10s-early-startup) and
  $(ro 10-GETs-app/start-within-30s peak-req/10s-early-startup), the latter over the limit, and $(ro 10-GETs-app/start-at-once peak-req/10s-early-startup) instead of $(ro 10-GETs-app/start-at-once peak-req/10s-jittered) when all start at once. A rollout
  spread over more than half an interval mixes early pods' first polls with later pods' renders
  under any schedule, but then there are fewer renders per 10 s too.
- **In the steady state jitter is what keeps the peak down**: on average a sixth of the pods
  (167) poll in any 10 s of a 60 s interval, and the busiest 10 s of 25 minutes sees $(ro example-app/start-at-once steady-peak-req/10s-jittered) requests
  from 1,000 example-app pods started at once, where without jitter pods that started together
  poll in step for ever ($(ro example-app/start-at-once steady-peak-req/10s-no-jitter)).
- **The budget**: for the example app the agent's first render costs one request more than the
  naive strategy (the list that finds prefix secrets), so its rollout peak is higher than the
  naive one; from then on it lists once per poll instead of GETting each secret, and with jitter
  its steady-state peak is $(ro example-app/start-at-once steady-peak-req/10s-jittered) against the naive $(ro example-app/start-at-once steady-peak-req/10s-naive) (started at once). For 10 explicitly
  mapped secrets in a shared vault the budget is the naive GETs; only the schedule differs.
- **The limit**: 1,000 pods that each GET 10 secrets and start at once exceed 4,000 per 10 s on
  start-up whatever the schedule (10,000 first-render GETs); Key Vault then answers 429 with
  Retry-After, which the agent honours (SPEC §2.3). Only spreading the rollout (the Deployment's \`maxSurge\`)
  keeps such a fleet under the limit.

### Measured with real agents

\`${CMDS[agents]}\` ($(runs agents $A) runs)

The example-app rollout again, with real agents instead of the simulation: $(median agents $A agents) agents (\`agent.New\`
and \`Run\` in sidecar mode, in one process, each with its own copy of dev's agent.yaml and its own
output file; one token file, Fig secret and CA for all, as the pods of one Deployment share them)
start against one set of the emulators over TLS, and the vault emulator records the arrival of
every Key Vault request (\`keyvault.Server.AddObserver\`), each agent's one 401 challenge round trip
included: a first render costs 4 requests (challenge, list, 2 GETs), then 1 list per poll
(\`TestFleetCountsRequests\` checks that the harness counts exactly that). Time runs
$(median agents $A time-scale)× faster: the agents start within 3 s, Key Vault is polled every 6 s and Fig every 3 s, and requests
are counted per **1 s window**, so a window's count compares with Key Vault's 4,000 per 10 s as it
stands. The run lasts the rollout plus 10 intervals; the steady state is the windows from 5
intervals after the last start on. The variants see the same start times: **product**
(\`agent.DefaultSchedule\`), **no jitter** (first poll exactly one interval after the first
render, then exactly every interval: \`Schedule{Jitter: 0, FixedStartup: true}\`) and **product +
relay** (the relay in-process, \`injector/dev/devrelay\`, listing the vault every scaled interval;
its own requests, one challenge and one list per pass, are counted with the agents'). **Model** is the
simulation above run for the same fleet, start times, scaled durations and costs; **idle** is the
mean per window in the steady state.

| variant | peak per window | steady-state peak per window | idle per window | model: peak | model: steady-state peak | model: idle | requests in total |
|---|---|---|---|---|---|---|---|
$(agrow no-jitter "no jitter")
$(agrow jittered product)
$(agrow relay "product + relay")

The fleet is $(median agents $A agents) agents rather than 1,000 because every in-process agent holds one inotify instance
(its file watcher) and Linux allows 128 per user by default (\`fs.inotify.max_user_instances\`);
with the limit raised, \`FIG_INJECTOR_ROLLOUT_AGENTS=1000\` runs a larger fleet. Whether the machine
kept up: 99% of the agents wrote their first file within $(median agents $A first-file-p99-ms) ms of their start, and no agent
started more than $(median agents $A start-late-max-ms) ms late (to compare with the 1 s window). A fleet of $(median agents $A agents) makes about a tenth
of a 1,000-pod fleet's requests; what the run shows is whether the real agents behave as the
model says (compare the columns): the rollout peak is the first renders, without jitter the
steady-state peak keeps the rollout's clustering (the pods that started within one window poll in
step), and with the product's schedule the polls spread out to about a sixth of the fleet per
window on average, the busiest window somewhat more (at this fleet size a few requests either way
are noise). The simulation's 1,000-pod figures above rest on that agreement.

${REALNODE_SECTION:+$REALNODE_SECTION

}## Micro-benchmarks of the product packages

\`${CMDS[micro]}\`

| benchmark | median ns/op | other (median) |
|---|---|---|
MD
awk '/^Benchmark/ { n = $1; sub(/-[0-9]+$/, "", n); print n }' "$OUT/micro.txt" | sort -u | while read -r b; do
  extra=$(awk -v b="$b" '{ n = $1; sub(/-[0-9]+$/, "", n) } n == b { for (i = 5; i < NF; i += 2) u[$(i+1)] = 1 } END { for (k in u) print k }' "$OUT/micro.txt" |
    sort | while read -r u; do printf '%s %s; ' "$(median micro "$b" "$u")" "$u"; done)
  echo "| $b | $(median micro "$b" ns/op) | ${extra%; } |"
done
cat <<MD

BenchmarkAdmission (injector/webhook) is the webhook's admission latency over HTTPS on this machine
(p50/p99 in µs); throughput on 2 cores is roughly 1e9 ÷ ns/op reviews per second per core.

## Fuzzing

Each target's seed corpus runs in CI under \`go test ./...\`; the longer runs below are from this
invocation.

| target | command | executions | result |
|---|---|---|---|
${FUZZ_ROWS}
## Fault and security suites

Not benchmarks, but the reliability and security half of SPEC §5 is proven by \`go test ./test/fault
./test/security\` (part of \`make test\`): SIGKILL of a writer mid-stream (old or new complete file
only), a write refused by the kernel half-way (RLIMIT_FSIZE) and a full volume through the agent's
Write seam, Fig / Entra ID / Key Vault down, slow, 500 and 429 with Retry-After 1 s and 120 s, the
token file rotated and briefly missing, 1,000 rapid changes, and a scan of every log, error,
status body and endpoint for seeded secret values. The webhook's share is in \`injector/webhook\`:
150 concurrent admissions (each answered for its own pod and UID, under the race detector), and TLS
limited to 1.2+ with ECDHE AEAD suites (1.0, 1.1, CBC and RSA key exchange refused). The allowlist
bypass attempts (user info, punycode, IP literals and addresses in disguise, \`..\` and escaped
paths, redirects) are table tests in \`injector/allowlist\`, \`injector/inject\` and \`injector/source/fig\`.
MD
if [ -x "$BENCHSTAT" ]; then
  printf '\n## benchstat\n\nThe same runs summarised by benchstat (median ± spread).\n\n```\n'
  for f in first change kv process process_base micro; do [ -s "$OUT/$f.txt" ] || continue; "$BENCHSTAT" "$OUT/$f.txt" 2>/dev/null | sed 's/[[:space:]]*$//' || true; done
  printf '```\n'
fi
} >"$DOC"
log "wrote $DOC (raw outputs in $OUT)"
