#!/usr/bin/env bash
# hack/kind/test.sh — the kind walkthrough with kind itself (make kind): a kind cluster from the node
# image hack/kind/node-image.sh builds offline, created by kind's podman provider, then
# examples/kind/up.sh run unmodified (it finds the cluster, builds and loads the three images, installs
# the emulators, the chart and the sample app, and follows a Fig and a Key Vault change into the pod),
# then `kind delete cluster` and a check that nothing is left behind.
#
#   hack/kind/test.sh              needs root, Debian 12; takes /tmp/fig-injector-realnode.lock (one node
#                                  of any kind on this machine at a time)
#   KIND_KEEP=1 hack/kind/test.sh  leave the cluster up (KUBECONFIG=<cache>/kind-node/kubeconfig);
#                                  delete it with: hack/kind/test.sh --down
#
# What this machine needs that a laptop with Docker does not, all set here and nowhere in up.sh:
#   - KIND_EXPERIMENTAL_PROVIDER=podman and the private podman configuration of hack/containers-env.sh
#     (runc, ulimits the host allows), whose storage holds the node image;
#   - /lib/modules, which kind always mounts (created when missing, removed afterwards);
#   - hack/kind/cluster.yaml (the image's needs and this kernel's: see the file);
#   - for up.sh's `podman build` of the real Dockerfiles: the local equivalents of golang:1.26 and
#     distroless static:nonroot that hack/image.sh makes, tagged under those names for the run, and this
#     machine's Go module and build caches mounted into RUN steps (a containers.conf `volumes` entry used
#     for up.sh only): no registry and no TLS-intercepted module download is needed inside the build.
# Measured (2 shared cores), node image up to date: kind create cluster 16-19 s, kube-system Ready <= 12 s,
# up.sh 94-113 s, delete and checks 12-15 s: about 2.5 min in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
# shellcheck source=hack/versions.sh
. hack/versions.sh
# shellcheck source=hack/containers-env.sh
. hack/containers-env.sh
[ "$(id -u)" = 0 ] || { echo "kind: run as root (podman rootful, /lib/modules)" >&2; exit 1; }
NODE_IMAGE=${NODE_IMAGE:-localhost/fig-injector/kind-node:$K8S_VERSION}
CLUSTER=fig-injector # cluster.yaml's name and up.sh's default
W=$CACHE/kind-node
STATE=$W/state
export KIND_EXPERIMENTAL_PROVIDER=podman KUBECONFIG=$W/kubeconfig
export PATH=$CACHE/kind-$KIND_VERSION:$ASSETS:$PATH
T0=$SECONDS
log() { printf '[kind %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
timed() { local label=$1 started=$SECONDS; shift; "$@"; log "$label: $((SECONDS - started))s"; }

# Public base images of the Dockerfiles -> the local images hack/image.sh makes.
GO_LOCAL=localhost/golang:$(go env GOVERSION | sed -E 's/^go//')
BASE_TAGS=("$GO_LOCAL=docker.io/library/golang:1.26" "localhost/static:nonroot=gcr.io/distroless/static-debian12:nonroot")

# netavark_rules/netavark_chains: the iptables/ip6tables rules and chains netavark (podman's bridge networks: kind's node,
# up.sh's builds) creates; they outlive the networks, so down removes them when they were not there before.
netavark_rules() { local ipt=$1 t; for t in filter nat mangle; do "$ipt-save" -t "$t" 2>/dev/null | sed -n "s/^-A \(.*NETAVARK.*\)/$t \1/p"; done; }
netavark_chains() { local ipt=$1 t; for t in filter nat mangle; do "$ipt-save" -t "$t" 2>/dev/null | sed -n "s/^:\(NETAVARK[^ ]*\).*/$t \1/p"; done; }
remove_netavark() {
  local ipt t rule chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    netavark_rules "$ipt" | tac | while read -r t rule; do
      # shellcheck disable=SC2086 # the rule's words, as iptables-save printed them
      eval "$ipt -t $t -D $rule" 2>/dev/null || true
    done
    netavark_chains "$ipt" | while read -r t chain; do "$ipt" -t "$t" -F "$chain" 2>/dev/null || true; done
    netavark_chains "$ipt" | while read -r t chain; do "$ipt" -t "$t" -X "$chain" 2>/dev/null || true; done
  done
}

# down: delete the cluster, undo what this script changed on the host, then check nothing is left.
down() {
  local left=() c netavark="" network=""
  kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  for c in "${BASE_TAGS[@]}"; do podman untag "${c%%=*}" "${c#*=}" >/dev/null 2>&1 || true; done
  if [ -f "$STATE/network-created" ]; then podman network rm -f kind >/dev/null 2>&1 || true; network=1; fi
  if [ -f "$STATE/netavark-absent" ] && [ -z "$(podman ps -q)" ]; then remove_netavark; netavark=1; fi
  if [ -f "$STATE/modules-created" ]; then rmdir /lib/modules 2>/dev/null || true; fi
  if [ -f "$STATE/ip_forward" ]; then sysctl -qw net.ipv4.ip_forward="$(cat "$STATE/ip_forward")"; fi
  rm -rf "$STATE" "$KUBECONFIG" "$ROOT/examples/kind/ca/ca.crt" "$ROOT/examples/kind/ca/ca.key"
  [ -z "$(podman ps -aq)" ] || left+=("containers: $(podman ps -a --format '{{.Names}}' | tr '\n' ' ')")
  [ -z "$(podman volume ls -q)" ] || left+=("podman volumes: $(podman volume ls -q | tr '\n' ' ')")
  [ -z "$network" ] || ! podman network exists kind || left+=("podman network kind")
  [ -z "$netavark" ] || [ -z "$(netavark_chains iptables)$(netavark_chains ip6tables)" ] ||
    left+=("netavark chains: $(netavark_chains iptables | tr '\n' ' ')")
  ! grep -q "$CLUSTER-control-plane" /proc/mounts || left+=("mounts of the node")
  if [ ${#left[@]} -gt 0 ]; then log "left behind: ${left[*]}"; return 1; fi
  log "down: nothing left behind"
}
if [ "${1:-}" = --down ]; then down; exit; fi

# 1. images: the project's (dist/*.tar, hack/image.sh) and the node image (built beside a running real
#    node: its temporary containerd has its own socket and root)
for a in dist/fig-injector-image.tar dist/fig-injector-agent-image.tar dist/fig-sampleapp-image.tar; do
  [ -s "$a" ] || { log "$a missing: building the images"; bash hack/image.sh; break; }
done
timed "node image" bash hack/kind/node-image.sh

exec 8>/tmp/fig-injector-realnode.lock
flock 8 # the real node and the kind node never run at once

# 2. host preparation, recorded so that down undoes exactly it
rm -rf "$STATE"; mkdir -p "$STATE"
sysctl -n net.ipv4.ip_forward >"$STATE/ip_forward"
podman network exists kind || touch "$STATE/network-created"
[ -n "$(netavark_chains iptables)$(netavark_chains ip6tables)" ] || touch "$STATE/netavark-absent"
[ -d /lib/modules ] || { mkdir /lib/modules; touch "$STATE/modules-created"; }
finish() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -s "$KUBECONFIG" ]; then # what CI's log needs to tell why
    kubectl get pods -A -o wide >&2 || true
    kubectl get events -A --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 >&2 || true
  fi
  if [ -n "${KIND_KEEP:-}" ]; then log "KIND_KEEP: cluster left up; KUBECONFIG=$KUBECONFIG; down: $0 --down"; exit "$rc"; fi
  down || rc=1
  log "done in $((SECONDS - T0))s (rc=$rc)"
  exit "$rc"
}
trap finish EXIT

# 3. kind create cluster
timed "kind create cluster" kind create cluster --image "$NODE_IMAGE" --config hack/kind/cluster.yaml --wait 180s
kubectl get nodes -o wide
# Every control-plane pod, kube-proxy and CoreDNS from the pre-loaded images (up.sh needs cluster DNS and
# Service routing: the agent reaches fig-dev.fig-dev.svc, the API server the webhook's Service).
kube_system_ready() {
  kubectl -n kube-system rollout status daemonset/kube-proxy --timeout=180s &&
    kubectl -n kube-system rollout status deployment/coredns --timeout=180s &&
    kubectl -n kube-system wait --for=condition=Ready pods --all --timeout=180s
}
timed "kube-system Ready" kube_system_ready
kubectl -n kube-system get pods -o wide

# 4. examples/kind/up.sh, unmodified
for c in "${BASE_TAGS[@]}"; do podman tag "${c%%=*}" "${c#*=}"; done
go mod download
mkdir -p "$(go env GOMODCACHE)" "$(go env GOCACHE)"
sed "s|^\[containers\]|&\nvolumes = [\"$(go env GOMODCACHE):/go/pkg/mod\", \"$(go env GOCACHE):/root/.cache/go-build\"]|" \
  "$CONTAINERS_CONF" >"$STATE/containers-build.conf"
# up.sh's podman builds use hack/image.sh's storage: hold its lock (its exit removes every working container).
exec 7>"$CONTAINERS_WORK/lock"
flock 7
CONTAINERS_CONF=$STATE/containers-build.conf timed "examples/kind/up.sh" bash examples/kind/up.sh
