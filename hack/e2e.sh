#!/usr/bin/env bash
# hack/e2e.sh [go test flags] — the real-cluster suite (test/e2e, build tag e2e).
#
# Builds kube-apiserver, etcd, kubectl and helm from the Go module proxy into a
# version-keyed cache (hack/k8s-assets.sh; about 6 minutes the first time, a
# fraction of a second after), then runs `go test -tags e2e ./test/e2e/...`
# with KUBEBUILDER_ASSETS and PATH pointing at them. The suite starts its own
# etcd and kube-apiserver on free loopback ports and always stops them.
#
#   hack/e2e.sh                      whole suite
#   hack/e2e.sh -run TestHelmChart -v
#   E2E_KEEP=1 hack/e2e.sh           keep logs and state (kept anyway on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
export K8S_VERSION=${K8S_VERSION:-v1.37.2}
export ETCD_VERSION=${ETCD_VERSION:-v3.7.3}
export HELM_VERSION=${HELM_VERSION:-v4.3.1}
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
ASSETS=$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION
bash hack/k8s-assets.sh "$ASSETS"
export KUBEBUILDER_ASSETS=$ASSETS
export PATH=$ASSETS:$PATH
echo "[e2e] assets: $ASSETS"
go test -tags e2e -count=1 -timeout 10m "$@" ./test/e2e/...
