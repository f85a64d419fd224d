#!/usr/bin/env bash
# hack/e2e.sh [go test flags] — the real-cluster suite (test/e2e, build tag e2e).
#
# Builds kube-apiserver, etcd, kubectl and helm from the Go module proxy into a
# version-keyed cache (hack/k8s-assets.sh; about 6 minutes the first time, a
# fraction of a second after), Helm v3 next to it for a second lint of the
# chart, and promtool for the chart's alerting rules (hack/promtool.sh, 2 to 3
# minutes the first time on 2 cores), then runs `go test -tags e2e ./test/e2e/...`
# with KUBEBUILDER_ASSETS and PATH pointing at them. The suite starts its own
# etcd and kube-apiserver on free loopback ports and always stops them.
#
#   hack/e2e.sh                      whole suite
#   hack/e2e.sh -run TestHelmChart -v
#   E2E_KEEP=1 hack/e2e.sh           keep logs and state (kept anyway on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/versions.sh
. hack/versions.sh
bash hack/k8s-assets.sh "$ASSETS"
HELM3_DIR=$CACHE/helm-$HELM3_VERSION
HELM_VERSION=$HELM3_VERSION WITH_CLUSTER=0 bash hack/k8s-assets.sh "$HELM3_DIR"
export E2E_HELM3=$HELM3_DIR/helm   # TestHelmChartV3
E2E_PROMTOOL=$(bash hack/promtool.sh)
export E2E_PROMTOOL                 # TestChartMonitoring
export KUBEBUILDER_ASSETS=$ASSETS
export PATH=$ASSETS:$PATH
echo "[e2e] assets: $ASSETS"
go test -tags e2e -count=1 -timeout 10m "$@" ./test/e2e/...
