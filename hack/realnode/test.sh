#!/usr/bin/env bash
# hack/realnode/test.sh [go test flags] — the real-node suite (make realnode, part of make test).
#
#   1. the product, agent and sample app images from the real Dockerfiles (hack/image.sh, make image:
#      dist/*.tar; built here when missing)
#   2. a real node (up.sh: etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet,
#      svcproxy), the three images imported into its containerd under the walkthrough's names
#   3. the kind walkthrough, unmodified, against that node: USE_CURRENT_CLUSTER=1 examples/kind/up.sh
#      (emulators in-cluster, the chart installed with helm --wait, the sample app, a Fig and a Key Vault
#      change followed into the pod)
#   4. go test -tags realnode ./test/realnode/...: pods of every mode on top of what step 3 installed
#   5. down.sh, always (trap), and its check that nothing is left: processes, mounts, links, cgroups,
#      sysctls, iptables chains; a leftover fails the run
#
#   hack/realnode/test.sh                  whole suite
#   hack/realnode/test.sh -run TestModes -v
#   REALNODE_KEEP=1 hack/realnode/test.sh  leave the node up afterwards (down.sh stops it)
# Needs root (the node) and Debian 12; binaries come from hack/k8s-assets.sh's version-keyed cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
# shellcheck source=hack/versions.sh
. hack/versions.sh
[ "$(id -u)" = 0 ] || { echo "realnode: run as root (the node creates links, mounts and cgroups)" >&2; exit 1; }
export NODE_STATE=${NODE_STATE:-/tmp/fig-injector-realnode}
log() { printf '[realnode %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T0=$SECONDS

ARCHIVES=(dist/fig-injector-image.tar dist/fig-injector-agent-image.tar dist/fig-sampleapp-image.tar)
for a in "${ARCHIVES[@]}"; do [ -s "$a" ] || { log "$a missing: building the images"; bash hack/image.sh; break; }; done

down() {
  local rc=$?
  if [ -n "${REALNODE_KEEP:-}" ]; then log "REALNODE_KEEP: node left up; stop it with hack/realnode/down.sh"; exit "$rc"; fi
  bash hack/realnode/down.sh || { log "down.sh found leftovers (above)"; rc=1; }
  log "done in $((SECONDS - T0))s (rc=$rc)"
  exit "$rc"
}
trap down EXIT
bash hack/realnode/up.sh
set -a
# shellcheck disable=SC1091 # written by up.sh
. "$NODE_STATE/env"
set +a
export PATH=$K8S_BIN:$PATH

# The walkthrough's names (examples/kind/values.yaml, manifests): the archives carry hack/image.sh's.
t=$SECONDS
for a in "${ARCHIVES[@]}"; do "$CTR" -a "$CONTAINERD_SOCK" -n k8s.io images import "$a" >/dev/null; done
for pair in fig-injector:dev=fig-injector:kind fig-injector-agent:dev=fig-injector-agent:kind fig-sampleapp:dev=fig-sampleapp:kind; do
  "$CTR" -a "$CONTAINERD_SOCK" -n k8s.io images tag --force "localhost/${pair%%=*}" "localhost/${pair#*=}" >/dev/null
done
log "images imported in $((SECONDS - t))s"

t=$SECONDS
USE_CURRENT_CLUSTER=1 TIMEOUT=${WALKTHROUGH_TIMEOUT:-180} bash examples/kind/up.sh
log "kind walkthrough (examples/kind/up.sh) passed on the real node in $((SECONDS - t))s"

t=$SECONDS
go test -tags realnode -count=1 -timeout 25m "$@" "$ROOT/test/realnode/..."
log "go test ./test/realnode passed in $((SECONDS - t))s"
