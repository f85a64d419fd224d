#!/usr/bin/env bash
# examples/kind/down.sh — delete the walkthrough's kind cluster and the CA up.sh made.
# Environment: CLUSTER (default fig-injector), KEEP_CA=1 keeps ca/ca.crt and ca/ca.key.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=${CLUSTER:-fig-injector}
command -v kind >/dev/null || { echo "down.sh: kind is required" >&2; exit 1; }
if ! command -v docker >/dev/null && command -v podman >/dev/null; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
fi
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
if [ -z "${KEEP_CA:-}" ]; then
  rm -f "$HERE/ca/ca.crt" "$HERE/ca/ca.key"
fi
